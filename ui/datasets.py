"""Evaluation datasets the QA page offers, by name: the eval folder's sets, a smoke set drawn
from the dev set, and each fixture issue's questions. There is no free path: a visitor can
pick only these files."""

from __future__ import annotations

from pathlib import Path

from assistant import REPO_ROOT

DEV = "开发集（dev）"
HOLDOUT = "留出集（held-out）"
SMOKE = "冒烟集（开发集每种题型 1 题）"


def catalogue(root: Path = REPO_ROOT) -> dict[str, Path]:
    """Name -> dataset file, for the files that exist (the smoke set reads the dev file)."""
    found: dict[str, Path] = {}
    dev = root / "eval" / "dataset.jsonl"
    if dev.is_file():
        found[SMOKE] = dev
        found[DEV] = dev
    holdout = root / "eval" / "holdout.jsonl"
    if holdout.is_file():
        found[HOLDOUT] = holdout
    for q in sorted((root / "tests" / "fixtures" / "issues").glob("*/questions.jsonl")):
        found[f"样例期 {q.parent.name}"] = q
    return found


def smoke(items: list) -> list:
    """The first item of every question type, in dataset order (refusal types included, so
    every headline metric is measured)."""
    seen: set[str] = set()
    out = []
    for it in items:
        if it.type not in seen:
            seen.add(it.type)
            out.append(it)
    return out
