"""A writer in a process of its own, for the hostile-input tests (killed, failed, raced).

    python -m tests.hostile_writer DATA_DIR ingest|rebuild PATH ... | remove SOURCE

Uses the fake keyword embedder. Prints one line: ``ok`` or ``error: …`` (exit 1); a fault that
the environment asks for (``GAZETTE_FAULT_AT``) may end it earlier.
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.settings import Settings
from ingest.pipeline import remove_source, run_ingest
from store.index import IndexBusyError, IndexUnavailableError, IndexWriteError
from tests.conftest import KeywordEmbedder


def main(argv: list[str]) -> int:
    settings = Settings(data_dir=Path(argv[0]), _env_file=None)
    op, args = argv[1], argv[2:]
    try:
        if op == "remove":
            remove_source(settings, KeywordEmbedder(), args[0])
        else:
            run_ingest(settings, KeywordEmbedder(), [Path(a) for a in args], rebuild=op == "rebuild")
    except (IndexBusyError, IndexWriteError, IndexUnavailableError) as e:
        print(f"error: {e}", flush=True)
        return 1
    print("ok", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
