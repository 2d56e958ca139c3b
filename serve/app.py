"""The API's routes: ask, documents, feedback, health, readiness, metrics (docs/api.md).

Every answer comes from ``Assistant.ask``/``Assistant.events`` unchanged: the API, the app and
the CLI give the same answer to the same question, and a streamed answer sends only text that
passed the checker (the event protocol of ``assistant/events.py``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.cors import CORSMiddleware

from assistant import (
    Answer,
    Assistant,
    FeedbackRecord,
    Settings,
    api_key_ok,
    get_settings,
    is_staff,
    question_hash,
    staff_configured,
)
from serve import errors, openai_compat
from serve.errors import ApiError
from serve.gate import Gate
from serve.runtime import Runtime, mapped, stream_events

log = logging.getLogger("serve")
SSE = "text/event-stream"


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="The reader's question, as typed.")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first.")
    doc_ids: list[str] | None = Field(
        None, description="Search only these documents (ids from /v1/documents)."
    )
    stream: bool = Field(
        False, description="Answer as server-sent events (also: `Accept: text/event-stream`)."
    )


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer_id: str = Field(min_length=1, max_length=80, description="The `id` of the answer rated.")
    rating: Literal["up", "down"]
    comment: str = Field("", max_length=2000)
    answer: dict = Field(
        default_factory=dict, description="The answer JSON as received (question, citations, …)."
    )


def log_answer(answer: Answer, endpoint: str, stream: bool, request: Request) -> None:
    """One log line per answer: the question's hash, never its text."""
    log.info(
        "answer",
        extra={
            "request_id": errors.request_id(request),
            "endpoint": endpoint,
            "stream": stream,
            "question_hash": question_hash(answer.question),
            "refused": answer.refused,
            "mode": answer.mode,
            "citations": len(answer.citations),
        },
    )


def new_answer_id() -> str:
    return "ans-" + uuid.uuid4().hex


def build_router(rt: Runtime) -> APIRouter:
    r = APIRouter()

    @r.post("/v1/ask", summary="Answer a question from the gazette (the answer JSON contract)")
    async def ask(body: AskBody, request: Request):
        bot = await asyncio.to_thread(rt.bot)  # may open the index: never on the event loop
        history = [t.model_dump() for t in body.history]
        deadline = rt.deadline()
        answer_id = new_answer_id()
        if body.stream or SSE in request.headers.get("accept", ""):
            return StreamingResponse(
                _sse(rt, bot, body, history, deadline, answer_id, request),
                media_type=SSE,
                headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
            )
        answer = await rt.run(lambda: bot.ask(body.question, history, doc_ids=body.doc_ids), deadline)
        answer = answer.model_copy(update={"id": answer_id})
        rt.metrics.answers.labels(answer.mode, str(answer.refused).lower()).inc()
        log_answer(answer, "ask", False, request)
        return JSONResponse(answer.to_json_dict())

    @r.get("/v1/documents", summary="Every indexed document (the `docs --json` keys)")
    def documents():
        return [d.listing() for d in rt.bot().documents()]

    @r.get("/v1/documents/{doc_id:path}", summary="One document: metadata, its structure and its text")
    def document(doc_id: str):
        bot = rt.bot()
        doc = bot.document(doc_id)
        if doc is None:
            raise ApiError(
                404, "no_such_document", f"no document {doc_id!r} is indexed; GET /v1/documents lists them"
            )
        chunks = bot.chunks(doc_id)
        outline = list(dict.fromkeys(c.section for c in chunks))
        return {
            **doc.model_dump(mode="json"),
            "outline": outline,
            "chunks": [
                {"chunk_id": c.chunk_id, "section": c.section, "kind": c.kind, "page": c.page, "text": c.text}
                for c in chunks
            ],
            "text": bot.doc_texts().get(doc_id, ""),
        }

    @r.post(
        "/v1/feedback", status_code=201, summary="A reader's 👍/👎 on an answer (one place for all replicas)"
    )
    def feedback(body: FeedbackBody):
        rec = FeedbackRecord.for_answer(
            body.answer_id,
            body.rating,
            body.answer,
            comment=body.comment,
            model=rt.model_name(),
            index_version=str(rt.status().get("built_at")),
        )
        stored = rt.feedback().record(rec)
        return {"answer_id": stored.answer_id, "rating": stored.rating}

    @r.delete(
        "/v1/feedback/{answer_id}", status_code=204, summary="Withdraw a rating (its answer id is the key)"
    )
    def withdraw(answer_id: str):
        if not rt.feedback().delete(answer_id):
            raise ApiError(404, "no_such_feedback", f"no feedback on answer {answer_id!r}")
        return Response(status_code=204)

    @r.get("/v1/feedback", summary="Staff: readers' feedback (JSON, or CSV with ?format=csv)")
    def feedback_list(request: Request, format: Literal["json", "csv"] = "json", limit: int = 200):
        _staff_only(rt.settings, request)
        store = rt.feedback()
        if format == "csv":
            text = store.to_csv()
            return PlainTextResponse(
                text,
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="feedback.csv"'},
            )
        records = store.list()
        counts = {"up": 0, "down": 0}
        for x in records:
            counts[x.rating] += 1
        return {"counts": counts, "records": [x.model_dump() for x in records[: max(1, min(limit, 5000))]]}

    @r.get("/healthz", summary="Liveness: the process answers")
    async def healthz():
        return {"status": "ok"}

    @r.get("/readyz", summary="Readiness: the index generation and models this replica serves")
    def readyz():
        try:
            return {"ready": True, **rt.status()}
        except Exception as exc:  # noqa: BLE001 - not ready, whatever the reason (a Chroma server down)
            e = mapped(exc)
            return JSONResponse(
                {"ready": False, **errors.error_body(503, e.code, e.message)}, status_code=503
            )

    @r.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    def metrics():
        rt.count_documents()
        return Response(rt.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    r.include_router(openai_compat.build_router(rt, new_answer_id, log_answer))
    return r


async def _sse(rt: Runtime, bot: Assistant, body: AskBody, history, deadline, answer_id, request):
    """The answer as protocol events (status, preview, text, answer), each one server-sent event."""
    events = stream_events(rt, lambda: bot.events(body.question, history, doc_ids=body.doc_ids), deadline)
    async for event in events:
        if isinstance(event, ApiError):
            payload = errors.error_body(event.status, event.code, event.message, errors.request_id(request))
            yield f"event: error\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
            return
        if event.kind == "answer" and event.answer is not None:
            event = type(event)("answer", answer=event.answer.model_copy(update={"id": answer_id}))
            rt.metrics.answers.labels(event.answer.mode, str(event.answer.refused).lower()).inc()
            log_answer(event.answer, "ask", True, request)
        yield event.sse()


def _staff_only(settings: Settings, request: Request) -> None:
    if not staff_configured(settings):
        raise ApiError(
            403,
            "staff_off",
            "staff endpoints are off: configure GAZETTE_STAFF_TOKEN_HASH or GAZETTE_STAFF_HEADER",
        )
    if not is_staff(settings, token=request.headers.get("x-staff-token"), headers=dict(request.headers)):
        raise ApiError(403, "not_staff", "staff only: send the staff token as X-Staff-Token")


def create_app(bot: Assistant | None = None, settings: Settings | None = None) -> FastAPI:
    """The API app. ``bot``: an open Assistant to serve (else one is opened from ``settings``,
    at startup and again on a later request if the index was not there yet)."""
    settings = settings or (bot.settings if bot is not None else get_settings())
    rt = Runtime(settings, bot)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            rt.bot()  # open the index and models before taking traffic; /readyz says when
        except ApiError as e:
            log.warning("not ready: %s", e.message)
        yield
        rt.close()

    app = FastAPIOffline(
        title="公报问答助手 API",
        version="1",
        lifespan=lifespan,
        description="Answers from the municipal gazette, each with verified citations. docs/api.md",
    )
    app.state.runtime = rt
    errors.install(app)
    app.include_router(build_router(rt))
    app.add_middleware(
        Gate,
        max_body=settings.api_max_body_bytes,
        key_ok=lambda k: api_key_ok(settings, k),
        metrics=rt.metrics,
    )
    if settings.api_cors_origins:  # outermost: errors from the gate (401, 413) carry CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID", "X-Staff-Token"],
            expose_headers=["X-Request-ID"],
        )
    return app
