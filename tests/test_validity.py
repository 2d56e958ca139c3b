"""Validity across issues: a later issue's repeal table (a headed table: 序号 | 名称 | 文号 | 结果)
changes the status of a document of an earlier issue, and questions about it say so."""

from __future__ import annotations

import re

import pytest

from assistant import Assistant, Settings
from core.textnorm import fold
from tests.conftest import FIXTURE_ISSUES, built_index

LINCHUAN = FIXTURE_ISSUES / "linchuan-2025"


@pytest.fixture(scope="module")
def two_issues(tmp_path_factory) -> Assistant:
    data_dir = built_index(
        tmp_path_factory.mktemp("validity"), LINCHUAN / "issue-2025-02.txt", LINCHUAN / "issue-2025-04.txt"
    )
    return Assistant.load(Settings(data_dir=data_dir, _env_file=None))


def test_a_headed_repeal_table_becomes_list_entries_with_row_status(two_issues):
    entries = [c for c in two_issues.chunks() if c.kind == "list_entry"]
    assert len(entries) == 8
    assert {c.status for c in entries} == {"repealed"}  # 废止 and 宣布失效 rows alike
    assert all(c.fields["文号"] for c in entries)


def test_a_document_of_an_earlier_issue_is_repealed_by_a_later_one(two_issues):
    earlier = next(d for d in two_issues.documents() if d.doc_number == "临政办函〔2025〕5号")
    assert earlier.status == "repealed"
    a = two_issues.ask("临政办函〔2025〕5号现在还有效吗？")
    assert not a.refused
    assert "已废止" in a.answer.split("\n")[0]
    assert a.citations[0].doc_number == "临政发〔2025〕14号"


def test_a_document_no_list_names_is_not_mixed_up_with_one_of_a_near_number(two_issues):
    # 临政办发〔2025〕5号 is in no list; the list repeals 临政办函〔2025〕5号 and 临政办发〔2024〕5号
    a = two_issues.ask("临政办发〔2025〕5号是不是已经被废止了？")
    assert not a.refused
    first = a.answer.split("\n")[0]
    assert first.startswith("临政办发〔2025〕5号") and "没有列在" in first and "临政发〔2025〕14号" in first
    said = first.split("编号相近的是", 1)[1]
    assert "临政办函〔2025〕5号" in said and "临政办发〔2024〕5号" in said
    assert "临政办发〔2025〕5号" not in said
    assert "临政办函〔2025〕5号" in {c.quote for c in a.citations}


def test_what_a_decision_repealed_is_its_own_list(two_issues):
    a = two_issues.ask("临政发〔2025〕14号废止和宣布失效了哪些文件？")
    first = a.answer.split("\n")[0]
    assert "共8件" in first
    assert "临政发〔2018〕33号" in first and "临政办明电〔2025〕1号" in first
    # every listed 文号 is cited as the printed table has it (it was shown with none)
    assert len({fold(c.quote) for c in a.citations if re.search(r"[〔\[]\d{4}[〕\]]", c.quote)}) == 8


def test_a_later_issue_s_amount_is_answered_first_and_the_earlier_one_marked(two_issues):
    a = two_issues.ask("我奶奶今年92岁，现在每个月的高龄津贴是多少？")
    first = a.answer.split("\n")[0]
    assert first.index("260元") < first.index("200元")  # the later issue's amount leads
    assert "2025年第4期" in first and "此前" in first and "2025年第2期" in first
    assert "自2025年7月1日起" in first  # since when the newer amount applies, in its own words
    quotes = {c.quote for c in a.citations}
    assert {"260元/人/月", "200元/人/月"} <= quotes
    assert any(q.startswith("自2025年7月1日起") for q in quotes)


def test_asking_for_the_earlier_standard_is_not_redirected_to_the_newest(two_issues):
    a = two_issues.ask("调整前，90岁老人的高龄津贴是每月多少？")
    assert "260元" not in a.answer.split("\n")[0]


def test_a_named_document_is_also_found_where_later_documents_cite_it(two_issues):
    """A question naming 临政发〔2025〕3号 searches that document and the passages of other
    documents that cite it (its 解读 in a later issue), not the rest of those documents."""
    hits = two_issues.retriever.search("临政发〔2025〕3号施行以来享受高龄津贴的老年人有多少？", top_k=40)
    docs = {h.chunk.doc_id for h in hits}
    named = next(d.id for d in two_issues.documents() if d.doc_number == "临政发〔2025〕3号")
    assert named in docs and len(docs) > 1
    for h in hits:
        if h.chunk.doc_id != named:
            assert "2025〕3号" in h.chunk.text.replace("[", "〔").replace("]", "〕")
    a = two_issues.ask("临政发〔2025〕3号施行以来，享受高龄津贴的老年人一共有多少？")
    assert "4.2万名" in a.answer.split("\n")[0]


def test_a_list_that_prints_each_result_is_narrowed_to_the_result_asked(two_issues):
    # the table prints 废止 for six rows and 宣布失效 for two; the decision says so in words too
    repealed = two_issues.ask("临政发〔2025〕14号废止了哪些文件？").answer.split("\n")[0]
    assert repealed.startswith("废止的文件共6件") and "临政办明电〔2025〕1号" not in repealed
    void = two_issues.ask("这次清理里哪两件文件是宣布失效的？").answer.split("\n")[0]
    assert void.startswith("宣布失效的文件共2件")
    assert "临政办发〔2024〕31号" in void and "临政办明电〔2025〕1号" in void


def test_a_document_without_a_number_is_named_by_its_date_and_its_parallel_lines_listed(two_issues):
    """Two issues each print a 任免名单 under the same title: "the list of 3月18日" is that one,
    and "免去了哪些人" lists every 免去 line of it, none of the other list's."""
    a = two_issues.ask("2025年3月18日印发的任免名单里免去了哪几个人的职务？")
    first = a.answer.split("\n")[0]
    assert "王立群" in first and "贺志远" in first
    assert "邵明辉" not in first and "陈思远" not in first  # the other issue's list
    assert first.count("免去") == 2 and "2025年3月18日" not in first
    dated = {c.doc_title for c in a.citations}
    assert dated == {"临川市人民政府任免工作人员名单"}
    doc_ids = {c.chunk_id for c in a.citations}
    chunks = {c.chunk_id: c for c in two_issues.chunks()}
    assert {chunks[i].issue for i in doc_ids} == {"临川市人民政府公报 2025年第2期"}


def test_a_repealed_entry_says_from_when_and_a_title_ended_by_a_clause_is_found(two_issues):
    a = two_issues.ask("临政办函〔2025〕5号目前还有效吗？")
    lines = a.answer.split("\n")
    assert "已废止" in lines[0] and any("停止执行" in line for line in lines[1:])
    assert any("停止执行" in c.quote for c in a.citations)
    # a 《title》 no list names, ended by a clause of a later document ("…同时废止"), read with the
    # sentence before it that says when
    b = two_issues.ask("《临川市高龄津贴发放管理办法》还能用吗？")
    first = b.answer.split("\n")[0]
    assert "同时废止" in first and "2025年3月1日" in first and "临政办发〔2021〕17号" in first
