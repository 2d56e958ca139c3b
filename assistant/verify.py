"""Checks a generated answer against its evidence before anyone sees it.

Every citation must point at a retrieved passage; every fact the answer states must be true to
the cited evidence (``assistant/factcheck.py``: numbers whole with their units, dates, 文号,
bands, organisations, negations and qualifiers, the asker's age and status); and every
sentence must rest on the evidence, so text the passages do not hold (a revealed prompt, an
obeyed instruction) cannot pass for an answer.
"""

from __future__ import annotations

import re

from assistant.answerers.text import overlap, sentences
from assistant.factcheck import Conditions, check, conditions_from_question
from assistant.query import Query

MARKER = re.compile(r"\[(\d{1,2})\]")
CJK = re.compile(r"[\u4e00-\u9fff]")
# A sentence of the answer must find this share of its character bigrams in the cited evidence
# and the question. On tests/data/factcheck/paraphrases.jsonl (158 correct answers written
# blind) the lowest sentence scores 0.26; a revealed prompt or an obeyed instruction scores ~0.
MIN_GROUNDING = 0.2
GROUNDED_MIN_CHARS = 8  # shorter sentences ("是的。", "具体如下：") carry no claim to ground


def cited_indexes(answer: str, n_passages: int) -> tuple[list[int], list[int]]:
    """(valid, invalid) 1-based passage numbers cited as [n]."""
    nums = [int(x) for x in MARKER.findall(answer)]
    valid = sorted({x for x in nums if 1 <= x <= n_passages})
    invalid = sorted({x for x in nums if not 1 <= x <= n_passages})
    return valid, invalid


def asker_conditions(q: Query) -> Conditions:
    """The asker's stated condition: the question's own age (one person), its status words."""
    found = conditions_from_question(q.text)
    age = q.ages[0] if len(q.ages) == 1 else found.age
    return Conditions(age=age, statuses=found.statuses)


def ungrounded(answer: str, evidence: list[str], question: str = "") -> list[str]:
    """Sentences of the answer whose words the evidence (and the question they answer) lack."""
    source = "\n".join([*evidence, question])
    return [
        sent
        for sent in sentences(MARKER.sub("", answer))
        if len(CJK.findall(sent)) >= GROUNDED_MIN_CHARS and overlap(sent, source) < MIN_GROUNDING
    ]


def problems(answer: str, q: Query, evidence: list[str], doc_numbers: list[str | None]) -> list[str]:
    """Why ``answer`` may not be shown; empty when it passes."""
    out: list[str] = []
    if not CJK.search(answer):
        return ["the answer has no Chinese text"]
    valid, invalid = cited_indexes(answer, len(evidence))
    if invalid:
        out.append(f"cites passages that were not retrieved: {invalid}")
    # without [n] markers every fact is checked against all retrieved passages, and the
    # caller attaches the citations from the passages that support the answer
    cited = [evidence[i - 1] for i in valid] or evidence
    cited_docs = [d for i, d in enumerate(doc_numbers, 1) if d and (not valid or i in valid)]
    for p in check(answer, cited, conditions=asker_conditions(q), doc_numbers=cited_docs):
        out.append(f"{p.kind}: '{p.fact}' is not true to the cited evidence")
    out.extend(f"'{s}' is not grounded in the cited evidence" for s in ungrounded(answer, cited, q.text))
    return out
