"""What lm-eval calls: dataset loading, doc_to_* hooks, metric hooks, model registration, the
``amuse-eval`` wrapper and the startup hook that lets plain ``lm_eval`` find the AMUSE tasks."""
