"""The index in generations: one writer, copy-on-write generations switched by one pointer,
retention, the audit log, live readers and a read-only data dir (real embedded Chroma)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.retrieval import Retriever
from ingest.pipeline import remove_source, run_ingest
from store.index import IndexBusyError, IndexStore
from store.layout import Layout
from tests.conftest import GAZETTE, REPO_ROOT, KeywordEmbedder

FIXTURES = Path(__file__).parent / "fixtures"
SYNTH = FIXTURES / "synthetic-2024-06.txt"


def current(settings) -> str | None:
    return Layout(settings.data_dir).current()


def vectors_cover_generation(settings) -> None:
    """Every chunk of the serving generation has its vector, and the keyword index lists them."""
    store = IndexStore(settings)
    ids = [c.chunk_id for c in store.all_chunks()]
    assert ids, "the serving generation has chunks"
    got = store.collection.get(ids=ids, include=[])["ids"]
    assert sorted(got) == sorted(ids)
    assert sorted(store.keyword_index()[0]) == sorted(ids)


class TestOneWriter:
    def test_a_second_writer_is_refused_naming_the_holder(self, settings, fake_embedder):
        run_ingest(settings, fake_embedder, [GAZETTE])
        lock = Layout(settings.data_dir).lock
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, time; from pathlib import Path; from store.lock import writer_lease\n"
                "with writer_lease(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
                str(lock),
            ],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "held"
            before = current(settings)
            with pytest.raises(IndexBusyError, match=rf"pid {holder.pid} on .* since "):
                run_ingest(settings, fake_embedder, [SYNTH])
            with pytest.raises(IndexBusyError, match="nothing was changed"):
                remove_source(settings, fake_embedder, GAZETTE.name)
            assert current(settings) == before
        finally:
            holder.kill()
            holder.wait()
        # the kernel dropped the dead holder's lock: the next writer goes ahead
        run_ingest(settings, fake_embedder, [SYNTH])
        assert IndexStore(settings).sources() == [GAZETTE.name, SYNTH.name]

    def test_two_threads_of_one_process_are_two_writers(self, settings, fake_embedder):
        store = IndexStore(settings, fake_embedder)
        import threading

        errors: list[Exception] = []
        with store.writing():

            def other():
                try:
                    run_ingest(settings, KeywordEmbedder(), [SYNTH])
                except IndexBusyError as e:
                    errors.append(e)

            t = threading.Thread(target=other)
            t.start()
            t.join()
        assert len(errors) == 1 and f"pid {os.getpid()}" in str(errors[0])


class TestGenerations:
    def test_each_write_is_a_new_generation_and_the_pointer_names_it(self, settings, fake_embedder):
        run_ingest(settings, fake_embedder, [GAZETTE])
        first = current(settings)
        assert settings.index_dir.is_symlink() and (settings.index_dir / "manifest.json").is_file()
        run_ingest(settings, fake_embedder, [SYNTH])
        second = current(settings)
        assert second != first
        layout = Layout(settings.data_dir)
        # the unchanged source's docstore file is shared (a hard link), not written again
        a = layout.gen_dir(first) / "docstore" / f"{GAZETTE.name}.json"
        b = layout.gen_dir(second) / "docstore" / f"{GAZETTE.name}.json"
        assert a.stat().st_ino == b.stat().st_ino
        vectors_cover_generation(settings)

    def test_unchanged_reingest_writes_no_generation_and_embeds_nothing(self, settings, fake_embedder):
        run_ingest(settings, fake_embedder, [GAZETTE])
        gen = current(settings)
        fake_embedder.embedded.clear()
        stats = run_ingest(settings, fake_embedder, [GAZETTE])
        assert stats[0].added == 0 and fake_embedder.embedded == [] and current(settings) == gen

    def test_retention_drops_old_generations_and_only_their_vectors(self, settings, fake_embedder):
        run_ingest(settings, fake_embedder, [GAZETTE, SYNTH])
        n_synth = len(IndexStore(settings).load_source(SYNTH.name)["chunks"])
        total = IndexStore(settings).collection.count()
        remove_source(settings, fake_embedder, SYNTH.name)
        # the previous generation is kept (2 generations), and so are its vectors
        assert len(Layout(settings.data_dir).complete()) == 2
        assert IndexStore(settings).collection.count() == total
        text = GAZETTE.read_text(encoding="utf-8")
        edited = settings.data_dir.parent / GAZETTE.name
        edited.write_text(text.replace("(7)位于重要公路", "(7)位于重要的公路"), encoding="utf-8")
        run_ingest(settings, fake_embedder, [edited])
        layout = Layout(settings.data_dir)
        assert len(layout.complete()) == 2
        # the removed source's vectors went with the generation that had them; the edited
        # clause's old vector stays with the kept previous generation
        assert IndexStore(settings).collection.count() == total - n_synth + 1
        vectors_cover_generation(settings)

    def test_the_audit_log_has_every_write_with_the_input_digest(self, settings, fake_embedder):
        run_ingest(settings, fake_embedder, [GAZETTE])
        run_ingest(settings, fake_embedder, [GAZETTE])
        remove_source(settings, fake_embedder, GAZETTE.name)
        rows = [
            json.loads(x) for x in Layout(settings.data_dir).audit.read_text(encoding="utf-8").splitlines()
        ]
        assert [(r["action"], r["unchanged"]) for r in rows] == [
            ("ingest", False),
            ("ingest", True),
            ("remove", False),
        ]
        from ingest.sources import source_digest

        assert rows[0]["inputs"][0]["sha256"] == source_digest(GAZETTE)
        assert rows[2]["removed"] == [GAZETTE.name] and all(r["time"] and r["pid"] for r in rows)

    def test_rebuild_uses_a_new_collection_and_keeps_the_old_one_while_kept(self, settings, fake_embedder):
        run_ingest(settings, fake_embedder, [GAZETTE, SYNTH])
        old = IndexStore(settings).collection_name
        run_ingest(settings, fake_embedder, [], rebuild=True)
        store = IndexStore(settings)
        assert store.collection_name != old and store.sources() == [GAZETTE.name, SYNTH.name]
        vectors_cover_generation(settings)
        names = {c.name for c in store.client().list_collections()}
        assert old in names  # the previous generation (kept) still reads
        run_ingest(settings, fake_embedder, [FIXTURES / "issues" / "qingshi-2026-01" / "issue.txt"])
        names = {c.name for c in IndexStore(settings).client().list_collections()}
        assert old not in names

    def test_an_index_of_an_earlier_release_is_read_then_adopted(self, settings, fake_embedder):
        run_ingest(settings, fake_embedder, [GAZETTE])
        # make it look like an earlier release wrote it: index/ a real folder with chroma/ inside
        layout = Layout(settings.data_dir)
        gen = layout.gen_dir(current(settings))
        os.unlink(settings.index_dir)
        os.replace(gen, settings.index_dir)
        os.unlink(settings.index_dir / "chroma")
        os.replace(layout.chroma, settings.index_dir / "chroma")
        import shutil

        shutil.rmtree(layout.base)
        before = (
            Retriever(settings, fake_embedder).search("建筑施工噪声超标由哪个部门处罚？")[0].chunk.chunk_id
        )
        run_ingest(settings, fake_embedder, [SYNTH])
        assert settings.index_dir.is_symlink()
        assert IndexStore(settings).sources() == [GAZETTE.name, SYNTH.name]
        vectors_cover_generation(settings)
        after = (
            Retriever(settings, fake_embedder).search("建筑施工噪声超标由哪个部门处罚？")[0].chunk.chunk_id
        )
        assert after == before


class TestLiveReaders:
    def test_an_assistant_follows_a_new_generation_between_questions(self, settings, fake_embedder):
        run_ingest(settings, fake_embedder, [GAZETTE])
        bot = Assistant(settings, Retriever(settings, fake_embedder))
        question = "建筑施工噪声超标由哪个部门处罚？"
        first = bot.ask(question)
        assert not first.refused
        remove_source(settings, fake_embedder, GAZETTE.name)
        run_ingest(settings, fake_embedder, [SYNTH])
        second = bot.ask(question)
        assert {p.source for p in second.passages} <= {SYNTH.name}
        run_ingest(settings, fake_embedder, [GAZETTE])
        third = bot.ask(question)
        assert third.answer == first.answer

    def test_documents_and_chunks_follow_a_new_generation_too(self, settings, fake_embedder):
        run_ingest(settings, fake_embedder, [GAZETTE])
        bot = Assistant(settings, Retriever(settings, fake_embedder))
        before = {d.source for d in bot.documents()}
        run_ingest(settings, fake_embedder, [SYNTH])
        assert {d.source for d in bot.documents()} == before | {SYNTH.name}
        assert {c.source for c in bot.chunks()} == {GAZETTE.name, SYNTH.name}
        assert any(d.source == SYNTH.name for d in bot.documents())

    def test_a_retriever_keeps_its_generation_until_reopened(self, settings, fake_embedder):
        run_ingest(settings, fake_embedder, [GAZETTE])
        r = Retriever(settings, fake_embedder)
        assert r.reopened() is None
        run_ingest(settings, fake_embedder, [SYNTH])
        assert {c.source for c in r.chunks} == {GAZETTE.name}
        fresh = r.reopened()
        assert fresh is not None and {c.source for c in fresh.chunks} == {GAZETTE.name, SYNTH.name}
        # vectors the new generation added are not counted as this one's
        hits = r.search("建筑施工噪声超标由哪个部门处罚？")
        assert hits and all(h.chunk.source == GAZETTE.name for h in hits)


def test_reading_writes_nothing(settings, fake_embedder):
    run_ingest(settings, fake_embedder, [GAZETTE])
    time.sleep(0.05)

    def state():
        return {
            str(p): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(settings.data_dir.rglob("*"))
            if p.is_file() and not p.is_symlink()
        }

    before = state()
    Retriever(settings, fake_embedder).search("建筑施工噪声超标由哪个部门处罚？")
    IndexStore(settings).documents()
    changed = {k for k, v in state().items() if before.get(k) != v}
    assert not {k for k in changed if "chroma" not in k}
