"""Gazette Assistant: answers questions from the municipal gazette, with verified citations."""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["Assistant"]

if TYPE_CHECKING:  # pragma: no cover
    from assistant.chat import Assistant


def __getattr__(name: str):
    # Lazy: importing the package must not load models or the index.
    if name == "Assistant":
        from assistant.chat import Assistant

        return Assistant
    raise AttributeError(name)
