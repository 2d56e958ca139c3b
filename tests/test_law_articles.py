"""Article lookup: the catalogue against an independent splitter on laws of different shapes,
questions in four name forms, editions, ambiguity, missing articles, and the path through the
Assistant (verbatim citations, follow-ups, the gazette unchanged)."""

from __future__ import annotations

import json

import pytest

from assistant.articles import ArticleDesk
from assistant.chat import Assistant
from assistant.lawrefs import find_refs, label_key
from assistant.retrieval import Retriever
from core.textnorm import fold
from ingest.catalogue import catalogue_entries, short_names
from ingest.pipeline import remove_source, run_ingest, up_to_date
from ingest.sources import parse_source
from store import articles as store_articles
from store.articles import catalogue_path, read_catalogue
from tests.conftest import GAZETTE
from tests.law_questions import editions_by_title, questions_for
from tests.law_splitter import split_law

# one file of each shape: chapters and items; 之一 articles, 编/章/节 and no date in the name;
# a code's book numbered from 一千零…; a zero-width mark before 第一条; a zero-width line inside
# an article; an interpretation with 一、 sections; a regulation whose formula lines end bare;
# a ministry's rules; two editions of one law
SHAPES = [
    "行政法/噪声污染防治法(2021-12-24).md",
    "刑法/刑法.md",
    "民法典/婚姻家庭编.md",
    "诉讼与非诉讼程序法/行政复议法(2023-09-01).md",
    "民法商法/公司法(2023-12-29).md",
    "司法解释/最高人民法院关于审理军队、武警部队、政法机关移交、撤销企业和与党政机关脱钩企业相关纠纷案件若干问题的规定(2020-12-29).md",
    "行政法规/企业所得税法实施条例(2019-04-23).md",
    "经济法/矿产资源法(2009-08-27).md",
    "经济法/矿产资源法(2024-11-08).md",
]


@pytest.fixture(scope="module")
def shapes(laws_dir):
    paths = [laws_dir / s for s in SHAPES]
    parsed = [parse_source(p) for p in paths]
    texts = [t for ts in catalogue_entries(parsed).values() for t in ts]
    return [split_law(p) for p in paths], texts, ArticleDesk(texts)


def test_catalogue_agrees_with_the_independent_splitter(shapes):
    gold, texts, _ = shapes
    by_source = {t.source: {label_key(label): body for label, body in t.articles} for t in texts}
    for law in gold:
        have = by_source[f"{law.path.parent.name}/{law.path.name}"]
        assert len(law.articles) > 5
        assert set(have) == {a.key for a in law.articles}, law.path.name
        for a in law.articles:
            assert fold(have[a.key]) == fold(a.text), (law.path.name, a.label)


def test_every_article_by_four_name_forms(shapes):
    gold, _, desk = shapes
    editions = editions_by_title(gold)
    asked = 0
    for law in gold:
        for turn, a in enumerate(law.articles):
            for q in questions_for(law, a, editions[law.title], turn):
                look = desk.lookup(q.text)
                assert look is not None and look.found, q.text
                f = look.found[0]
                assert (f.edition.title, f.edition.date, label_key(f.label)) == (
                    law.title,
                    law.edition,
                    a.key,
                ), q.text
                assert fold(f.text) == fold(a.text), q.text
                assert look.text.startswith(f.edition.name) or "版本" in look.text.split("\n")[0]
                asked += 1
    assert asked > 4 * 1000


def test_reference_forms():
    keys = [
        (r.key, r.para, r.item)
        for r in find_refs(
            fold("第四十三条、第43条、43条、第八十二条第二款、第八十二条第一项、第一百三十三条之一")
        )
    ]
    assert keys == [
        ((43, 0), None, None),
        ((43, 0), None, None),
        ((43, 0), None, None),
        ((82, 0), 2, None),
        ((82, 0), None, 1),
        ((133, 1), None, None),
    ]


def test_short_names_follow_general_rules():
    assert "劳动法" in short_names("中华人民共和国劳动法")
    assert "民事诉讼法解释" in short_names("最高人民法院关于适用《中华人民共和国民事诉讼法》的解释")
    assert "劳动争议解释（一）" in short_names("最高人民法院关于审理劳动争议案件适用法律问题的解释（一）")
    assert "宪法修正案" in short_names("中华人民共和国宪法修正案（2018年）")


def test_paragraph_and_item_follow_the_whole_article(shapes):
    _, _, desk = shapes
    look = desk.lookup("噪声污染防治法第八十二条第一项是什么")
    lines = look.text.split("\n")
    assert lines[0].endswith("第八十二条：") and lines[1].startswith("第八十二条")
    assert lines[-2] == "其中第一项：" and lines[-1].startswith("（一）")
    items = [line for line in lines[1:-2] if line.startswith("（")]
    assert [i[:3] for i in items] == ["（一）", "（二）", "（三）", "（四）"]
    second = desk.lookup("刑法第一百三十三条之一第二款")
    assert second.found[0].label == "第一百三十三条之一"
    assert second.text.split("\n")[-2] == "其中第二款："


def test_missing_article_says_how_many(shapes):
    _, _, desk = shapes
    look = desk.lookup("《中华人民共和国噪声污染防治法》第九十一条")
    assert not look.found and "共90条" in look.text and "没有第九十一条" in look.text


def test_editions_newest_asked_and_in_force(shapes):
    _, _, desk = shapes
    newest = desk.lookup("矿产资源法第三条")
    assert newest.found[0].edition.date == "2024-11-08"
    assert "2024年11月8日版" in newest.text.split("\n")[0]
    assert "2009年8月27日版中文字不同" in newest.text
    old = desk.lookup("2009年版矿产资源法第三条")
    assert old.found[0].edition.date == "2009-08-27"
    in_force = desk.lookup("矿产资源法第三条", as_of="2024-05-10")
    assert in_force.found[0].edition.date == "2009-08-27"
    after = desk.lookup("矿产资源法第三条", as_of="2025-01-01")
    assert after.found[0].edition.date == "2024-11-08"


def test_name_of_several_texts_asks_which(laws_dir):
    parsed = [parse_source(p) for p in sorted((laws_dir / "宪法").glob("宪法修正案*.md"))]
    desk = ArticleDesk([t for ts in catalogue_entries(parsed).values() for t in ts])
    look = desk.lookup("宪法修正案第三十二条")
    assert not look.found and "哪一部" in look.text and look.text.count("《") >= 2
    exact = desk.lookup("宪法修正案（2018年）第三十二条")
    assert exact.found and exact.found[0].edition.title.endswith("（2018年）")


def test_a_law_inside_a_documents_title_is_not_the_law(shapes):
    _, _, desk = shapes
    assert desk.lookup("关于贯彻噪声污染防治法的通知第三条") is None
    assert desk.lookup("噪声污染防治法实施细则第三条") is None  # another document, not indexed
    assert desk.lookup("噪声污染防治法规定第三条").found[0].label == "第三条"
    assert desk.lookup("噪声污染防治法有一条规定夜间施工") is None  # 一条 is not an article


@pytest.fixture
def law_index(settings, fake_embedder, laws_dir):
    files = [
        GAZETTE,
        laws_dir / "社会法" / "劳动法(2018-12-29).md",
        laws_dir / "社会法" / "就业促进法(2015-04-24).md",
        laws_dir / "行政法" / "噪声污染防治法(2021-12-24).md",
    ]
    run_ingest(settings, fake_embedder, files)
    return settings, Assistant(settings, Retriever(settings, fake_embedder))


def test_assistant_answers_the_named_laws_article_first_and_alone(law_index, laws_dir):
    _, bot = law_index
    gold = {a.key: a for a in split_law(laws_dir / "社会法" / "劳动法(2018-12-29).md").articles}
    for question in ["《中华人民共和国劳动法》第四十三条", "劳动法第43条是怎么规定的？", "请问劳动法43条"]:
        ans = bot.ask(question)
        assert not ans.refused and len(ans.citations) == 1, question
        c = ans.citations[0]
        assert c.doc_title == "中华人民共和国劳动法" and c.section.endswith("第四十三条")
        assert fold(c.quote) == fold(gold[(43, 0)].text)
        assert fold(c.quote) in bot.folded_docs["中华人民共和国劳动法(2018-12-29)"]
        assert ans.answer.startswith("《中华人民共和国劳动法》（2018年12月29日版）第四十三条")
    follow = bot.ask("那第四十四条呢？", history=[{"role": "user", "content": "劳动法第四十三条"}])
    assert follow.citations[0].section.endswith("第四十四条")
    topic = [{"role": "user", "content": "劳动法对加班有什么限制？"}]  # no article asked before
    assert "article lookup" not in bot.ask("那第四十四条呢？", history=topic).notes
    missing = bot.ask("劳动法第二百条")
    assert missing.refused and "共107条" in missing.answer


def test_gazette_questions_take_the_usual_path(law_index):
    _, bot = law_index
    ans = bot.ask("在噪声敏感建筑物集中区域使用高音广播喇叭的，由哪个部门处罚？")
    assert "article lookup" not in ans.notes
    assert ans.citations and ans.citations[0].doc_number is not None


def test_catalogue_follows_the_index(law_index, fake_embedder):
    settings, _ = law_index
    sources = read_catalogue(settings)
    assert set(sources) == {
        "社会法/劳动法(2018-12-29).md",
        "社会法/就业促进法(2015-04-24).md",
        "行政法/噪声污染防治法(2021-12-24).md",
    }
    remove_source(settings, fake_embedder, "社会法/就业促进法(2015-04-24).md")
    assert "社会法/就业促进法(2015-04-24).md" not in read_catalogue(settings)
    run_ingest(settings, fake_embedder, [], rebuild=True)
    assert set(read_catalogue(settings)) == set(sources) - {"社会法/就业促进法(2015-04-24).md"}


def test_a_failed_write_leaves_the_old_catalogue(law_index, monkeypatch):
    settings, _ = law_index
    before = catalogue_path(settings).read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store_articles.json, "dump", broken)
    with pytest.raises(OSError):
        store_articles.drop_from_catalogue(settings, "社会法/劳动法(2018-12-29).md")
    assert catalogue_path(settings).read_bytes() == before
    assert not list(catalogue_path(settings).parent.glob("*.tmp"))
    assert json.loads(before)["version"] == store_articles.CATALOGUE_VERSION


def test_a_gazette_citation_links_to_the_article_in_force(law_index):
    _, bot = law_index
    cited = [
        c
        for c in bot.chunks()
        if c.doc_number and "《中华人民共和国噪声污染防治法》" in c.section and find_refs(fold(c.section))
    ]
    assert cited  # the gazette's table cites the law article by article
    doc = bot.document(cited[0].doc_id)
    look = bot.law_article(cited[0].section, as_of=doc.date)
    ref = find_refs(fold(cited[0].section))[-1]
    assert look.found and label_key(look.found[0].label) == ref.key
    assert look.found[0].edition.title == "中华人民共和国噪声污染防治法"


def test_an_index_from_before_the_catalogue_gets_one_without_embedding(law_index, fake_embedder, laws_dir):
    settings, _ = law_index
    files = [GAZETTE, laws_dir / "社会法" / "劳动法(2018-12-29).md"]
    assert up_to_date(settings, files)
    catalogue_path(settings).unlink()
    assert not up_to_date(settings, files)  # laws indexed, no catalogue: a sync is due
    embedded = len(fake_embedder.embedded)
    run_ingest(settings, fake_embedder, files)
    assert len(fake_embedder.embedded) == embedded
    assert len(read_catalogue(settings)) == 3  # every indexed law, not only the inputs


# -- short forms no suffix rule derives (invented names: no real law's abbreviation is listed) --
INVENTED = [
    "中华人民共和国蓝莓种植推广法",
    "中华人民共和国蓝莓种植推广法实施条例",
    "中华人民共和国全国蓝莓协会和各地草莓协会代表选举法",
    "最高人民法院关于审理云杉木材买卖纠纷案件适用法律若干问题的解释",
    "最高人民法院关于审理云杉木材运输纠纷案件适用法律若干问题的解释",
    "最高人民法院关于审理涉及山地茶园承包纠纷案件适用法律问题的规定",
    "最高人民法院、最高人民检察院关于办理盗伐云杉刑事案件适用法律若干问题的解释",
    "最高人民法院关于适用《中华人民共和国蓝莓种植推广法》若干问题的规定（二）",
    "松针收购管理办法（试行）",
    "规划环境评价管理条例",
    "园林协会苗木收费办法",
    "最高人民法院关于适用《中华人民共和国蓝莓种植推广法》若干问题的规定（三）",
]


@pytest.fixture(scope="module")
def invented():
    texts = [
        store_articles.LawText(
            doc_id=f"d{i}",
            title=title,
            names=short_names(title),
            edition="2020-01-01",
            category="",
            source=f"x/{i}.md",
            articles=[(f"第{n}条", f"{title}的第{n}条正文。") for n in "一二三"],
        )
        for i, title in enumerate(INVENTED)
    ]
    return ArticleDesk(texts)


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("蓝种法第二条是怎么规定的", 0),  # a subsequence keeping the first character and 法
        ("请提供蓝种法实施条例第二条", 1),  # the type word decides: 条例, not the law
        ("我想查一下蓝莓推广法里面2条讲的是什么", 0),
        ("选举法的第二条", 2),  # a long name's head words
        ("云杉木材买卖司法解释第二条", 3),  # words the subject contains + 司法解释
        ("木材运输司法解释第2条", 4),
        ("茶园承包纠纷规定第二条", 5),
        ("盗伐云杉罪司法解释第二条", 6),  # 罪: a criminal case
        ("蓝种法司法解释二第二条", 7),  # the series mark after the type word
        ("松针收购管理办法第二条", 8),  # （试行） dropped
        ("蓝种法司法解释(三)第二条", 11),
    ],
)
def test_short_forms_by_general_rules(invented, question, title):
    look = invented.lookup(question)
    assert look is not None and look.found, question
    assert look.found[0].edition.title == INVENTED[title]
    assert look.found[0].label == "第二条"


@pytest.mark.parametrize(
    "question",
    [
        "种植推广法第二条",  # drops the first character, and is no head of a long name
        "中华人民共和国蓝莓推广法第二条",  # a full title not indexed names nothing
        "蓝莓法规第二条",  # 法 of 法规 ends no name
        "根据相关规定第二条",
        "市规划条例第二条",  # a prefix leaving more than it keeps: a longer name's first word
        "关于收费办法第二条",  # head words count for a law only
    ],
)
def test_what_is_no_short_form(invented, question):
    look = invented.lookup(question)
    assert look is None or not look.found, (question, look.text[:80])


def test_a_short_form_fitting_several_asks_which(invented):
    look = invented.lookup("云杉木材司法解释第二条")
    assert look is not None and not look.found and "哪一部" in look.text
    assert INVENTED[3] in look.text and INVENTED[4] in look.text


def test_no_series_mark_fits_every_member_of_a_series(invented):
    look = invented.lookup("蓝种法司法解释第二条")
    assert look is not None and not look.found and "哪一部" in look.text
    assert INVENTED[7] in look.text and INVENTED[11] in look.text


def test_a_gazette_passage_offers_the_articles_it_cites(law_index):
    """The source card's links: a formal citation in the text and a law's article named by the
    section path (a table listing articles row by row), whole, in the edition in force; a text
    or article the index does not hold gets no link."""
    _, bot = law_index
    row = next(
        c
        for c in bot.chunks()
        if c.doc_number and "《中华人民共和国噪声污染防治法》" in c.section and find_refs(fold(c.section))
    )
    as_of = bot.document(row.doc_id).date
    (label, look), *more = bot.law_citations(row.text, row.section, as_of)
    ref = find_refs(fold(row.section))[-1]
    assert not more and look.found[0].edition.title == "中华人民共和国噪声污染防治法"
    assert label_key(look.found[0].label) == ref.key and label.endswith(look.found[0].label)
    text = "依照《中华人民共和国劳动法》第四十三条、第四十四条和《中华人民共和国劳动法》第九百条，以及《某市物业管理条例》第三条办理。"
    links = bot.law_citations(text)
    assert [c for c, _ in links] == ["《中华人民共和国劳动法》第四十三条、第四十四条"]
    assert [label_key(f.label) for f in links[0][1].found] == [(43, 0), (44, 0)]
    assert bot.law_citations("本条没有引用任何法律。", "长政发〔2031〕4号 › 一、总体要求") == []
