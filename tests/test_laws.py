"""The second input format: national-law Markdown from the law corpus (read from ../shared, never shipped)."""

from __future__ import annotations

import pytest

from ingest.pipeline import run_ingest
from ingest.sources import parse_source
from store.index import IndexStore
from tests.conftest import GAZETTE


@pytest.fixture(scope="module")
def noise_law(laws_dir):
    return parse_source(laws_dir / "行政法" / "噪声污染防治法(2021-12-24).md")


def test_article_82_with_its_four_items(noise_law):
    info = noise_law.docs[0].info
    assert info.title == "中华人民共和国噪声污染防治法"
    assert info.doc_number is None and info.kind == "law" and info.date == "2021-12-24"
    art = next(c for c in noise_law.chunks if c.section.endswith("第八十二条"))
    assert art.section == "《中华人民共和国噪声污染防治法》 › 第八章 法律责任 › 第八十二条"
    assert art.kind == "article"
    items = [line for line in art.text.split("\n") if line.startswith("（")]
    assert [i[:3] for i in items] == ["（一）", "（二）", "（三）", "（四）"]
    assert "第八十三条" not in art.text


def test_every_article_is_one_chunk(noise_law):
    arts = [c for c in noise_law.chunks if c.kind == "article"]
    numbers = [c.section.rsplit(" › ", 1)[1] for c in arts]
    assert len(numbers) == len(set(numbers)) == 90
    assert numbers[0] == "第一条" and numbers[-1] == "第九十条"


def test_file_without_articles_keeps_paragraphs(laws_dir):
    src = parse_source(laws_dir / "刑法" / "刑法修正案（十）.md")
    assert not any(c.kind == "article" for c in src.chunks)
    assert any("侮辱国歌" in c.text for c in src.chunks)
    assert all(c.kind == "paragraph" for c in src.chunks)
    assert not any("INFO END" in c.text or "第三十次会议通过" in c.text for c in src.chunks)


def test_law_and_gazette_share_one_index(settings, fake_embedder, noise_law, laws_dir):
    run_ingest(settings, fake_embedder, [GAZETTE, laws_dir / "行政法" / "噪声污染防治法(2021-12-24).md"])
    docs = {d.id: d for d in IndexStore(settings).documents()}
    law = docs["中华人民共和国噪声污染防治法(2021-12-24)"]
    assert law.status == "unknown" and law.doc_number is None and law.chunks == len(noise_law.chunks)
    assert "长政办发〔2024〕27号" in docs


def test_two_versions_of_one_law_stay_apart(laws_dir):
    old = parse_source(laws_dir / "经济法" / "矿产资源法(2009-08-27).md")
    new = parse_source(laws_dir / "经济法" / "矿产资源法(2024-11-08).md")
    assert old.docs[0].info.id != new.docs[0].info.id
    assert not {c.chunk_id for c in old.chunks} & {c.chunk_id for c in new.chunks}


def test_gazette_comes_first_unless_a_law_is_named(settings, fake_embedder, laws_dir):
    from assistant.fusion import names_a_law
    from assistant.retrieval import Retriever

    run_ingest(settings, fake_embedder, [GAZETTE, laws_dir / "行政法" / "噪声污染防治法(2021-12-24).md"])
    r = Retriever(settings, fake_embedder)
    # the noise law's own articles share every word with the 27号 table's rows
    question = "在噪声敏感建筑物集中区域使用高音广播喇叭的，由哪个部门处罚？"
    assert [h.chunk.doc_number for h in r.search(question)[:3]] == ["长政办发〔2024〕27号"] * 3
    equal = Retriever(settings.model_copy(update={"law_weight": 1.0}), fake_embedder)
    assert any(h.chunk.doc_number is None for h in equal.search(question)[:3])  # laws crowd in
    assert names_a_law("噪声污染防治法第八十二条怎么规定的？")
    assert not names_a_law("《青河市城市绿地养护管理办法》还有效吗？")  # a city's 办法, not a law
    assert names_a_law("中华人民共和国噪声污染防治法对夜间施工怎么说", r.law_titles)  # an indexed title
    assert names_a_law("噪声污染防治法对夜间施工怎么说", r.law_titles)  # …without 中华人民共和国
    assert not names_a_law("噪声污染防治法对夜间施工怎么说")
    hits = r.search("噪声污染防治法第八十二条怎么规定的？")
    assert any(h.chunk.doc_id.startswith("中华人民共和国噪声污染防治法") for h in hits[:3])


def test_laws_in_the_index_do_not_move_gazette_passages(tmp_path, fake_embedder, laws_dir):
    """With laws indexed, a question that names none ranks gazette passages as the gazette alone
    does (each kind ranked among its own) and weighs its words by the gazette's IDF, so refusal keeps
    its calibration; laws only add candidates at ``law_weight``."""
    from assistant.retrieval import Retriever
    from core.settings import Settings

    alone = Settings(data_dir=tmp_path / "alone", _env_file=None)
    both = Settings(data_dir=tmp_path / "both", _env_file=None)
    run_ingest(alone, fake_embedder, [GAZETTE])
    laws = ["行政法/噪声污染防治法(2021-12-24).md", "社会法/老年人权益保障法(2018-12-29).md"]
    run_ingest(both, fake_embedder, [GAZETTE, *(laws_dir / p for p in laws)])
    r_alone, r_both = Retriever(alone, fake_embedder), Retriever(both, fake_embedder)
    assert r_both.has_laws
    for question in (
        "夜里楼下装修声音太吵，归哪个部门处罚？",
        "老年人坐公交车要买票吗",
        "养老院的床位有补贴吗",
    ):
        gazette = [(h.chunk.chunk_id, round(h.coverage, 6)) for h in r_alone.search(question, top_k=40)][:5]
        mixed = [
            (h.chunk.chunk_id, round(h.coverage, 6))
            for h in r_both.search(question, top_k=40)
            if h.chunk.doc_id in r_both.gazette_docs
        ][:5]
        assert mixed == gazette, question
