"""Where generations live on disk, the pointer that names the serving one, and durable writes.

    DATA_DIR/index            -> .index/gens/g000007   (a symlink: the pointer, switched last)
    DATA_DIR/.index/gens/g000007/      manifest.json, docstore/<source>.json, bm25/, chroma -> ../../chroma
    DATA_DIR/.index/gens/g000007.json  the generation's record (collection, parent, time)
    DATA_DIR/.index/chroma/            embedded Chroma, shared by every generation
    DATA_DIR/.index/writer.lock        the writer lease;  DATA_DIR/.index/audit.log  one JSON line per write

Seen through the pointer, ``DATA_DIR/index`` has the layout earlier releases wrote, so a reader
that opens ``index/`` once (this one, or an older release) sees one complete generation. A
generation is complete when its manifest exists; the pointer is switched by ``os.replace`` of a
new symlink, so a reader sees the old generation or the new one, never a mixture. An index of an
earlier release (``index/`` a real folder) is read as it is and becomes generation 0 on the
first write. Docstore files of unchanged sources are hard links to the previous generation's.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

LEGACY = "g000000"  # what an index of an earlier release becomes
_GEN = re.compile(r"^g(\d{6,})$")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durable(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name[:200]}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def write_json(path: Path, data) -> None:
    write_durable(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def link_or_copy(src: Path, dst: Path) -> None:
    """Share an unchanged file with the next generation: a hard link (no bytes copied)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links
        shutil.copy2(src, dst)


class Layout:
    """The paths of one data dir's index (no I/O in the constructor)."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.pointer = data_dir / "index"
        self.base = data_dir / ".index"
        self.gens = self.base / "gens"
        self.chroma = self.base / "chroma"
        self.lock = self.base / "writer.lock"
        self.audit = self.base / "audit.log"
        self.pending = self.base / "pending.json"

    # -- reading -----------------------------------------------------------------------------
    def current(self) -> str | None:
        """The serving generation's name; ``LEGACY`` for an earlier release's folder; None: no index."""
        try:
            return Path(os.readlink(self.pointer)).name
        except FileNotFoundError:
            # only between the two renames that turn an earlier release's folder into a
            # generation: serve the newest complete one
            done = self.complete()
            return done[-1] if done else None
        except OSError:  # not a symlink
            return LEGACY if self.pointer.is_dir() else None

    def gen_dir(self, name: str | None) -> Path:
        if name is None or (name == LEGACY and self.pointer.is_dir() and not self.pointer.is_symlink()):
            return self.pointer
        return self.gens / name

    def record(self, name: str) -> dict:
        """The generation's record (its Chroma collection, parent, time); {} for an earlier release's."""
        try:
            return json.loads((self.gens / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def names(self) -> list[str]:
        """Every generation folder, oldest first (complete or not)."""
        if not self.gens.is_dir():
            return []
        found = [p.name for p in self.gens.iterdir() if p.is_dir() and _GEN.match(p.name)]
        return sorted(found, key=lambda n: int(n[1:]))

    def complete(self) -> list[str]:
        return [n for n in self.names() if (self.gens / n / "manifest.json").is_file()]

    def chroma_path(self, name: str | None) -> Path:
        """The embedded Chroma folder a generation's vectors are in (resolved, for its client)."""
        if self.chroma.is_dir():
            return self.chroma
        return Path(os.path.realpath(self.gen_dir(name) / "chroma"))

    # -- writing (under the writer lease) -----------------------------------------------------
    def next_name(self) -> str:
        used = [int(n[1:]) for n in self.names()]
        return f"g{max(used, default=0) + 1:06d}"

    def adopt_legacy(self) -> None:
        """Move an earlier release's Chroma folder where every generation shares it, leaving a
        link behind so that the old folder still reads as before."""
        old = self.pointer / "chroma"
        if self.pointer.is_symlink() or not old.is_dir() or old.is_symlink():
            return
        self.base.mkdir(parents=True, exist_ok=True)
        os.replace(old, self.chroma)
        os.symlink(os.path.join("..", ".index", "chroma"), old)

    def switch(self, name: str) -> None:
        """Name generation ``name`` in the pointer: one atomic rename of a new symlink."""
        if self.pointer.is_dir() and not self.pointer.is_symlink():  # an earlier release's folder
            legacy = self.gens / LEGACY
            os.replace(self.pointer, legacy)
            link = legacy / "chroma"
            if link.is_symlink():
                link.unlink()
                os.symlink(os.path.join("..", "..", "chroma"), link)
        tmp = self.data_dir / f".index.pointer.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(os.path.join(".index", "gens", name), tmp)
        os.replace(tmp, self.pointer)
        fsync_dir(self.data_dir)

    def drop(self, name: str) -> None:
        shutil.rmtree(self.gens / name, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.gens / f"{name}.json").unlink()
