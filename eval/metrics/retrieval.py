"""Retrieval metrics (answerable items with gold quotes).

hit@k      1 when a gold quote (folded) is a substring of one of the top-k passages.
recall@k   share of gold quotes that are a substring of some top-k passage.
MRR        1 / rank of the first passage containing a gold quote (0 when none).
"""

from __future__ import annotations

from core.schema import Answer
from core.textnorm import fold
from eval.dataset import EvalItem
from eval.metrics.text import folded_gold

K_VALUES: tuple[int, ...] = (1, 3, 5, 10)


def gold_ranks(item: EvalItem, answer: Answer) -> list[int | None]:
    """For each gold quote, the 1-based rank of the first passage containing it (None: none)."""
    passages = [fold(p.text) for p in answer.passages]
    ranks: list[int | None] = []
    for g in folded_gold(item):
        ranks.append(next((i + 1 for i, p in enumerate(passages) if g in p), None))
    return ranks


def hit_at_k(item: EvalItem, answer: Answer, k: int) -> bool | None:
    """Whether any gold quote is inside one of the top-k passages; None without gold quotes."""
    ranks = gold_ranks(item, answer)
    if not ranks:
        return None
    return any(r is not None and r <= k for r in ranks)


def recall_at_k(item: EvalItem, answer: Answer, k: int) -> float | None:
    """Share of gold quotes inside the top-k passages; None without gold quotes."""
    ranks = gold_ranks(item, answer)
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def reciprocal_rank(item: EvalItem, answer: Answer) -> float | None:
    """1 / rank of the first passage holding any gold quote (0 when none); None without gold."""
    ranks = gold_ranks(item, answer)
    if not ranks:
        return None
    found = [r for r in ranks if r is not None]
    return 1.0 / min(found) if found else 0.0
