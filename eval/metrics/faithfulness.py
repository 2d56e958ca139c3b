"""Faithfulness: the 文号, dates and quantities an answer states, and whether its evidence has them.

faithful   every 文号, date and quantity (number + unit: 元, 岁/周岁, %, 年, 月, 天, 人 …)
           stated in the answer occurs in the evidence: the cited quotes, the cited chunks'
           passage text, and the citations' 文号/title/section/issue. Facts the question itself
           states are exempt.
invented   a fact a refusal states that is found neither in the question, nor in the
           answer's passages and citations, nor — for a 文号 — anywhere in the corpus.

This check is the eval's own: it shares the normalisers of ``core`` with the product but
never its checker (``assistant.verify``), so the two can be compared against each other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from core.schema import Answer
from core.textnorm import find_doc_numbers, fold
from eval.metrics.text import cited_passage_texts, doc_key, norm

_DATE = re.compile(r"(?<!\d)(?:\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日)")
_UNITS = "万元|亿元|元|周岁|岁|%|个月|年|月|天|日|小时|分钟|人次|人|户|倍|平方米|公里|米|亩|吨|项|家|名"
_QUANTITY = re.compile(rf"(?<![\d.第])(\d+(?:\.\d+)?)(?:\(含\))?({_UNITS})")
# List markers (1. / 2、 / (3)) are not facts, and folding would glue "1. 80周岁" into "1.80周岁".
_ENUM = re.compile(r"(?m)^\s*\d{1,2}[.、)](?!\d)|(?<![\d.])\d{1,2}[.、](?=\s)|\d{1,2}、|\(\d{1,2}\)")
_DOC_NO = re.compile(r"[\u4e00-\u9fff]{2,12}〔\d{4}〕\d{1,4}号")
_RANGE = r"(?:\(含\))?(?:[-—–~～至到一])\d+(?:\.\d+)?"


def norm_evidence(text: str) -> str:
    """norm() after dropping list markers: the form facts are extracted from and looked up in."""
    return norm(_ENUM.sub(" ", text))


def _canon_unit(unit: str) -> str:
    return "岁" if unit == "周岁" else unit


def extract_facts(text: str) -> list[str]:
    """文号, dates and quantities an answer states, canonical (某政办发〔2025〕7号, 2025年3月10日, 120元)."""
    facts: list[str] = list(find_doc_numbers(text))
    t = _DOC_NO.sub(" ", norm_evidence(text))
    for m in _DATE.finditer(t):
        facts.append(m.group(0))
    t = _DATE.sub(" ", t)
    for m in _QUANTITY.finditer(t):
        facts.append(f"{m.group(1)}{_canon_unit(m.group(2))}")
    return list(dict.fromkeys(facts))


def doc_number_variants(doc_number: str) -> list[str]:
    """The 文号 folded, then with leading characters dropped down to a 3-character issuer.

    find_doc_numbers takes up to 12 Chinese characters before 〔 as the issuer, so "见某政发〔2025〕7号"
    comes out with the 见; the variants let it match 某政发〔2025〕7号 in the evidence.
    """
    folded = fold(doc_number)
    prefix, sep, rest = folded.partition("〔")
    if not sep:
        return [folded]
    return [prefix[i:] + sep + rest for i in range(max(1, len(prefix) - 2))]


def fact_in(fact: str, normed: str) -> bool:
    """Whether a fact from :func:`extract_facts` occurs in norm'd text (ranges count: 60-65岁 has 60岁)."""
    if "〔" in fact:
        return any(v in normed for v in doc_number_variants(fact))
    if _DATE.fullmatch(fact):
        return re.search(rf"(?<!\d){re.escape(fact)}", normed) is not None
    m = re.fullmatch(rf"(\d+(?:\.\d+)?)({_UNITS})", fact)
    if not m:
        return fact in normed
    num, unit = re.escape(m.group(1)), m.group(2)
    units = "周岁|岁" if unit == "岁" else re.escape(unit)
    pattern = rf"(?<![\d.]){num}(?:{_RANGE})?(?:\(含\))?(?:{units})"
    return re.search(pattern, normed) is not None


def evidence_parts(answer: Answer) -> list[str]:
    """What an answer's facts must come from, raw: cited quotes, citations' names, cited chunks."""
    parts: list[str] = []
    for c in answer.citations:
        parts += [c.quote, c.doc_number or "", c.doc_title, c.section, c.issue or ""]
    parts += cited_passage_texts(answer)
    return parts


def evidence_text(answer: Answer) -> str:
    """What an answer's facts must come from: cited quotes, cited chunks, citations' names (norm'd)."""
    return "\n".join(norm_evidence(p) for p in evidence_parts(answer))


def _in_question(fact: str, asked: str) -> bool:
    """Whether the question states the fact; a quantity's number suffices (我爸今年91了 -> 91岁)."""
    if fact_in(fact, asked):
        return True
    m = re.fullmatch(rf"(\d+(?:\.\d+)?)(?:{_UNITS})", fact)
    return bool(m) and re.search(rf"(?<![\d.]){re.escape(m.group(1))}(?![\d])", asked) is not None


def unsupported_in(text: str, evidence: Sequence[str], question: str = "") -> list[str]:
    """Facts stated in ``text`` found neither in any of the ``evidence`` texts nor in the question."""
    normed = "\n".join(norm_evidence(p) for p in evidence)
    asked = norm_evidence(question)
    return [f for f in extract_facts(text) if not fact_in(f, normed) and not _in_question(f, asked)]


def unsupported_facts(answer: Answer, question: str = "") -> list[str]:
    """Facts in the answer found neither in its evidence nor in the question."""
    return unsupported_in(answer.answer, evidence_parts(answer), question)


def invented_facts(answer: Answer, question: str, doc_texts: Mapping[str, str]) -> list[str]:
    """Facts a refusal states that come from nowhere: not the question, passages, citations or corpus (文号)."""
    pool = evidence_text(answer) + "\n" + "\n".join(norm_evidence(p.text) for p in answer.passages)
    asked = norm_evidence(question)
    keys = {doc_key(k) for k in doc_texts}
    out = []
    for f in extract_facts(answer.answer):
        if fact_in(f, pool) or _in_question(f, asked):
            continue
        if "〔" in f and any(v in t or v in keys for v in doc_number_variants(f) for t in doc_texts.values()):
            continue
        out.append(f)
    return out
