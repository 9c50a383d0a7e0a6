"""Paper-style tables and figures from lm-eval result folders (``amuse-report``)."""
