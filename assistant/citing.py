"""What an answer carries besides its text: verified citations, and the shape of a refusal."""

from __future__ import annotations

import re
import time

from assistant.answerers.base import Piece
from assistant.retrieval import Hit
from core.schema import Answer, Citation
from core.textnorm import fold


def refusal_answer(
    question: str, message: str, hits: list[Hit], timings: dict, t0: float, note: str = ""
) -> Answer:
    text = message
    if hits:  # only a real passage the reader can open: the one that lacked what was asked
        text += f"\n公报中相近的内容是：{hits[0].chunk.section}。"
    timings["total"] = ms_since(t0)
    return Answer(
        question=question,
        answer=text,
        refused=True,
        citations=[],
        passages=[h.passage() for h in hits],
        timings_ms=timings,
        mode="refusal",
        notes=[note] if note else [],
    )


def citations_of(pieces: list[Piece], folded_docs: dict[str, str]) -> tuple[list[Citation], list[str]]:
    """Each quoted piece as a citation, kept only when it is verbatim in its document."""
    out: list[Citation] = []
    notes: list[str] = []
    seen: set[tuple[str, str]] = set()
    for p in pieces:
        folded_doc = folded_docs.get(p.chunk.doc_id, "")
        candidates = (
            [p.quote]
            if fold(p.quote) in folded_doc
            # a whole table row or list entry (cells tab-joined): each cell as printed
            else [
                s
                for s in re.split(r"[\n\t]", p.quote)
                if fold(s) in folded_doc and len(fold(s)) >= 2 and not fold(s).isdigit()
            ]
        )
        if not candidates:
            notes.append(f"dropped a quote not found verbatim in {p.chunk.doc_id}")
            continue
        for quote in candidates:
            key = (p.chunk.chunk_id, fold(quote))
            if not fold(quote) or key in seen:
                continue
            seen.add(key)
            out.append(Citation.of(p.chunk, quote))
    return out, notes


def ms_since(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 1)
