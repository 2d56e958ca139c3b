"""`gazette-assistant eval`: load the dataset, run the assistant (and the naive baseline), report, gate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.settings import Settings


def doc_texts_by_number(assistant) -> tuple[dict[str, str], dict[str, str]]:
    """(文号 or law title -> printed text, 文号 -> title) for every indexed document."""
    raw = assistant.retriever.store.doc_texts()
    texts, titles = {}, {}
    for doc in assistant.documents():
        key = doc.doc_number or doc.title
        texts[key] = raw.get(doc.id, "")
        titles[key] = doc.title
    return texts, titles


def run_from_cli(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chat import Assistant
    from assistant.retrieval import IndexMissingError
    from assistant.textnorm import fold
    from eval.dataset import DatasetError, load_dataset
    from eval.metrics import fold_doc_texts
    from eval.naive import NaiveAssistant
    from eval.runner import run_eval
    from ingest.index import IndexMismatchError

    try:
        bot = Assistant.load(settings)
    except (IndexMissingError, IndexMismatchError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    texts, titles = doc_texts_by_number(bot)
    corpus = fold("\n".join(texts.values()))
    try:
        items = load_dataset(Path(args.dataset), corpus_folded=corpus, known_docs=set(texts))
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.limit:
        items = items[: args.limit]
    naive = None if args.no_naive else NaiveAssistant(bot.retriever.embedder, texts, titles)
    metrics = run_eval(
        bot,
        items,
        Path(args.out),
        fold_doc_texts(texts),
        label=settings.answer_mode,
        baseline_dir=Path(args.baseline) if args.baseline else None,
        naive_assistant=naive,
    )
    gate = metrics.get("gate", {})
    print(f"report: {Path(args.out) / 'report.html'}")
    print("gate: " + ("PASS" if gate.get("passed") else "FAIL"))
    for v in gate.get("violations", []):
        print(f"  - {v}")
    return 0 if gate.get("passed") else 1
