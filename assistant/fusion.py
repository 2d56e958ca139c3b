"""Reciprocal-rank fusion inputs when the gazette comes first: each kind ranked among its own.

With national laws indexed and none named in the question, a gazette passage keeps the rank it
has in the gazette alone however many law articles score near it, and law passages join at
``law_weight`` (``assistant/retrieval.py`` decides when the gazette comes first).
"""

from __future__ import annotations

from collections.abc import Callable

Ranked = list[tuple[str, float]]  # (chunk id, score), best first


def top_each(ranked: Ranked, n: int, is_law: Callable[[str], bool] | None) -> Ranked:
    """The first ``n`` of ``ranked``; with ``is_law``, the first ``n`` of each kind."""
    if is_law is None:
        return ranked[:n]
    gazette = [t for t in ranked if not is_law(t[0])][:n]
    laws = [t for t in ranked if is_law(t[0])][:n]
    return sorted(gazette + laws, key=lambda t: -t[1])


def ranks(
    ranked: Ranked, is_law: Callable[[str], bool] | None, law_weight: float
) -> list[tuple[str, float, int, float]]:
    """(chunk id, score, rank, weight) for fusion; with ``is_law``, ranks count within each kind."""
    if is_law is None:
        return [(cid, s, rank, 1.0) for rank, (cid, s) in enumerate(ranked)]
    seen = {True: 0, False: 0}
    out = []
    for cid, s in ranked:
        law = is_law(cid)
        out.append((cid, s, seen[law], law_weight if law else 1.0))
        seen[law] += 1
    return out
