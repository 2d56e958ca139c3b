"""Metrics of the QA suite: pure functions over (EvalItem, Answer, folded document texts).

One module per concern: :mod:`.text` (the compare form), :mod:`.retrieval`, :mod:`.citations`,
:mod:`.answers` (keypoints), :mod:`.faithfulness` (facts), :mod:`.scoring` (one item) and
:mod:`.summary` (aggregation). Everything public is re-exported here.

Every comparison happens on *folded* text (:func:`core.textnorm.fold`: NFKC, no
whitespace, no ``<p>``/``<br>``, 〔〕 == []), the one meaning of "verbatim" in docs/contracts.md.
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

from eval.metrics.answers import first_sentence, keypoint_accuracy, keypoint_hits, keypoints_first_sentence
from eval.metrics.citations import (
    MIN_RUN,
    OVERLAP_MIN,
    citation_precision,
    citation_recall,
    citation_verbatim,
    citation_verbatim_counts,
    doc_text_for,
    fold_doc_texts,
)
from eval.metrics.faithfulness import (
    doc_number_variants,
    evidence_parts,
    evidence_text,
    extract_facts,
    fact_in,
    invented_facts,
    norm_evidence,
    unsupported_facts,
    unsupported_in,
)
from eval.metrics.retrieval import K_VALUES, gold_ranks, hit_at_k, recall_at_k, reciprocal_rank
from eval.metrics.scoring import NO_DOC, ItemScore, score_item
from eval.metrics.summary import LOWER_IS_BETTER, METRIC_NAMES, aggregate, breakdown, percentile
from eval.metrics.text import norm

__all__ = [
    "K_VALUES",
    "LOWER_IS_BETTER",
    "METRIC_NAMES",
    "MIN_RUN",
    "NO_DOC",
    "OVERLAP_MIN",
    "ItemScore",
    "aggregate",
    "breakdown",
    "citation_precision",
    "citation_recall",
    "citation_verbatim",
    "citation_verbatim_counts",
    "doc_number_variants",
    "doc_text_for",
    "evidence_parts",
    "evidence_text",
    "extract_facts",
    "fact_in",
    "first_sentence",
    "fold_doc_texts",
    "gold_ranks",
    "hit_at_k",
    "invented_facts",
    "keypoint_accuracy",
    "keypoint_hits",
    "keypoints_first_sentence",
    "norm",
    "norm_evidence",
    "percentile",
    "recall_at_k",
    "reciprocal_rank",
    "score_item",
    "unsupported_facts",
    "unsupported_in",
]
