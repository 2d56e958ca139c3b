"""The answer event protocol: what a front end (the app, the CLI, an HTTP API's server-sent
events) receives while a question is answered. Only checked text is ever sent.

    status   a stage a reader may want to see ("generating", then "kept" or "replaced", in
             the LLM modes); ``text`` says it in Chinese, ``stage`` names it
    preview  the verified extractive answer, sent at once in LLM modes while the model
             works; the final text may replace it
    text     a piece of the final answer's text, sent only after it passed the checker
    answer   the final Answer (always the last event)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from core.schema import Answer

EventKind = Literal["status", "preview", "text", "answer"]


@dataclass(frozen=True)
class StreamEvent:
    kind: EventKind
    text: str = ""
    stage: str = ""
    answer: Answer | None = None

    def data(self) -> dict:
        """The event's JSON payload."""
        if self.kind == "answer" and self.answer is not None:
            return self.answer.to_json_dict()
        if self.kind == "status":
            return {"stage": self.stage, "text": self.text}
        return {"text": self.text}

    def sse(self) -> str:
        """The event as one server-sent event (``event:`` line, one ``data:`` line)."""
        return f"event: {self.kind}\ndata: {json.dumps(self.data(), ensure_ascii=False)}\n\n"


def status(stage: str, text: str) -> StreamEvent:
    return StreamEvent("status", text=text, stage=stage)


def preview(text: str) -> StreamEvent:
    return StreamEvent("preview", text=text)


def text_pieces(text: str) -> list[StreamEvent]:
    """Checked text as events, a sentence or line at a time."""
    return [StreamEvent("text", text=p) for p in re.split(r"(?<=[。\n])", text) if p]


def final(answer: Answer) -> StreamEvent:
    return StreamEvent("answer", answer=answer)
