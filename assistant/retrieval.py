"""Hybrid retrieval: dense (Chroma) + Chinese keyword (BM25) fused by reciprocal rank, with routing.

Everything heavy (docstore, BM25 index, Chroma collection) is loaded once in __init__;
a query only embeds the question and ranks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.fusion import names_a_law, ranks, top_each
from assistant.keyword_index import KeywordIndex
from assistant.query import TITLE, Query, age_fits, is_asking_word, parse_query
from core.embedding import Embedder
from core.keywords import tokenize
from core.schema import SECTION_SEP, Chunk, DocInfo, Passage
from core.settings import Settings
from core.textnorm import find_doc_numbers
from store.index import IndexMismatchError, IndexMissingError, IndexStore, IndexUnavailableError

# a document named by its date: "2025年3月18日(印发)的任免名单"
DATED_DOCUMENT = re.compile(
    r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:印发|发布|公布|签发|下发)?的[\u4e00-\u9fff]{0,12}?"
    r"(名单|通知|通告|公告|决定|方案|办法|意见|函|批复|规定|细则|解读)"
)

NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d+[\.．]|第[零一二三四五六七八九十百]+条)\s*"
)


def key_name(chunk: Chunk) -> str:
    """The name a reader would use for this unit: a table row's item, a clause's heading words."""
    if chunk.kind == "table_row":
        return re.sub(r"^\d+\s*", "", chunk.cell("item")).strip()
    last = chunk.section.rsplit(SECTION_SEP, 1)[-1]
    return NUMBERING.sub("", last).strip()


@dataclass
class Hit:
    """A chunk with the evidence of why it ranked where it did."""

    chunk: Chunk
    score: float = 0.0  # fused, higher is better
    dense: float = 0.0  # cosine similarity of the question and the chunk
    keyword: float = 0.0  # BM25 score
    coverage: float = 0.0  # share of the question's keywords found in the chunk (IDF weighted)
    reasons: list[str] = field(default_factory=list)

    def passage(self) -> Passage:
        c = self.chunk
        return Passage(
            chunk_id=c.chunk_id,
            doc_number=c.doc_number,
            doc_title=c.doc_title,
            section=c.section,
            text=c.text,
            score=round(float(self.score), 4),
            kind=c.kind,
            source=c.source,
            page=c.page,
            status=c.status,
        )


class Retriever:
    """Opens the index once; ``search`` ranks chunks for a question."""

    def __init__(self, settings: Settings, embedder: Embedder):
        self.settings = settings
        self.embedder = embedder
        self.store = IndexStore(settings, embedder)
        if self.store.manifest() is None:
            raise IndexMissingError(
                f"no index in {settings.index_dir}. Build it with `gazette-assistant ingest` (or `make index`)."
            )
        self.store.check_model()
        self.chunks: list[Chunk] = self.store.all_chunks()
        self.by_id = {c.chunk_id: c for c in self.chunks}
        self.docs: dict[str, DocInfo] = {d.id: d for d in self.store.documents()}
        for c in self.chunks:  # validity as the (possibly later) lists state it
            doc = self.docs.get(c.doc_id)
            if doc is not None and c.kind != "list_entry":
                c.status = doc.status
        self.by_section: dict[str, list[Chunk]] = {}
        self.by_doc: dict[str, list[Chunk]] = {}  # reading order within each document
        for c in self.chunks:
            self.by_section.setdefault(c.section, []).append(c)
            self.by_doc.setdefault(c.doc_id, []).append(c)
        self._tokens: dict[str, frozenset[str]] = {}  # chunk id -> keyword set, filled lazily
        self.gazette_docs = sorted(d.id for d in self.docs.values() if d.kind == "gazette")
        self.has_laws = any(d.kind == "law" for d in self.docs.values())
        self.law_titles = frozenset(
            name
            for d in self.docs.values()
            if d.kind == "law"
            for name in (d.title, d.title.removeprefix("中华人民共和国"))
            if len(name) >= 3
        )
        self._load_keywords()
        self.collection = self.store.collection
        self.cited_by: dict[str, set[str]] = {}  # 文号 -> gazette passages of other documents citing it
        for c in self.chunks:
            if c.kind not in ("list_entry", "preamble") and "号" in c.text and not self._is_law(c.chunk_id):
                for number in find_doc_numbers(c.text):
                    if number != c.doc_number:
                        self.cited_by.setdefault(number, set()).add(c.chunk_id)

    def reopened(self) -> Retriever | None:
        """A retriever on the generation now serving when an ingest switched the index since this
        one opened (None when it did not, or when the new one cannot be read with this embedder)."""
        if not self.store.changed():
            return None
        try:
            return type(self)(self.settings, self.embedder)
        except (IndexMissingError, IndexMismatchError, IndexUnavailableError, OSError):
            return None  # keep serving this generation

    def _load_keywords(self) -> None:
        ids, bm25 = self.store.keyword_index()
        self.keywords = KeywordIndex(ids, bm25)
        # with laws indexed, the gazette also gets a keyword index of its own (keyword_index.py)
        self.gazette_keywords = self.keywords
        self._law_rows = np.zeros(0, dtype=np.int64)
        if self.has_laws:
            gazette = [self.by_id[cid] for cid in ids if cid in self.by_id and not self._is_law(cid)]
            self.gazette_keywords = KeywordIndex.build(
                [c.chunk_id for c in gazette], [c.embed_text() for c in gazette]
            )
            self._law_rows = np.array(
                [i for i, cid in enumerate(ids) if cid in self.by_id and self._is_law(cid)], dtype=np.int64
            )

    # -- routing -------------------------------------------------------------------------
    def route(self, q: Query) -> list[str]:
        """Documents the question names (a full 文号, or a partial one such as 28号文 matching several)."""
        ids = [d.id for d in self.docs.values() if d.doc_number in q.doc_numbers]
        if not ids and not q.partial_numbers:
            return self._dated(q.text)
        if ids:
            return ids
        for hint, year, n in q.partial_numbers:
            for d in self.docs.values():
                m = d.doc_number and re.match(r"(.+)〔(\d{4})〕(\d+)号", d.doc_number)
                if not m or int(m.group(3)) != n or (year and m.group(2) != year):
                    continue
                if hint and not any(ch in m.group(1) for ch in hint if ch not in "的是第"):
                    continue
                ids.append(d.id)
        return ids

    def _dated(self, text: str) -> list[str]:
        """A document named by its date and kind ("2025年3月18日的任免名单"): the one document
        of that date whose title ends in that kind, for documents without a 文号 to name."""
        for m in DATED_DOCUMENT.finditer(text):
            date = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
            found = [d.id for d in self.docs.values() if d.date == date and d.title.endswith(m.group(4))]
            if len(found) == 1:
                return found
        return []

    # -- scoring -------------------------------------------------------------------------
    def tokens_of(self, chunk: Chunk) -> frozenset[str]:
        got = self._tokens.get(chunk.chunk_id)
        if got is None:
            got = self._tokens[chunk.chunk_id] = frozenset(tokenize(chunk.embed_text()))
        return got

    def coverage(self, tokens: list[str], chunk: Chunk, gazette_first: bool = False) -> float:
        """Share of ``tokens`` (IDF weighted; the gazette's own IDF when it comes first) in ``chunk``."""
        if not tokens:
            return 0.0
        have = self.tokens_of(chunk)
        index = self.gazette_keywords if gazette_first else self.keywords
        weights = [index.weight(t) for t in tokens]
        got = sum(w for t, w in zip(tokens, weights, strict=True) if t in have)
        return got / sum(weights)

    def search(
        self,
        question: str | Query,
        top_k: int | None = None,
        doc_ids: list[str] | None = None,
        kinds: list[str] | None = None,
        mode: str = "hybrid",
    ) -> list[Hit]:
        """Rank chunks for ``question``; ``doc_ids``/``kinds`` filter, a named 文号 routes.

        ``mode`` "dense" or "keyword" switches one side off (for benchmarks and ablations).
        """
        q = question if isinstance(question, Query) else parse_query(question)
        top_k = top_k or self.settings.top_k
        routed = self.route(q)
        allowed_docs = set(doc_ids or []) | set(routed) if (doc_ids or routed) else None
        if doc_ids and routed:
            allowed_docs = set(doc_ids) & set(routed) or set(doc_ids)
        # a named document is also spoken of where other documents cite it (its 解读, a later
        # notice): those passages join, the rest of their documents does not
        citing = (
            {cid for n in q.doc_numbers for cid in self.cited_by.get(n, ())}
            if routed and not doc_ids
            else set()
        )
        if citing and allowed_docs is not None:
            allowed_docs |= {self.by_id[cid].doc_id for cid in citing}

        def ok(c: Chunk) -> bool:
            if citing and c.doc_id not in routed and c.chunk_id not in citing:
                return False
            return (allowed_docs is None or c.doc_id in allowed_docs) and (kinds is None or c.kind in kinds)

        n_cand = self.settings.candidates
        tokens = list(dict.fromkeys(tokenize(q.text)))
        # dense
        qvec = self.embedder.embed_query(q.text)
        # With national laws in the index, the gazette is what this assistant answers from: its
        # passages always get a place among the candidates (a gazette-only dense query and BM25
        # index) and their ranks count among their own kind; law passages join at law_weight
        # (assistant/fusion.py), unless the question names a law.
        favour_gazette = self.has_laws and allowed_docs is None and not names_a_law(q.text, self.law_titles)
        by_kind = self._is_law if favour_gazette else None
        dense: list[tuple[str, float]] = []
        if mode != "keyword":
            wheres = [None if allowed_docs is None else {"doc_id": {"$in": sorted(allowed_docs)}}]
            if favour_gazette and self.gazette_docs:
                wheres.append({"doc_id": {"$in": self.gazette_docs}})
            seen: set[str] = set()
            for where in wheres:
                res = self.collection.query(
                    query_embeddings=[np.asarray(qvec, dtype=np.float32).tolist()],
                    n_results=self.store.dense_results(n_cand, len(self.chunks)),
                    where=where,
                    include=["distances"],
                )
                for cid, d in zip(res["ids"][0], res["distances"][0], strict=True):
                    if cid in self.by_id and cid not in seen and ok(self.by_id[cid]):
                        seen.add(cid)
                        dense.append((cid, 1.0 - float(d)))
            dense.sort(key=lambda t: -t[1])
        # keyword
        keyword: list[tuple[str, float]] = []
        if tokens and mode != "dense":
            found = (
                self.gazette_keywords.top(tokens, n_cand * 4)
                + self.keywords.top(tokens, n_cand * 4, self._law_rows)
                if favour_gazette
                else self.keywords.top(tokens, n_cand * 4)
            )
            keyword = [(cid, sc) for cid, sc in found if cid in self.by_id and ok(self.by_id[cid])]
            keyword.sort(key=lambda t: -t[1])
            keyword = top_each(keyword, n_cand, by_kind)
        hits: dict[str, Hit] = {}
        k = self.settings.rrf_k

        for side, ranked_side in (("dense", dense), ("keyword", keyword)):
            for cid, s, rank, w in ranks(ranked_side, by_kind, self.settings.law_weight):
                h = hits.setdefault(cid, Hit(self.by_id[cid]))
                setattr(h, side, s)
                h.score += w / (k + rank + 1)
        if not hits and allowed_docs is not None:
            for c in self.chunks:
                if ok(c):
                    hits[c.chunk_id] = Hit(c, score=1.0 / (k + 100))
        missing = [cid for cid, h in hits.items() if not h.dense]
        for cid, vec in self._vectors(missing).items():
            hits[cid].dense = float(np.dot(qvec, vec))
        for h in hits.values():
            h.coverage = self.coverage(tokens, h.chunk, favour_gazette)
            self._boost(q, h, favour_gazette)
        ranked = sorted(hits.values(), key=lambda h: -h.score)
        return ranked[:top_k]

    def _is_law(self, cid: str) -> bool:
        return self.docs[self.by_id[cid].doc_id].kind == "law"

    def _vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors of keyword-only candidates, in one round trip."""
        if not ids:
            return {}
        got = self.collection.get(ids=ids, include=["embeddings"])
        embs = got["embeddings"]
        if embs is None:
            return {}
        return {cid: np.asarray(e, dtype=np.float32) for cid, e in zip(got["ids"], embs, strict=True)}

    def _boost(self, q: Query, h: Hit, gazette_first: bool = False) -> None:
        """Evidence the ranker cannot see: a row or heading named in the question, an age inside a
        printed range, a named article. Boosts only: they reorder relevant candidates, never bury one."""
        c = h.chunk
        base = 1.0 / (self.settings.rrf_k + 1)
        name = key_name(c)
        if len(name) >= 3 and name in q.text:
            # a row or heading the question names, weighed by how much of the rest of the question
            # it covers: "高龄津贴 从什么时候执行" is not answered by every 高龄津贴 row alike
            rest = [
                t
                for t in tokenize(q.text.replace(name, " "))
                if len(t) >= 2 and t in self.keywords.idf and not is_asking_word(t)
            ]
            share = self.coverage(rest, c, gazette_first) if rest else 1.0
            h.score += (0.4 + 0.6 * share) * base
            h.reasons.append(f"names {name}")
        if q.ages and h.coverage >= 0.3 and any(age_fits(c.text, a) for a in q.ages):
            h.score += 0.3 * base
            h.reasons.append("age in range")
        for art in q.articles:
            if art in c.section or c.text.startswith(art) or art in c.cell("basis")[:12]:
                h.score += 1.0 * base
                h.reasons.append(f"article {art}")
        if q.wants("validity") and any(
            re.search(f"《{re.escape(t)}》[^。；]{{0,40}}(?:废止|失效|停止执行)", c.text)
            for t in TITLE.findall(q.text)
        ):
            h.score += 1.0 * base  # the clause that ends the 《title》 the question asks about
            h.reasons.append("ends the named title")
        if q.wants("docmeta") and (c.kind == "preamble" or c.section.endswith("落款")):
            h.score += 1.0 * base
        h.score += 0.5 * base * h.coverage

    def similarity(self, text: str, chunk: Chunk) -> float:
        """Cosine of ``text`` (as a query) and a stored chunk."""
        vec = self._vectors([chunk.chunk_id]).get(chunk.chunk_id)
        return float(np.dot(self.embedder.embed_query(text), vec)) if vec is not None else 0.0

    # -- context ---------------------------------------------------------------------------
    def children(self, chunk: Chunk) -> list[Chunk]:
        """Chunks below this chunk's section (the items of a list clause), in reading order."""
        if chunk.kind == "preamble" or SECTION_SEP not in chunk.section:
            return []  # the title, or a paragraph of the document's body, heads no list
        prefix = chunk.section + SECTION_SEP
        return [c for c in self.by_doc.get(chunk.doc_id, []) if c.section.startswith(prefix)]

    def section_text(self, section: str) -> str:
        """The full text of a section (for context expansion and the UI's expander)."""
        prefix = section + SECTION_SEP
        known = self.by_section.get(section)
        pool = self.by_doc[known[0].doc_id] if known else self.chunks
        parts = [c.text for c in pool if c.section == section or c.section.startswith(prefix)]
        return "\n".join(parts)

    def parent_of(self, chunk: Chunk) -> Chunk | None:
        """The clause that heads this chunk's parent section (e.g. `1. 关闭取缔。对存在以下情况的矿山…`)."""
        found = self.by_section.get(chunk.parent, [])
        return next((c for c in found if c.doc_id == chunk.doc_id), found[0] if found else None)
