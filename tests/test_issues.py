"""Many issues: documents without 文号, the contents table as a cross-check, the issue's identity
from its masthead, and one document in one source only. Checked on the fixture issues written
blind to the code (tests/fixtures/issues/, see each NOTES.md) and on damaged copies of the
bundled issue."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.retrieval import Retriever
from cli.main import main as cli_main
from core.settings import get_settings
from core.textnorm import fold
from eval.session import load_items
from ingest.gazette import parse_gazette
from ingest.pipeline import run_ingest
from ingest.sources import IngestError, ParsedSource, parse_source
from store.index import IndexStore
from tests.conftest import FIXTURE_ISSUES, GAZETTE, SEVEN_DOCS, KeywordEmbedder
from tests.test_index import snapshot

LINCHUAN = FIXTURE_ISSUES / "linchuan-2025"
ISSUE_02 = LINCHUAN / "issue-2025-02.txt"
ISSUE_04 = LINCHUAN / "issue-2025-04.txt"
QINGSHI = FIXTURE_ISSUES / "qingshi-2026-01" / "issue.txt"
NAMES = "临川市人民政府任免工作人员名单"

# (文号 or None, title, 落款 date, page in the 目录) in order of appearance, as each NOTES.md lists them
EXPECTED = {
    ISSUE_02: (
        "临川市人民政府公报 2025年第2期",
        [
            (
                "临政发〔2025〕3号",
                "临川市人民政府关于印发临川市老年人福利补贴实施方案的通知",
                "2025-02-26",
                1,
            ),
            (
                "临政规〔2025〕1号",
                "临川市人民政府关于印发《临川市居家养老服务站管理办法》的通知",
                "2025-03-12",
                7,
            ),
            (
                "临政办函〔2025〕5号",
                "临川市人民政府办公室关于建立临川市养老服务工作联席会议制度的函",
                "2025-03-05",
                12,
            ),
            (
                "临政办明电〔2025〕1号",
                "临川市人民政府办公室关于切实做好2025年清明节期间森林防火工作的紧急通知",
                "2025-03-27",
                14,
            ),
            (None, "临川市人民政府关于划定禁猎区和禁猎期的通告", "2025-02-20", 15),
            (None, NAMES, "2025-03-18", 17),
        ],
    ),
    ISSUE_04: (
        "临川市人民政府公报 2025年第4期",
        [
            (
                "临政办发〔2025〕9号",
                "临川市人民政府办公室关于印发临川市老年助餐服务提质扩面行动方案（2025—2027年）的通知",
                "2025-07-08",
                1,
            ),
            (
                "临政发〔2025〕14号",
                "临川市人民政府关于废止部分行政规范性文件和其他政策文件的决定",
                "2025-07-21",
                9,
            ),
            (
                "临政办发〔2025〕5号",
                "临川市人民政府办公室关于提高高龄津贴和失能老年人护理补贴标准的通知",
                "2025-06-23",
                12,
            ),
            (None, "临川市人民政府关于临江大桥封闭维修期间实施交通管制的通告", "2025-08-05", 15),
            (
                None,
                "《临川市人民政府办公室关于提高高龄津贴和失能老年人护理补贴标准的通知》政策解读",
                "2025-06-25",
                17,
            ),
            (None, NAMES, "2025-07-30", 19),
        ],
    ),
    QINGSHI: (
        "青石县人民政府公报 2026年第1期",
        [
            (
                "青政规〔2026〕1号",
                "青石县人民政府关于印发《青石县住宅区电动自行车停放充电安全管理实施细则》的通知",
                "2026-01-16",
                None,
            ),
            (
                "青政函〔2026〕3号",
                "青石县人民政府关于同意设立石桥镇柳湾社区居民委员会的批复",
                "2026-01-12",
                None,
            ),
            (None, "青石县人民政府关于公开征集2026年县级民生实事项目建议的公告", "2026-01-19", None),
            (
                "青政办发〔2026〕2号",
                "青石县人民政府办公室关于做好2026年度困难群众医疗救助工作的通知",
                "2026-01-07",
                None,
            ),
            (
                "青政办发〔2026〕6号",
                "青石县人民政府办公室关于印发青石县2026年城乡生活垃圾分类工作方案的通知",
                "2026-01-23",
                None,
            ),
        ],
    ),
}


@pytest.fixture(scope="module")
def parsed() -> dict[Path, ParsedSource]:
    return {path: parse_source(path) for path in EXPECTED}


def in_doc(src: ParsedSource, title: str, words: str) -> bool:
    d = next(d for d in src.docs if d.info.title == title)
    return fold(words) in fold(src.texts[d.info.id])


def without_contents(text: str, mark: str, first_title: str) -> str:
    """The issue with its 目录 cut out (from the mark to the first document's title)."""
    return text[: text.index(mark)] + text[text.index(first_title) :]


class TestFixtureIssues:
    @pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: f"{p.parent.name}/{p.name}")
    def test_every_document_with_its_number_title_date_and_page(self, parsed, path):
        issue, docs = EXPECTED[path]
        src = parsed[path]
        got = [(d.info.doc_number, d.info.title, d.info.date, d.info.page) for d in src.docs]
        assert got == docs
        assert {d.info.issue for d in src.docs} == {issue}

    @pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: f"{p.parent.name}/{p.name}")
    def test_every_chunk_is_quotable_from_its_own_document(self, parsed, path):
        src = parsed[path]
        folded = {k: fold(v) for k, v in src.texts.items()}
        assert len(folded) == len(src.docs)  # one printed text per document id
        for c in src.chunks:
            for piece in c.text.replace("\t", "\n").split("\n"):
                assert fold(piece) in folded[c.doc_id], (c.section, piece)

    def test_documents_without_number_are_named_by_title(self, parsed):
        src = parsed[ISSUE_02]
        notice = next(d.info for d in src.docs if d.info.title.endswith("的通告"))
        assert notice.doc_number is None and notice.display_name == f"《{notice.title}》"
        assert notice.title in notice.id and "2025-02-20" in notice.id and "issue-2025-02.txt" in notice.id
        chunks = [c for c in src.chunks if c.doc_id == notice.id]
        assert chunks and all(c.section.startswith(f"《{notice.title}》") for c in chunks)
        assert all(c.doc_number is None for c in chunks)

    def test_the_boundaries_fall_between_the_documents(self, parsed):
        two, four = parsed[ISSUE_02], parsed[ISSUE_04]
        # the 任免 list is not in the 通告 before it; the 通告's hotline is not in the 紧急通知
        assert in_doc(two, NAMES, "任命陈思远为临川市民政局副局长")
        assert not in_doc(two, "临川市人民政府关于划定禁猎区和禁猎期的通告", "任命陈思远")
        assert not in_doc(two, EXPECTED[ISSUE_02][1][3][1], "6133110")
        # the attached 办法 and 方案 stay with the notice that publishes them
        assert in_doc(two, EXPECTED[ISSUE_02][1][1][1], "第二十条　本办法自2025年5月1日起施行")
        assert in_doc(two, EXPECTED[ISSUE_02][1][0][1], "本方案自2025年3月1日起施行")
        # the 解读 cites two 文号 in its body but has none of its own, and its 落款 is a bureau
        reading = next(d.info for d in four.docs if d.info.title.endswith("政策解读"))
        assert reading.doc_number is None and reading.office == "临川市民政局"
        assert in_doc(four, reading.title, "12349") and not in_doc(four, reading.title, "唐海燕")

    def test_the_two_appointment_lists_are_two_documents(self, parsed):
        lists = [d.info for src in parsed.values() for d in src.docs if d.info.title == NAMES]
        assert [d.date for d in lists] == ["2025-03-18", "2025-07-30"]
        assert len({d.id for d in lists}) == 2

    @pytest.mark.parametrize(
        "path,mark,first",
        [
            (ISSUE_02, "## 目　录", "# 临川市人民政府 关于印发"),
            (ISSUE_04, "目　　录", "临川市人民政府办公室 关于印发临川市老年助餐"),
            (GAZETTE, "# 目 录", "# 长治市人民政府 关于印发长治市非煤"),
        ],
    )
    def test_without_contents_the_rules_alone_find_every_document(self, path, mark, first):
        text = without_contents(path.read_text(encoding="utf-8"), mark, first)
        docs = parse_gazette(text, path.name)
        expected = [n for n, *_ in EXPECTED[path][1]] if path in EXPECTED else None
        if expected is None:
            assert {d.info.doc_number for d in docs} == SEVEN_DOCS
        else:
            assert [d.info.doc_number for d in docs] == expected
            assert all(d.info.page is None for d in docs)


DAMAGED_LINE = "\n长政办函〔2024〕27号\n"


def bundled(replace: dict[str, str] | None = None) -> str:
    text = GAZETTE.read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new, 1)
    return text


class TestContentsCrossCheck:
    def test_a_damaged_number_line_still_gives_seven_documents(self):
        docs = parse_gazette(bundled({DAMAGED_LINE: "\n长政办函〔2024〕\n"}), "damaged.txt")
        assert {d.info.doc_number for d in docs} == SEVEN_DOCS  # its 文号 is the one the 目录 lists
        d27 = next(d.info for d in docs if d.info.doc_number == "长政办函〔2024〕27号")
        assert d27.title == "长治市人民政府办公室关于建立长治市南部区域活力提升工作协调机制的通知"
        assert d27.page == 28 and d27.date == "2024-10-14"

    def test_a_damaged_number_line_without_contents_is_a_document_named_by_title(self):
        text = without_contents(
            bundled({DAMAGED_LINE: "\n长政办函〔2024〕\n"}), "# 目 录", "# 长治市人民政府 关于印发长治市非煤"
        )
        docs = parse_gazette(text, "damaged.txt")
        assert len(docs) == 7
        assert {d.info.doc_number for d in docs} == (SEVEN_DOCS - {"长政办函〔2024〕27号"}) | {None}

    def test_a_listed_document_merged_into_another_stops_the_ingest(self):
        text = bundled(
            {
                DAMAGED_LINE: "\n长政办函〔2024〕\n",
                "## 长治市人民政府办公室 关于建立长治市南部区域活力提升工作 协调机制的通知": (
                    "长治市人民政府办公室关于建立长治市南部区域活力提升工作协调机制"
                ),
            }
        )
        with pytest.raises(IngestError, match=r"长政办函〔2024〕27号.*inside 长政办函〔2024〕25号"):
            parse_gazette(text, "damaged.txt")

    def test_a_listed_document_missing_from_the_body_stops_the_ingest(self):
        text = GAZETTE.read_text(encoding="utf-8")
        cut = (
            text[: text.index("## 长治市人民政府办公室 关于认定")]
            + text[text.index("## 长治市人民政府办公室 关于建立") :]
        )
        with pytest.raises(
            IngestError, match=r"目录 lists 《.*霍家工业.*》\(长政办函〔2024〕25号\).*no such document"
        ):
            parse_gazette(cut, "cut.txt")

    def test_a_listed_document_without_number_missing_from_the_body_stops_the_ingest(self):
        text = ISSUE_02.read_text(encoding="utf-8")
        entry = "7．临川市人民政府关于加强城区养犬管理的通告 …………………………………………………… 19\n\n\n"
        text = text.replace(
            "\n\n\n# 临川市人民政府 关于印发", "\n\n" + entry + "# 临川市人民政府 关于印发", 1
        )
        with pytest.raises(IngestError, match="临川市人民政府关于加强城区养犬管理的通告"):
            parse_gazette(text, ISSUE_02.name)

    def test_a_contents_table_without_page_numbers_is_still_a_contents_table(self):
        text = ISSUE_04.read_text(encoding="utf-8")
        pageless = re.sub(r"[ 　]*·{2,}[ 　]*\d+", "", text)  # title lines and 文号 lines, no leaders
        docs = parse_gazette(pageless, ISSUE_04.name)
        assert [d.info.doc_number for d in docs] == [n for n, *_ in EXPECTED[ISSUE_04][1]]
        assert all(d.info.page is None for d in docs)
        listed = pageless.replace(
            "◎ 政策解读", "◎ 政策解读\n\n临川市人民政府关于征集城市道路命名方案的公告\n", 1
        )
        with pytest.raises(
            IngestError, match="lists 《临川市人民政府关于征集城市道路命名方案的公告》, but no such"
        ):
            parse_gazette(listed, ISSUE_04.name)

    def test_a_listed_title_quoted_again_in_another_document_does_not_split_it(self):
        text = ISSUE_04.read_text(encoding="utf-8")
        decision = EXPECTED[ISSUE_04][1][1][1]  # listed in the 目录, printed again inside the 通告
        quoted = text.replace("四、有关要求\n", f"四、有关要求\n\n{decision}\n", 1)
        docs = parse_gazette(quoted, ISSUE_04.name)
        assert [d.info.title for d in docs] == [t for _, t, *_ in EXPECTED[ISSUE_04][1]]

    def test_one_number_on_two_documents_is_refused(self):
        text = bundled({"长政办函〔2024〕28号\n\n各县": "长政办函〔2024〕27号\n\n各县"})
        with pytest.raises(IngestError, match="长政办函〔2024〕27号 heads two documents"):
            parse_gazette(text, "twice.txt")


# -- several sources in one index -------------------------------------------------------------


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


def copy(src: Path, folder: Path, name: str | None = None) -> Path:
    dest = folder / (name or src.name)
    shutil.copy(src, dest)
    return dest


class TestOneDocumentOneSource:
    def test_two_linchuan_issues_and_the_bundled_one_share_an_index(self, settings, fake_embedder):
        stats = run_ingest(settings, fake_embedder, [ISSUE_02, ISSUE_04, GAZETTE])
        assert [s.documents for s in stats] == [6, 6, 7]
        docs = IndexStore(settings).documents()
        ids = [d.id for d in docs]
        assert len(docs) == 19 and len(set(ids)) == 19
        numbers = {d.doc_number for d in docs}
        # one number in two series, and one series in two years, are different documents
        assert {"临政办函〔2025〕5号", "临政办发〔2025〕5号"} <= numbers
        assert SEVEN_DOCS <= numbers  # noqa: SIM300
        assert sum(d.title == NAMES for d in docs) == 2
        chunks = IndexStore(settings).all_chunks()
        assert {c.doc_id for c in chunks} == set(ids)

    def test_the_same_issue_under_another_name_is_refused(self, settings, fake_embedder, inbox):
        run_ingest(settings, fake_embedder, [copy(ISSUE_02, inbox)])
        before = snapshot(settings)
        with pytest.raises(IngestError, match=r"renamed\.txt.*issue-2025-02\.txt"):
            run_ingest(settings, fake_embedder, [copy(ISSUE_02, inbox, "renamed.txt")])
        assert snapshot(settings) == before

    def test_an_edited_copy_under_another_name_is_refused(self, settings, fake_embedder, inbox):
        run_ingest(settings, fake_embedder, [copy(GAZETTE, inbox)])
        before = snapshot(settings)
        edited = inbox / "changzhi-copy.txt"
        edited.write_text(bundled({"(7)位于重要公路": "(7)位于重要的公路"}), encoding="utf-8")
        with pytest.raises(
            IngestError, match=r"changzhi-copy\.txt: 长政发〔2024〕13号 is also in changzhi-2024-05\.txt"
        ):
            run_ingest(settings, fake_embedder, [edited])
        assert snapshot(settings) == before

    def test_both_copies_in_one_run_are_refused(self, settings, fake_embedder, inbox):
        with pytest.raises(IngestError, match=r"issue-2025-02\.txt.*copy\.txt|copy\.txt.*issue-2025-02\.txt"):
            run_ingest(settings, fake_embedder, [copy(ISSUE_02, inbox), copy(ISSUE_02, inbox, "copy.txt")])
        assert not settings.index_dir.exists() or not (settings.index_dir / "manifest.json").exists()

    def test_a_document_without_number_in_two_sources_is_refused(self, settings, fake_embedder, inbox):
        run_ingest(settings, fake_embedder, [copy(ISSUE_02, inbox)])
        before = snapshot(settings)
        text = ISSUE_02.read_text(encoding="utf-8")
        masthead = text[: text.index("## 目　录")].replace("2025年第2期", "2025年第3期")
        reprint = inbox / "issue-2025-03.txt"
        reprint.write_text(masthead + text[text.index("## 临川市人民政府 关于划定") :], encoding="utf-8")
        with pytest.raises(
            IngestError,
            match=r"issue-2025-03\.txt: 《临川市人民政府关于划定禁猎区和禁猎期的通告》 \(2025-02-20\) is also in issue-2025-02\.txt",
        ):
            run_ingest(settings, fake_embedder, [reprint])
        assert snapshot(settings) == before

    def test_the_same_number_in_another_year_is_another_document(self, settings, fake_embedder, inbox):
        text = ISSUE_02.read_text(encoding="utf-8")
        letter = text[
            text.index("# 临川市人民政府办公室 关于建立") : text.index("**临川市人民政府办公室关于切实做好")
        ]
        other = inbox / "issue-2024-06.txt"
        other.write_text(
            "# 临川市人民政府公报\n\n2024年第6期\n\n"
            + letter.replace("[2025]5号", "[2024]5号").replace("2025年3月5日", "2024年11月5日"),
            encoding="utf-8",
        )
        stats = run_ingest(settings, fake_embedder, [ISSUE_02, other])
        assert [s.documents for s in stats] == [6, 1]
        numbers = [d.doc_number for d in IndexStore(settings).documents()]
        assert numbers.count("临政办函〔2025〕5号") == 1 and numbers.count("临政办函〔2024〕5号") == 1

    def test_reingesting_the_same_file_is_a_normal_sync(self, settings, fake_embedder, inbox):
        path = copy(ISSUE_04, inbox)
        first = run_ingest(settings, fake_embedder, [path])[0]
        again = run_ingest(settings, fake_embedder, [path])[0]
        assert (again.documents, again.added, again.removed) == (6, 0, 0) and again.unchanged == first.added


def test_the_cli_refuses_a_duplicate_and_leaves_the_index(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAZETTE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setattr("cli.main.load_embedder", lambda settings: KeywordEmbedder())
    get_settings.cache_clear()
    try:
        inbox = tmp_path / "in"
        inbox.mkdir()
        assert cli_main(["ingest", str(copy(QINGSHI, inbox)), "--quiet"]) == 0
        capsys.readouterr()
        before = snapshot(get_settings())
        assert cli_main(["ingest", str(copy(QINGSHI, inbox, "qingshi-again.txt")), "--quiet"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "qingshi-again.txt" in err and "issue.txt" in err
        assert "the index was not changed" in err
        assert snapshot(get_settings()) == before
    finally:
        get_settings.cache_clear()


def test_answers_cite_a_document_without_number_by_its_title(settings, fake_embedder):
    run_ingest(settings, fake_embedder, [ISSUE_02])
    bot = Assistant(settings, Retriever(settings, fake_embedder))
    notice = "临川市人民政府关于划定禁猎区和禁猎期的通告"
    ans = bot.ask("发现违法猎捕野生动物行为拨打什么电话举报？")
    assert "6133110" in ans.answer and not ans.refused
    cite = ans.citations[0]
    assert (cite.doc_number, cite.doc_title) == (None, notice)
    assert cite.section == f"《{notice}》 › 六、举报方式" and cite.page == 15
    assert cite.issue == "临川市人民政府公报 2025年第2期"
    about = bot.ask("禁猎区和禁猎期的通告是哪天发布的？")
    assert about.answer.count(notice) == 1 and "2025年2月20日" in about.answer


def test_the_linchuan_questions_load_against_both_issues(settings, fake_embedder):
    """Every gold quote is in an indexed document and every gold_doc names one, including the
    two 任免名单 that share a title (one gold_doc, both texts)."""
    run_ingest(settings, fake_embedder, [ISSUE_02, ISSUE_04])
    bot = Assistant(settings, Retriever(settings, fake_embedder))
    items = load_items(bot, LINCHUAN / "questions.jsonl")
    assert len(items) == 78


@pytest.mark.parametrize(
    ("path", "doc_id", "article", "items"),
    [(ISSUE_02, "临政规〔2025〕1号", "第十七条", 4), (QINGSHI, "青政规〔2026〕1号", "第七条", None)],
)
def test_an_article_style_text_is_structured_by_chapter_article_and_item(path, doc_id, article, items):
    """办法/细则 printed as 第X章 › 第X条 › (一): each article is a section of its own (its lead
    sentence kept), its items below it, and the next article or chapter closes it."""
    doc = next(d for d in parse_gazette(path.read_text(encoding="utf-8"), path.name) if d.info.id == doc_id)
    arts = [u for u in doc.units if u.path and u.path[-1] == article and u.text.startswith(article)]
    assert len(arts) == 1 and arts[0].text.startswith(article), [u.path for u in doc.units][:20]
    assert re.match(r"^第[一二三四五六七八九十]+章", arts[0].path[-2])
    below = [
        u
        for u in doc.units
        if u.path[: len(arts[0].path) + 1][:-1] == arts[0].path and len(u.path) > len(arts[0].path)
    ]
    assert below and all(re.match(r"^[(（][一二三四五六七八九十]+[)）]", u.text) for u in below)
    if items is not None:
        assert len(below) == items
    # a paragraph after the items is the article's own (its next 款), not the last item's
    after = [u for u in doc.units if u.kind == "paragraph" and u.path == arts[0].path]
    assert all(not re.match(r"^[(（]", u.text) for u in after)
    # no article is filed under another's item: every 第X条 line heads its own path
    for u in doc.units:
        m = re.match(r"^(第[一二三四五六七八九十百]+条)", u.text)
        if m:
            assert u.path[-1] == m.group(1)
