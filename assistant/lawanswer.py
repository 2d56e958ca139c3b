"""An article question's Answer: the article desk's lookup, each quoted article checked to be
verbatim in its indexed document and cited to the chunk it begins in, before anything is shown.
When a quote cannot be tied to the index (a catalogue out of step with it), the question goes
the ordinary way through retrieval instead."""

from __future__ import annotations

import time

from assistant.articles import ArticleDesk, Found
from assistant.retrieval import Retriever
from core.schema import Answer, Chunk, Citation, Passage
from core.textnorm import fold


def gazette_date(retriever: Retriever, doc_ids: list[str] | None) -> str | None:
    """The date of the gazette document a question is read with (the latest, when several)."""
    dates = [
        d.date
        for i in doc_ids or []
        if (d := retriever.docs.get(i)) is not None and d.kind == "gazette" and d.date
    ]
    return max(dates) if dates else None


def _chunk(retriever: Retriever, found: Found) -> Chunk | None:
    for c in retriever.by_doc.get(found.doc_id, []):
        if c.section.rsplit(" › ", 1)[-1] == found.label:
            return c
    return None


def article_answer(
    desk: ArticleDesk,
    retriever: Retriever,
    folded_docs: dict[str, str],
    question: str,
    history: list[dict],
    doc_ids: list[str] | None,
    t0: float,
) -> Answer | None:
    """The Answer to an article question, or None when the question is not one (or when its
    article cannot be checked against the index)."""
    if not desk:
        return None
    prev = next((h["content"] for h in reversed(history) if h["role"] == "user" and h["content"]), "")
    look = desk.lookup(question, context=prev, as_of=gazette_date(retriever, doc_ids))
    if look is None:
        return None
    citations: list[Citation] = []
    passages: list[Passage] = []
    for f in look.found:
        chunk = _chunk(retriever, f)
        if chunk is None or not fold(f.text) or fold(f.text) not in folded_docs.get(f.doc_id, ""):
            return None
        citations.append(Citation.of(chunk, f.text))
        passages.append(
            Passage(
                chunk_id=chunk.chunk_id,
                doc_number=None,
                doc_title=chunk.doc_title,
                section=chunk.section,
                text=f.text,
                score=1.0,
                kind=chunk.kind,
                source=chunk.source,
                page=chunk.page,
                status=chunk.status,
            )
        )
    refused = not look.found
    return Answer(
        question=question,
        answer=look.text,
        refused=refused,
        citations=citations,
        passages=passages,
        timings_ms={"total": round((time.perf_counter() - t0) * 1000, 1)},
        mode="refusal" if refused else "extractive",
        notes=["article lookup", *look.notes],
    )
