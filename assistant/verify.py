"""Checks a generated answer against its evidence before anyone sees it.

Every citation must point at a retrieved passage; every number, amount, age, date and 文号
in the answer must come from the cited evidence, from a span that fits the question
(a 91-year-old answered "不低于70元" fails although 70元 is in the cited row).
"""

from __future__ import annotations

import re

from assistant.query import Query, age_fits
from core import numerals
from core.textnorm import find_doc_numbers, fold

MARKER = re.compile(r"\[(\d{1,2})\]")
FACT = re.compile(r"\d+(?:\.\d+)?")
SEGMENT_SPLIT = re.compile(r"[；;。\n\t]")  # before folding: a table row's cells stay apart


def normalize_numbers(text: str) -> str:
    """Folded text with numbers written one way (一百五十 -> 150): the form facts compare in."""
    return numerals.normalize_numbers(fold(text))


def cited_indexes(answer: str, n_passages: int) -> tuple[list[int], list[int]]:
    """(valid, invalid) 1-based passage numbers cited as [n]."""
    nums = [int(x) for x in MARKER.findall(answer)]
    valid = sorted({x for x in nums if 1 <= x <= n_passages})
    invalid = sorted({x for x in nums if not 1 <= x <= n_passages})
    return valid, invalid


def facts(answer: str) -> list[str]:
    """Numbers (with Chinese numerals turned into digits) and 文号 stated in the answer."""
    body = MARKER.sub("", answer)
    numbers = FACT.findall(normalize_numbers(body))
    return find_doc_numbers(body) + numbers


def problems(answer: str, q: Query, evidence: list[str], doc_numbers: list[str | None]) -> list[str]:
    """Why ``answer`` may not be shown; empty when it passes."""
    out: list[str] = []
    if not re.search(r"[\u4e00-\u9fff]", answer):
        return ["the answer has no Chinese text"]
    valid, invalid = cited_indexes(answer, len(evidence))
    if invalid:
        out.append(f"cites passages that were not retrieved: {invalid}")
    # without [n] markers every fact is checked against all retrieved passages, and the
    # caller attaches the citations from the passages that support the answer
    cited = [evidence[i - 1] for i in valid] or evidence
    cited_docs = {d for i, d in enumerate(doc_numbers, 1) if d and (not valid or i in valid)}
    cited_norm = normalize_numbers("\n".join(cited))
    for fact in facts(answer):
        if fact in cited_docs or fold(fact) in cited_norm:
            continue
        if fact.isdigit() and any(fact == str(a) for a in q.ages):
            continue  # echoing the asker's own age is not a claim about the gazette
        out.append(f"'{fact}' is not in the cited evidence")
    if q.ages:
        for amount in re.findall(r"\d+(?:\.\d+)?元", normalize_numbers(MARKER.sub("", answer))):
            spans = [
                s
                for e in cited
                for s in (normalize_numbers(x) for x in SEGMENT_SPLIT.split(e))
                if amount in s
            ]
            judged = [age_fits(s, a) for s in spans for a in q.ages]
            if spans and judged and all(j is False for j in judged):
                out.append(f"'{amount}' comes from an age band that does not fit age {q.ages}")
    return out
