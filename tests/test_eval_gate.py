"""The release gate: the extractive eval over eval/dataset.jsonl, on the real index, against
eval/thresholds.toml. A metric on the wrong side of its threshold fails the test command."""

from __future__ import annotations

import json

import pytest

from assistant.chat import Assistant
from core.settings import REPO_ROOT, Settings
from eval.cli import doc_texts_by_number
from eval.dataset import load_dataset
from eval.metrics import fold_doc_texts
from eval.naive import NaiveAssistant
from eval.runner import run_eval
from tests.conftest import GAZETTE

DATASET = REPO_ROOT / "eval" / "dataset.jsonl"


@pytest.fixture(scope="module")
def bot(tmp_path_factory) -> Assistant:
    from core.embedding import load_embedder
    from ingest.pipeline import run_ingest

    settings = Settings(data_dir=tmp_path_factory.mktemp("gate") / "var", _env_file=None)
    run_ingest(settings, load_embedder(settings), [GAZETTE])
    return Assistant.load(settings)


@pytest.mark.slow
def test_extractive_eval_passes_the_gate(bot, tmp_path):
    texts, titles = doc_texts_by_number(bot)
    items = load_dataset(DATASET, known_docs=set(texts))
    naive = NaiveAssistant(bot.retriever.embedder, texts, titles)
    metrics = run_eval(bot, items, tmp_path, fold_doc_texts(texts), progress=False, naive_assistant=naive)
    for name in ("results.jsonl", "metrics.json", "report.md", "report.html"):
        assert (tmp_path / name).exists()
    gate = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["gate"]
    assert gate["passed"], "eval gate failed:\n" + "\n".join(gate["violations"])
    assert metrics["overall"]["citation_verbatim"] == 1.0 and metrics["overall"]["faithfulness"] == 1.0
