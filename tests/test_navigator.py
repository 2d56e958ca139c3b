"""The benefits navigator: who-cells read from the ingested tables, never from a list of rows.

The property test runs over every benefit row of every issue we have (the bundled one and the
fixture issues): a person built from a row's who-cell gets the row; one condition short, the
row is listed as "nearly" naming what is missing; a who-cell the reader cannot read is listed
as 请核实 for anyone."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Profile, navigate, navigation_answer, profile_from_question
from assistant.navigator import TAGS, benefit_rows, parse_who
from ingest import parse_source
from tests.conftest import FIXTURE_ISSUES, GAZETTE

ISSUES = [GAZETTE, *sorted(FIXTURE_ISSUES.glob("*/*.txt"))]


def parsed(paths):
    chunks, docs = [], {}
    for p in paths:
        src = parse_source(Path(p))
        chunks += src.record.chunks
        docs.update({d.id: d for d in src.record.docs})
    return chunks, docs


@pytest.fixture(scope="module")
def corpus():
    return {p.name: parsed([p]) for p in ISSUES}


def rows_of(corpus):
    for name, (chunks, docs) in corpus.items():
        for item, c in benefit_rows(chunks):
            yield name, chunks, docs, item, c


def profile_for(c) -> Profile:
    req = parse_who(c.cell("who"))
    age = req.min_age if req.min_age is not None else (req.max_age if req.max_age is not None else 70)
    return Profile(age=age, conditions=frozenset(sorted(g, key=TAGS.index)[0] for g in req.groups))


def ids(nav_list):
    return {b.chunk.chunk_id for b in nav_list}


def test_every_issue_has_benefit_rows_and_most_are_read(corpus):
    rows = list(rows_of(corpus))
    assert len(rows) >= 40
    readable = [r for r in rows if parse_who(r[4].cell("who")).readable]
    assert len(readable) / len(rows) >= 0.8


def test_a_person_built_from_a_who_cell_gets_the_row(corpus):
    for _name, chunks, docs, item, c in rows_of(corpus):
        nav = navigate(chunks, docs, profile_for(c))
        if parse_who(c.cell("who")).readable:
            assert c.chunk_id in ids(nav.eligible), (item, c.cell("who"))
        else:
            assert c.chunk_id in ids(nav.unclear), (item, c.cell("who"))


def test_one_condition_short_is_listed_as_nearly(corpus):
    checked = 0
    for _name, chunks, docs, item, c in rows_of(corpus):
        req = parse_who(c.cell("who"))
        if not req.readable:
            continue
        full = profile_for(c)
        shorter = [Profile(full.age, full.conditions - {t}) for t in full.conditions]
        if req.min_age:
            shorter.append(Profile(req.min_age - 1, full.conditions))
        for p in shorter:
            nav = navigate(chunks, docs, p)
            nearly = {b.chunk.chunk_id: b for b in nav.nearly}
            assert c.chunk_id in nearly, (item, c.cell("who"), p)
            assert c.chunk_id not in ids(nav.eligible)
            missing = nearly[c.chunk_id].missing
            assert len(missing) == 1
            gone = full.conditions - p.conditions
            assert (next(iter(gone)) in missing[0]) if gone else missing[0] == f"年满{req.min_age}周岁"
            checked += 1
    assert checked >= 40


def test_unreadable_who_cells_are_never_dropped(corpus):
    for _name, chunks, docs, _item, c in rows_of(corpus):
        if parse_who(c.cell("who")).readable:
            continue
        for p in (Profile(), Profile(age=5), Profile(age=101, conditions=frozenset(TAGS))):
            assert c.chunk_id in ids(navigate(chunks, docs, p).unclear)


@pytest.mark.parametrize(
    ("cell", "lo", "hi", "groups", "readable"),
    [
        ("80周岁(含)至89周岁(含)老年人", 80, 89, [], True),
        (
            "60周岁及以上低保对象、特困人员中的重度失能老年人",
            60,
            None,
            [{"低保", "特困"}, {"重度失能"}],
            True,
        ),
        (
            "低保对象、特困人员中的中度失能老年人\n(60周岁及以上)",
            60,
            None,
            [{"低保", "特困"}, {"中度失能"}],
            True,
        ),
        ("0—6岁残疾儿童", 0, 6, [{"残疾"}], True),
        ("经济困难的老年人", 60, None, [{"经济困难"}], True),
        ("持有残疾人证且残疾等级为一级或者二级的老年人", 60, None, [{"重度残疾"}], True),
        ("60(含)一65周岁(不含)", 60, 64, [], True),
        ("达到规定条件的参保人员", None, None, [], False),
        ("残疾儿童", None, None, [{"残疾"}], False),
    ],
)
def test_who_cell_reading(cell, lo, hi, groups, readable):
    r = parse_who(cell)
    assert (r.min_age, r.max_age, [set(g) for g in r.groups], r.readable) == (lo, hi, groups, readable)


def test_conditions_imply_their_general_forms():
    r = parse_who("经认定生活不能自理的经济困难老年人")
    p = Profile(age=70, conditions=frozenset({"低保", "中度失能"}))
    assert r.shortfall(p) == ([], False)
    assert parse_who("重度失能老年人").shortfall(p)[0] == ["重度失能"]


def test_profile_from_a_chat_question():
    p = profile_from_question("我姥姥87岁，低保户，半失能，能享受哪些？")
    assert p == Profile(age=87, conditions=frozenset({"低保", "中度失能"}))
    assert profile_from_question("我爸八十五岁了，是特困人员，有什么补贴？").age == 85
    assert profile_from_question("高龄津贴一个月多少钱？") is None
    assert profile_from_question("60岁以上的老人能办助老卡吗？有什么用？") is None
    assert profile_from_question("特困人员和低保对象的资助标准有什么不同？") is None


def test_chat_answer_lists_numbered_rows_with_verbatim_citations(corpus):
    chunks, docs = corpus[GAZETTE.name]
    ans = navigation_answer("我姥姥87岁，低保户，半失能，能享受哪些？", chunks, docs)
    assert ans is not None and not ans.refused
    lines = ans.answer.splitlines()
    assert lines[0].startswith("按您说的情况（87岁、低保、中度失能）")
    assert any(x.startswith("1. ") for x in lines) and "还差一个条件" in ans.answer and "请核实" in ans.answer
    assert "不是资格认定" in ans.answer
    texts = {c.chunk_id: c.text for c in chunks}
    assert ans.citations and all(c.quote in texts[c.chunk_id] for c in ans.citations)
    # the band for the person's age, not the whole cell
    assert any("80周岁(含)至89周岁(含)" in c.quote and "90周岁" not in c.quote for c in ans.citations)
