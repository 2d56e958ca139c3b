"""Named write steps, and a hook that fails one of them on purpose (for the hostile-input tests).

Every step of a write calls ``checkpoint(step)``. Normally that does nothing. With
``GAZETTE_FAULT_AT=step`` (or ``step:exit``, ``step:raise``, ``step:enospc``) in the
environment, or a callable in ``HOOK``, the writer dies there: ``exit`` is ``os._exit(137)``
(what ``kill -9`` leaves), ``raise`` an exception, ``enospc`` the error a full disk gives. Tests
run the writer in a subprocess and check the previous generation still serves.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

# The write steps in order (tests iterate over them; keep in sync with the calls in store/).
STEPS = (
    "lock",  # the writer lease is held
    "embed",  # new texts embedded (nothing written yet)
    "pending",  # the list of vectors about to be added is recorded
    "upsert",  # vectors added to Chroma (invisible: no generation names them yet)
    "docstore",  # the new generation's docstore files written
    "keywords",  # its keyword index written
    "manifest",  # its manifest written: the generation is complete
    "pointer",  # the pointer names it: readers switch
    "audit",  # the audit log has the entry
    "cleanup",  # generations past retention dropped
)

HOOK: Callable[[str], None] | None = None


class InjectedFault(RuntimeError):
    """Raised by ``checkpoint`` when a test asked for a failure at that step."""


def checkpoint(step: str) -> None:
    if HOOK is not None:
        HOOK(step)
    want = os.environ.get("GAZETTE_FAULT_AT")
    if not want:
        return
    name, _, mode = want.partition(":")
    if name != step:
        return
    if mode in ("", "exit"):
        os._exit(137)
    if mode == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"<injected at {step}>")
    raise InjectedFault(f"fault injected at step {step!r}")
