"""`gazette-assistant eval`: load the dataset, run the assistant (and the naive baseline), report, gate.

With ``--perturb [names]`` it runs the perturbation evaluation instead (eval/perturbation.py):
the untransformed issue and each transformation, each on a fresh index, and its gate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant import Assistant, IndexMismatchError, IndexMissingError, Settings
from eval.dataset import DatasetError
from eval.perturbation import DEFAULT_ISSUE, parse_names, run_perturbations
from eval.session import evaluate, load_items
from ingest import IngestError


def run_from_cli(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "perturb", None) is not None:
        return _run_perturbations(args, settings)
    try:
        bot = Assistant.load(settings)
    except (IndexMissingError, IndexMismatchError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        items = load_items(bot, Path(args.dataset), args.limit or None, getattr(args, "split", None))
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


def _run_perturbations(args: argparse.Namespace, settings: Settings) -> int:
    try:
        names = parse_names(args.perturb)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    issue = Path(args.issue) if getattr(args, "issue", None) else DEFAULT_ISSUE
    for path in (Path(args.dataset), issue):
        if not path.is_file():
            print(f"error: no such file: {path}", file=sys.stderr)
            return 2
    try:
        report = run_perturbations(
            Path(args.dataset),
            issue,
            Path(args.out),
            names,
            getattr(args, "seed", None),
            settings,
            limit=args.limit or None,
            split=getattr(args, "split", None),
            naive_original=not args.no_naive,
        )
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except IngestError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for run in report["runs"]:
        now = run.get("now", run["overall"])
        delta = run.get("delta", {})
        print(
            f"{run['name']:<12} items {run['n_items']:>4}  pass_rate {now['pass_rate'] or 0:.3f}"
            f" ({delta.get('pass_rate', 0) or 0:+.3f})  keypoints_first_sentence"
            f" {now['keypoints_first_sentence'] or 0:.3f} ({delta.get('keypoints_first_sentence', 0) or 0:+.3f})"
            f"  dropped {len(run['dropped'])}"
        )
    print(f"report: {Path(args.out) / 'perturbation.md'}")
    print(f"seed: {report['seed']}")
    print("perturbation gate: " + ("PASS" if report["passed"] else "FAIL"))
    for v in report["violations"]:
        print(f"  - {v}")
    return 0 if report["passed"] else 1
