"""LLM answers: prompt the chat model with the best passages and the extractive key points,
then check the draft against the passages; anything that fails is replaced by the extractive
answer, with a note saying why."""

from __future__ import annotations

import re

from assistant.answerers.base import Draft, Piece
from assistant.answerers.text import overlap, rank_by_overlap, sentences
from assistant.llm import ChatBackend, LLMError
from assistant.prompts import answer_prompt
from assistant.query import Query
from assistant.retrieval import Hit
from assistant.verify import cited_indexes, problems
from core.schema import NOT_IN_GAZETTE


class Generated:
    """A generated answer that passed the checks (``text`` None: use the extractive answer)."""

    def __init__(self, text: str | None, draft: Draft | None, note: str):
        self.text, self.draft, self.note = text, draft, note


def failed_note(found: list[str]) -> str:
    """Why a draft was replaced, without repeating what it got wrong (a failed draft's words
    are never shown, not even in a note)."""
    reasons = sorted({re.sub(r"'[^']*'", "a fact", f) for f in found})
    return (
        "generated answer failed verification (" + "; ".join(reasons) + "); replaced by the extractive answer"
    )


def as_data(text: str) -> str:
    """Document or user text made inert inside the prompt's tags: it cannot close a tag or open one."""
    return text.replace("<", "＜").replace(">", "＞")


def generate(backend: ChatBackend, q: Query, hits: list[Hit], draft: Draft) -> Generated:
    """Generate with the LLM, then verify; nothing the model wrote leaves here unchecked.

    A 1.5B model on two cores reads ~70 tokens/s, so it gets the three best passages cut
    to their best sentences, and the extractive key points to phrase from. Passages, key
    points and the question go into the prompt inside tags, as data (``as_data``): an
    instruction planted in a document is text to quote at most, never to obey."""
    passages = hits[: min(3, len(hits))]
    blocks = []
    for i, h in enumerate(passages, 1):
        sents = sentences(h.chunk.text) or [h.chunk.text]
        scores = rank_by_overlap(q.text, sents)
        best = sorted(sorted(range(len(sents)), key=lambda j: -scores[j])[:3])
        body = "".join(sents[j] for j in best)[:300]
        blocks.append(f'<资料 编号="{i}">\n{as_data(h.chunk.section)}\n{as_data(body)}\n</资料>')
    key_points = "\n".join(f"- {as_data(p.quote)}" for p in draft.pieces[:4]) or "（无）"
    messages = answer_prompt().format_messages(
        not_found=NOT_IN_GAZETTE, passages="\n".join(blocks), key_points=key_points, question=as_data(q.text)
    )
    try:
        parts = list(backend.stream(messages))
    except LLMError as e:
        return Generated(None, None, f"the language model failed ({e}); answered extractively instead")
    text = "".join(parts).strip()
    if NOT_IN_GAZETTE[:8] in text:
        return Generated(
            None,
            None,
            "the language model said the gazette does not answer, but retrieval found evidence; answered extractively instead",
        )
    evidence = [h.chunk.text for h in passages]
    doc_numbers = [h.chunk.doc_number for h in passages]
    found = problems(text, q, evidence, doc_numbers)
    note = ""
    if found:
        bare = re.sub(r"\[\d+\]", "", text).strip()
        if problems(bare, q, evidence, doc_numbers):
            return Generated(None, None, failed_note(found))
        # every fact is in the retrieved passages, only its [n] pointed elsewhere: repair
        text, note = (
            bare,
            "the model's [n] did not point at the passages holding its facts; the checker re-attached the citations",
        )
    valid, _ = cited_indexes(text, len(passages))
    plain = re.sub(r"\[\d+\]", "", text)
    if not valid:
        # no usable markers: cite the passages whose sentences the answer rests on
        valid = [
            i
            for i, h in enumerate(passages, 1)
            if max((overlap(s, plain) for s in sentences(h.chunk.text)), default=0) >= 0.5
        ]
        note = note or "the model gave no [n] markers; citations were attached by the checker"
        if not valid:
            return Generated(
                None,
                None,
                "generated answer cites nothing and matches no passage; replaced by the extractive answer",
            )
    pieces = []
    for i in valid:
        c = passages[i - 1].chunk
        best = max(sentences(c.text) or [c.text], key=lambda s: overlap(plain, s))
        pieces.append(Piece(c, best.rstrip("；;。")))
    return Generated(text, Draft(text, pieces), note)
