"""Typed records that flow through the product: documents, chunks, passages, citations, answers."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["valid", "repealed", "unknown"]
ChunkKind = Literal["clause", "paragraph", "table_row", "list_entry", "article", "preamble"]
# Column roles of a table (ingest/roles.py infers them; answerers and cards read them)
ROLES = ("seq", "item", "who", "standard", "lead", "partner", "basis", "deadline", "kind", "content")
ROLE_ZH = {
    "seq": "序号",
    "item": "事项",
    "who": "对象",
    "standard": "标准",
    "lead": "负责",
    "partner": "配合",
    "basis": "依据",
    "deadline": "时限",
    "kind": "类别",
    "content": "内容",
}


AnswerMode = Literal["extractive", "local", "openai", "refusal", "naive"]

# The one phrase that says the gazette does not answer; prompts and tests use it too.
NOT_IN_GAZETTE = "公报中没有找到能回答这个问题的内容。"

SECTION_SEP = " › "


class DocInfo(BaseModel):
    """One official document (or one law) as ingested."""

    id: str = Field(description="文号 for gazette documents, the title for a law.")
    doc_number: str | None = Field(description="文号 in canonical 〔〕 form, None for a law.")
    title: str
    date: str | None = Field(None, description="Signing date (落款), ISO.")
    source: str = Field(description="File name the document came from.")
    status: Status = "unknown"
    office: str | None = Field(None, description="Issuing office (落款机关).")
    issue: str | None = Field(None, description="Gazette issue, e.g. 某市人民政府公报 2025·03.")
    page: int | None = Field(None, description="Starting page from the issue's table of contents.")
    publication: str | None = Field(None, description="Publication note, e.g. (此件公开发布).")
    kind: Literal["gazette", "law"] = "gazette"
    chunks: int = 0

    def listing(self) -> dict:
        """The document as ``docs --json`` and ``GET /v1/documents`` list it (docs/contracts.md)."""
        keys = ("id", "doc_number", "title", "date", "source", "status", "chunks")
        return {k: getattr(self, k) for k in keys}

    @property
    def display_name(self) -> str:
        return self.doc_number or f"《{self.title}》"

    @property
    def full_name(self) -> str:
        """How an answer names the document: 文号《title》, or 《title》 when it has no 文号."""
        return f"{self.doc_number}《{self.title}》" if self.doc_number else f"《{self.title}》"


class Chunk(BaseModel):
    """A retrievable unit cut along the document's own structure."""

    chunk_id: str
    doc_id: str
    doc_number: str | None
    doc_title: str
    section: str = Field(description="Section path: 文号 › heading › … (docs/contracts.md).")
    parent: str = Field(description="Section path of the enclosing section (for context expansion).")
    kind: ChunkKind
    text: str = Field(description="The document's own words (quotable).")
    fields: dict[str, str] = Field(
        default_factory=dict, description="Column -> cell for table rows; title/文号/status for list entries."
    )
    roles: dict[str, str] = Field(
        default_factory=dict,
        description="Table rows: column -> role (item, who, standard, lead, partner, basis, deadline, …).",
    )
    source: str
    start: int = Field(description="Character offset of the chunk in its source file.")
    end: int
    page: int | None = None
    status: Status = "unknown"
    issue: str | None = None

    def cells(self, role: str) -> list[str]:
        """The row's non-empty cells of columns with this role, in column order."""
        return [
            self.fields.get(col, "") for col, r in self.roles.items() if r == role and self.fields.get(col)
        ]

    def cell(self, role: str) -> str:
        """The row's first non-empty cell with this role ("" when none)."""
        return next(iter(self.cells(role)), "")

    def column(self, role: str) -> str | None:
        """The name of the first column with this role."""
        return next((col for col, r in self.roles.items() if r == role), None)

    def embed_text(self) -> str:
        """What the embedder and keyword index see: breadcrumbs and column names plus the words."""
        crumbs = self.section.split(SECTION_SEP)
        head = f"{self.doc_title} {' '.join(crumbs[1:])}"
        if self.fields and self.kind == "table_row":
            body = "；".join(f"{k}：{v}" for k, v in self.fields.items() if v)
        else:
            body = self.text
        return f"{head}\n{body}"


def content_id(*parts: str) -> str:
    """Stable id from content: the same words at the same place always get the same id."""
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return h[:24]


class Passage(BaseModel):
    """A retrieved chunk with its score, as shown in answers (rank order)."""

    chunk_id: str
    doc_number: str | None
    doc_title: str = ""
    section: str
    text: str
    score: float
    kind: ChunkKind | None = None
    source: str | None = None
    page: int | None = None
    status: Status | None = None


class Citation(BaseModel):
    """A verbatim quote tied to its place in a document."""

    doc_number: str | None
    doc_title: str
    section: str
    quote: str
    chunk_id: str
    source: str
    page: int | None = None
    issue: str | None = None
    status: Status | None = None

    @classmethod
    def of(cls, chunk: Chunk, quote: str, status: Status | None = None) -> Citation:
        """``quote`` (verbatim in ``chunk``'s document) cited at ``chunk``'s place; ``status``
        overrides the chunk's when the document's validity is known better."""
        return cls(
            doc_number=chunk.doc_number,
            doc_title=chunk.doc_title,
            section=chunk.section,
            quote=quote,
            chunk_id=chunk.chunk_id,
            source=chunk.source,
            page=chunk.page,
            issue=chunk.issue,
            status=status or chunk.status,
        )


class Answer(BaseModel):
    """What ask() returns; serialised as one line of answers.jsonl."""

    id: str | None = None
    question: str
    answer: str
    refused: bool = False
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    mode: AnswerMode = "extractive"
    notes: list[str] = Field(default_factory=list)

    def to_json_dict(self) -> dict:
        data = self.model_dump(mode="json")
        keys = ["id", "question", "answer", "refused", "citations", "passages", "timings_ms", "mode", "notes"]
        return {k: data[k] for k in keys}


def issue_series(issue: str | None) -> str:
    """The gazette an issue belongs to: its masthead without the issue's date and number
    (某市人民政府公报 2025年第4期 -> 某市人民政府公报): rows of two issues of one series can
    supersede each other."""
    return re.sub(r"\s*(?:\d{4}|第).*$", "", issue or "").strip()
