"""AMUSE metrics: answer extraction and scoring as pure functions (no lm-eval imports)."""
