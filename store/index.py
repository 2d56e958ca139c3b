"""The index: Chroma vectors, a docstore of chunks (the truth), BM25 and a manifest, in generations.

An ``IndexStore`` reads the generation the pointer named when it was opened, and only that one
(``store/layout.py``). Every write (``sync``, ``remove``, ``rebuild``) holds the writer lease
(``store/lock.py``) and builds a complete new generation beside the serving one: new vectors are
added to Chroma (none are changed or deleted, so the serving generation keeps all of its own),
changed sources get new docstore files, unchanged ones are hard links, the keyword index and the
manifest are written, and the pointer is switched last. A failure at any step leaves the
previous generation serving; ``store/generations.py`` cleans up after it and past retention.
Each source file is synced on its own: only new chunk ids are embedded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from core.embedding import Embedder
from core.keywords import bm25_index
from core.schema import Chunk, DocInfo
from core.settings import Settings
from store import generations, shared
from store.chroma import IndexUnavailableError, open_client
from store.errors import IndexWriteError
from store.faults import checkpoint
from store.layout import Layout, link_or_copy, write_json
from store.lock import IndexBusyError, writer_lease
from store.records import SourceRecord, SyncStats, _hashed_name, _safe_name

# 2: table rows carry column roles (ingest/roles.py); an index of version 1 is rebuilt
# 3: article-style texts are structured 第X章 › 第X条 › (一) (ingest/gazette.py); an index of
#    version 2 is rebuilt
# 4: page numbers blanked, pipe tables without a |---| line read as all data, a table inside a
#    numbered section filed under it (ingest/blocks.py, ingest/gazette.py); version 3 is rebuilt
MANIFEST_VERSION = 4

__all__ = [
    "MANIFEST_VERSION",
    "IndexBusyError",
    "IndexMismatchError",
    "IndexMissingError",
    "IndexStore",
    "IndexUnavailableError",
    "IndexWriteError",
    "SourceRecord",
    "SyncStats",
    "index_manifest",
]


class IndexMissingError(RuntimeError):
    """No index on disk yet."""


class IndexMismatchError(RuntimeError):
    """The index on disk was built with another embedding model (or format)."""


def chroma_client(settings: Settings, path: Path | None = None, create: bool = False):
    """Embedded persistent Chroma by default; a Chroma server when settings name a host."""
    return open_client(settings, path, create)


class IndexStore:
    """Reads one generation of an index directory (plus its Chroma collection); writes new ones."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.embedder = embedder
        self.layout = Layout(settings.data_dir)
        self._client = None
        if settings.chroma_host:  # the server's pointer names the generation (store/shared.py)
            name, token = shared.pointer(self)
            self.layout = shared.follow(self, name, token)
            # nothing on the server yet: a local index written before it was shared, if any
            self._open(name if name else self.layout.current())
        else:
            self._open(self.layout.current())

    def _open(self, generation: str | None) -> None:
        self.generation = generation
        self.root = self.layout.gen_dir(generation)
        self._collection = None
        self._loaded: dict[str, dict | None] = {}  # docstore files read by this instance
        self._manifest: dict | None = None

    def changed(self) -> bool:
        """True when the pointer names another generation than the one this store reads."""
        if self.settings.chroma_host:
            try:
                name = shared.pointer(self)[0]
            except Exception:  # the server is unreachable: keep serving this generation
                return False
            return name is not None and name != self.generation
        return self.layout.current() != self.generation

    # -- paths and metadata ---------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def manifest(self) -> dict | None:
        if self._manifest is None:
            if not self.manifest_path.exists():
                return None
            self._manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        return json.loads(json.dumps(self._manifest))  # callers may change their copy

    @property
    def collection_name(self) -> str:
        rec = self.layout.record(self.generation) if self.generation else {}
        return rec.get("collection") or self.settings.collection

    def check_model(self) -> None:
        """Refuse an index built with another embedding model, saying how to rebuild."""
        m = self.manifest()
        if m is None or self.embedder is None:
            return
        if m.get("version") != MANIFEST_VERSION:
            raise IndexMismatchError(
                f"the index in {self.settings.index_dir} was written in format {m.get('version')}, this version reads "
                f"format {MANIFEST_VERSION}. Rebuild it: `gazette-assistant ingest --rebuild` (keeps every source)."
            )
        if m.get("embedding_model") != self.embedder.name or m.get("dim") != self.embedder.dim:
            raise IndexMismatchError(
                f"the index in {self.settings.index_dir} was built with embedding model {m.get('embedding_model')!r} "
                f"(dim {m.get('dim')}), but the current model is {self.embedder.name!r} (dim {self.embedder.dim}). "
                "Rebuild it: `gazette-assistant ingest --rebuild` (or set GAZETTE_EMBEDDING_MODEL back)."
            )

    @property
    def collection(self):
        """This generation's Chroma collection (it may also hold vectors of other generations:
        ``dense_results`` says how many to ask for)."""
        if self._collection is None:
            writing = generations.is_writing(self)
            self.client()
            try:
                if writing:
                    self._collection = self._client.get_or_create_collection(
                        self.collection_name, metadata={"hnsw:space": "cosine"}, embedding_function=None
                    )
                else:
                    self._collection = self._client.get_collection(
                        self.collection_name, embedding_function=None
                    )
            except Exception as e:
                raise IndexUnavailableError(
                    f"cannot open the vector collection {self.collection_name!r} of the index in "
                    f"{self.settings.index_dir}: {type(e).__name__}: {e}"
                ) from None
        return self._collection

    def client(self):
        """The Chroma client (opened on first use; a writer's creates the shared folder)."""
        if self._client is None:
            writing = generations.is_writing(self)
            path = None
            if not self.settings.chroma_host:
                path = self.layout.chroma if writing else self.layout.chroma_path(self.generation)
            self._client = chroma_client(self.settings, path, create=writing)
        return self._client

    def dense_results(self, wanted: int, chunks: int) -> int:
        """How many nearest vectors to ask for so that ``wanted`` of them belong to this
        generation of ``chunks`` chunks (the collection also holds retained generations' vectors)."""
        total = self.collection.count()
        return max(1, min(total, wanted + max(0, total - chunks)))

    def docstore_path(self, source: str) -> Path:
        return self.root / "docstore" / f"{_safe_name(source)}.json"

    def _docstore_file(self, source: str) -> Path | None:
        p = self.docstore_path(source)
        if not p.exists():  # an index written when long names were hashed from 150 bytes on
            p = self.root / "docstore" / f"{_hashed_name(source)}.json"
        return p if p.exists() else None

    def load_source(self, source: str) -> dict | None:
        if source not in self._loaded:
            p = self._docstore_file(source)
            self._loaded[source] = json.loads(p.read_text(encoding="utf-8")) if p else None
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
    def writing(self):
        """The writer lease on this index (``IndexBusyError`` while another process holds it)."""
        return writer_lease(self.layout.lock)

    def sync(
        self,
        parsed: list[SourceRecord],
        progress: Callable[[int], None] | None = None,
        rebuild: bool = False,
    ) -> list[SyncStats]:
        """Bring the index in line with these sources (each replaces its previous version) in a
        new generation; with ``rebuild`` the new generation is exactly ``parsed``, every vector
        embedded again into a collection of its own (after a change of embedding model)."""
        assert self.embedder is not None, "syncing needs an embedder"
        with self.writing(), generations.writer(self):
            checkpoint("lock")
            if not rebuild:
                self.check_model()
            return generations.commit(self, parsed, [], progress, rebuild)

    def remove(self, source: str) -> SyncStats:
        """Drop one source (a new generation without it; its vectors go with retention)."""
        with self.writing(), generations.writer(self):
            checkpoint("lock")
            manifest = self.manifest()
            if not manifest or source not in manifest["sources"]:
                raise KeyError(
                    f"{source!r} is not in the index; indexed sources: {', '.join(self.sources()) or 'none'}"
                )
            removed = len((self.load_source(source) or {}).get("chunks", []))
            generations.commit(self, [], [source], None, False)
            return SyncStats(source, removed=removed)

    def _finish(self, manifest: dict) -> None:
        """Write the new generation's keyword index over every source, then its manifest
        (last: it marks the generation complete)."""
        self._write_bm25(sorted(manifest["sources"]))
        checkpoint("keywords")
        manifest.update(
            version=MANIFEST_VERSION,
            embedding_model=self.embedder.name if self.embedder else manifest.get("embedding_model"),
            dim=self.embedder.dim if self.embedder else manifest.get("dim"),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        write_json(self._staging / "manifest.json", manifest)
        checkpoint("manifest")

    def _write_bm25(self, sources: list[str]) -> None:
        chunks: list[Chunk] = []
        for s in sources:
            data = json.loads((self._staging / "docstore" / f"{_safe_name(s)}.json").read_text("utf-8"))
            chunks.extend(Chunk.model_validate(c) for c in data["chunks"])
        target = self._staging / "bm25"
        target.mkdir(parents=True, exist_ok=True)
        ids = [c.chunk_id for c in chunks]
        if chunks:
            bm25_index([c.embed_text() for c in chunks]).save(str(target / "bm25"))
        write_json(target / "ids.json", ids)

    def _carry(self, source: str, dest: Path) -> None:
        """Share an unchanged source's docstore file with the generation being written."""
        src = self._docstore_file(source)
        if src is None:
            raise IndexWriteError(f"the index lacks the docstore file of {source!r}; rebuild it")
        link_or_copy(src, dest)

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
    except (OSError, ValueError, IndexUnavailableError):
        return None
