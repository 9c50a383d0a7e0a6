"""CollapseStop: a run whose policy has collapsed (entropy under the floor, or every group tied) stops after
``patience`` logged steps in a row, and not before; RAFTConfig turns it on."""

from __future__ import annotations

import pytest
from raft_fixtures import make_qwen2, prompt_dataset, raft_args, text_reward
from transformers import TrainerControl, TrainerState

from raft_trl import CollapseStop, RAFTConfig, RAFTTrainer


def _feed(stop: CollapseStop, logs: list[dict]) -> list[bool]:
    state, control, out = TrainerState(), TrainerControl(), []
    for step, entry in enumerate(logs, 1):
        state.global_step = step
        stop.on_log(None, state, control, logs=entry)
        out.append(control.should_training_stop)
    return out


def test_stops_after_patience_collapsed_steps_in_a_row_and_not_before():
    low, high, tied = {"entropy": 0.1, "frac_reward_zero_std": 0.5}, {"entropy": 0.9, "frac_reward_zero_std": 0.5}, \
        {"entropy": 0.9, "frac_reward_zero_std": 1.0}
    stop = CollapseStop(entropy_floor=0.2, patience=3)
    # a recovery resets the count; the run summary (no step metrics) neither counts nor resets
    assert _feed(stop, [low, low, high, low, {"train_loss": 0.1}, low, tied]) == [False] * 6 + [True]
    assert stop.stopped.startswith("collapsed at step 7 (every prompt's rewards tied, 3 logged steps in a row)")
    stop = CollapseStop(entropy_floor=0.2, patience=1)
    assert _feed(stop, [high, low]) == [False, True] and "entropy 0.100 < 0.2" in stop.stopped
    assert _feed(CollapseStop(entropy_floor=0.05, patience=1), [low, high, high]) == [False] * 3


@pytest.mark.parametrize("bad", [{"entropy_floor": 0.0}, {"entropy_floor": float("nan")},
                                 {"entropy_floor": 0.2, "patience": 0}])
def test_refuses_a_floor_or_patience_that_could_never_or_always_stop(bad):
    with pytest.raises(ValueError, match="CollapseStop"):
        CollapseStop(**bad)


def test_config_validates_the_guard(tmp_path):
    for bad in ({"collapse_entropy_floor": -0.1}, {"collapse_patience": 0}):
        with pytest.raises(ValueError, match="RAFTConfig: collapse"):
            RAFTConfig(output_dir=str(tmp_path), use_cpu=True, **bad)


def test_a_raft_run_stops_at_the_collapse_and_only_with_the_guard_on(tmp_path, tiny_tokenizer):
    # a floor above any entropy the tiny model can have (log of its vocabulary): every step counts as collapsed
    for floor, steps in ((1e6, 2), (0.0, 4)):
        args = raft_args(tmp_path / str(floor), max_steps=4, temporal_weight=0.0, collapse_entropy_floor=floor,
                         collapse_patience=2)
        trainer = RAFTTrainer(make_qwen2(tiny_tokenizer), [text_reward], args, train_dataset=prompt_dataset(4),
                              processing_class=tiny_tokenizer)
        guards = [c for c in trainer.callback_handler.callbacks if isinstance(c, CollapseStop)]
        assert len(guards) == (1 if floor else 0)
        trainer.train()
        assert trainer.state.global_step == steps
        if floor:
            assert guards[0].stopped.startswith("collapsed at step 2 (entropy ")
