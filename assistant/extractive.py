"""The default answer mode: choose the evidence that answers *this* question and compose it, verbatim.

It may reorder and connect printed words ("：", "；", labels such as a column's name) but every
fact it states is a quote from a chunk, and every quote becomes a citation. The composing is
done by one answerer per kind of evidence (``assistant/answerers/``), chosen by the chunk
kind of the best hit.
"""

from __future__ import annotations

from assistant.answerers import ANSWERERS
from assistant.answerers.base import Answerer, Draft
from assistant.answerers.clauses import ClauseAnswerer
from assistant.answerers.documents import DocumentAnswerer
from assistant.answerers.lists import ListEntryAnswerer
from assistant.answerers.text import decompose
from assistant.asks import KINDS, holds, split_asks
from assistant.query import Query, age_fits, parse_query, titled
from assistant.retrieval import Hit, Retriever, key_name
from core.keywords import tokenize
from core.textnorm import fold


class ExtractiveAnswerer:
    """Composes answers from retrieved chunks without a language model."""

    def __init__(self, retriever: Retriever):
        self.r = retriever
        self.answerers: list[Answerer] = [cls(retriever) for cls in ANSWERERS]
        self.by_kind: dict[str, Answerer] = {k: a for a in self.answerers for k in a.kinds}
        self.documents = next(a for a in self.answerers if isinstance(a, DocumentAnswerer))
        self.clauses = next(a for a in self.answerers if isinstance(a, ClauseAnswerer))
        self.lists = next(a for a in self.answerers if isinstance(a, ListEntryAnswerer))
        self.titles = {d.id: fold(d.title) for d in retriever.docs.values()}

    # -- entry -----------------------------------------------------------------------------
    def compose(self, q: Query, hits: list[Hit]) -> Draft:
        for answerer in self.answerers:
            listing = answerer.survey(q)
            if listing is not None:
                return listing
        parts = decompose(q.text) or split_asks(q.text)
        if parts:
            return self._compose_parts(parts)
        return self._compose_one(q, hits)

    def _compose_parts(self, parts: list[str]) -> Draft:
        """ "A和B分别…": answer "A…" and "B…" on their own, both answers in the first sentence."""
        drafts = []
        for part in parts:
            sub = parse_query(part)
            drafts.append(self._compose_one(sub, self.r.search(sub)))
        heads: list[str] = []
        for d in drafts:  # two asks answered by one passage say it once
            for seg in d.text.split("\n")[0].rstrip("。").split("；"):
                if seg and seg not in heads and not any(seg in h for h in heads):
                    heads.append(seg)
        first = "；".join(heads) + "。"
        rest = []
        for line in (ln for d in drafts for ln in d.text.split("\n")[1:]):
            segments = [x for x in line.rstrip("。").split("；") if x]
            said = first + "".join(rest)
            if not all(x in said for x in segments):
                rest.append(line)  # each detail once, and none the first sentence already says
        pieces = [p for d in drafts for p in d.pieces]
        return Draft(
            first + ("\n" + "\n".join(rest) if rest else ""),
            pieces,
            notes=["answered in parts: " + " / ".join(parts)],
        )

    def _compose_one(self, q: Query, hits: list[Hit]) -> Draft:
        routed = self.r.route(q)
        if len(routed) > 1 and not q.doc_numbers:
            return self.documents.ambiguous_number(routed)
        if routed and q.wants("validity") and not q.wants("list"):
            status = self.lists.validity(q, routed)
            if status is not None:
                return status
        if q.articles:
            named = self.clauses.article(q, routed or titled(q.text, self.titles))
            if named is not None:
                return named
        best = self.pick(q, hits)
        c = best.chunk
        if (
            q.wants("docmeta")
            or (routed and self.documents.asks_about_document(q))
            or (c.kind == "preamble" and self.documents.asks_about_document(q))
        ):
            return self.documents.about_document(q, c.doc_id)
        if c.kind == "preamble":
            # a title matched, but the question asks about the content: answer from the next passage
            rest = [h for h in hits if h.chunk.kind != "preamble"]
            if not rest:
                return self.documents.about_document(q, c.doc_id)
            best, hits = rest[0], rest
        return self.by_kind[best.chunk.kind].answer(q, best, hits)

    def _in_document(self, q: Query, best: Hit, kind: str, kept: list[str]) -> Hit | None:
        """The passage of the best hit's own document that holds the asked kind and covers the
        question best (at least as well as the best hit, and as well as relevance asks): "…从什么时候执行" found a row of
        the attached table, and the notice's own text says from when."""
        tokens = list(dict.fromkeys(tokenize(q.text)))
        found = []
        for c in self.r.by_doc.get(best.chunk.doc_id, []):
            if c.chunk_id == best.chunk.chunk_id or c.kind == "preamble" or c.section.endswith("落款"):
                continue
            if holds(kind, c.text) and all(holds(k, c.text) for k in kept):
                cov = self.r.coverage(tokens, c)
                if cov >= max(best.coverage, self.r.settings.refuse_min_coverage):
                    found.append((cov, c))
        if not found:
            return None
        cov, c = max(found, key=lambda t: t[0])
        return Hit(c, score=best.score * 0.75, dense=self.r.similarity(q.text, c), coverage=cov)

    def pick(self, q: Query, hits: list[Hit]) -> Hit:
        """The hit to answer from: the top one, unless a close runner-up holds what is asked
        (an amount for a money question, a time for a when-question, the asker's age band)
        and the top one does not. A 落款 answers only questions about the document."""
        pool = [h for h in hits if q.wants("docmeta") or not h.chunk.section.endswith("落款")] or hits
        best = pool[0]
        name = key_name(best.chunk)
        named = len(name) >= 3 and name in q.text  # the question names this row or clause…
        strict = [k.name for k in KINDS if k.strict and k.name in q.intents]
        soft = not strict and q.wants("amount")
        if soft:
            strict = ["money"]  # "…补贴多少？" is answered by the passage with the sum, on the same topic
        if named and all(holds(kind, best.chunk.text) for kind in strict):
            return best  # …and it holds what is asked
        close = [h for h in pool[:3] if h.score >= 0.75 * best.score]
        # the best evidence that holds what is asked (an amount, a date, a phone number…): a
        # close runner-up, a passage further down from the same document, or one further down
        # that matches the question at least as well by both words and meaning
        runners = pool[1:8]
        same_doc = [h for h in runners if h.chunk.doc_id == best.chunk.doc_id]
        as_good = [h for h in runners if h.coverage >= best.coverage and h.dense >= best.dense]
        kept = [kind for kind in strict if holds(kind, best.chunk.text)]
        for kind in strict:
            if not holds(kind, best.chunk.text):
                for h in close + same_doc + as_good:  # one that holds it, losing nothing the top one holds
                    on_topic = not soft or h.coverage >= best.coverage
                    if on_topic and holds(kind, h.chunk.text) and all(holds(k, h.chunk.text) for k in kept):
                        return h
                if not soft:
                    found = self._in_document(q, best, kind, kept)
                    if found is not None:
                        return found
        if named:
            return best
        if q.ages:
            for h in close:
                if any(age_fits(h.chunk.text, a) for a in q.ages):
                    return h
        return best
