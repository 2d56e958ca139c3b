"""What outside users rely on keeps working across the restructuring: the package's public
names, the installed command and its flags, the on-disk index layout, the settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import assistant
from assistant import Assistant
from ingest import run_ingest
from tests.conftest import GAZETTE

CLI = Path(sys.executable).parent / "gazette-assistant"


def test_public_names_import_from_the_package_root():
    for name in assistant.__all__:
        assert getattr(assistant, name) is not None, name
    assert Assistant.load and Assistant.ask and Assistant.stream


def test_installed_command_keeps_every_subcommand_and_flag():
    def help_of(*args: str) -> str:
        out = subprocess.run([str(CLI), *args, "--help"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    top = help_of()
    for cmd in ("ingest", "docs", "ask", "eval"):
        assert cmd in top
    flags = {
        "ingest": ("--rebuild", "--remove", "--if-needed", "--quiet", "--report"),
        "docs": ("--json",),
        "ask": ("--json", "--batch", "--out"),
        "eval": (
            "--dataset",
            "--out",
            "--mode",
            "--baseline",
            "--no-naive",
            "--limit",
            "--perturb",
            "--seed",
            "--issue",
        ),
    }
    for cmd, names in flags.items():
        text = help_of(cmd)
        for flag in names:
            assert flag in text, f"{cmd} lost {flag}"


def test_index_layout_is_what_earlier_releases_wrote(settings, fake_embedder):
    """An index on disk from before keeps opening: same files, same manifest and docstore keys."""
    run_ingest(settings, fake_embedder, [GAZETTE])
    root = settings.index_dir
    assert sorted(p.name for p in root.iterdir()) == ["bm25", "chroma", "docstore", "manifest.json"]
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) == {"sources", "version", "embedding_model", "dim", "built_at"}
    assert (
        manifest["version"] == 4
    )  # 2: column roles; 3: article-style texts; 4: page numbers, headerless tables
    assert set(manifest["sources"][GAZETTE.name]) == {"sha256", "chunks", "path"}
    store = json.loads((root / "docstore" / f"{GAZETTE.name}.json").read_text(encoding="utf-8"))
    assert set(store) == {"source", "sha256", "docs", "chunks", "texts"}
    assert (root / "bm25" / "ids.json").is_file() and (root / "bm25" / "bm25").is_dir()


def test_an_index_of_the_earlier_format_is_refused_with_the_rebuild_command(settings, fake_embedder):
    """An earlier format (3: before page numbers and headerless tables) is not read: reading it says how to rebuild, and
    `ingest --if-needed` (what `make run` does) rebuilds it with every source."""
    import pytest

    from assistant import IndexMismatchError
    from assistant.retrieval import Retriever
    from ingest import index_outdated, up_to_date

    run_ingest(settings, fake_embedder, [GAZETTE])
    path = settings.index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "version": 3}), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="gazette-assistant ingest --rebuild"):
        Retriever(settings, fake_embedder)
    assert index_outdated(settings) and not up_to_date(settings, [GAZETTE])
    run_ingest(settings, fake_embedder, [GAZETTE], rebuild=True)
    assert not index_outdated(settings) and Retriever(settings, fake_embedder).chunks
