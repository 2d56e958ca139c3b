"""Chroma clients: embedded (one folder shared by every generation) or a Chroma server.

Each call opens its own client. The embedded client caches one in-memory vector index per
folder and process, and that cache does not see what another process added afterwards; a reader
that follows a new generation therefore needs a client of its own, opened after the switch.
A folder this process may not write (a read-only data dir) is opened from a private copy,
since embedded Chroma cannot open its database read-only.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from core.settings import Settings


class IndexUnavailableError(RuntimeError):
    """The vector store cannot be reached or opened (a Chroma server down, a damaged folder)."""


def _writable(path: Path) -> bool:
    db = path / "chroma.sqlite3"
    return os.access(path, os.W_OK) and (not db.exists() or os.access(db, os.W_OK))


def _private_copy(path: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="gazette-chroma-ro."))
    atexit.register(shutil.rmtree, tmp, True)
    shutil.copytree(path, tmp / "chroma", symlinks=True)
    return tmp / "chroma"


def open_client(settings: Settings, path: Path | None, create: bool = False):
    """A Chroma client: the server the settings name, else the embedded folder ``path``."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        except Exception as e:  # chromadb raises ValueError, httpx errors, … for a server that is down
            raise IndexUnavailableError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}). "
                "Start it, or unset GAZETTE_CHROMA_HOST to use the embedded store."
            ) from None
    assert path is not None
    if create:
        path.mkdir(parents=True, exist_ok=True)
    elif not path.is_dir():
        raise IndexUnavailableError(f"the index has no vector folder at {path}; rebuild it")
    elif not _writable(path):
        path = _private_copy(path)
    key = str(path)
    with SharedSystemClient._refcount_lock:  # a client of our own, not the process-wide cached one
        SharedSystemClient._identifier_to_system.pop(key, None)
    try:
        return chromadb.PersistentClient(path=key, settings=chroma_settings)
    except Exception as e:
        raise IndexUnavailableError(f"cannot open the vector store in {path}: {e}") from None
