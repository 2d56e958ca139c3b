"""One item: every metric of one (EvalItem, Answer) pair, and the pass/fail verdict with reasons.

Pass/fail: an answerable item passes when hit@5 (if it has gold quotes), every keypoint is
present, there is at least one citation and all citations are verbatim, the answer is
faithful, and it is not refused. An item with answerable == false passes when it is refused
and states no invented 文号 / date / quantity. Adversarial items follow their answerable flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from core.schema import Answer
from eval.dataset import EvalItem, gold_docs
from eval.metrics.answers import keypoint_accuracy, keypoint_hits, keypoints_first_sentence
from eval.metrics.citations import citation_precision, citation_recall, citation_verbatim_counts
from eval.metrics.faithfulness import invented_facts, unsupported_facts
from eval.metrics.retrieval import K_VALUES, hit_at_k, recall_at_k, reciprocal_rank

NO_DOC = "(none)"


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
