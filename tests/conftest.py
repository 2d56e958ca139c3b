"""Shared fixtures: settings pointed at a temp data dir, fakes, and the skip-or-fail rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.settings import REPO_ROOT, Settings

GAZETTE = REPO_ROOT / "data" / "gazettes" / "changzhi-2024-05.txt"
FIXTURE_ISSUES = REPO_ROOT / "tests" / "fixtures" / "issues"
# The seven documents of 长治市人民政府公报 2024·05 — a fact of that issue the tests about it pin.
# Tests that need exact counts build their own index from named files (never from the default
# folder), so adding an issue to data/gazettes breaks only tests about that issue.
SEVEN_DOCS = frozenset(
    {
        "长政发〔2024〕13号",
        "长政规〔2024〕2号",
        "长政办发〔2024〕27号",
        "长政办发〔2024〕28号",
        "长政办函〔2024〕25号",
        "长政办函〔2024〕27号",
        "长政办函〔2024〕28号",
    }
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(ok: bool, what: str) -> None:
    """Skip with a message when something a test needs is absent; under CI=true, fail instead."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"CI=true and a test needs something absent: {what}")
    pytest.skip(f"missing: {what}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose data directory is a fresh temp folder (every test its own index)."""
    return Settings(data_dir=tmp_path / "var", _env_file=None)


@pytest.fixture(scope="session")
def laws_dir() -> Path:
    path = Settings(_env_file=None).laws_dir
    require(path.is_dir(), f"law corpus at {path} (set GAZETTE_LAWS_DIR)")
    return path


class KeywordEmbedder:
    """A fake embedder whose vector counts hashed keyword tokens: similar words, similar vectors.

    Deterministic and fast, so ranking tests mean something without the real model.
    """

    name = "fake-keyword"
    dim = 256

    def __init__(self) -> None:
        self.embedded: list[str] = []  # every passage text embedded, in order

    def _vec(self, text: str):
        import zlib

        import numpy as np

        from core.keywords import tokenize

        v = np.zeros(self.dim, dtype=np.float32)
        for tok in tokenize(text):
            v[zlib.crc32(tok.encode()) % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_passages(self, texts, batch_size: int = 32, show_progress: bool = False):
        import numpy as np

        self.embedded.extend(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), dtype=np.float32)

    def embed_query(self, text: str):
        return self._vec(text)


@pytest.fixture
def fake_embedder() -> KeywordEmbedder:
    return KeywordEmbedder()


_INDEXES: dict[tuple[str, ...], Path] = {}


def built_index(root: Path, *paths: Path) -> Path:
    """The data dir of a real-embedder index of exactly ``paths``, built once per test process
    (under ``root`` the first time) and shared by every test that asks for the same files.
    Tests must not write to it; a test that changes an index builds its own."""
    key = tuple(sorted(str(p.resolve()) for p in paths))
    if key not in _INDEXES:
        from core.embedding import load_embedder
        from ingest import run_ingest

        settings = Settings(data_dir=root / "var", _env_file=None)
        run_ingest(settings, load_embedder(settings), list(paths))
        _INDEXES[key] = settings.data_dir
    return _INDEXES[key]


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory) -> Settings:
    """Settings of the shared real index of the bundled issue alone (read-only)."""
    data_dir = built_index(tmp_path_factory.mktemp("bundled-index"), GAZETTE)
    return Settings(data_dir=data_dir, _env_file=None)
