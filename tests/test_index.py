"""The index: incremental per-source sync, removal, model checks, bad input, atomicity (real embedded Chroma)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest, up_to_date
from ingest.sources import IngestError
from store.index import IndexMismatchError, IndexStore
from tests.conftest import GAZETTE, KeywordEmbedder

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def gazette_copy(tmp_path: Path) -> Path:
    p = tmp_path / "in" / "changzhi-2024-05.txt"
    p.parent.mkdir()
    shutil.copy(GAZETTE, p)
    return p


def snapshot(settings) -> dict[str, bytes]:
    root = settings.index_dir
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "chroma" not in p.parts
    }


class TestSync:
    def test_cold_ingest_then_unchanged_embeds_nothing(self, settings, fake_embedder, gazette_copy):
        first = run_ingest(settings, fake_embedder, [gazette_copy])
        assert first[0].documents == 7 and first[0].added == len(fake_embedder.embedded) > 200
        fake_embedder.embedded.clear()
        again = run_ingest(settings, fake_embedder, [gazette_copy])
        assert again[0].added == 0 and again[0].removed == 0 and again[0].unchanged == first[0].added
        assert fake_embedder.embedded == []

    def test_keyword_index_covers_every_chunk_after_each_sync(self, settings, fake_embedder, gazette_copy):
        def bm25_ids():
            return json.loads((settings.index_dir / "bm25" / "ids.json").read_text())

        run_ingest(settings, fake_embedder, [gazette_copy])
        store = IndexStore(settings, fake_embedder)
        assert sorted(bm25_ids()) == sorted(c.chunk_id for c in store.all_chunks()) and len(bm25_ids()) > 200
        run_ingest(settings, fake_embedder, [FIXTURES / "synthetic-2024-06.txt"])
        assert len(bm25_ids()) == IndexStore(settings, fake_embedder).collection.count()

    def test_editing_one_clause_reembeds_exactly_one_chunk(self, settings, fake_embedder, gazette_copy):
        run_ingest(settings, fake_embedder, [gazette_copy])
        text = gazette_copy.read_text(encoding="utf-8")
        edited = text.replace(
            "(7)位于重要公路、铁路可视范围内的小型露天矿山;",
            "(7)位于重要公路、铁路、机场可视范围内的小型露天矿山;",
        )
        assert edited != text
        gazette_copy.write_text(edited, encoding="utf-8")
        fake_embedder.embedded.clear()
        stats = run_ingest(settings, fake_embedder, [gazette_copy])[0]
        assert (stats.added, stats.removed) == (1, 1)
        assert len(fake_embedder.embedded) == 1 and "机场" in fake_embedder.embedded[0]
        store = IndexStore(settings, fake_embedder)
        # the previous generation is kept (index_keep_generations=2), and so is its one vector
        assert store.collection.count() == stats.added + stats.unchanged + stats.removed

    def test_issues_accumulate_and_remove_drops_one(self, settings, fake_embedder, gazette_copy):
        run_ingest(settings, fake_embedder, [gazette_copy])
        run_ingest(settings, fake_embedder, [FIXTURES / "synthetic-2024-06.txt"])
        store = IndexStore(settings, fake_embedder)
        assert store.sources() == ["changzhi-2024-05.txt", "synthetic-2024-06.txt"]
        assert len(store.documents()) == 10
        n_synth = len(store.load_source("synthetic-2024-06.txt")["chunks"])
        before = store.collection.count()
        # keeping one generation only, its vectors go at once (tests/test_store_generations.py
        # checks that a kept previous generation keeps them)
        only_one = settings.model_copy(update={"index_keep_generations": 1})
        stats = IndexStore(only_one, fake_embedder).remove("synthetic-2024-06.txt")
        assert stats.removed == n_synth
        store = IndexStore(settings, fake_embedder)
        assert store.sources() == ["changzhi-2024-05.txt"]
        assert store.collection.count() == before - n_synth
        ids = json.loads((settings.index_dir / "bm25" / "ids.json").read_text())
        assert len(ids) == store.collection.count()

    def test_remove_unknown_source_is_a_clear_error(self, settings, fake_embedder, gazette_copy):
        run_ingest(settings, fake_embedder, [gazette_copy])
        with pytest.raises(KeyError, match="not in the index"):
            IndexStore(settings, fake_embedder).remove("nope.txt")

    def test_up_to_date_needs_no_model(self, settings, fake_embedder, gazette_copy):
        assert not up_to_date(settings, [gazette_copy])
        run_ingest(settings, fake_embedder, [gazette_copy])
        assert up_to_date(settings, [gazette_copy])
        gazette_copy.write_text(gazette_copy.read_text(encoding="utf-8") + "\n附言。\n", encoding="utf-8")
        assert not up_to_date(settings, [gazette_copy])

    def test_documents_status_from_the_lists(self, settings, fake_embedder, gazette_copy):
        run_ingest(settings, fake_embedder, [gazette_copy])
        docs = {d.id: d for d in IndexStore(settings).documents()}
        assert set(docs) >= {"长政发〔2024〕13号"}
        assert all(d.status == "valid" for d in docs.values())


def test_a_source_with_a_very_long_name_is_indexed(settings, fake_embedder, tmp_path):
    # some law titles pass the 255-byte file-name limit once used for the docstore file
    long_dir = tmp_path / "司法解释"
    long_dir.mkdir()
    law = long_dir / ("最高人民法院关于" + "审理某类案件具体应用法律若干问题" * 4 + "的解释(2004-09-03).md")
    law.write_text(
        "# 最高人民法院关于某问题的解释\n\n第一条 为正确审理案件，制定本解释。\n", encoding="utf-8"
    )
    stats = run_ingest(settings, fake_embedder, [law])[0]
    store = IndexStore(settings, fake_embedder)
    assert stats.added == 1 and len(store.all_chunks()) == 1
    assert all(len(p.name.encode()) < 255 for p in (settings.index_dir / "docstore").iterdir())


class TestModelMismatch:
    def test_index_built_with_another_model_is_refused(self, settings, fake_embedder, gazette_copy):
        run_ingest(settings, fake_embedder, [gazette_copy])

        class Other(KeywordEmbedder):
            name = "another-model"

        with pytest.raises(IndexMismatchError, match="ingest --rebuild"):
            run_ingest(settings, Other(), [gazette_copy])

    def test_rebuild_switches_model_and_keeps_sources(self, settings, fake_embedder, gazette_copy):
        run_ingest(settings, fake_embedder, [gazette_copy, FIXTURES / "synthetic-2024-06.txt"])

        class Other(KeywordEmbedder):
            name = "another-model"

        other = Other()
        run_ingest(settings, other, rebuild=True, paths=[gazette_copy])
        store = IndexStore(settings, other)
        store.check_model()
        assert store.manifest()["embedding_model"] == "another-model"
        assert store.sources() == ["changzhi-2024-05.txt", "synthetic-2024-06.txt"]
        assert store.collection.count() == sum(len(store.load_source(s)["chunks"]) for s in store.sources())


class TestBadInput:
    @pytest.mark.parametrize(
        "name,content,message",
        [
            ("empty.txt", b"", "empty"),
            ("blank.txt", b"  \n\n ", "empty"),
            ("binary.txt", b"\x00\x01\x02PK\x03\x04" * 50, "binary"),
            ("latin1.txt", "长治市".encode("gbk") * 10, "not UTF-8"),
            ("prose.txt", "这是一段没有任何公文结构的文字。\n\n第二段。\n".encode(), "no official document"),
            ("law.md", "没有标题的法律文件\n\n第一条 内容。\n".encode(), "no '# title'"),
        ],
    )
    def test_bad_file_is_named_and_index_untouched(
        self, settings, fake_embedder, gazette_copy, tmp_path, name, content, message
    ):
        run_ingest(settings, fake_embedder, [gazette_copy])
        before = snapshot(settings)
        count = IndexStore(settings, fake_embedder).collection.count()
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(IngestError, match=message) as exc:
            run_ingest(settings, fake_embedder, [gazette_copy, bad])
        assert str(bad) in str(exc.value) or name in str(exc.value)
        assert snapshot(settings) == before
        assert IndexStore(settings, fake_embedder).collection.count() == count

    def test_missing_path(self, settings, fake_embedder, tmp_path):
        with pytest.raises(IngestError, match="no such file"):
            run_ingest(settings, fake_embedder, [tmp_path / "absent.txt"])
        assert not (settings.index_dir / "manifest.json").exists()

    def test_embedding_failure_leaves_index_as_it_was(self, settings, fake_embedder, gazette_copy):
        run_ingest(settings, fake_embedder, [gazette_copy])
        before = snapshot(settings)

        class Broken(KeywordEmbedder):
            def embed_passages(self, texts, batch_size=32, show_progress=False):
                raise RuntimeError("model crashed")

        with pytest.raises(RuntimeError, match="model crashed"):
            run_ingest(settings, Broken(), [FIXTURES / "synthetic-2024-06.txt"])
        assert snapshot(settings) == before
