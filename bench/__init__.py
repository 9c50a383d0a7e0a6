"""Speed and memory benchmarks of AMUSE-AV (not tests): one module per benchmark, run with
``python -m bench.<name>`` or all at once with ``bench/run_all``; results in ``bench/results/``."""
