"""The default answer mode: choose the evidence that answers *this* question and compose it, verbatim.

It may reorder and connect printed words ("：", "；", labels such as a column's name) but every
fact it states is a quote from a chunk, and every quote becomes a citation. The composing is
done by one answerer per kind of evidence (``assistant/answerers/``), chosen by the chunk
kind of the best hit.
"""

from __future__ import annotations

from assistant.answerers import ANSWERERS
from assistant.answerers.base import Answerer, Draft
from assistant.answerers.documents import DocumentAnswerer
from assistant.answerers.text import decompose
from assistant.facets import MONEY, TIME
from assistant.query import Query, age_fits, parse_query
from assistant.retrieval import Hit, Retriever, key_name


class ExtractiveAnswerer:
    """Composes answers from retrieved chunks without a language model."""

    def __init__(self, retriever: Retriever):
        self.r = retriever
        self.answerers: list[Answerer] = [cls(retriever) for cls in ANSWERERS]
        self.by_kind: dict[str, Answerer] = {k: a for a in self.answerers for k in a.kinds}
        self.documents = next(a for a in self.answerers if isinstance(a, DocumentAnswerer))

    # -- entry -----------------------------------------------------------------------------
    def compose(self, q: Query, hits: list[Hit]) -> Draft:
        for answerer in self.answerers:
            listing = answerer.survey(q)
            if listing is not None:
                return listing
        parts = decompose(q.text)
        if parts:
            return self._compose_parts(parts)
        return self._compose_one(q, hits)

    def _compose_parts(self, parts: list[str]) -> Draft:
        """ "A和B分别…": answer "A…" and "B…" on their own, both answers in the first sentence."""
        drafts = []
        for part in parts:
            sub = parse_query(part)
            drafts.append(self._compose_one(sub, self.r.search(sub)))
        first = "；".join(d.text.split("\n")[0].rstrip("。") for d in drafts) + "。"
        rest = [line for d in drafts for line in d.text.split("\n")[1:]]
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

    def pick(self, q: Query, hits: list[Hit]) -> Hit:
        """The hit to answer from: the top one, unless a close runner-up holds what is asked
        (an amount for a money question, a time for a when-question, the asker's age band)
        and the top one does not. A 落款 answers only questions about the document."""
        pool = [h for h in hits if q.wants("docmeta") or not h.chunk.section.endswith("落款")] or hits
        best = pool[0]
        name = key_name(best.chunk)
        if len(name) >= 3 and name in q.text:
            return best  # the question names this row or clause
        close = [h for h in pool[:3] if h.score >= 0.75 * best.score]
        wanted = []
        if q.wants("money"):
            wanted.append(MONEY)
        if q.wants("strict_when"):
            wanted.append(TIME)
        for pat in wanted:
            if not pat.search(best.chunk.text):
                for h in close:
                    if pat.search(h.chunk.text):
                        return h
        if q.ages:
            for h in close:
                if any(age_fits(h.chunk.text, a) for a in q.ages):
                    return h
        return best
