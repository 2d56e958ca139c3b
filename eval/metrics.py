"""Metrics of the QA suite: pure functions over (EvalItem, Answer, folded document texts).

Every comparison happens on *folded* text (:func:`core.textnorm.fold`: NFKC, no
whitespace, no ``<p>``/``<br>``, 〔〕 == []), the one meaning of "verbatim" in DESIGN.md.
Keypoints and facts are compared after :func:`norm`, which also turns Chinese numerals
into Arabic ones (一百五十 == 150, 百分之五 == 5%).

Definitions (also shown to QA staff in the report):

retrieval (answerable items with gold quotes)
    hit@k      1 when a gold quote (folded) is a substring of one of the top-k passages.
    recall@k   share of gold quotes that are a substring of some top-k passage.
    MRR        1 / rank of the first passage containing a gold quote (0 when none).
citations (ALCE spirit)
    verbatim   the citation's quote is a substring of its cited document's folded text
               (documents looked up by 文号, else by title). Aggregated over citations.
    precision  share of an answer's citations that are verbatim *and* relevant: the quote
               contains an answer keypoint, or a number/date/文号 that the answer states, or
               overlaps a gold quote (the overlap rule below).
    recall     share of gold quotes covered by the citations: a gold quote is covered when
               the cited quotes overlap ≥ 50 % of its folded characters (contiguous common
               runs of ≥ 4 characters, unioned over citations), or it is contained in the
               text of a cited chunk's passage.
answers
    keypoint accuracy          share of answer_keypoints found in the answer (norm'd).
    keypoints first sentence   the same, in the first sentence only (text up to the
                               first 。！？!? or newline).
    faithfulness               every 文号, date and quantity (number + unit: 元, 岁/周岁, %,
                               年, 月, 天, 人 …) stated in the answer occurs in the evidence:
                               the cited quotes, the cited chunks' passage text, and the
                               citations' 文号/title/section. Facts the question itself
                               states are exempt. Aggregated over answers not refused.
refusal
    refusal accuracy     share of items with answerable == false that the assistant refused.
    false refusal rate   share of answerable items that it refused.
latency
    p50 / p95 of answer.timings_ms["total"] (linear interpolation).

Pass/fail per item: an answerable item passes when hit@5 (if it has gold quotes), every
keypoint is present, there is at least one citation and all citations are verbatim, the
answer is faithful, and it is not refused. An item with answerable == false passes when it
is refused and states no invented 文号 / date / quantity (one found neither in the question,
nor in the answer's passages and citations, nor — for a 文号 — anywhere in the corpus).
Adversarial items follow their answerable flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

from pydantic import BaseModel, Field

from core.numerals import normalize_numbers
from core.schema import Answer, Citation
from core.textnorm import find_doc_numbers, fold
from eval.dataset import EvalItem, gold_docs

K_VALUES: tuple[int, ...] = (1, 3, 5, 10)
OVERLAP_MIN = 0.5  # share of a gold quote's characters a citation must overlap to cover it
MIN_RUN = 4  # shortest common run of characters that counts as overlap
NO_DOC = "(none)"

# --------------------------------------------------------------------------------------
# normalisation
# --------------------------------------------------------------------------------------


def norm(text: str) -> str:
    """Fold (verbatim rules) and normalise numerals: the form keypoints and facts compare in."""
    return normalize_numbers(fold(text))


def first_sentence(text: str) -> str:
    """The answer's first sentence: text up to (and including) the first 。！？!? or newline."""
    text = text.lstrip()
    m = re.search(r"[。！？!?\n]", text)
    return text if m is None else text[: m.end()]


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _key(name: str) -> str:
    return fold(name).strip("《》")


def doc_text_for(citation: Citation, doc_texts: Mapping[str, str]) -> str | None:
    """Folded text of the document a citation names (by 文号, else title); None if unknown."""
    index = {_key(k): v for k, v in doc_texts.items()}
    for name in (citation.doc_number, citation.doc_title):
        if name and _key(name) in index:
            return index[_key(name)]
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


def _folded_gold(item: EvalItem) -> list[str]:
    return [g for g in (fold(q) for q in item.gold_quotes) if g]


def _cited_passage_texts(answer: Answer) -> list[str]:
    cited = {c.chunk_id for c in answer.citations}
    return [p.text for p in answer.passages if p.chunk_id in cited]


# --------------------------------------------------------------------------------------
# retrieval
# --------------------------------------------------------------------------------------


def gold_ranks(item: EvalItem, answer: Answer) -> list[int | None]:
    """For each gold quote, the 1-based rank of the first passage containing it (None: none)."""
    passages = [fold(p.text) for p in answer.passages]
    ranks: list[int | None] = []
    for g in _folded_gold(item):
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


# --------------------------------------------------------------------------------------
# citations
# --------------------------------------------------------------------------------------


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
    gold = _folded_gold(item)
    good = 0
    for c in answer.citations:
        if not citation_verbatim(c, doc_texts)[0]:
            continue
        q = _norm_evidence(c.quote)
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
    gold = _folded_gold(item)
    if not gold:
        return None
    quotes = [fold(c.quote) for c in answer.citations]
    chunks = [fold(t) for t in _cited_passage_texts(answer)]
    covered = sum(1 for g in gold if any(g in t for t in chunks) or _covered_share(g, quotes) >= OVERLAP_MIN)
    return covered / len(gold)


# --------------------------------------------------------------------------------------
# answers
# --------------------------------------------------------------------------------------


def keypoint_hits(keypoints: Sequence[str], text: str) -> list[bool]:
    """For each keypoint, whether it appears in ``text`` (both norm'd)."""
    t = norm(text)
    return [bool(norm(k)) and norm(k) in t for k in keypoints]


def keypoint_accuracy(item: EvalItem, answer: Answer) -> float | None:
    """Share of answer_keypoints in the answer; None when the item lists none."""
    if not item.answer_keypoints:
        return None
    hits = keypoint_hits(item.answer_keypoints, answer.answer)
    return sum(hits) / len(hits)


def keypoints_first_sentence(item: EvalItem, answer: Answer) -> float | None:
    """Share of answer_keypoints in the answer's first sentence; None when none are listed."""
    if not item.answer_keypoints:
        return None
    hits = keypoint_hits(item.answer_keypoints, first_sentence(answer.answer))
    return sum(hits) / len(hits)


_DATE = re.compile(r"(?<!\d)(?:\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日)")
_UNITS = "万元|亿元|元|周岁|岁|%|个月|年|月|天|日|小时|分钟|人次|人|户|倍|平方米|公里|米|亩|吨|项|家|名"
_QUANTITY = re.compile(rf"(?<![\d.第])(\d+(?:\.\d+)?)(?:\(含\))?({_UNITS})")
# List markers (1. / 2、 / (3)) are not facts, and folding would glue "1. 80周岁" into "1.80周岁".
_ENUM = re.compile(r"(?m)^\s*\d{1,2}[.、)](?!\d)|(?<![\d.])\d{1,2}[.、](?=\s)|\d{1,2}、|\(\d{1,2}\)")
_DOC_NO = re.compile(r"[\u4e00-\u9fff]{2,12}〔\d{4}〕\d{1,4}号")
_RANGE = r"(?:\(含\))?(?:[-—–~～至到一])\d+(?:\.\d+)?"


def _norm_evidence(text: str) -> str:
    """norm() after dropping list markers: the form facts are extracted from and looked up in."""
    return norm(_ENUM.sub(" ", text))


def _canon_unit(unit: str) -> str:
    return "岁" if unit == "周岁" else unit


def extract_facts(text: str) -> list[str]:
    """文号, dates and quantities an answer states, canonical (长政办发〔2024〕28号, 2024年9月20日, 70元)."""
    facts: list[str] = list(find_doc_numbers(text))
    t = _DOC_NO.sub(" ", _norm_evidence(text))
    for m in _DATE.finditer(t):
        facts.append(m.group(0))
    t = _DATE.sub(" ", t)
    for m in _QUANTITY.finditer(t):
        facts.append(f"{m.group(1)}{_canon_unit(m.group(2))}")
    return list(dict.fromkeys(facts))


def doc_number_variants(doc_number: str) -> list[str]:
    """The 文号 folded, then with leading characters dropped down to a 3-character issuer.

    find_doc_numbers takes up to 12 Chinese characters before 〔 as the issuer, so "见长政发〔2024〕13号"
    comes out with the 见; the variants let it match 长政发〔2024〕13号 in the evidence.
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


def evidence_text(answer: Answer) -> str:
    """What an answer's facts must come from: cited quotes, cited chunks, citations' names (norm'd)."""
    parts: list[str] = []
    for c in answer.citations:
        parts += [c.quote, c.doc_number or "", c.doc_title, c.section]
    parts += _cited_passage_texts(answer)
    return "\n".join(_norm_evidence(p) for p in parts)


def _in_question(fact: str, asked: str) -> bool:
    """Whether the question states the fact; a quantity's number suffices (我爸今年91了 -> 91岁)."""
    if fact_in(fact, asked):
        return True
    m = re.fullmatch(rf"(\d+(?:\.\d+)?)(?:{_UNITS})", fact)
    return bool(m) and re.search(rf"(?<![\d.]){re.escape(m.group(1))}(?![\d])", asked) is not None


def unsupported_facts(answer: Answer, question: str = "") -> list[str]:
    """Facts in the answer found neither in its evidence nor in the question."""
    evidence = evidence_text(answer)
    asked = _norm_evidence(question)
    return [
        f for f in extract_facts(answer.answer) if not fact_in(f, evidence) and not _in_question(f, asked)
    ]


def invented_facts(answer: Answer, question: str, doc_texts: Mapping[str, str]) -> list[str]:
    """Facts a refusal states that come from nowhere: not the question, passages, citations or corpus (文号)."""
    pool = evidence_text(answer) + "\n" + "\n".join(_norm_evidence(p.text) for p in answer.passages)
    asked = _norm_evidence(question)
    keys = {_key(k) for k in doc_texts}
    out = []
    for f in extract_facts(answer.answer):
        if fact_in(f, pool) or _in_question(f, asked):
            continue
        if "〔" in f and any(v in t or v in keys for v in doc_number_variants(f) for t in doc_texts.values()):
            continue
        out.append(f)
    return out


# --------------------------------------------------------------------------------------
# one item
# --------------------------------------------------------------------------------------


class ItemScore(BaseModel):
    """Every metric of one (item, answer) pair, with the pass/fail verdict and its reasons."""

    id: str
    type: str
    persona: str
    answerable: bool
    docs: list[str] = Field(default_factory=list, description="Gold documents ('(none)' if none).")
    refused: bool
    hit_at: dict[int, bool | None] = Field(default_factory=dict)
    recall_at: dict[int, float | None] = Field(default_factory=dict)
    reciprocal_rank: float | None = None
    citations: int = 0
    citations_verbatim: int = 0
    citation_precision: float | None = None
    citation_recall: float | None = None
    keypoint_accuracy: float | None = None
    keypoints_first_sentence: float | None = None
    missing_keypoints: list[str] = Field(default_factory=list)
    faithful: bool | None = Field(None, description="None for refused answers.")
    unsupported_facts: list[str] = Field(default_factory=list)
    invented_facts: list[str] = Field(default_factory=list)
    latency_ms: float | None = None
    passed: bool = False
    reasons: list[str] = Field(default_factory=list)

    def flat(self) -> dict[str, Any]:
        """The per-item metrics as one flat JSON-ready dict (hit_at_5, recall_at_5, …)."""
        data = self.model_dump(exclude={"hit_at", "recall_at"})
        for k, v in self.hit_at.items():
            data[f"hit_at_{k}"] = v
        for k, v in self.recall_at.items():
            data[f"recall_at_{k}"] = v
        return data


def score_item(item: EvalItem, answer: Answer, doc_texts: Mapping[str, str]) -> ItemScore:
    """All metrics of one answer to one eval item, and whether the item passes (with reasons)."""
    docs = gold_docs(item) or [NO_DOC]
    s = ItemScore(
        id=item.id,
        type=item.type,
        persona=item.persona,
        answerable=item.answerable,
        docs=docs,
        refused=answer.refused,
        latency_ms=answer.timings_ms.get("total"),
    )
    s.hit_at = {k: hit_at_k(item, answer, k) for k in K_VALUES}
    s.recall_at = {k: recall_at_k(item, answer, k) for k in K_VALUES}
    s.reciprocal_rank = reciprocal_rank(item, answer)
    s.citations_verbatim, s.citations, verbatim_reasons = citation_verbatim_counts(answer, doc_texts)
    s.citation_precision = citation_precision(item, answer, doc_texts)
    s.citation_recall = citation_recall(item, answer)
    s.keypoint_accuracy = keypoint_accuracy(item, answer)
    s.keypoints_first_sentence = keypoints_first_sentence(item, answer)
    s.missing_keypoints = [
        k
        for k, hit in zip(
            item.answer_keypoints, keypoint_hits(item.answer_keypoints, answer.answer), strict=True
        )
        if not hit
    ]
    if not answer.refused:
        s.unsupported_facts = unsupported_facts(answer, item.question)
        s.faithful = not s.unsupported_facts

    reasons: list[str] = []
    errors = [n for n in answer.notes if n.startswith("error:")]
    reasons += errors
    if item.answerable:
        if answer.refused:
            reasons.append("refused an answerable question")
        if s.hit_at[5] is False:
            reasons.append("no gold quote in the top 5 passages")
        if s.missing_keypoints:
            reasons.append("missing keypoints: " + "、".join(s.missing_keypoints))
        if not answer.refused and not answer.citations:
            reasons.append("no citations")
        reasons += verbatim_reasons
        if s.unsupported_facts:
            reasons.append("unfaithful, not in cited text: " + "、".join(s.unsupported_facts))
    else:
        s.invented_facts = invented_facts(answer, item.question, doc_texts)
        if not answer.refused:
            reasons.append("answered a question the gazette does not answer")
        if s.invented_facts:
            reasons.append("invented: " + "、".join(s.invented_facts))
        reasons += verbatim_reasons
    s.reasons = reasons
    s.passed = not reasons
    return s


# --------------------------------------------------------------------------------------
# aggregation
# --------------------------------------------------------------------------------------

# Metric names as they appear in metrics.json and thresholds.toml (higher is better unless
# listed in LOWER_IS_BETTER).
METRIC_NAMES: tuple[str, ...] = (
    "pass_rate",
    *(f"hit_at_{k}" for k in K_VALUES),
    *(f"recall_at_{k}" for k in K_VALUES),
    "mrr",
    "citation_verbatim",
    "citation_precision",
    "citation_recall",
    "keypoint_accuracy",
    "keypoints_first_sentence",
    "faithfulness",
    "refusal_accuracy",
    "false_refusal_rate",
    "latency_p50_ms",
    "latency_p95_ms",
)
LOWER_IS_BETTER = frozenset({"false_refusal_rate", "latency_p50_ms", "latency_p95_ms"})


def _mean(values: Iterable[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation; None for no values."""
    vals = sorted(values)
    if not vals:
        return None
    pos = (len(vals) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def aggregate(scores: Sequence[ItemScore]) -> dict[str, Any]:
    """Suite-level metrics of a group of item scores (None where nothing was measurable)."""
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    answered = [s for s in scores if not s.refused]
    n_cit = sum(s.citations for s in scores)
    latencies = [s.latency_ms for s in scores if s.latency_ms is not None]
    out: dict[str, Any] = {
        "n": len(scores),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "n_passed": sum(s.passed for s in scores),
        "pass_rate": _mean(s.passed for s in scores),
    }
    for k in K_VALUES:
        out[f"hit_at_{k}"] = _mean(s.hit_at.get(k) for s in answerable)
    for k in K_VALUES:
        out[f"recall_at_{k}"] = _mean(s.recall_at.get(k) for s in answerable)
    out["mrr"] = _mean(s.reciprocal_rank for s in answerable)
    out["n_citations"] = n_cit
    out["citation_verbatim"] = sum(s.citations_verbatim for s in scores) / n_cit if n_cit else None
    out["citation_precision"] = _mean(s.citation_precision for s in answerable)
    out["citation_recall"] = _mean(s.citation_recall for s in answerable)
    out["keypoint_accuracy"] = _mean(s.keypoint_accuracy for s in answerable)
    out["keypoints_first_sentence"] = _mean(s.keypoints_first_sentence for s in answerable)
    out["faithfulness"] = _mean(s.faithful for s in answered)
    out["refusal_accuracy"] = _mean(s.refused for s in unanswerable)
    out["false_refusal_rate"] = _mean(s.refused for s in answerable)
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    return out


def breakdown(scores: Sequence[ItemScore]) -> dict[str, Any]:
    """Metrics overall and by type, persona and gold document (an item counts for each of its docs)."""
    by: dict[str, dict[str, list[ItemScore]]] = {"by_type": {}, "by_persona": {}, "by_document": {}}
    for s in scores:
        by["by_type"].setdefault(s.type, []).append(s)
        by["by_persona"].setdefault(s.persona, []).append(s)
        for d in s.docs:
            by["by_document"].setdefault(d, []).append(s)
    out: dict[str, Any] = {"overall": aggregate(scores)}
    for name, groups in by.items():
        out[name] = {key: aggregate(group) for key, group in sorted(groups.items())}
    return out
