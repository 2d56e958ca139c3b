"""Text helpers the metrics share: the compare form (:func:`norm`), document keys, gold quotes.

Every comparison happens on *folded* text (:func:`core.textnorm.fold`: NFKC, no
whitespace, no ``<p>``/``<br>``, 〔〕 == []), the one meaning of "verbatim" in docs/contracts.md.
Keypoints and facts are compared after :func:`norm`, which also turns Chinese numerals
into Arabic ones (一百五十 == 150, 百分之五 == 5%).
"""

from __future__ import annotations

from core.numerals import normalize_numbers
from core.schema import Answer
from core.textnorm import fold
from eval.dataset import EvalItem


def norm(text: str) -> str:
    """Fold (verbatim rules) and normalise numerals: the form keypoints and facts compare in."""
    return normalize_numbers(fold(text))


def doc_key(name: str) -> str:
    """A 文号 or title as a lookup key: folded, without 《》."""
    return fold(name).strip("《》")


def folded_gold(item: EvalItem) -> list[str]:
    """The item's gold quotes, folded, empty ones dropped. A quote of adjacent table cells written
    as the printed table has them ("cell | cell") is compared without the bars: a passage holds
    a row's cells tab-joined, which folding joins."""
    return [g for g in (fold(q).replace("|", "") for q in item.gold_quotes) if g]


def cited_passage_texts(answer: Answer) -> list[str]:
    """Text of the retrieved passages that the answer's citations point at."""
    cited = {c.chunk_id for c in answer.citations}
    return [p.text for p in answer.passages if p.chunk_id in cited]
