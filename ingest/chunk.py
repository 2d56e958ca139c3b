"""Units -> chunks: one chunk per clause, paragraph, table row or list entry; long ones split at sentence ends."""

from __future__ import annotations

import re

from core.schema import SECTION_SEP, Chunk, content_id
from ingest.units import ParsedDoc, Unit

MAX_CHARS = 360  # ≈ the embedding model's comfortable length for Chinese text
SENTENCE_END = re.compile(r"(?<=[。；;！？!?])|\n")


def split_long(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Split at sentence ends (。；) so that each piece stays under ``limit`` where it can."""
    if len(text) <= limit:
        return [text]
    sentences = [s for s in SENTENCE_END.split(text) if s and s.strip()]
    pieces, buf = [], ""
    for s in sentences:
        if buf and len(buf) + len(s) > limit:
            pieces.append(buf)
            buf = ""
        buf += s
    if buf:
        pieces.append(buf)
    return pieces


def _section(doc: ParsedDoc, path: list[str]) -> str:
    return SECTION_SEP.join([doc.info.display_name, *path])


def doc_chunks(doc: ParsedDoc) -> list[Chunk]:
    """Chunks of one document in reading order, with content-hash ids."""
    info = doc.info
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for unit in doc.units:
        section = _section(doc, unit.path)
        parent = _section(doc, unit.path[:-1]) if unit.path else section
        texts = [unit.text] if unit.kind in ("table_row", "list_entry") else split_long(unit.text)
        for text in texts:
            key = content_id(info.source, info.id, section, text)
            n = seen.get(key, 0)
            seen[key] = n + 1
            chunk_id = key if n == 0 else content_id(key, str(n))
            chunks.append(_make(info, unit, chunk_id, section, parent, text))
    return chunks


def _make(info, unit: Unit, chunk_id: str, section: str, parent: str, text: str) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        doc_id=info.id,
        doc_number=info.doc_number,
        doc_title=info.title,
        section=section,
        parent=parent,
        kind=unit.kind,
        text=text,
        fields=unit.fields,
        roles=unit.roles,
        source=info.source,
        start=unit.start,
        end=unit.end,
        page=info.page,
        status=unit.status or info.status,
        issue=info.issue,
    )
