"""An API replica in a process of its own, for the deployment test: real uvicorn serving
``create_app`` over the fake keyword embedder (the writer built the index with it).

    python -m tests.serve_replica DATA_DIR PORT

The Chroma server, the staff token hash and the rest come from the environment (GAZETTE_*).
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from assistant import Assistant
from assistant.retrieval import Retriever
from core.settings import Settings
from serve import create_app
from serve.telemetry import configure_logging
from tests.conftest import KeywordEmbedder


def main(argv: list[str]) -> int:
    settings = Settings(data_dir=Path(argv[0]), _env_file=None)
    bot = Assistant(settings, Retriever(settings, KeywordEmbedder()))
    configure_logging("warning")
    uvicorn.run(create_app(bot), host="127.0.0.1", port=int(argv[1]), log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
