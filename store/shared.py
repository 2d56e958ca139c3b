"""With a Chroma server, the whole index lives there: every replica serves the same generation.

The server holds, besides the vectors, a collection ``<collection>-store`` of records: each
docstore file once (``blob:<sha256>``, shared by every generation that has it), each
generation (``gen:<name>``: its manifest, its sources' blobs, its Chroma collection), the
pointer (``pointer``) and the writer lease (``lease``). A writer publishes its generation, checks
that the pointer still names the generation it started from (two machines may write one server),
and then moves the pointer. A replica reads the pointer and, when its local folder lacks that
generation, fetches it into the folder (the docstore files it does not have, and it builds the
keyword index from them) — so the local folder is a cache, and a replica with an empty one (or
a read-only one: then a temporary folder) serves the same answers as the writer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

from store.layout import Layout, link_or_copy, write_durable, write_json
from store.lock import IndexBusyError
from store.records import _safe_name

LEASE_TTL_S = 900  # a writer on another machine that died frees the lease after this
_DUMMY = [1.0]  # records carry no meaningful vector


def meta(store):
    return store.client().get_or_create_collection(
        f"{store.settings.collection}-store", metadata={"hnsw:space": "cosine"}, embedding_function=None
    )


def _get(col, ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(ids), 100):
        got = col.get(ids=ids[i : i + 100], include=["documents"])
        out.update(zip(got["ids"], got["documents"], strict=True))
    return out


def _put(col, key: str, text: str) -> None:
    col.upsert(ids=[key], documents=[text], embeddings=[_DUMMY], metadatas=[{"kind": key.split(":")[0]}])


def pointer(store) -> tuple[str | None, str]:
    """The generation the server's pointer names, and its token (unique per write)."""
    got = _get(meta(store), ["pointer"]).get("pointer")
    if not got:
        return None, ""
    rec = json.loads(got)
    return rec["generation"], rec.get("token", "")


def follow(store, name: str | None, token: str) -> Layout:
    """The layout whose folder holds generation ``name`` of the server (fetched if it lacks it).
    A local folder of that name from a writer that died before publishing has another token."""
    layout = store.layout
    if name is None:
        return layout
    if (layout.gens / name / "manifest.json").is_file() and layout.record(name).get("token") == token:
        return layout
    try:
        _fetch(store, layout, name)
    except OSError:  # a read-only data dir: a private folder instead
        layout = Layout(Path(tempfile.mkdtemp(prefix="gazette-replica.")))
        _fetch(store, layout, name)
    return layout


def _fetch(store, layout: Layout, name: str) -> None:
    col = meta(store)
    rec = json.loads(_get(col, [f"gen:{name}"])[f"gen:{name}"])
    tmp = layout.gens / f".{name}.{os.getpid()}.fetch"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "docstore").mkdir(parents=True)
    local = _local_blobs(layout)
    missing = [b for b in set(rec["sources"].values()) if b not in local]
    fetched = _get(col, missing)
    for source, blob in rec["sources"].items():
        dest = tmp / "docstore" / f"{_safe_name(source)}.json"
        if blob in local:
            link_or_copy(local[blob], dest)
        else:
            write_durable(dest, fetched[blob].encode("utf-8"))
    store._staging = tmp
    store._write_bm25(sorted(rec["manifest"]["sources"]))
    write_json(tmp / "manifest.json", rec["manifest"])
    stale = layout.gens / name
    if stale.is_dir() and layout.record(name).get("token") != rec["record"].get("token"):
        shutil.rmtree(stale, ignore_errors=True)  # a dead writer's unpublished folder
    write_json(layout.gens / f"{name}.json", rec["record"])
    try:
        os.rename(tmp, layout.gens / name)
    except OSError:  # another process of this machine fetched it first
        shutil.rmtree(tmp, ignore_errors=True)


def _local_blobs(layout: Layout) -> dict[str, object]:
    """Blob id -> a local docstore file with that content (newest complete generation only)."""
    done = layout.complete()
    if not done:
        return {}
    return {
        f"blob:{_digest(p.read_bytes())}": p for p in (layout.gens / done[-1] / "docstore").glob("*.json")
    }


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish(store, name: str, parent: str | None) -> None:
    """Put generation ``name`` on the server and move the pointer to it, unless another writer
    moved the pointer since ``parent`` was read (then nothing of this write is served)."""
    col = meta(store)
    root = store.layout.gens / name
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    sources, blobs = {}, {}
    for s in manifest["sources"]:
        data = (root / "docstore" / f"{_safe_name(s)}.json").read_bytes()
        sources[s] = f"blob:{_digest(data)}"
        blobs[sources[s]] = data
    have = set(_get(col, list(blobs)))
    for blob, data in blobs.items():
        if blob not in have:
            _put(col, blob, data.decode("utf-8"))
    _put(
        col,
        f"gen:{name}",
        json.dumps({"manifest": manifest, "sources": sources, "record": store.layout.record(name)}),
    )
    now, _ = pointer(store)
    if now != parent:
        raise IndexBusyError(
            f"another writer switched the shared index on the Chroma server to generation {now} while this "
            f"ingest built on {parent}; nothing of this ingest is served. Run it again."
        )
    token = store.layout.record(name).get("token", "")
    _put(
        col,
        "pointer",
        json.dumps({"generation": name, "token": token, "at": time.strftime("%Y-%m-%dT%H:%M:%S")}),
    )


@contextlib.contextmanager
def lease(store):
    """The writer lease on the server (a record with holder and expiry, checked after writing)."""
    col = meta(store)
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
    held = _get(col, ["lease"]).get("lease")
    if held:
        other = json.loads(held)
        mine = other.get("host") == me["host"] and other.get("pid") == me["pid"]
        stale = other.get("expires", 0) < time.time() or (
            other.get("host") == me["host"] and not _alive(other.get("pid"))
        )
        if not mine and not stale:
            raise IndexBusyError(
                f"another ingest is writing the shared index on the Chroma server: pid {other.get('pid')} on "
                f"{other.get('host')} since {other.get('since')}. Wait for it to finish; nothing was changed."
            )
    token = f"{me['host']}:{me['pid']}:{time.time()}"
    _put(col, "lease", json.dumps({**me, "token": token, "expires": time.time() + LEASE_TTL_S}))
    time.sleep(0.2)  # a writer that wrote its lease at the same moment: the later record wins
    if json.loads(_get(col, ["lease"])["lease"]).get("token") != token:
        raise IndexBusyError(
            "another ingest took the shared index's lease at the same moment; nothing was changed"
        )
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            if json.loads(_get(col, ["lease"]).get("lease", "{}")).get("token") == token:
                col.delete(ids=["lease"])


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, TypeError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def prune(store) -> None:
    """Delete the server's generation records past retention and the docstore blobs no kept
    generation has (vectors go with the local cleanup, which knows their chunk ids)."""
    col = meta(store)
    cur = store.generation
    got = col.get(where={"kind": "gen"}, include=["documents"])
    gens = {key[4:]: json.loads(doc) for key, doc in zip(got["ids"], got["documents"], strict=True)}
    older = sorted((n for n in gens if int(n[1:]) < int(cur[1:])), key=lambda n: int(n[1:]))
    keep = {cur, *older[len(older) - (store.settings.index_keep_generations - 1) :]}
    drop = [f"gen:{n}" for n in gens if n not in keep]  # past retention, or never served
    for i in range(0, len(drop), 100):
        col.delete(ids=drop[i : i + 100])
    used = {blob for n in keep if n in gens for blob in gens[n]["sources"].values()}
    gone = [b for b in col.get(where={"kind": "blob"}, include=[])["ids"] if b not in used]
    for i in range(0, len(gone), 100):
        col.delete(ids=gone[i : i + 100])
