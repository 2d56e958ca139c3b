"""Prompt templates live in prompts/ as files; loaded once, checked for their variables, and
served as LangChain ``ChatPromptTemplate``s."""

from __future__ import annotations

import string
from functools import cache

from langchain_core.prompts import ChatPromptTemplate

from core.settings import REPO_ROOT

PROMPTS_DIR = REPO_ROOT / "prompts"
REQUIRED = {
    "answer_system": {"not_found"},
    "answer_user": {"passages", "key_points", "question"},
}


class PromptError(RuntimeError):
    """A prompt file is missing or its variables differ from what the code fills in."""


def variables(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@cache
def load_prompt(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.txt"
    if not path.exists():
        raise PromptError(f"prompt file {path} is missing")
    text = path.read_text(encoding="utf-8")
    want = REQUIRED.get(name, set())
    have = variables(text)
    if have != want:
        raise PromptError(f"prompt {path.name}: variables {sorted(have)} but the code fills {sorted(want)}")
    return text


@cache
def answer_prompt() -> ChatPromptTemplate:
    """The answer prompt: the system rules, then the passages, key points and question."""
    return ChatPromptTemplate.from_messages(
        [("system", load_prompt("answer_system")), ("human", load_prompt("answer_user"))]
    )
