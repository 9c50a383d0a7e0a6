"""``raft_trl/trl_compat.py`` is the only module of ``raft_trl`` that names a private attribute of TRL's
or transformers' trainers: every other module is read with ``ast`` and checked against the private
names those classes define (methods, class attributes, and ``self._x`` assignments in their source)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from trl import GRPOTrainer

RAFT = Path(__file__).resolve().parents[2] / "raft_trl"


def _private_names_of_trl_trainers() -> set[str]:
    names = set()
    for cls in GRPOTrainer.__mro__:
        if cls is object:
            continue
        names |= {n for n in vars(cls) if n.startswith("_") and not n.startswith("__")}
        try:
            tree = ast.parse(inspect.getsource(inspect.getmodule(cls)))
        except (OSError, TypeError):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                names.add(node.attr)
    return names


def test_the_private_surface_is_known():
    private = _private_names_of_trl_trainers()
    # the hooks RAFT reroutes and the state it reads are among them (else this test checks nothing)
    assert {"_generate_and_score_completions", "_compute_loss", "_calculate_rewards", "_tokenize_prompts",
            "_get_per_token_logps_and_entropies", "_tokenizer", "_metrics", "_tag_names", "_paper",
            "_prepare_inputs"} <= private


def test_only_trl_compat_names_private_trl_attributes():
    private = _private_names_of_trl_trainers()
    found = []
    for path in sorted(RAFT.rglob("*.py")):
        if path.name == "trl_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = (node.attr if isinstance(node, ast.Attribute) else
                    node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else
                    node.id if isinstance(node, ast.Name) else None)
            if name in private:
                found.append(f"{path.name}:{node.lineno} {name}")
    assert found == []


def test_card_metadata_reaches_trl_names():
    from raft_trl import RAFTTrainer

    assert RAFTTrainer._tag_names == list(RAFTTrainer.card_tags) and "raft" in RAFTTrainer._tag_names
    assert RAFTTrainer._name == "RAFT" and RAFTTrainer._paper["citation"].startswith("@misc{amuse_raft")
