"""A document's history across issues (assistant/history.py): what later documents print of its
standing, and what it ends itself, on the 临川 fixture series (two issues, written blind)."""

from __future__ import annotations

import pytest

from assistant.history import history
from core.textnorm import fold
from tests.conftest import FIXTURE_ISSUES
from tests.test_navigator import parsed

LINCHUAN = FIXTURE_ISSUES / "linchuan-2025"


@pytest.fixture(scope="module")
def series():
    chunks, docs = parsed([LINCHUAN / "issue-2025-02.txt", LINCHUAN / "issue-2025-04.txt"])
    return chunks, docs


def test_a_document_repealed_by_a_later_issue_shows_who_repealed_it(series):
    chunks, docs = series
    events = history("临政办函〔2025〕5号", chunks, docs)
    assert events and {e.actor_id for e in events} == {"临政发〔2025〕14号"}
    assert any(e.what.startswith("列入") and "废止" in e.what for e in events)  # the repeal list
    assert all(e.subject_id == "临政办函〔2025〕5号" and e.date == "2025-07-21" for e in events)
    later = docs["临政发〔2025〕14号"]
    assert all(e.issue == later.issue for e in events)


def test_what_a_document_ends_is_on_its_own_page_even_when_not_indexed(series):
    chunks, docs = series
    events = history("临政发〔2025〕3号", chunks, docs)
    ended = [e for e in events if e.subject.startswith("临政办发〔2021〕17号")]
    assert ended and ended[0].subject_id is None and "废止" in ended[0].what
    assert fold(ended[0].quote) in fold("".join(c.text for c in chunks if c.doc_id == "临政发〔2025〕3号"))


def test_a_document_nobody_names_has_no_history(series):
    chunks, docs = series
    assert history("临政规〔2025〕1号", chunks, docs) == []
    assert history("no-such-document", chunks, docs) == []
