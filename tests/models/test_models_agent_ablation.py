"""amuse-agent under the task's modality ablation (``--metadata '{"drop": ...}'``)."""

from __future__ import annotations


def test_the_task_ablation_withholds_the_agents_tools_of_that_modality(model_records, tmp_path):
    """--metadata drop reaches amuse-agent through the media reference: the tools of that modality are not offered
    and refuse calls for that sample, as the model arg drop= does for a whole run."""
    from lm_eval.api.instance import Instance

    from amuse_tasks.models.agent import AmuseAgentLM
    from amuse_tasks.prompts import build_prompt
    from amuse_tasks.schema import media_reference as media_ref

    doc = next(r for r in model_records if r["task"] == "avsa")
    ref = {**media_ref(doc), "drop": ["audio"]}
    inst = Instance("generate_until", doc, (build_prompt(doc, "agentic"), {}, {"visual": [ref], "audio": [ref]}), 0)
    lm = AmuseAgentLM(policy="baseline", tools="oracle", tool_cache=str(tmp_path / "cache"))
    text = lm.generate_until([inst])[0]
    assert "audio removed (ablation)" in text and '"name": "track_faces"' in text
    assert lm.disabled == {}  # the model's own setting is untouched for the next sample
