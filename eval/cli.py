"""`gazette-assistant eval`: load the dataset, run the assistant (and the naive baseline), report, gate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant import Assistant, IndexMismatchError, IndexMissingError, Settings
from eval.dataset import DatasetError
from eval.session import evaluate, load_items


def run_from_cli(args: argparse.Namespace, settings: Settings) -> int:
    try:
        bot = Assistant.load(settings)
    except (IndexMissingError, IndexMismatchError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        items = load_items(bot, Path(args.dataset), args.limit or None)
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    metrics = evaluate(
        bot,
        items,
        Path(args.out),
        label=settings.answer_mode,
        with_naive=not args.no_naive,
        baseline_dir=Path(args.baseline) if args.baseline else None,
    )
    gate = metrics.get("gate", {})
    print(f"report: {Path(args.out) / 'report.html'}")
    print("gate: " + ("PASS" if gate.get("passed") else "FAIL"))
    for v in gate.get("violations", []):
        print(f"  - {v}")
    return 0 if gate.get("passed") else 1
