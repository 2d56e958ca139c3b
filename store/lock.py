"""One writer per index: an flock'd lease file that records its holder (pid, host, since, command).

The kernel releases an flock when its holder dies, so a writer killed with -9 never leaves the
index locked; the record it wrote stays behind and is simply overwritten by the next writer.
A second writer fails at once with ``IndexBusyError`` naming the holder. The lease is
re-entrant within one process (``run_ingest`` holds it around ``IndexStore.sync``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from store.errors import IndexWriteError, explain


class IndexBusyError(RuntimeError):
    """Another process is writing this index."""


_held: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth) held by this process
_guard = threading.RLock()


def _holder_text(path: Path) -> str:
    try:
        rec = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        rec = {}
    if not rec:
        return "another process (no holder record yet)"
    alive = ""
    if rec.get("host") == socket.gethostname() and isinstance(rec.get("pid"), int):
        try:
            os.kill(rec["pid"], 0)
        except ProcessLookupError:
            alive = " — that process is gone; the lock is held through a file system that keeps stale locks"
        except PermissionError:
            pass
    return (
        f"pid {rec.get('pid')} on {rec.get('host')} since {rec.get('since')}"
        f" ({rec.get('command', '?')}){alive}"
    )


@contextlib.contextmanager
def writer_lease(path: Path) -> Iterator[None]:
    """Hold the writer lease at ``path`` for the block; ``IndexBusyError`` when another holds it."""
    key = f"{path}|{threading.get_ident()}"  # re-entrant per thread; another thread is another writer
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
        else:
            _held[key] = (_acquire(path), 1)
    try:
        yield
    finally:
        with _guard:
            fd, depth = _held[key]
            if depth > 1:
                _held[key] = (fd, depth - 1)
            else:
                del _held[key]
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)


def _acquire(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:  # a read-only or full data dir
        raise IndexWriteError(explain(e, path.parent.parent)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise IndexBusyError(
                f"another ingest is writing the index in {path.parent.parent}: {_holder_text(path)}. "
                "Wait for it to finish; nothing was changed."
            ) from None
        raise IndexWriteError(explain(e, path.parent.parent)) from None
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(sys.argv)[:300],
    }
    with contextlib.suppress(OSError):  # the record only informs; a full disk must not stop here
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)
    return fd
