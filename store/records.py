"""What the store keeps of a source, what a sync reports, and docstore file names."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from core.schema import Chunk, DocInfo


@dataclass
class SourceRecord:
    """What the store keeps of one source file: its documents, chunks and printed texts."""

    name: str  # the file name, the key of this source in the index
    path: Path
    sha256: str
    docs: list[DocInfo]
    chunks: list[Chunk]
    texts: dict[str, str]  # document id -> its printed text (what quotes are checked against)


@dataclass
class SyncStats:
    source: str
    documents: int = 0
    added: int = 0
    unchanged: int = 0
    removed: int = 0


def _hashed_name(source: str) -> str:
    name = source.replace("/", "__")
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
    return f"{name.encode('utf-8')[:90].decode('utf-8', 'ignore')}-{digest}"


def _safe_name(source: str) -> str:
    """A file name for a source's docstore: the source name, or, when that would pass the
    filesystems' 255-byte limit (some law titles do), its start and a hash of the whole."""
    name = source.replace("/", "__")
    if len(name.encode("utf-8")) <= 225:  # room for ".json" and the temporary file's suffix
        return name
    return _hashed_name(source)
