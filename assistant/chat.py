"""The Assistant: validates a question, retrieves, decides whether the gazette answers, and answers.

One object per process holds the embedder, the index and (in LLM modes) the chat backend;
``ask`` and ``stream`` are safe to call from several threads (the LLM has its own lock).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from assistant import events, navigator
from assistant.articles import ArticleDesk
from assistant.citing import citations_of, ms_since, refusal_answer
from assistant.events import StreamEvent
from assistant.extractive import ExtractiveAnswerer
from assistant.facets import (
    Known,
    common_title_words,
    missing_facet,
    strip_instructions,
    unknown_reference,
    unsupported_request,
)
from assistant.generation import generate
from assistant.history import Event as HistoryEvent
from assistant.history import history as doc_history
from assistant.inputs import QuestionError, check_history, clean_question
from assistant.langchain import GazetteRetriever
from assistant.lawanswer import article_answer
from assistant.llm import make_backend
from assistant.query import Query, is_asking_word, parse_query
from assistant.retrieval import Hit, Retriever
from core.embedding import load_embedder
from core.keywords import tokenize
from core.schema import NOT_IN_GAZETTE, Answer, Chunk, DocInfo
from core.settings import Settings, get_settings
from core.textnorm import fold
from store.articles import read_catalogue


@dataclass(frozen=True)
class Verdict:
    """Why the gazette does not answer; ``near``: the on-topic passage that lacked what was asked."""

    message: str
    near: Chunk | None = None


FOLLOW_UP = re.compile(r"^(那|那么|还有|如果|要是|假如|另外|and |what about)", re.IGNORECASE)


class Assistant:
    """Answers questions from the indexed gazette, each claim tied to verbatim words."""

    def __init__(self, settings: Settings, retriever: Retriever, backend=None):
        self.settings = settings
        self.retriever = retriever
        self.extractive = ExtractiveAnswerer(retriever)
        self.backend = backend  # a ChatBackend in local/openai modes, None in extractive mode
        self.folded_docs = {doc_id: fold(text) for doc_id, text in retriever.store.doc_texts().items()}
        catalogue = read_catalogue(retriever.settings).values()
        self.articles = ArticleDesk([t for texts in catalogue for t in texts if t.doc_id in retriever.docs])
        self._title_words = common_title_words(
            [d.title for d in retriever.docs.values() if d.kind == "gazette"]
        )
        self.known = Known.from_index(list(retriever.docs.values()), retriever.chunks, self.folded_docs)

    @classmethod
    def load(cls, settings: Settings | None = None) -> Assistant:
        """Open the index with the configured embedder (and LLM backend in LLM modes)."""
        settings = settings or get_settings()
        retriever = Retriever(settings, load_embedder(settings))
        backend = None
        if settings.answer_mode in ("local", "openai"):
            backend = make_backend(settings)
        return cls(settings, retriever, backend)

    def with_backend(self, settings: Settings, backend) -> Assistant:
        """An Assistant in another answer mode that shares this one's open index and embedder."""
        return type(self)(settings, self.retriever, backend)

    @classmethod
    def with_mode(cls, base: Assistant, settings: Settings) -> Assistant:
        """``base``'s index in ``settings.answer_mode`` (starting the LLM backend it needs)."""
        backend = make_backend(settings) if settings.answer_mode in ("local", "openai") else None
        return base.with_backend(settings, backend)

    # -- public API --------------------------------------------------------------------------
    @property
    def embedder(self):
        """The embedding model the index was built with (loaded lazily on first use)."""
        return self.retriever.embedder

    # documents, chunks and texts follow a new index generation like answers do (``_live``)
    def documents(self) -> list[DocInfo]:
        """Every indexed document (gazette documents and laws), with validity as the lists state it."""
        return list(self._live().retriever.docs.values())

    def document(self, doc_id: str) -> DocInfo | None:
        return self._live().retriever.docs.get(doc_id)

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self._live().retriever.by_id.get(chunk_id)

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        """Indexed chunks in reading order: one document's, or all."""
        live = self._live().retriever
        return list(live.chunks) if doc_id is None else list(live.by_doc.get(doc_id, []))

    def section_text(self, section: str) -> str:
        """The whole text of a section (all its chunks), for "show the whole clause"."""
        return self._live().retriever.section_text(section)

    def doc_texts(self) -> dict[str, str]:
        """Document id -> its printed text: what quotes are checked against."""
        return self._live().retriever.store.doc_texts()

    def status(self) -> dict:
        """What this assistant serves: the index generation, its models and size (``/readyz``)."""
        live = self._live()
        manifest = live.retriever.store.manifest() or {}
        chat = {"local": "local-llm", "openai": self.settings.openai_model}.get(self.settings.answer_mode)
        return {
            "generation": live.retriever.store.generation,
            "built_at": manifest.get("built_at"),
            "embedding_model": manifest.get("embedding_model") or self.settings.embedding_model,
            "answer_mode": self.settings.answer_mode,
            "chat_model": chat,
            "documents": len(live.retriever.docs),
            "chunks": len(live.retriever.chunks),
        }

    def document_history(self, doc_id: str) -> list[HistoryEvent]:
        """What the gazette prints of this document's standing, and what it ends, oldest first."""
        return doc_history(doc_id, self._live().retriever.chunks, self._live().retriever.docs)

    def law_article(self, citation: str, as_of: str | None = None):
        """The article(s) a citation names, whole, in force on ``as_of`` (the citing document's date), or None."""
        return self.articles.lookup(citation, as_of=as_of)

    def law_citations(self, text: str, section: str = "", as_of: str | None = None) -> list:
        """(label, Lookup) for each law article a gazette passage cites, whole (ArticleDesk.cited)."""
        return self.articles.cited(text, section, as_of)

    def as_retriever(self, k: int = 5, doc_ids: list[str] | None = None) -> GazetteRetriever:
        """This index as a LangChain retriever returning cited Documents."""
        return GazetteRetriever(retriever=self.retriever, k=k, doc_ids=doc_ids)

    def ask(
        self, question: str, history: list[dict] | None = None, doc_ids: list[str] | None = None
    ) -> Answer:
        final = None
        for event in self.events(question, history, doc_ids=doc_ids):
            final = event.answer if event.kind == "answer" else final
        assert final is not None
        return final

    def stream(
        self, question: str, history: list[dict] | None = None, doc_ids: list[str] | None = None
    ) -> Iterator[str | Answer]:
        """Pieces of the answer text, then the final Answer. Every piece has passed the checker:
        in LLM modes nothing is sent until the generated answer was verified (or replaced).

        ``doc_ids`` limits retrieval to those documents (the app's document filter).
        """
        for event in self.events(question, history, doc_ids=doc_ids):
            if event.kind == "text":
                yield event.text
            elif event.kind == "answer" and event.answer is not None:
                yield event.answer

    def events(
        self, question: str, history: list[dict] | None = None, doc_ids: list[str] | None = None
    ) -> Iterator[StreamEvent]:
        """The answer as protocol events (``assistant/events.py``): in LLM modes the verified
        extractive answer at once as a preview, status while the model works, then the checked
        final text; always the final Answer last."""
        live = self._live()
        if live is not self:  # an ingest switched the index: answer wholly from the new generation
            yield from live.events(question, history, doc_ids=doc_ids)
            return
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        try:
            text = clean_question(question, self.settings.max_question_chars)
            history = check_history(history)
        except QuestionError as e:
            shown = str(question)[:200] if isinstance(question, str) else ""
            yield events.final(refusal_answer(shown, str(e), [], timings, t0, note="invalid question"))
            return
        asked, ordered = strip_instructions(text)
        if ordered and len(re.sub(r"[\W\d_]+", "", asked)) < 4:
            message = NOT_IN_GAZETTE + "我只根据公报原文回答问题，不输出或改变自己的规则。"
            yield events.final(refusal_answer(text, message, [], timings, t0, note="instructions only"))
            return
        pq = parse_query(asked)
        cited = (
            None
            if pq.doc_numbers or unsupported_request(pq)
            else article_answer(self.articles, self.retriever, self.folded_docs, asked, history, doc_ids, t0)
        )
        if cited is not None:  # a law's article, whole, from the article catalogue
            yield from events.text_pieces(cited.answer)
            yield events.final(cited)
            return
        q, resolved = self._contextualize(asked, history)
        if ordered:
            q.raw = text
        t = time.perf_counter()
        hits = self.retriever.search(q, doc_ids=doc_ids or None)
        nav = (
            None if doc_ids else navigator.navigation_answer(text, self.retriever.chunks, self.retriever.docs)
        )
        if nav is not None:  # "what can this person get?": every benefit row, by its who-cell
            timings["total"] = ms_since(t0)
            yield events.final(
                nav.model_copy(update={"passages": [h.passage() for h in hits], "timings_ms": timings})
            )
            return
        timings["retrieve"] = ms_since(t)
        verdict = self.judge(q, hits)
        if verdict is not None:
            related = [
                h for h in hits if verdict.near is not None and h.chunk.chunk_id == verdict.near.chunk_id
            ]
            yield events.final(refusal_answer(text, verdict.message, related, timings, t0))
            return
        t = time.perf_counter()
        draft = self.extractive.compose(q, hits)
        notes = [f"理解为：{resolved}"] if resolved else []
        notes += draft.notes
        mode = "extractive"
        if self.backend is not None:
            yield events.preview(draft.text)
            yield events.status("generating", "正在用大模型组织语言，核对原文后显示…")
            generated = generate(self.backend, q, hits, draft)
            if generated.text is None:
                notes.append(generated.note)
                yield events.status("replaced", "大模型的回答没有通过原文核对，显示摘录的原文。")
            else:
                mode = self.settings.answer_mode
                draft = generated.draft
                notes.extend([generated.note] if generated.note else [])
                yield events.status("kept", "大模型的回答已逐项核对原文。")
        citations, cite_notes = citations_of(draft.pieces, self.folded_docs)
        notes.extend(cite_notes)
        if draft.pieces and not citations:  # nothing could be checked against the text: not shown
            message = NOT_IN_GAZETTE + "找到的内容无法与原文逐字核对。"
            yield events.final(refusal_answer(text, message, hits[:1], timings, t0, note="no verified quote"))
            return
        yield from events.text_pieces(draft.text)
        timings["generate"] = ms_since(t)
        timings["total"] = ms_since(t0)
        yield events.final(
            Answer(
                question=text,
                answer=draft.text,
                refused=False,
                citations=citations,
                passages=[h.passage() for h in hits],
                timings_ms=timings,
                mode=mode,  # type: ignore[arg-type]
                notes=notes,
            )
        )

    # -- steps ---------------------------------------------------------------------------------
    def _live(self) -> Assistant:
        """This assistant, or after an ingest switched the index, one on the new generation
        (built once, between questions; an answer never mixes generations)."""
        current = getattr(self, "_successor", None) or self
        fresh = current.retriever.reopened()
        if fresh is not None:
            current = self._successor = type(self)(self.settings, fresh, self.backend)
        return current

    def _contextualize(self, text: str, history: list[dict]) -> tuple[Query, str]:
        """The question as one standalone question, and that question when it was resolved.

        A follow-up with no topic of its own ("那100岁呢？", "谁负责？") is merged with the
        previous user question, which retriever and model then both see; one with its own topic
        stands alone, keeping only the asker's stated age from a "那/还有…" follow-up."""
        q = parse_query(text)
        prev = next((h["content"] for h in reversed(history) if h["role"] == "user" and h["content"]), None)
        if not prev:
            return q, ""
        if not self._has_topic(text):
            merged = parse_query(f"{prev} {text}")
            merged.ages = q.ages or merged.ages
            merged.raw = text
            return merged, merged.text
        if FOLLOW_UP.match(text) and not q.ages:
            q.ages = parse_query(prev).ages
        return q, ""

    def _has_topic(self, text: str) -> bool:
        """True when the text names something the index knows beyond asking words and numbers."""
        return any(
            len(t) >= 2 and not t.isdigit() and t in self.retriever.keywords.idf and not is_asking_word(t)
            for t in tokenize(text)
        )

    def judge(self, q: Query, hits: list[Hit]) -> Verdict | None:
        """Why the gazette does not answer this question, or None when it does.

        First what is asked of it (requests to invent, evade or reveal; code; text with nothing
        to look up) and what it names (a 文号, an article, a 《title》 not indexed). Then
        relevance (keyword coverage and meaning, thresholds calibrated on the dev set's calib
        part by bench/calibrate_refusal.py). Then the kind of answer asked for must be in the
        evidence (``assistant/asks.py``): an amount for "多少钱", a date for "什么时候", a
        procedure for "怎么申请". Only that last kind of refusal offers the near passages."""
        request = unsupported_request(q)  # first: naming a document does not make a request fine
        if request:
            return Verdict(NOT_IN_GAZETTE + request)
        if not hits:
            return Verdict(NOT_IN_GAZETTE)
        top = hits[0]
        s = self.settings
        routed = self.retriever.route(q)
        unknown = unknown_reference(q, self.known, routed)
        if unknown:
            return Verdict(NOT_IN_GAZETTE + unknown)
        if routed and (q.doc_numbers or q.partial_numbers):
            return None  # the question names a document we hold
        if q.english:
            if top.dense < s.refuse_min_dense_english:
                return Verdict(NOT_IN_GAZETTE)
        elif top.coverage < s.refuse_min_coverage and self._topical_similarity(q, top) < s.refuse_min_dense:
            return Verdict(NOT_IN_GAZETTE)
        answer_from = self.extractive.pick(q, hits).chunk
        doc = self.retriever.docs.get(answer_from.doc_id)
        dated = f"{doc.date or ''} {answer_from.issue or ''}" if doc else ""
        evidence = f"{answer_from.doc_title}\n{answer_from.section}\n{answer_from.text}\n{dated}"
        missing = missing_facet(q, evidence, self.known, numbered=doc is None or bool(doc.doc_number))
        if missing:
            return Verdict(NOT_IN_GAZETTE + missing, near=answer_from)
        return None

    def _topical_similarity(self, q: Query, top: Hit) -> float:
        """The cosine without the words every document's title shares (the city, 人民政府…):
        "明天某市天气怎么样" is not about the gazette just because it names the city."""
        stripped = q.text
        for word in self._title_words:
            stripped = stripped.replace(word, "")
        if stripped == q.text:
            return top.dense
        return self.retriever.similarity(stripped, top.chunk) if stripped.strip() else 0.0
