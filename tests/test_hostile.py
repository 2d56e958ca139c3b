"""Hostile conditions for the index store: a writer killed (kill -9 as ``os._exit``) or failing at
every write step, a full disk, a read-only data dir, two writers at once, readers while ingest,
--remove and --rebuild run. After each: the serving generation is whole (every chunk has its
vector and its keyword row), the previous one when the failure came before the switch, and the
next writer leaves no orphan vectors or half-written folders. The full matrix (every step of
every operation) is ``bench/hostile.py``."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.retrieval import Retriever
from ingest.pipeline import remove_source, run_ingest
from store import faults
from store.faults import STEPS, InjectedFault
from store.index import IndexStore, IndexWriteError
from store.layout import Layout
from tests.conftest import GAZETTE, REPO_ROOT
from tests.test_store_generations import vectors_cover_generation

SYNTH = Path(__file__).parent / "fixtures" / "synthetic-2024-06.txt"
QUESTION = "建筑施工噪声超标由哪个部门处罚？"


def writer(data_dir: Path, *args: str, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "ANONYMIZED_TELEMETRY": "False"}
    env.pop("GAZETTE_FAULT_AT", None)
    if fault:
        env["GAZETTE_FAULT_AT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "tests.hostile_writer", str(data_dir), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def serving(settings) -> tuple[str | None, list[str]]:
    return Layout(settings.data_dir).current(), IndexStore(settings).sources()


def no_leftovers(settings) -> None:
    """No pending vectors, no incomplete generation, and every vector belongs to a kept generation."""
    layout = Layout(settings.data_dir)
    assert not layout.pending.exists()
    assert layout.names() == layout.complete()
    client = IndexStore(settings).client()
    for col in client.list_collections():
        users = [
            n
            for n in layout.complete()
            if (layout.record(n).get("collection") or settings.collection) == col.name
        ]
        assert users, f"collection {col.name} belongs to no generation"
        used: set[str] = set()
        for n in users:
            store = IndexStore(settings)
            store._open(n)
            used |= {c.chunk_id for c in store.all_chunks()}
        have = set(client.get_collection(col.name).get(include=[])["ids"])
        assert have == used, f"{len(have - used)} orphan vectors, {len(used - have)} missing"


def answers(settings, fake_embedder) -> str:
    return Retriever(settings, fake_embedder).search(QUESTION)[0].chunk.chunk_id


CASES = (
    [("ingest", step) for step in STEPS]
    + [("remove", step) for step in ("upsert", "docstore", "keywords", "manifest", "pointer")]
    + [("rebuild", step) for step in ("upsert", "keywords", "manifest", "pointer", "cleanup")]
)


@pytest.mark.parametrize("op,step", CASES, ids=[f"{o}-{s}" for o, s in CASES])
def test_a_writer_killed_at_a_step_leaves_a_whole_index(settings, fake_embedder, op, step):
    run_ingest(settings, fake_embedder, [GAZETTE, SYNTH] if op != "ingest" else [GAZETTE])
    before = serving(settings)
    top = answers(settings, fake_embedder)
    args = {"ingest": ("ingest", str(SYNTH)), "remove": ("remove", SYNTH.name), "rebuild": ("rebuild",)}[op]
    done = writer(settings.data_dir, *args, fault=f"{step}:exit")
    assert done.returncode == 137, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    now = serving(settings)
    if STEPS.index(step) < STEPS.index("pointer"):
        assert now == before  # the previous generation still serves
    else:
        assert now[0] != before[0]
    vectors_cover_generation(settings)
    assert answers(settings, fake_embedder) == top
    # the next writer cleans up after the dead one and completes the change
    again = (
        writer(settings.data_dir, *args)
        if now == before
        else writer(settings.data_dir, "ingest", str(GAZETTE))
    )
    assert again.returncode == 0, again.stdout + again.stderr
    no_leftovers(settings)
    vectors_cover_generation(settings)


@pytest.mark.parametrize("step", STEPS[1:])
@pytest.mark.parametrize("mode", ["raise", "enospc"])
def test_an_error_at_a_step_leaves_a_whole_index(settings, fake_embedder, monkeypatch, step, mode):
    run_ingest(settings, fake_embedder, [GAZETTE])
    before = serving(settings)

    def fail(at: str) -> None:
        if at == step:
            if mode == "raise":
                raise InjectedFault(at)
            import errno

            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(faults, "HOOK", fail)
    expected = InjectedFault if mode == "raise" else IndexWriteError
    with pytest.raises(expected) as info:
        run_ingest(settings, fake_embedder, [SYNTH])
    if mode == "enospc":
        assert "full" in str(info.value)
        if STEPS.index(step) < STEPS.index("pointer"):
            assert "previous generation still serves" in str(info.value)
    monkeypatch.setattr(faults, "HOOK", None)
    if STEPS.index(step) < STEPS.index("pointer"):
        assert serving(settings) == before
    vectors_cover_generation(settings)
    run_ingest(settings, fake_embedder, [SYNTH])
    assert serving(settings)[1] == [GAZETTE.name, SYNTH.name]
    no_leftovers(settings)


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root (the enospc cases above simulate a full disk)")
    path.mkdir(parents=True, exist_ok=True)
    got = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if got.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {got.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_fails_with_a_message_and_the_index_still_serves(tmp_path, fake_embedder):
    from core.settings import Settings

    with tmpfs(tmp_path / "disk", "6m") as disk:
        settings = Settings(data_dir=disk / "var", _env_file=None)
        run_ingest(settings, fake_embedder, [GAZETTE])
        before = serving(settings)
        top = answers(settings, fake_embedder)
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\0" * max(0, free - 48 * 1024))
        with pytest.raises(IndexWriteError, match="full"):
            run_ingest(settings, fake_embedder, [SYNTH])
        assert serving(settings) == before
        assert answers(settings, fake_embedder) == top
        (disk / "filler").unlink()
        run_ingest(settings, fake_embedder, [SYNTH])
        assert serving(settings)[1] == [GAZETTE.name, SYNTH.name]
        no_leftovers(settings)
        vectors_cover_generation(settings)


def test_a_read_only_data_dir_is_read_and_refuses_writes_with_a_message(settings, fake_embedder, tmp_path):
    from core.settings import Settings

    run_ingest(settings, fake_embedder, [GAZETTE])
    top = answers(settings, fake_embedder)
    view = tmp_path / "ro-view"
    with tmpfs(tmp_path / "unused", "1m"):  # skips unless this process may mount
        view.mkdir()
        subprocess.run(["mount", "--bind", str(settings.data_dir), str(view)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
            ro = Settings(data_dir=view, _env_file=None)
            assert answers(ro, fake_embedder) == top
            assert IndexStore(ro).sources() == [GAZETTE.name]
            with pytest.raises(IndexWriteError, match="read-only"):
                run_ingest(ro, fake_embedder, [SYNTH])
            with pytest.raises(IndexWriteError, match="read-only"):
                remove_source(ro, fake_embedder, GAZETTE.name)
        finally:
            subprocess.run(["umount", "-l", str(view)], check=False)


def test_two_writers_at_once_lose_no_source(settings, fake_embedder, tmp_path):
    run_ingest(settings, fake_embedder, [GAZETTE])
    other = tmp_path / "other.txt"
    other.write_text(SYNTH.read_text(encoding="utf-8"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.hostile_writer", str(settings.data_dir), "ingest", str(p)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in (SYNTH, FIXTURE_ISSUE)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    said_ok = [
        src.name if src != FIXTURE_ISSUE else "issue.txt"
        for src, (o, _) in zip((SYNTH, FIXTURE_ISSUE), outs, strict=True)
        if o.strip() == "ok"
    ]
    for o, e in outs:
        assert "Traceback" not in e and (
            o.strip() == "ok" or o.startswith("error: another ingest is writing")
        )
    assert said_ok, "at least one writer finished"
    assert set(said_ok) <= set(IndexStore(settings).sources())
    vectors_cover_generation(settings)


FIXTURE_ISSUE = REPO_ROOT / "tests" / "fixtures" / "issues" / "qingshi-2026-01" / "issue.txt"


def test_readers_during_ingest_remove_and_rebuild_see_whole_generations(settings, fake_embedder):
    run_ingest(settings, fake_embedder, [GAZETTE])
    script = [("ingest", str(SYNTH)), ("remove", SYNTH.name), ("rebuild",), ("ingest", str(SYNTH))]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    cmd = " && ".join(
        " ".join([sys.executable, "-m", "tests.hostile_writer", str(settings.data_dir), *step])
        for step in script
    )
    proc = subprocess.Popen(["bash", "-c", cmd], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    seen, questions = set(), 0
    r = Retriever(settings, fake_embedder)
    while True:
        finished = proc.poll() is not None
        fresh = r.reopened()
        r = fresh or r
        seen.add(r.store.generation)
        assert sorted(r.keywords.ids) == sorted(r.by_id)
        hits = r.search(QUESTION)
        questions += 1
        assert hits and all(h.chunk.chunk_id in r.by_id for h in hits)
        if finished:
            break
        time.sleep(0.05)
    assert proc.returncode == 0 and proc.stdout.read().split() == ["ok"] * len(script)
    assert len(seen) >= 2 and questions >= 5
    vectors_cover_generation(settings)
