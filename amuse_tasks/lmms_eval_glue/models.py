"""``LMMS_EVAL_PLUGINS`` imports ``<plugin>.models`` for model classes, so a user who sets it does not crash: the
pack adds tasks only (use
lmms-eval's own omni classes, ``qwen2_5_omni``, ``qwen3_omni``, ``minicpm_o``, ``gemini``, ``openai``)."""

AVAILABLE_MODELS: dict[str, str] = {}
