"""What a caller hands the Assistant, checked before anything else: the question (control
characters removed, length limited) and the chat history (shape, roles, size)."""

from __future__ import annotations

import re
import unicodedata

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


class QuestionError(ValueError):
    """A question that cannot be asked (empty, too long); the message is shown to the user."""


MAX_HISTORY_TURNS = 40
MAX_HISTORY_CHARS = 4000


def check_history(history: object) -> list[dict]:
    """The chat history as a list of {"role", "content"} (a client's "system" turns count as the
    user's own words), at most MAX_HISTORY_TURNS turns of MAX_HISTORY_CHARS characters;
    anything else is a QuestionError with a message for the user."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise QuestionError("对话历史格式不对：应为消息列表。")
    if len(history) > MAX_HISTORY_TURNS:
        history = history[-MAX_HISTORY_TURNS:]
    out = []
    for turn in history:
        if not isinstance(turn, dict) or not isinstance(turn.get("content", ""), str):
            raise QuestionError("对话历史格式不对：每条消息需要 role 和文字 content。")
        role = turn.get("role")
        if role not in ("user", "assistant", "system"):
            raise QuestionError(f"对话历史格式不对：未知的角色 {str(role)[:20]!r}。")
        content = CONTROL.sub(" ", turn.get("content", ""))[:MAX_HISTORY_CHARS]
        out.append({"role": "assistant" if role == "assistant" else "user", "content": content})
    return out


def clean_question(question: str, max_chars: int) -> str:
    """Strip control characters and outer space; refuse empty or over-long questions."""
    if not isinstance(question, str):
        raise QuestionError("问题必须是文字。")
    text = CONTROL.sub(" ", unicodedata.normalize("NFC", question)).strip()
    if not text:
        raise QuestionError("问题是空的，请输入您想问的内容。")
    if len(text) > max_chars:
        raise QuestionError(f"问题太长（{len(text)} 字），请精简到 {max_chars} 字以内。")
    return text
