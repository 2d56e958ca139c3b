"""The index on disk: Chroma for vectors, a docstore of chunks (the truth), BM25, and a manifest.

Each source file is synced on its own: only new chunk ids are embedded, vanished ones are
deleted, other sources are untouched. Nothing is written until every input has parsed and
every new text has been embedded; the docstore, BM25 and manifest are replaced atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.embedding import Embedder
from core.keywords import tokenize
from core.schema import Chunk, DocInfo
from core.settings import Settings

# 2: table rows carry column roles (ingest/roles.py); an index of version 1 is rebuilt
MANIFEST_VERSION = 2


class IndexMissingError(RuntimeError):
    """No index on disk yet."""


class IndexMismatchError(RuntimeError):
    """The index on disk was built with another embedding model (or format)."""


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


def _write_json_atomic(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    os.replace(tmp, path)


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


def chroma_client(settings: Settings):
    """Embedded persistent Chroma by default; a Chroma server when settings name a host."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class IndexStore:
    """Reads and writes one index directory (plus its Chroma collection)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.embedder = embedder
        self.root = settings.index_dir
        self._client = None
        self._collection = None
        self._loaded: dict[str, dict | None] = {}  # docstore files read by this instance

    # -- paths and metadata ---------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def manifest(self) -> dict | None:
        if not self.manifest_path.exists():
            return None
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def check_model(self) -> None:
        """Refuse an index built with another embedding model, saying how to rebuild."""
        m = self.manifest()
        if m is None or self.embedder is None:
            return
        if m.get("version") != MANIFEST_VERSION:
            raise IndexMismatchError(
                f"the index in {self.root} was written in format {m.get('version')}, this version reads "
                f"format {MANIFEST_VERSION}. Rebuild it: `gazette-assistant ingest --rebuild` (keeps every source)."
            )
        if m.get("embedding_model") != self.embedder.name or m.get("dim") != self.embedder.dim:
            raise IndexMismatchError(
                f"the index in {self.root} was built with embedding model {m.get('embedding_model')!r} "
                f"(dim {m.get('dim')}), but the current model is {self.embedder.name!r} (dim {self.embedder.dim}). "
                "Rebuild it: `gazette-assistant ingest --rebuild` (or set GAZETTE_EMBEDDING_MODEL back)."
            )

    @property
    def collection(self):
        if self._collection is None:
            self._client = chroma_client(self.settings)
            self._collection = self._client.get_or_create_collection(
                self.settings.collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
        return self._collection

    def docstore_path(self, source: str) -> Path:
        return self.root / "docstore" / f"{_safe_name(source)}.json"

    def load_source(self, source: str) -> dict | None:
        if source not in self._loaded:
            p = self.docstore_path(source)
            if not p.exists():  # an index written when long names were hashed from 150 bytes on
                p = self.root / "docstore" / f"{_hashed_name(source)}.json"
            self._loaded[source] = json.loads(p.read_text(encoding="utf-8")) if p.exists() else None
        return self._loaded[source]

    def sources(self) -> list[str]:
        m = self.manifest() or {}
        return sorted(m.get("sources", {}))

    def all_chunks(self, sources: list[str] | None = None) -> list[Chunk]:
        out: list[Chunk] = []
        for s in self.sources() if sources is None else sources:
            data = self.load_source(s) or {"chunks": []}
            out.extend(Chunk.model_validate(c) for c in data["chunks"])
        return out

    def doc_texts(self) -> dict[str, str]:
        """Document id -> printed text, for verbatim checks."""
        out: dict[str, str] = {}
        for s in self.sources():
            out.update((self.load_source(s) or {}).get("texts", {}))
        return out

    def documents(self) -> list[DocInfo]:
        """Every indexed document, with validity cross-checked against ingested lists (废止/继续有效)."""
        docs: list[DocInfo] = []
        listed: dict[str, str] = {}
        for s in self.sources():
            data = self.load_source(s) or {"docs": [], "chunks": []}
            docs.extend(DocInfo.model_validate(d) for d in data["docs"])
            for c in data["chunks"]:
                if (
                    c["kind"] == "list_entry"
                    and c["fields"].get("文号")
                    and c.get("status") in ("valid", "repealed")
                ):
                    listed[c["fields"]["文号"]] = c["status"]
        for d in docs:
            if d.doc_number in listed:
                d.status = listed[d.doc_number]  # type: ignore[assignment]
        return docs

    # -- writing ---------------------------------------------------------------------------
    def sync(
        self, parsed: list[SourceRecord], progress: Callable[[int], None] | None = None
    ) -> list[SyncStats]:
        """Bring the index in line with these sources (each replaces its previous version)."""
        assert self.embedder is not None, "syncing needs an embedder"
        self.check_model()
        col = self.collection
        plans = []
        for src in parsed:
            have = set(col.get(where={"source": src.name}, include=[])["ids"])
            want = {c.chunk_id: c for c in src.chunks}
            new = [c for cid, c in want.items() if cid not in have]
            plans.append((src, have, want, new))
        # embed everything first: a failure here leaves the index as it was
        vectors = {}
        for src, _, _, new in plans:
            if new:
                emb = self.embedder.embed_passages([c.embed_text() for c in new], show_progress=False)
                vectors[src.name] = np.asarray(emb, dtype=np.float32)
                if progress:
                    progress(len(new))
        stats = []
        batch = 1000
        for src, have, want, new in plans:
            if new:
                emb = vectors[src.name]
                for i in range(0, len(new), batch):
                    part = new[i : i + batch]
                    col.upsert(
                        ids=[c.chunk_id for c in part],
                        embeddings=emb[i : i + batch].tolist(),
                        metadatas=[{"source": c.source, "doc_id": c.doc_id, "kind": c.kind} for c in part],
                    )
            gone = sorted(have - set(want))
            for i in range(0, len(gone), batch):
                col.delete(ids=gone[i : i + batch])
            self._loaded.pop(src.name, None)
            _write_json_atomic(
                self.docstore_path(src.name),
                {
                    "source": src.name,
                    "sha256": src.sha256,
                    "docs": [d.model_dump(mode="json") for d in src.docs],
                    "chunks": [c.model_dump(mode="json") for c in src.chunks],
                    "texts": src.texts,
                },
            )
            stats.append(SyncStats(src.name, len(src.docs), len(new), len(want) - len(new), len(gone)))
        manifest = self.manifest() or {"sources": {}}
        for src in parsed:
            manifest["sources"][src.name] = {
                "sha256": src.sha256,
                "chunks": len(src.chunks),
                "path": str(src.path),
            }
        self._finish(manifest)
        return stats

    def remove(self, source: str) -> SyncStats:
        """Drop one source: its vectors, its docstore entry, its place in BM25 and the manifest."""
        manifest = self.manifest()
        if not manifest or source not in manifest["sources"]:
            raise KeyError(
                f"{source!r} is not in the index; indexed sources: {', '.join(self.sources()) or 'none'}"
            )
        ids = self.collection.get(where={"source": source}, include=[])["ids"]
        for i in range(0, len(ids), 1000):
            self.collection.delete(ids=ids[i : i + 1000])
        self.docstore_path(source).unlink(missing_ok=True)
        self._loaded.pop(source, None)
        del manifest["sources"][source]
        self._finish(manifest)
        return SyncStats(source, removed=len(ids))

    def _finish(self, manifest: dict, rebuild_keywords: bool = True) -> None:
        """Rebuild BM25 over every source (when chunks changed), then write the manifest last
        (it marks a complete index)."""
        if rebuild_keywords:
            self._write_bm25(sorted(manifest["sources"]))
        manifest.update(
            version=MANIFEST_VERSION,
            embedding_model=self.embedder.name if self.embedder else manifest.get("embedding_model"),
            dim=self.embedder.dim if self.embedder else manifest.get("dim"),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        _write_json_atomic(self.manifest_path, manifest)

    def _write_bm25(self, sources: list[str]) -> None:
        import bm25s

        chunks = self.all_chunks(sources)
        target = self.root / "bm25"
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix="bm25."))
        ids = [c.chunk_id for c in chunks]
        if chunks:
            retriever = bm25s.BM25()
            retriever.index([tokenize(c.embed_text()) or ["∅"] for c in chunks], show_progress=False)
            retriever.save(str(tmp / "bm25"))
        (tmp / "ids.json").write_text(json.dumps(ids), encoding="utf-8")
        old = self.root / f"bm25.old.{os.getpid()}"
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)

    # -- reading the keyword index -----------------------------------------------------------
    def keyword_index(self):
        """The BM25 index and the chunk id of each of its rows (None when the index is empty)."""
        import bm25s

        root = self.root / "bm25"
        ids: list[str] = json.loads((root / "ids.json").read_text(encoding="utf-8"))
        return ids, (bm25s.BM25.load(str(root / "bm25")) if ids else None)


def index_manifest(settings: Settings) -> dict | None:
    """The manifest of the index the settings name (model, sources, build time), or None when
    there is none yet; reads one small file, loads no model."""
    try:
        return IndexStore(settings).manifest()
    except (OSError, ValueError):
        return None
