"""Errors of writing the index, each with a message that says what happened and what still serves."""

from __future__ import annotations

import errno


class IndexWriteError(RuntimeError):
    """The index could not be written (disk full, read-only, no permission); nothing changed."""


def explain(e: OSError, data_dir, switched: bool = False) -> str:
    where = f"the index in {data_dir}"
    after = (
        "the new generation is serving, but this step after the switch failed"
        if switched
        else "the index was not changed: the previous generation still serves"
    )
    if e.errno == errno.ENOSPC:
        return (
            f"the disk holding {data_dir} is full ({e.strerror}); {after}. Free some space and run it again."
        )
    if e.errno == errno.EROFS:
        return f"{data_dir} is on a read-only file system; {after}. Reading works; writing needs a writable data dir."
    if e.errno in (errno.EACCES, errno.EPERM):
        return f"no permission to write {where} ({e.filename or data_dir}); {after}."
    return f"could not write {where}: {e}; {after}."
