"""Reciprocal-rank fusion inputs when the gazette comes first: each kind ranked among its own.

With national laws indexed and none named in the question, a gazette passage keeps the rank it
has in the gazette alone however many law articles score near it, and law passages join at
``law_weight``. The gazette comes first unless the question names a law (``names_a_law``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

LAW_NAMED = re.compile(
    # a title ending in 法 (not 办法, a shape local governments use too), "…法第X条", or the words
    r"《[^》]*(?<!办)法》|[\u4e00-\u9fff]{2,12}(?<!办)法(?:第[零一二三四五六七八九十百千]+条)|法律|法规|条例"
)


def names_a_law(text: str, titles: frozenset[str] = frozenset()) -> bool:
    """ "噪声污染防治法第八十二条", "《矿产资源法》…", or any indexed law title: the asker wants the
    law itself. "《…管理办法》" alone does not count: cities and ministries both issue 办法."""
    return bool(LAW_NAMED.search(text)) or any(t in text for t in titles)


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
