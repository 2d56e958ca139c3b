"""The Assistant: validates a question, retrieves, decides whether the gazette answers, and answers.

One object per process holds the embedder, the index and (in LLM modes) the chat backend;
``ask`` and ``stream`` are safe to call from several threads (the LLM has its own lock).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator

from assistant import events
from assistant.answerers.base import Piece
from assistant.events import StreamEvent
from assistant.extractive import ExtractiveAnswerer
from assistant.facets import MONEY, TIME, home_places, is_confirmation, missing_facet, unsupported_request
from assistant.generation import generate
from assistant.inputs import QuestionError, check_history, clean_question
from assistant.langchain import GazetteRetriever
from assistant.llm import make_backend
from assistant.query import ASKED_WORDS, Query, parse_query
from assistant.retrieval import Hit, Retriever
from core.embedding import load_embedder
from core.keywords import tokenize
from core.schema import NOT_IN_GAZETTE, Answer, Chunk, Citation, DocInfo
from core.settings import Settings, get_settings
from core.textnorm import fold

FOLLOW_UP = re.compile(r"^(那|那么|还有|如果|要是|假如|另外|and |what about)", re.IGNORECASE)


class Assistant:
    """Answers questions from the indexed gazette, each claim tied to verbatim words."""

    def __init__(self, settings: Settings, retriever: Retriever, backend=None):
        self.settings = settings
        self.retriever = retriever
        self.extractive = ExtractiveAnswerer(retriever)
        self.backend = backend  # a ChatBackend in local/openai modes, None in extractive mode
        self.folded_docs = {doc_id: fold(text) for doc_id, text in retriever.store.doc_texts().items()}
        self._indexed_numbers = {d.doc_number for d in retriever.docs.values() if d.doc_number}
        self._title_words = _common_title_words(
            [d.title for d in retriever.docs.values() if d.kind == "gazette"]
        )
        gazette_docs = [d for d in retriever.docs.values() if d.kind == "gazette"]
        self.home = home_places(
            [d.issue or "" for d in gazette_docs] + [d.office or "" for d in gazette_docs]
        )
        self._listed_numbers = {
            c.fields["文号"] for c in retriever.chunks if c.kind == "list_entry" and c.fields.get("文号")
        }

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

    def documents(self) -> list[DocInfo]:
        """Every indexed document (gazette documents and laws), with validity as the lists state it."""
        return list(self.retriever.docs.values())

    def document(self, doc_id: str) -> DocInfo | None:
        return self.retriever.docs.get(doc_id)

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.retriever.by_id.get(chunk_id)

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        """Indexed chunks in reading order: one document's, or all."""
        if doc_id is None:
            return list(self.retriever.chunks)
        return list(self.retriever.by_doc.get(doc_id, []))

    def section_text(self, section: str) -> str:
        """The whole text of a section (all its chunks), for "show the whole clause"."""
        return self.retriever.section_text(section)

    def doc_texts(self) -> dict[str, str]:
        """Document id -> its printed text: what quotes are checked against."""
        return self.retriever.store.doc_texts()

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
            yield events.final(self._refusal(shown, str(e), [], timings, t0, note="invalid question"))
            return
        q, resolved = self._contextualize(text, history)
        t = time.perf_counter()
        hits = self.retriever.search(q, doc_ids=doc_ids or None)
        timings["retrieve"] = _ms(t)
        verdict = self.judge(q, hits)
        if verdict is not None:
            yield events.final(self._refusal(text, verdict, hits, timings, t0))
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
        yield from events.text_pieces(draft.text)
        timings["generate"] = _ms(t)
        citations, cite_notes = self._citations(draft.pieces)
        notes.extend(cite_notes)
        timings["total"] = _ms(t0)
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
            len(t) >= 2
            and not t.isdigit()
            and t in self.retriever.idf
            and not any(t in w for w in ASKED_WORDS)
            for t in tokenize(text)
        )

    def judge(self, q: Query, hits: list[Hit]) -> str | None:
        """Why the gazette does not answer this question, or None when it does.

        Two gates: relevance (keyword coverage and meaning, thresholds calibrated on the eval
        set by bench/calibrate_refusal.py), then the kind of answer asked for must exist in the
        evidence: an amount for "多少钱", a time for "什么时候", a procedure for "怎么申请".
        """
        request = unsupported_request(q)  # first: naming a document does not make a request fine
        if request:
            return NOT_IN_GAZETTE + request
        if not hits:
            return NOT_IN_GAZETTE
        top = hits[0]
        s = self.settings
        if self.retriever.route(q) and (q.doc_numbers or q.partial_numbers):
            return None  # the question names a document we hold
        if q.english:
            if top.dense < s.refuse_min_dense_english:
                return NOT_IN_GAZETTE
        elif top.coverage < s.refuse_min_coverage and self._topical_similarity(q, top) < s.refuse_min_dense:
            return NOT_IN_GAZETTE
        answer_from = self.extractive.pick(q, hits).chunk
        evidence = answer_from.section + "\n" + answer_from.text
        missing = missing_facet(q, evidence, self._indexed_numbers, self._listed_numbers, self.home)
        if missing:
            return NOT_IN_GAZETTE + missing
        if q.wants("money") and not is_confirmation(q) and not MONEY.search(evidence):
            return NOT_IN_GAZETTE + "公报相关内容里没有写金额。"
        if q.wants("strict_when") and not q.wants("docmeta") and not TIME.search(evidence):
            return NOT_IN_GAZETTE + "公报相关内容里没有写时间。"
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

    def _refusal(
        self, question: str, message: str, hits: list[Hit], timings: dict, t0: float, note: str = ""
    ) -> Answer:
        text = message
        if hits and message.startswith(NOT_IN_GAZETTE):
            near = hits[0].chunk
            text += f"\n公报中相近的内容是：{near.section}。"
        timings["total"] = _ms(t0)
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

    def _citations(self, pieces: list[Piece]) -> tuple[list[Citation], list[str]]:
        """Each quoted piece as a citation, kept only when it is verbatim in its document."""
        out: list[Citation] = []
        notes: list[str] = []
        seen: set[tuple[str, str]] = set()
        for p in pieces:
            folded_doc = self.folded_docs.get(p.chunk.doc_id, "")
            candidates = (
                [p.quote]
                if fold(p.quote) in folded_doc
                else [s for s in p.quote.split("\n") if fold(s) in folded_doc]
            )
            if not candidates:
                notes.append(f"dropped a quote not found verbatim in {p.chunk.doc_id}")
                continue
            for quote in candidates:
                key = (p.chunk.chunk_id, fold(quote))
                if not fold(quote) or key in seen:
                    continue
                seen.add(key)
                c = p.chunk
                out.append(
                    Citation(
                        doc_number=c.doc_number,
                        doc_title=c.doc_title,
                        section=c.section,
                        quote=quote,
                        chunk_id=c.chunk_id,
                        source=c.source,
                        page=c.page,
                        issue=c.issue,
                        status=c.status,
                    )
                )
        return out, notes


def _common_title_words(titles: list[str]) -> list[str]:
    """Words in at least half of the document titles (the issuer and city), longest first."""
    if not titles:
        return []
    counts = Counter(w for t in titles for w in set(tokenize(t)) if len(w) >= 2)
    return sorted((w for w, n in counts.items() if n >= len(titles) / 2), key=len, reverse=True)


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 1)
