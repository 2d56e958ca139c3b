"""The `naive` configuration the report compares against: what our design buys over the obvious RAG.

Fixed 500-character windows of each document, dense retrieval only, the top window as the answer.
"""

from __future__ import annotations

import time

import numpy as np

from core.embedding import Embedder
from core.schema import Answer, Citation, Passage

WINDOW = 500


class NaiveAssistant:
    """Dense-only retrieval over fixed windows; answers with the best window verbatim."""

    def __init__(
        self, embedder: Embedder, doc_texts: dict[str, str], doc_titles: dict[str, str], top_k: int = 8
    ):
        self.embedder = embedder
        self.top_k = top_k
        self.windows: list[tuple[str, str]] = []  # (doc key, window text)
        for key, text in doc_texts.items():
            for i in range(0, len(text), WINDOW):
                piece = text[i : i + WINDOW]
                if piece.strip():
                    self.windows.append((key, piece))
        self.titles = doc_titles
        self.vectors = (
            embedder.embed_passages([w for _, w in self.windows])
            if self.windows
            else np.zeros((0, embedder.dim))
        )

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        t0 = time.perf_counter()
        q = self.embedder.embed_query(question)
        scores = self.vectors @ q
        order = np.argsort(-scores)[: self.top_k]
        passages = [
            Passage(
                chunk_id=f"naive-{i}",
                doc_number=self.windows[i][0],
                section=self.windows[i][0],
                text=self.windows[i][1],
                score=float(scores[i]),
            )
            for i in order
        ]
        best = passages[0] if passages else None
        citations = (
            [
                Citation(
                    doc_number=best.doc_number,
                    doc_title=self.titles.get(best.doc_number or "", ""),
                    section=best.section,
                    quote=best.text,
                    chunk_id=best.chunk_id,
                    source="",
                )
            ]
            if best
            else []
        )
        return Answer(
            question=question,
            answer=best.text if best else "",
            citations=citations,
            passages=passages,
            timings_ms={"total": round((time.perf_counter() - t0) * 1000, 1)},
            mode="naive",
        )
