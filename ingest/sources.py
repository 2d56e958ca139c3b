"""Read a source file safely and hand it to the right parser."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.schema import Chunk
from ingest.blocks import blank_page_numbers
from ingest.chunk import doc_chunks
from ingest.gazette import parse_gazette
from ingest.laws import parse_law
from ingest.roles import ROLES
from ingest.units import IngestError, ParsedDoc
from store.index import SourceRecord

MAX_BYTES = 50 * 1024 * 1024


@dataclass
class ParsedSource:
    """One file, parsed and chunked, ready to be synced into the index: what the store keeps
    (``record``) and the parsed documents with their units (for reports and tests)."""

    record: SourceRecord
    docs: list[ParsedDoc]

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def chunks(self) -> list[Chunk]:
        return self.record.chunks

    @property
    def texts(self) -> dict[str, str]:
        return self.record.texts


def source_name(path: Path) -> str:
    """Laws keep their category folder so that two files with one name stay apart."""
    if path.suffix == ".md" and path.parent.name:
        return f"{path.parent.name}/{path.name}"
    return path.name


def read_text(path: Path) -> str:
    """The file's text, or an IngestError naming the file and what is wrong with it."""
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if not path.is_file():
        raise IngestError(f"{path}: not a file")
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(f"{path}: the file is empty")
    if len(data) > MAX_BYTES:
        raise IngestError(f"{path}: {len(data)} bytes is larger than the {MAX_BYTES}-byte limit")
    if b"\x00" in data[:8192]:
        raise IngestError(f"{path}: binary data, not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise IngestError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def overrides_path(path: Path) -> Path:
    """The issue's role corrections, next to it: changzhi-2024-05.txt -> changzhi-2024-05.roles.toml."""
    return path.with_name(path.stem + ".roles.toml")


def read_overrides(path: Path) -> dict[str, dict[str, str]]:
    """{text in a table's section path: {column: role}} from the issue's .roles.toml, if any::

    [tables."补贴项目表"]
    "类型" = "kind"
    """
    file = overrides_path(path)
    if not file.is_file():
        return {}
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise IngestError(f"{file}: not a valid TOML file ({e})") from None
    tables = data.get("tables", {})
    if not isinstance(tables, dict):
        raise IngestError(f'{file}: expected [tables."…"] sections')
    for where, cols in tables.items():
        bad = {c: r for c, r in (cols or {}).items() if r not in ROLES} if isinstance(cols, dict) else cols
        if bad:
            raise IngestError(
                f"{file}: [tables.{where!r}] has unknown roles {bad}; roles are {', '.join(ROLES)}"
            )
    return tables


def source_digest(path: Path) -> str:
    """sha256 of the source's text and of its role corrections: either changing re-ingests it."""
    text = read_text(path)
    extra = overrides_path(path).read_bytes() if overrides_path(path).is_file() else b""
    return hashlib.sha256(text.encode("utf-8") + extra).hexdigest()


def parse_source(path: Path) -> ParsedSource:
    """Parse and chunk one gazette issue (.txt) or law (.md)."""
    text = read_text(path)
    name = source_name(path)
    if path.suffix.lower() == ".md":
        docs = parse_law(text, name)
    else:
        text = blank_page_numbers(text)
        docs = parse_gazette(text, name, read_overrides(path))
    chunks = [c for d in docs for c in doc_chunks(d)]
    for d in docs:
        d.info.chunks = sum(1 for c in chunks if c.doc_id == d.info.id)
    digest = source_digest(path)
    texts = {d.info.id: text[d.start : d.end] for d in docs}
    record = SourceRecord(
        name=name, path=path, sha256=digest, docs=[d.info for d in docs], chunks=chunks, texts=texts
    )
    return ParsedSource(record=record, docs=docs)


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; folders become their .txt/.md files, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in (".txt", ".md") and q.is_file()))
        else:
            out.append(p)
    return out


__all__ = ["IngestError", "ParsedSource", "expand_paths", "parse_source", "read_text", "source_name"]
