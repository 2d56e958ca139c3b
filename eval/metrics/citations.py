"""Citation metrics (ALCE spirit): verbatim, precision, recall — defined in the package
docstring (``eval/metrics/__init__.py``), which the report shows QA staff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher

from core.schema import Answer, Citation
from core.textnorm import fold
from eval.dataset import EvalItem
from eval.metrics.faithfulness import extract_facts, fact_in, norm_evidence
from eval.metrics.text import cited_passage_texts, doc_key, folded_gold, norm

OVERLAP_MIN = 0.5  # share of a gold quote's characters a citation must overlap to cover it
MIN_RUN = 4  # shortest common run of characters that counts as overlap


def doc_text_for(citation: Citation, doc_texts: Mapping[str, str]) -> str | None:
    """Folded text of the document a citation names (by 文号, else title); None if unknown."""
    index = {doc_key(k): v for k, v in doc_texts.items()}
    for name in (citation.doc_number, citation.doc_title):
        if name and doc_key(name) in index:
            return index[doc_key(name)]
    return None


def fold_doc_texts(raw: Mapping[str, str]) -> dict[str, str]:
    """Fold raw document texts keyed by 文号 or title (what run_eval's doc_texts expects)."""
    return {k: fold(v) for k, v in raw.items()}


def _covered_share(gold: str, pieces: Iterable[str]) -> float:
    """Share of ``gold``'s characters lying in common runs (≥ MIN_RUN) with any piece."""
    if not gold:
        return 0.0
    marks = [False] * len(gold)
    for piece in pieces:
        if not piece:
            continue
        if gold in piece:
            return 1.0
        start = gold.find(piece)
        if start >= 0:
            spans = [(start, len(piece))]
        else:
            sm = SequenceMatcher(None, gold, piece, autojunk=False)
            block = sm.find_longest_match(0, len(gold), 0, len(piece))
            spans = [(block.a, block.size)] if block.size >= min(MIN_RUN, len(gold)) else []
        for a, size in spans:
            for i in range(a, a + size):
                marks[i] = True
    return sum(marks) / len(gold)


def citation_verbatim(citation: Citation, doc_texts: Mapping[str, str]) -> tuple[bool, str | None]:
    """(verbatim?, why not): the quote is a substring of its cited document's folded text."""
    quote = fold(citation.quote)
    if not quote:
        return False, "empty quote"
    text = doc_text_for(citation, doc_texts)
    name = citation.doc_number or citation.doc_title
    if text is None:
        return False, f"cited document {name!r} is not in the corpus"
    if quote not in text:
        return False, f"quote not verbatim in {name}: {citation.quote[:60]!r}"
    return True, None


def citation_verbatim_counts(answer: Answer, doc_texts: Mapping[str, str]) -> tuple[int, int, list[str]]:
    """(verbatim citations, all citations, reasons for the ones that are not)."""
    ok, why = 0, []
    for c in answer.citations:
        good, reason = citation_verbatim(c, doc_texts)
        ok += good
        if reason:
            why.append(reason)
    return ok, len(answer.citations), why


def citation_precision(item: EvalItem, answer: Answer, doc_texts: Mapping[str, str]) -> float | None:
    """Share of citations that are verbatim and support the answer; None without citations."""
    if not answer.citations:
        return None
    keypoints = [norm(k) for k in item.answer_keypoints if norm(k)]
    facts = extract_facts(answer.answer)
    gold = folded_gold(item)
    good = 0
    for c in answer.citations:
        if not citation_verbatim(c, doc_texts)[0]:
            continue
        q = norm_evidence(c.quote)
        qf = fold(c.quote)
        if (
            any(k in q for k in keypoints)
            or any(fact_in(f, q) for f in facts)
            or any(_covered_share(g, [qf]) >= OVERLAP_MIN for g in gold)
        ):
            good += 1
    return good / len(answer.citations)


def citation_recall(item: EvalItem, answer: Answer) -> float | None:
    """Share of gold quotes the citations cover (≥ 50 % overlap, or inside a cited chunk)."""
    gold = folded_gold(item)
    if not gold:
        return None
    quotes = [fold(c.quote) for c in answer.citations]
    chunks = [fold(t) for t in cited_passage_texts(answer)]
    covered = sum(1 for g in gold if any(g in t for t in chunks) or _covered_share(g, quotes) >= OVERLAP_MIN)
    return covered / len(gold)
