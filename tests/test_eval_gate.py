"""The release gate: the extractive eval over the calibration half of eval/dataset.jsonl, on
the real index, against eval/thresholds.toml. A metric on the wrong side of its threshold
fails the test command. The report half is evaluated too and printed, never gated: a gate on
it would make it a tuning target."""

from __future__ import annotations

import json

import pytest

from assistant import REPO_ROOT, Assistant
from eval import evaluate, load_items
from eval.dataset import GATE_SPLIT

DATASET = REPO_ROOT / "eval" / "dataset.jsonl"


@pytest.fixture(scope="module")
def bot(bundled_index) -> Assistant:
    return Assistant.load(bundled_index)


@pytest.mark.slow
def test_extractive_eval_passes_the_gate(bot, tmp_path):
    items = load_items(bot, DATASET, split=GATE_SPLIT)
    metrics = evaluate(bot, items, tmp_path, label="extractive", progress=False)
    for name in ("results.jsonl", "metrics.json", "report.md", "report.html"):
        assert (tmp_path / name).exists()
    gate = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["gate"]
    assert gate["passed"], "eval gate failed:\n" + "\n".join(gate["violations"])
    assert metrics["overall"]["citation_verbatim"] == 1.0 and metrics["overall"]["faithfulness"] == 1.0
