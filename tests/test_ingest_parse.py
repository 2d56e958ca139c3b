"""The parser on the real gazette (and a synthetic second issue): the facts an official relies on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.textnorm import fold
from ingest.chunk import split_long
from ingest.sources import ParsedSource, parse_source
from tests.conftest import GAZETTE
from tests.conftest import SEVEN_DOCS as SEVEN

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def gazette() -> ParsedSource:
    return parse_source(GAZETTE)


def doc(src: ParsedSource, number: str):
    return next(d for d in src.docs if d.info.doc_number == number)


def rows(src: ParsedSource, number: str, kind: str):
    return [c for c in src.chunks if c.doc_number == number and c.kind == kind]


class TestDocuments:
    def test_exactly_the_seven_doc_numbers(self, gazette):
        assert {d.info.doc_number for d in gazette.docs} == SEVEN

    def test_bracket_forms_are_one_number(self, gazette):
        # 长政办发[2024]27号 is printed with [] in the body; it is stored in canonical 〔〕 form
        assert doc(gazette, "长政办发〔2024〕27号").info.id == "长政办发〔2024〕27号"

    @pytest.mark.parametrize(
        "number,date,page,title_start",
        [
            (
                "长政发〔2024〕13号",
                "2024-10-14",
                1,
                "长治市人民政府关于印发长治市非煤矿产资源整治提升方案的通知",
            ),
            ("长政规〔2024〕2号", "2024-10-09", 7, "长治市人民政府关于公布一批继续有效"),
            (
                "长政办发〔2024〕27号",
                "2024-10-14",
                9,
                "长治市人民政府办公室关于印发《中华人民共和国噪声污染防治法》",
            ),
            (
                "长政办发〔2024〕28号",
                "2024-10-16",
                14,
                "长治市人民政府办公室关于印发长治市基本养老服务体系建设实施方案的通知",
            ),
            ("长政办函〔2024〕25号", "2024-10-01", 28, "长治市人民政府办公室关于认定长治市霍家工业有限公司"),
            (
                "长政办函〔2024〕27号",
                "2024-10-14",
                28,
                "长治市人民政府办公室关于建立长治市南部区域活力提升工作协调机制的通知",
            ),
            (
                "长政办函〔2024〕28号",
                "2024-10-12",
                29,
                "长治市人民政府办公室关于成立长治市推动绿电资源就地转化助力产业低碳转型工作专班的通知",
            ),
        ],
    )
    def test_title_date_page(self, gazette, number, date, page, title_start):
        info = doc(gazette, number).info
        assert info.date == date
        assert info.page == page
        assert info.title.startswith(title_start)
        assert info.issue == "长治市人民政府公报 2024·05"
        assert info.publication == "(此件公开发布)"

    def test_issuing_office(self, gazette):
        assert doc(gazette, "长政发〔2024〕13号").info.office == "长治市人民政府"
        assert doc(gazette, "长政办发〔2024〕28号").info.office == "长治市人民政府办公室"

    def test_front_and_back_matter_not_indexed(self, gazette):
        text = "".join(c.text for c in gazette.chunks)
        for front in ("编辑委员会", "执行总编", "本期责编", "(双月刊)", "印刷册数", "内部资料", "承印单位"):
            assert front not in text


class TestHierarchy:
    def test_section_path_of_bauxite_exit_standard(self, gazette):
        c = next(c for c in gazette.chunks if "生产规模小于30万吨/年铝土矿" in c.text)
        assert (
            c.section
            == "长政发〔2024〕13号 › 三、工作对象和工作方式 › (二)工作标准和方式 › 2. 引导退出 › (1)"
        )

    def test_section_path_of_backfill_rule(self, gazette):
        c = next(c for c in gazette.chunks if "原则上采用充填采矿法" in c.text)
        assert (
            c.section
            == "长政发〔2024〕13号 › 三、工作对象和工作方式 › (二)工作标准和方式 › 3. 升级改造 › (2)"
        )

    def test_numbering_beats_hash_marks(self, gazette):
        # `#### 四、工作步骤` sits at the hash level of `#### (一)`, yet it is a top-level section
        c = next(c for c in gazette.chunks if c.text.startswith("2024年11月15日前"))
        assert c.section == "长政发〔2024〕13号 › 四、工作步骤 › (一)深入调查摸底"

    def test_all_nine_closure_cases_are_children_of_one_clause(self, gazette):
        head = "长政发〔2024〕13号 › 三、工作对象和工作方式 › (二)工作标准和方式 › 1. 关闭取缔"
        kids = [c for c in gazette.chunks if c.parent == head]
        assert [c.section.rsplit(" › ", 1)[1] for c in kids] == [f"({i})" for i in range(1, 10)]

    def test_page_break_sentence_rejoined(self, gazette):
        assert any("常务副组长为市政府分管自然资源工作的领导" in c.text for c in gazette.chunks)
        assert not any(c.text.endswith("常务副组") for c in gazette.chunks)

    def test_real_paragraph_breaks_stay(self, gazette):
        # two consecutive, complete paragraphs of the 13号 duties are not glued together
        assert not any("经费保障。市场监管部门" in c.text for c in gazette.chunks)

    def test_unrepairable_damage_kept_as_printed(self, gazette):
        text = "".join(c.text for c in gazette.chunks)
        assert "优先为低收入要贡献老年人" in text  # lost text is not invented back
        assert "60(含)一65周岁(不含)" in text  # the filler 一 is not "corrected"
        assert "谢一斌" in text

    def test_annex_belongs_to_its_document(self, gazette):
        row = next(
            c
            for c in gazette.chunks
            if c.kind == "table_row" and c.fields.get("服务项目", "").endswith("高龄津贴")
        )
        assert row.doc_number == "长政办发〔2024〕28号"
        assert row.section == "长政办发〔2024〕28号 › 附件 长治市基本养老服务清单 › 高龄津贴"


class TestTables:
    def test_benefits_table_has_26_rows_across_continuations(self, gazette):
        assert len(rows(gazette, "长政办发〔2024〕28号", "table_row")) == 26

    def test_high_age_allowance_row_all_six_columns(self, gazette):
        row = next(
            c
            for c in rows(gazette, "长政办发〔2024〕28号", "table_row")
            if c.fields["服务项目"] == "8 高龄津贴"
        )
        assert row.fields == {
            "对象": "80周岁及以上老年人",  # a merged cell: inherited from the row above
            "服务项目": "8 高龄津贴",
            "服务内容": "为80周岁及以上老年人发放高龄津贴",
            "服务标准": "80周岁(含)至89周岁(含)不低于70元/人/月;90周岁(含)至99周岁(含)不低于150元/人/月;100周岁及以上不低于300元/人/月",
            "服务类型": "物质帮助",
            "牵头落实部门": "市民政局",
        }

    def test_misplaced_target_cell_kept_not_guessed(self, gazette):
        row = next(
            c
            for c in rows(gazette, "长政办发〔2024〕28号", "table_row")
            if "公共交通" in c.fields["服务项目"]
        )
        assert row.fields["对象"] == "80周岁及以上老年人"
        assert row.fields["服务标准"] == "65周岁及以上老年人免费乘坐市内公交车"

    def test_noise_table_13_rows_with_cells_cleaned(self, gazette):
        noise = rows(gazette, "长政办发〔2024〕27号", "table_row")
        assert len(noise) == 13
        assert [r.fields["序号"] for r in noise] == [str(i) for i in range(1, 14)]
        r12 = noise[11]
        assert "<p>" not in r12.fields["法律条款"] and r12.fields["职责部门"] == "由市公安局处罚。"
        assert r12.section.endswith("12 第八十二条")

    def test_valid_and_repealed_lists_rebuilt_whole(self, gazette):
        entries = rows(gazette, "长政规〔2024〕2号", "list_entry")
        valid = [e for e in entries if e.status == "valid"]
        repealed = [e for e in entries if e.status == "repealed"]
        assert len(valid) == 10 and len(repealed) == 19
        v6 = next(e for e in valid if e.fields["序号"] == "6")
        assert v6.fields["文号"] == "长政办发〔2008〕70号"
        assert (
            v6.fields["标题"]
            == "长治市人民政府办公厅关于印发长治市市属国有关闭破产企业退休人员和国有特困企业职工参加城镇职工基本医疗保险暂行办法的通知"
        )
        r4 = next(e for e in repealed if e.fields["序号"] == "4")
        assert r4.fields["文号"] == "长政发〔2012〕62号"
        assert r4.fields["标题"] == "长治市人民政府关于促进农村土地承包经营权流转引导发展适度规模经营的意见"
        r7 = next(e for e in repealed if e.fields["序号"] == "7")
        assert r7.fields["文号"] == "长政发〔2018〕31号"  # printed outside the table
        assert r7.fields["标题"] == "长治市人民政府关于进一步规范城市规划区房屋征收与补偿工作的通知"
        assert [e.fields["序号"] for e in repealed] == [str(i) for i in range(1, 20)]


class TestChunks:
    def test_every_chunk_line_is_verbatim_in_its_document(self, gazette):
        # whole lines and cells are quotable; a list entry rebuilt across cells is quoted piece by piece
        folded = {k: fold(v) for k, v in gazette.texts.items()}
        for c in gazette.chunks:
            for piece in c.text.replace("\t", "\n").split("\n"):
                assert fold(piece) in folded[c.doc_id], (c.section, piece)

    def test_chunk_ids_are_unique_and_stable(self, gazette):
        ids = [c.chunk_id for c in gazette.chunks]
        assert len(ids) == len(set(ids))
        assert ids == [c.chunk_id for c in parse_source(GAZETTE).chunks]

    def test_long_clause_split_at_sentence_ends(self):
        text = "甲" * 200 + "。" + "乙" * 200 + "；" + "丙" * 50 + "。"
        parts = split_long(text, limit=300)
        assert parts == ["甲" * 200 + "。", "乙" * 200 + "；" + "丙" * 50 + "。"]

    def test_offsets_point_into_the_source(self, gazette):
        source = GAZETTE.read_text(encoding="utf-8")
        c = next(c for c in gazette.chunks if "原则上采用充填采矿法" in c.text)
        assert "原则上采用充填采矿法" in source[c.start : c.end]


@pytest.fixture(scope="module")
def issue() -> ParsedSource:
    return parse_source(FIXTURES / "synthetic-2024-06.txt")


class TestSyntheticIssue:
    """Another issue: documents in another order, a pipe table with 续表, a new 文号 series."""

    def test_documents_and_metadata(self, issue):
        got = {d.info.doc_number: (d.info.date, d.info.page) for d in issue.docs}
        assert got == {
            "长政字〔2024〕4号": ("2024-11-20", 1),
            "长政办发〔2024〕35号": ("2024-11-25", 3),
            "长政办明电〔2024〕9号": ("2024-12-10", 6),
        }
        assert issue.docs[0].info.issue == "长治市人民政府公报 2024·06"

    def test_pipe_table_with_continuation_merged(self, issue):
        rows_ = [c for c in issue.chunks if c.kind == "table_row"]
        assert [r.fields["服务项目"] for r in rows_] == ["1 社区食堂就餐", "2 送餐上门", "3 助餐补贴"]
        assert rows_[1].fields["对象"] == "60周岁及以上老年人"
        assert rows_[2].section == "长政办发〔2024〕35号 › 附件 长治市老年助餐服务项目表 › 助餐补贴"

    def test_page_break_before_a_number_rejoined(self, issue):
        assert any("每餐再补贴不低于2元,所需资金由县区财政承担" in c.text for c in issue.chunks)

    def test_back_matter_dropped(self, issue):
        assert not any("编印单位" in c.text for c in issue.chunks)


def test_a_page_number_between_the_halves_of_a_sentence_is_dropped_and_the_sentence_rejoined():
    """A page footer ("— 16 —") printed where a page break cut a sentence: the footer is no chunk
    of its own, the sentence is one chunk again, and a quote across the join is verbatim in the
    stored text (the footer is blanked in place, so every span still points at the printed text)."""
    from core.textnorm import fold, is_verbatim
    from ingest.blocks import blank_page_numbers

    path = FIXTURES / "issues" / "linchuan-2025" / "issue-2025-04.txt"
    src = parse_source(path)
    assert not any(re.fullmatch(r"[—\-\s\d]+", c.text.strip()) for c in src.chunks)
    joined = [c for c in src.chunks if "每日6时30分至21时30分" in c.text]
    assert len(joined) == 1
    assert not any(c.text.strip().startswith("21时30分") for c in src.chunks)
    text = next(t for t in src.texts.values() if "每日6时30分至" in t)
    assert is_verbatim("运营时间为每日6时30分至21时30分，发车间隔15分钟。", fold(text))
    printed = path.read_text(encoding="utf-8")
    assert len(blank_page_numbers(printed)) == len(printed)
    assert blank_page_numbers("正文\n— 3 —\n第 5 页\n第5页 共12页\n- 12 -\n2024-05\n") == (
        "正文\n" + " " * 5 + "\n" + " " * 5 + "\n" + " " * 8 + "\n" + " " * 6 + "\n2024-05\n"
    )


def test_a_pipe_table_printed_without_a_header_line_keeps_its_first_row_as_data():
    """Markdown's rule: only the row above a |---| line is a header. A two-column list of places
    printed under "下列区域为禁猎区：" has none: all five rows are data, named by their first
    cell, and they sit in the numbered section that introduces them."""
    src = parse_source(FIXTURES / "issues" / "linchuan-2025" / "issue-2025-02.txt")
    rows = [c for c in src.chunks if c.kind == "table_row" and "禁猎" in c.doc_title]
    assert len(rows) == 5
    assert rows[0].text.startswith("青岚山自然保护区")
    assert all(r.section.split(" › ")[1] == "一、禁猎区" for r in rows)
    assert [r.section.rsplit(" › ", 1)[1] for r in rows][:2] == ["青岚山自然保护区", "白鹭洲湿地公园"]
    headed = [c for c in src.chunks if c.kind == "table_row" and "标准一览表" in c.section]
    assert headed and all(
        "项目" not in c.text.split("\t")[0] for c in headed
    )  # a headed table keeps its header
