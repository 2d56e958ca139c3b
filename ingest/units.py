"""The parser's output: documents made of quotable units, before they are cut into chunks."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.schema import ChunkKind, DocInfo, Status


class IngestError(ValueError):
    """A file that cannot be ingested; the message names the file and says why."""


@dataclass
class Unit:
    """One clause, paragraph, table row or list entry, with its place in the document."""

    kind: ChunkKind
    text: str
    path: list[str]  # headings below the document id, as the document writes them
    start: int
    end: int
    fields: dict[str, str] = field(default_factory=dict)
    status: Status | None = None  # for list entries: the validity the list states
    roles: dict[str, str] = field(default_factory=dict)  # table rows: column -> role (ingest/roles.py)


@dataclass
class ParsedDoc:
    """A document with its metadata, its units in reading order and its source span."""

    info: DocInfo
    units: list[Unit]
    start: int
    end: int
