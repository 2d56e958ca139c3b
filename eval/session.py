"""One evaluation run over a loaded Assistant: the dataset checked against the index, the
assistant (and the naive baseline) answering every item, the report written, the gate applied.

The CLI (`gazette-assistant eval`) and the QA page both run evaluations through here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant import Assistant, fold
from eval.dataset import EvalItem, load_dataset, select_split
from eval.metrics import fold_doc_texts
from eval.naive import NaiveAssistant
from eval.runner import run_eval


def doc_texts_by_number(assistant: Assistant) -> tuple[dict[str, str], dict[str, str]]:
    """(文号 or law title -> printed text, 文号 -> title) for every indexed document."""
    raw = assistant.doc_texts()
    texts, titles = {}, {}
    for doc in assistant.documents():
        key = doc.doc_number or doc.title
        text = raw.get(doc.id, "")
        # documents without 文号 that share a title (two 任免名单) share their key: keep both texts
        texts[key] = f"{texts[key]}\n{text}" if key in texts else text
        titles[key] = doc.title
    return texts, titles


def load_items(
    assistant: Assistant, dataset: Path, limit: int | None = None, split: str | None = None
) -> list[EvalItem]:
    """The dataset (one ``split`` of it, or all), validated against the indexed documents
    (raises DatasetError or OSError)."""
    texts, _ = doc_texts_by_number(assistant)
    items = load_dataset(dataset, corpus_folded=fold("\n".join(texts.values())), known_docs=set(texts))
    items = select_split(items, split)
    return items[:limit] if limit else items


def evaluate(
    assistant: Assistant,
    items: list[EvalItem],
    out: Path,
    *,
    label: str,
    with_naive: bool = True,
    baseline_dir: Path | None = None,
    progress: bool = True,
    wrap: Callable[[Any, int], Any] | None = None,
) -> dict:
    """Answer every item, write results/metrics/reports to ``out``, and return the metrics.

    ``wrap(answerer, already_done)`` may wrap the assistant and the naive baseline (the QA
    page counts answered items for its progress bar)."""
    texts, titles = doc_texts_by_number(assistant)
    naive = NaiveAssistant(assistant.embedder, texts, titles) if with_naive else None
    if wrap is not None:
        assistant = wrap(assistant, 0)
        naive = wrap(naive, len(items)) if naive is not None else None
    return run_eval(
        assistant,
        items,
        out,
        fold_doc_texts(texts),
        label=label,
        progress=progress,
        baseline_dir=baseline_dir,
        naive_assistant=naive,
    )
