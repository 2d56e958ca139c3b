"""What every answerer returns, and the one interface an answerer implements.

An answerer reads one kind of evidence (table rows, list entries, clauses and articles,
document facts). The extractive answerer picks the best hit and hands it to the answerer
registered for that hit's chunk kind: a new kind of evidence is a new answerer in its own
file, registered in ``assistant/answerers/__init__.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from core.schema import Chunk

if TYPE_CHECKING:
    from assistant.query import Query
    from assistant.retrieval import Hit, Retriever


@dataclass
class Piece:
    """A verbatim quote from one chunk."""

    chunk: Chunk
    quote: str


@dataclass
class Draft:
    """An answer before it becomes an Answer: text, the pieces it quotes, and notes."""

    text: str
    pieces: list[Piece] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Answerer(Protocol):
    """Answers from one kind of evidence.

    ``kinds`` are the chunk kinds it reads; ``survey`` may answer from the whole index before
    retrieval's best hit is looked at (complete lists by a condition), returning None when the
    question is not one for it; ``answer`` composes from the best hit and the other hits."""

    kinds: tuple[str, ...]

    def __init__(self, retriever: Retriever) -> None: ...

    def survey(self, q: Query) -> Draft | None: ...

    def answer(self, q: Query, best: Hit, hits: list[Hit]) -> Draft: ...
