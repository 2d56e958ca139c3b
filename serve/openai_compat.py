"""``POST /v1/chat/completions``: the assistant for any OpenAI-compatible client.

- The last message is the question; it must come from the user. Earlier user and assistant
  messages are the history. A client's ``system`` (or ``developer``) messages are user text, not
  instructions: they join the history as user turns, and rules the assistant keeps (answer only
  from the gazette, verify every quote) cannot be changed by them.
- ``content`` is the verified answer text, the same as ``/v1/ask``'s ``answer``; the whole
  answer JSON (citations, passages, refused, notes) travels in the extra field ``gazette`` of
  the response, or of the last chunk when streaming.
- With ``"stream": true`` the text is sent as ``chat.completion.chunk`` events, only after it
  passed the checker; while an LLM mode works, progress goes out as SSE comment lines, which
  clients ignore. The stream ends with ``data: [DONE]``.
- Sampling fields (``temperature``, ``max_tokens``, …) are accepted and ignored: the answer is
  what the gazette says.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from serve import errors
from serve.errors import ApiError
from serve.runtime import stream_events


class Part(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[Part] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, … are accepted and ignored
    messages: list[Message] = Field(min_length=1)
    model: str | None = None
    stream: bool = False


def split(messages: list[Message]) -> tuple[str, list[dict]]:
    """The question (the last message, a user's) and the history before it (system text as user turns)."""
    *before, last = messages
    if last.role != "user":
        raise ApiError(400, "last_message_not_user", "the last message must be the user's question")
    history = []
    for m in before:
        if m.role == "tool" or not m.text().strip():
            continue
        history.append({"role": "assistant" if m.role == "assistant" else "user", "content": m.text()})
    return last.text(), history


def _chunk(cid: str, created: int, model: str, delta: dict, finish=None, extra=None) -> str:
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if extra is not None:
        body["gazette"] = extra
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def build_router(rt, new_answer_id, log_answer) -> APIRouter:
    r = APIRouter()

    @r.post("/v1/chat/completions", summary="OpenAI-compatible chat; citations in the extra field `gazette`")
    async def chat(body: ChatRequest, request: Request):
        question, history = split(body.messages)
        bot = await asyncio.to_thread(rt.bot)
        model = f"gazette-assistant-{rt.settings.answer_mode}"
        answer_id = new_answer_id()
        cid, created, deadline = "chatcmpl-" + answer_id.removeprefix("ans-"), int(time.time()), rt.deadline()
        if body.stream:
            return StreamingResponse(
                _stream(question, history, cid, created, model, answer_id, deadline, request),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
            )
        answer = await rt.run(lambda: bot.ask(question, history), deadline)
        answer = answer.model_copy(update={"id": answer_id})
        rt.metrics.answers.labels(answer.mode, str(answer.refused).lower()).inc()
        log_answer(answer, "chat", False, request)
        return JSONResponse(
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.answer},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "gazette": answer.to_json_dict(),
            }
        )

    async def _stream(question, history, cid, created, model, answer_id, deadline, request):
        yield _chunk(cid, created, model, {"role": "assistant", "content": ""})
        sent: list[str] = []
        async for event in stream_events(rt, lambda: rt.bot().events(question, history), deadline):
            if isinstance(event, ApiError):
                payload = errors.error_body(
                    event.status, event.code, event.message, errors.request_id(request)
                )
                yield f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
                break
            if event.kind == "text":
                sent.append(event.text)
                yield _chunk(cid, created, model, {"content": event.text})
            elif event.kind == "status":
                yield f": {event.stage}\n\n"  # a comment: keeps the connection alive, shows nothing
            elif event.kind == "answer" and event.answer is not None:
                answer = event.answer.model_copy(update={"id": answer_id})
                rt.metrics.answers.labels(answer.mode, str(answer.refused).lower()).inc()
                log_answer(answer, "chat", True, request)
                if not sent:  # a refusal or a navigator answer comes whole, with no text events
                    yield _chunk(cid, created, model, {"content": answer.answer})
                yield _chunk(cid, created, model, {}, "stop", answer.to_json_dict())
        yield "data: [DONE]\n\n"

    return r
