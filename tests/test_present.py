"""Presentation helpers: escaping and highlighting, citation text, amounts, vague questions, outlines."""

from __future__ import annotations

from assistant.present import (
    accepts_kwarg,
    amount_note,
    benefit_items,
    candidate_questions,
    clause_html,
    counter_citation,
    filter_rows,
    group_citations,
    highlight,
    is_vague,
    lead_department,
    list_entries,
    md_escape,
    outline,
    quote_spans,
    status_label,
    text_html,
)
from core.schema import Chunk, Citation

DOC = "长政办发〔2024〕28号"
SEC = f"{DOC} › 附件 长治市基本养老服务清单"


def chunk(
    kind="clause",
    section=f"{DOC} › 三、工作任务 › 1. 任务",
    text="",
    fields=None,
    parent=None,
    start=0,
    roles=None,
):
    return Chunk(
        chunk_id=f"c{start}-{kind}",
        doc_id=DOC,
        doc_number=DOC,
        doc_title="关于印发长治市基本养老服务体系建设实施方案的通知",
        section=section,
        parent=parent or section.rsplit(" › ", 1)[0],
        kind=kind,
        text=text,
        fields=fields or {},
        roles=roles or {},
        source="changzhi-2024-05.txt",
        start=start,
        end=start + len(text),
        page=14,
        status="valid",
        issue="长治市人民政府公报 2024·05",
    )


def citation(quote, chunk_id="c1", section=f"{SEC} › 高龄津贴"):
    return Citation(
        doc_number=DOC,
        doc_title="关于印发长治市基本养老服务体系建设实施方案的通知",
        section=section,
        quote=quote,
        chunk_id=chunk_id,
        source="changzhi-2024-05.txt",
        page=14,
        issue="长治市人民政府公报 2024·05",
        status="valid",
    )


def test_status_labels():
    assert status_label("valid") == "有效"
    assert status_label("repealed") == "已废止或失效"
    assert status_label("unknown") == status_label(None) == "未注明"


def test_highlight_escapes_document_text_and_marks_only_the_quote():
    text = "第一条 <script>alert(1)</script> 不低于150元/人/月。"
    out = highlight(text, ["不低于150元"])
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<mark>不低于150元</mark>" in out


def test_highlight_matches_across_folding_differences():
    # the quote uses 〔〕 and no spaces; the clause has [] and a line break in the middle
    text = "依据长政发[2024]13号\n文件 规定"
    spans = quote_spans(text, ["长政发〔2024〕13号文件"])
    assert spans == [(2, len("依据长政发[2024]13号\n文件"))]
    assert highlight(text, ["长政发〔2024〕13号文件"]).startswith("依据<mark>长政发[2024]13号<br>文件</mark>")


def test_highlight_merges_overlapping_quotes_and_ignores_missing_ones():
    out = highlight("甲乙丙丁", ["甲乙", "乙丙", "不在"])
    assert out == "<mark>甲乙丙</mark>丁"


def test_clause_html_shows_table_rows_as_cells():
    row = chunk(
        "table_row",
        f"{SEC} › 高龄津贴",
        "\t8 高龄津贴\t不低于150元/人/月\t市民政局",
        {"服务项目": "8 高龄津贴", "服务标准": "不低于150元/人/月", "牵头落实部门": "<b>市民政局</b>"},
    )
    out = clause_html(row, ["不低于150元/人/月"])
    assert "<b>服务标准</b>：<mark>不低于150元/人/月</mark>" in out
    assert "&lt;b&gt;市民政局&lt;/b&gt;" in out


def test_text_and_markdown_escaping():
    assert text_html("a<b>\nc") == "a&lt;b&gt;<br>c"
    assert md_escape("*x* [y](z) <i>") == "\\*x\\* \\[y\\]\\(z\\) \\<i\\>"


def test_citations_group_by_chunk_and_counter_text_is_complete():
    cards = group_citations([citation("甲"), citation("乙"), citation("丙", chunk_id="c2")])
    assert [c.quotes for c in cards] == [["甲", "乙"], ["丙"]]
    text = counter_citation(cards[0].citation, cards[0].quotes)
    assert "长治市人民政府公报 2024·05（本文件自第14页起）" in text
    assert f"{DOC}《关于印发" in text
    assert "条目：附件 长治市基本养老服务清单 › 高龄津贴" in text
    assert "原文：“甲”" in text and "原文：“乙”" in text
    assert "效力（据公报）：有效" in text


def test_amount_note_names_the_department_from_the_cited_row():
    answer = "高龄津贴：90周岁(含)至99周岁(含)不低于150元/人/月。"
    row = chunk(
        "table_row", fields={"列2": "高龄津贴", "列6": "市民政局"}, roles={"列2": "item", "列6": "lead"}
    )
    dept = lead_department(answer, [row])
    assert dept == "市民政局"
    note = amount_note(answer, dept)
    assert "最低标准" in note and "更高" in note and "市民政局" in note
    assert lead_department("牵头落实部门：市交通运输局。") == "市交通运输局"
    assert amount_note("由城市管理局处罚。", None) is None


STANDARD = {"列4": "standard"}  # whatever the header says, the role decides
BENEFITS = [
    chunk("table_row", f"{SEC} › 高龄津贴", "x", {"列4": "不低于70元/人/月"}, start=1, roles=STANDARD),
    chunk("table_row", f"{SEC} › 护理补贴", "x", {"列4": "不低于100元护理补贴"}, start=2, roles=STANDARD),
    chunk("table_row", f"{SEC} › 健康管理", "x", {"列4": "每年免费提供1次"}, start=3, roles=STANDARD),
]


def test_benefit_items_come_from_rows_with_amounts():
    assert benefit_items(BENEFITS) == ["高龄津贴", "护理补贴"]
    assert candidate_questions(["高龄津贴", "护理补贴"]) == [
        "高龄津贴的标准是多少？",
        "护理补贴的标准是多少？",
    ]


def test_vague_questions():
    items = ["高龄津贴", "护理补贴"]
    assert is_vague("补贴多少？", items)
    assert is_vague("给多少钱", items)
    assert not is_vague("护理补贴多少？", items)  # names an item
    assert not is_vague("我爸今年91了，高龄津贴一个月有多少？", items)  # long and specific
    assert not is_vague("你好", items)  # no amount words


def test_outline_builds_headings_text_and_tables():
    chunks = [
        chunk("clause", f"{DOC} › 一、总体要求", "一、总体要求的正文", start=10),
        chunk("table_row", f"{SEC} › 高龄津贴", "r1", {"服务项目": "高龄津贴"}, parent=SEC, start=30),
        chunk("table_row", f"{SEC} › 护理补贴", "r2", {"服务项目": "护理补贴"}, parent=SEC, start=40),
    ]
    blocks = outline(reversed(chunks))
    assert [(b.kind, b.text if b.kind != "table" else len(b.rows)) for b in blocks] == [
        ("heading", "一、总体要求"),
        ("text", "一、总体要求的正文"),
        ("heading", "附件 长治市基本养老服务清单"),
        ("table", 2),
    ]


def test_list_entries_filter_folds_brackets():
    entry = chunk(
        "list_entry",
        "长政规〔2024〕2号 › 附件 2 废止或失效的目录 › 2. 长政发〔2011〕51号",
        "2. 长治市质量管理暂行办法",
        {"序号": "2", "标题": "长治市质量管理暂行办法", "文号": "长政发〔2011〕51号", "状态": "废止或失效"},
    )
    rows = list_entries([entry, BENEFITS[0]])
    assert len(rows) == 1 and rows[0]["目录"] == "附件 2 废止或失效的目录"
    assert filter_rows(rows, "长政发[2011]51号") == rows
    assert filter_rows(rows, "质量") == rows
    assert filter_rows(rows, "储备粮") == []
    assert filter_rows(rows, "  ") == rows


def test_accepts_kwarg():
    def f(q, history=None, doc_ids=None): ...

    def g(q, history=None): ...

    assert accepts_kwarg(f, "doc_ids") and not accepts_kwarg(g, "doc_ids")
