"""BM25 keyword search over a set of chunks, with each token's IDF for the coverage signal.

The index holds one on disk over every chunk. With national laws in it, the retriever also keeps
one over the gazette's chunks alone, built in memory at load: a gazette passage's keyword score,
its rank and the weight of the question's words are then what they are in the gazette alone,
however many law articles share the words.
"""

from __future__ import annotations

import numpy as np

from core.keywords import bm25_index


class KeywordIndex:
    def __init__(self, ids: list[str], bm25) -> None:
        self.ids = ids
        self.bm25 = bm25  # None when there is nothing to search
        n = max(len(ids), 1)
        self.max_idf = float(np.log(1 + (n + 0.5) / 0.5))
        self.idf: dict[str, float] = {}
        if bm25 is not None:
            # bm25s stores scores token by token (CSC): a token's run length is its document count
            df = np.diff(bm25.scores["indptr"])
            for tok, i in bm25.vocab_dict.items():
                d = int(df[i]) if i < len(df) else 0
                self.idf[tok] = float(np.log(1 + (n - d + 0.5) / (d + 0.5)))

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> KeywordIndex:
        return cls(ids, bm25_index(texts) if texts else None)

    def weight(self, token: str) -> float:
        return self.idf.get(token, self.max_idf)

    def top(self, tokens: list[str], n: int, rows: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The ``n`` best-scoring (chunk id, score) with a positive score, best first; ``rows``
        limits the search to those rows."""
        if self.bm25 is None or not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        pool = np.arange(len(scores)) if rows is None else rows
        sub = scores[pool]
        take = min(n, len(sub))
        if take <= 0:
            return []
        top = np.argpartition(-sub, take - 1)[:take] if take < len(sub) else np.arange(len(sub))
        return [
            (self.ids[int(pool[j])], float(sub[j]))
            for j in top[np.argsort(-sub[top], kind="stable")]
            if sub[j] > 0
        ]
