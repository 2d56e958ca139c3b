"""Writing one generation, repairing after a writer that died, retention, and the audit log.

Called by ``IndexStore`` under the writer lease. The steps, each a ``checkpoint`` the
hostile-input tests can fail: embed every new text (nothing written yet); record the vector ids
about to be added (``pending.json``); add them to Chroma (no generation names them yet, and no
vector is changed or deleted); write the new generation's docstore (hard links for unchanged
sources), keyword index and manifest; switch the pointer; append to the audit log; drop
generations past ``index_keep_generations`` with the vectors only they used. The next writer
deletes what a dead one left: incomplete generation folders and vectors listed as pending that
no generation uses.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Callable

from core.embedding import embed_many
from store import shared
from store.errors import IndexWriteError, explain
from store.faults import checkpoint
from store.layout import LEGACY, fsync_dir, write_json
from store.records import SourceRecord, SyncStats, _safe_name

BATCH = 1000


def is_writing(store) -> bool:
    return getattr(store, "_writing", False)


@contextlib.contextmanager
def writer(store):
    """Write mode for ``store`` (under the lease): reopen the generation now serving, repair."""
    store._writing = True
    store._client = None  # a client that may create the shared Chroma folder
    try:
        with contextlib.ExitStack() as stack:
            try:
                store.layout.base.mkdir(parents=True, exist_ok=True)
                _repair(store)
                if store.settings.chroma_host:  # build on what the server serves, under its lease
                    stack.enter_context(shared.lease(store))
                    name, token = shared.pointer(store)
                    store.layout = shared.follow(store, name, token)
                    store._shared_parent = name
                    store._open(name if name else store.layout.current())
                else:
                    store._open(store.layout.current())
            except OSError as e:
                raise IndexWriteError(explain(e, store.settings.data_dir)) from None
            yield
    except OSError as e:  # before the switch: commit wraps its own after it
        raise IndexWriteError(explain(e, store.settings.data_dir)) from None
    except Exception as e:
        if not type(e).__module__.startswith(("chromadb", "httpx", "httpcore", "sqlite3")):
            raise
        text = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        if "full" in text.lower():
            raise IndexWriteError(explain(OSError(errno.ENOSPC, text), store.settings.data_dir)) from None
        raise IndexWriteError(
            f"the vector store failed while writing the index in {store.settings.data_dir} ({text}); "
            "the index was not changed: the previous generation still serves."
        ) from None
    finally:
        store._writing = False


def _repair(store) -> None:
    layout = store.layout
    if layout.current() == LEGACY and layout.pointer.is_dir() and not layout.pointer.is_symlink():
        if not store.settings.chroma_host:
            layout.adopt_legacy()
    elif not layout.pointer.exists() and not layout.pointer.is_symlink() and layout.complete():
        layout.switch(layout.complete()[-1])  # a writer died between the two renames of adopting
    cur = layout.current()
    shared_index = bool(store.settings.chroma_host)  # complete folders there may be fetched ones
    for name in layout.names():  # folders of writers that died before their switch
        newer = cur is None or int(name[1:]) > int(cur[1:])
        if name != cur and (name not in layout.complete() or (newer and not shared_index)):
            layout.drop(name)
    if layout.pending.exists():
        try:
            pending = json.loads(layout.pending.read_text(encoding="utf-8"))
        except ValueError:
            pending = {}
        if pending:
            _drop_unused(store, pending.get("collection", ""), pending.get("ids", []))
        layout.pending.unlink()


def _gen_ids(store, name: str, sources: set[str] | None = None) -> dict[str, set[str]]:
    """Source -> chunk ids of generation ``name`` (only ``sources`` when given)."""
    root = store.layout.gen_dir(name)
    out: dict[str, set[str]] = {}
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return out
    for s in manifest.get("sources", {}):
        if sources is not None and s not in sources:
            continue
        p = root / "docstore" / f"{_safe_name(s)}.json"
        with contextlib.suppress(OSError, ValueError):
            out[s] = {c["chunk_id"] for c in json.loads(p.read_text(encoding="utf-8"))["chunks"]}
    return out


def _collection_of(store, name: str) -> str:
    return store.layout.record(name).get("collection") or store.settings.collection


def _drop_unused(store, collection: str, ids: list[str]) -> None:
    """Delete the vectors ``ids`` of ``collection`` that no kept generation uses."""
    kept = [n for n in store.layout.complete() if _collection_of(store, n) == collection]
    client = store.client()
    if not kept:
        with contextlib.suppress(Exception):  # absent is fine
            client.delete_collection(collection)
        return
    used: set[str] = set()
    for n in kept:
        for got in _gen_ids(store, n).values():
            used |= got
    gone = sorted(set(ids) - used)
    if gone:
        col = client.get_or_create_collection(
            collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )
        for i in range(0, len(gone), BATCH):
            col.delete(ids=gone[i : i + BATCH])


def commit(
    store,
    parsed: list[SourceRecord],
    removed: list[str],
    progress: Callable[[int], None] | None,
    rebuild: bool,
) -> list[SyncStats]:
    """Write the next generation: the serving one's sources, ``parsed`` replacing theirs, without
    ``removed``. Returns one ``SyncStats`` per parsed source; writes nothing when nothing changed."""
    layout, settings = store.layout, store.settings
    prev = store.manifest() or {"sources": {}}
    sources = {} if rebuild else dict(prev.get("sources", {}))
    for s in removed:
        sources.pop(s, None)
    olds, entries = {}, {}
    for src in parsed:
        chunks = [] if rebuild else (store.load_source(src.name) or {}).get("chunks", [])
        olds[src.name] = {c["chunk_id"] for c in chunks}
        entries[src.name] = {"sha256": src.sha256, "chunks": len(src.chunks), "path": str(src.path)}
    # the serving generation has these very chunks (and, by how it was written, their vectors):
    # nothing to embed or write, and no need to open Chroma at all
    if (
        not rebuild
        and not removed
        and store.generation is not None
        and all(
            olds[src.name] == {c.chunk_id for c in src.chunks} and sources.get(src.name) == entries[src.name]
            for src in parsed
        )
    ):
        audit(store, "ingest", parsed, [], store.generation, unchanged=True)
        return [SyncStats(src.name, len(src.docs), 0, len(src.chunks), 0) for src in parsed]
    name = layout.next_name()
    collection = f"{settings.collection}-{name}" if rebuild else store.collection_name
    col = store.client().get_or_create_collection(
        collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
    )
    plans, stats = [], []
    for src in parsed:
        old, want = olds[src.name], {c.chunk_id: c for c in src.chunks}
        have = set() if rebuild else set(col.get(where={"source": src.name}, include=[])["ids"])
        new = [c for cid, c in want.items() if cid not in have]
        plans.append((src, new))
        stats.append(SyncStats(src.name, len(src.docs), len(new), len(want) - len(new), len(old - set(want))))
        sources[src.name] = entries[src.name]
    # embed everything first (a failure here leaves the index as it was), all sources in one
    # length-ordered pass, then the vectors split back by source
    pooled = embed_many(store.embedder, [c.embed_text() for _, new in plans for c in new], progress)
    vectors, at = {}, 0
    for src, new in plans:
        vectors[src.name] = pooled[at : at + len(new)]
        at += len(new)
    checkpoint("embed")
    write_json(
        layout.pending, {"collection": collection, "ids": [c.chunk_id for _, new in plans for c in new]}
    )
    checkpoint("pending")
    for src, new in plans:
        for i in range(0, len(new), BATCH):
            part = new[i : i + BATCH]
            col.add(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[src.name][i : i + BATCH].tolist(),
                metadatas=[{"source": c.source, "doc_id": c.doc_id, "kind": c.kind} for c in part],
            )
    checkpoint("upsert")
    staging = layout.gens / name
    staging.mkdir(parents=True)
    write_json(
        layout.gens / f"{name}.json",
        {
            "collection": collection,
            "parent": store.generation,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "token": uuid.uuid4().hex,
        },
    )
    by_name = {src.name: src for src in parsed}
    for s in sorted(sources):
        dest = staging / "docstore" / f"{_safe_name(s)}.json"
        src = by_name.get(s)
        if src is None:
            store._carry(s, dest)
            continue
        write_json(
            dest,
            {
                "source": src.name,
                "sha256": src.sha256,
                "docs": [d.model_dump(mode="json") for d in src.docs],
                "chunks": [c.model_dump(mode="json") for c in src.chunks],
                "texts": src.texts,
            },
        )
    if (staging / "docstore").is_dir():
        fsync_dir(staging / "docstore")
    checkpoint("docstore")
    if not settings.chroma_host:
        os.symlink(os.path.join("..", "..", "chroma"), staging / "chroma")
    store._staging = staging
    store._finish({"sources": sources})
    fsync_dir(staging)
    parent = store.generation
    if settings.chroma_host:
        try:
            shared.publish(store, name, store._shared_parent)
        except BaseException:
            layout.drop(name)  # never served: the number may name another writer's generation
            raise
    layout.switch(name)
    checkpoint("pointer")
    store._open(name)
    try:
        audit(
            store,
            "rebuild" if rebuild else "remove" if removed else "ingest",
            parsed,
            removed,
            name,
            parent=parent,
        )
        checkpoint("audit")
        cleanup(store)
        if settings.chroma_host:
            shared.prune(store)
        layout.pending.unlink(missing_ok=True)
        checkpoint("cleanup")
    except OSError as e:
        raise IndexWriteError(explain(e, settings.data_dir, switched=True)) from None
    return stats


def cleanup(store) -> None:
    """Drop complete generations past retention, with the vectors and collections only they used."""
    layout = store.layout
    cur = store.generation
    older = [n for n in layout.complete() if cur and int(n[1:]) < int(cur[1:])]
    drop = older[: max(0, len(older) - (store.settings.index_keep_generations - 1))]
    if not drop:
        return
    kept_files = set()  # docstore files (inodes) a kept generation still has: their ids stay
    for n in layout.complete():
        if n not in drop:
            kept_files |= {_inode(p) for p in (layout.gen_dir(n) / "docstore").glob("*.json")}
    dropped: dict[str, set[str]] = {}
    for n in drop:
        docstore = layout.gen_dir(n) / "docstore"
        only = {p.stem for p in docstore.glob("*.json") if _inode(p) not in kept_files}
        for s, ids in _gen_ids(store, n).items():
            if _safe_name(s) in only:
                dropped.setdefault(_collection_of(store, n), set()).update(ids)
    for n in drop:
        layout.drop(n)
    for collection, ids in dropped.items():
        _drop_unused(store, collection, sorted(ids))


def _inode(p) -> tuple[int, int]:
    st = p.stat()
    return st.st_dev, st.st_ino


def audit(store, action: str, parsed, removed, generation, parent=None, unchanged=False) -> None:
    """Append one line to the audit log: when, what, the sha256 of each input, which generation."""
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "action": action,
        "generation": generation,
        "parent": parent,
        "unchanged": unchanged,
        "inputs": [{"source": s.name, "path": str(s.path), "sha256": s.sha256} for s in parsed],
        "removed": list(removed),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "user": _user(),
    }
    with open(store.layout.audit, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
