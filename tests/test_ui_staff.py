"""Staff-only pages and what feedback keeps: the role model, the QA page's gate, datasets by
name, CSV neutralising, masking, retention and delete."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from assistant import FeedbackRecord, FeedbackStore, Settings, csv_safe, hash_token, is_staff, mask_personal
from cli.main import main as cli_main
from tests.test_app import APP, TIMEOUT, shown
from tests.test_app import data_dir as data_dir  # the shared index fixture

TOKEN = "correct horse battery staple"


def rec(answer_id: str, question: str = "高龄津贴多少？", comment: str = "") -> FeedbackRecord:
    return FeedbackRecord(
        answer_id=answer_id,
        rating="down",
        comment=comment,
        answer_mode="extractive",
        model="m",
        index_version="v",
        question_hash="h",
        question=question,
    )


# --- the role model -------------------------------------------------------------------


def test_nobody_is_staff_without_a_configured_login():
    s = Settings(_env_file=None)
    assert not is_staff(s, token=TOKEN, headers={"X-Forwarded-User": "alice"})
    assert not is_staff(s, token="", headers={})


def test_staff_token_is_checked_against_its_hash():
    stored = hash_token(TOKEN)
    assert TOKEN not in stored and stored.startswith("pbkdf2_sha256$")
    s = Settings(_env_file=None, staff_token_hash=stored)
    assert is_staff(s, token=TOKEN)
    assert not is_staff(s, token=TOKEN + " ")
    assert not is_staff(s, token="")
    assert not is_staff(s, token=stored)  # the hash itself is no password
    import hashlib

    plain = Settings(_env_file=None, staff_token_hash="sha256:" + hashlib.sha256(TOKEN.encode()).hexdigest())
    assert is_staff(plain, token=TOKEN) and not is_staff(plain, token="guess")


def test_trusted_header_counts_only_when_configured_and_set():
    s = Settings(_env_file=None, staff_header="X-Forwarded-User")
    assert is_staff(s, headers={"x-forwarded-user": "alice"})
    assert not is_staff(s, headers={"x-forwarded-user": "  "})
    assert not is_staff(s, headers={"X-Other": "alice"})


# --- what feedback keeps ----------------------------------------------------------------


def test_csv_export_neutralises_formula_cells(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    evil = ['=HYPERLINK("http://x","点我")', "+1+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1"]
    for i, c in enumerate(evil):
        store.record(rec(f"a{i}", question=c, comment=c))
    rows = list(csv.DictReader(io.StringIO(store.to_csv())))
    for r in rows:
        for cell in (r["question"], r["comment"]):
            assert cell[0] not in "=+-@\t\r", cell
            assert cell.startswith("'")
    assert csv_safe("高龄津贴") == "高龄津贴" and csv_safe(3) == 3


def test_personal_data_is_masked_before_it_is_stored(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    q = "我叫张三，身份证140402195001011234，电话13812345678，邮箱a.b@example.com，80岁高龄津贴多少"
    store.record(rec("a1", question=q, comment="打0355-2221234找我"))
    got = store.get("a1")
    for secret in ("140402195001011234", "13812345678", "a.b@example.com", "0355-2221234"):
        assert secret not in got.question + got.comment
    assert "80岁高龄津贴多少" in got.question  # the question itself is kept
    assert (
        mask_personal("长政办发〔2024〕28号 第14页 150元/人/月") == "长政办发〔2024〕28号 第14页 150元/人/月"
    )
    store.set_comment("a1", "再打13900001111")
    assert "13900001111" not in store.get("a1").comment


def test_retention_and_delete(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.record(rec("old"))
    store.record(rec("new"))
    later = datetime.now(UTC) + timedelta(days=31)
    assert store.purge(30, now=later) == 2
    store.record(rec("keep"))
    assert store.purge(30) == 0 and store.get("keep") is not None
    assert store.delete("keep") and store.get("keep") is None


def test_cli_feedback_delete(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAZETTE_DATA_DIR", str(tmp_path))
    from core.settings import get_settings

    get_settings.cache_clear()
    try:
        store = FeedbackStore(tmp_path / "feedback.sqlite3")
        store.record(rec("x1"))
        store.record(rec("x2"))
        assert cli_main(["feedback", "delete", "--id", "x1"]) == 0
        assert store.get("x1") is None and store.get("x2") is not None
        assert cli_main(["feedback", "delete", "--id", "x1"]) == 1
        assert cli_main(["feedback", "purge", "--days", "30"]) == 0
        assert store.get("x2") is not None
    finally:
        get_settings.cache_clear()


# --- the QA page ----------------------------------------------------------------------


@pytest.fixture
def qa(data_dir, monkeypatch):  # noqa: F811 - the imported fixture
    monkeypatch.setenv("GAZETTE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GAZETTE_ANSWER_MODE", "extractive")
    FeedbackStore(data_dir / "feedback.sqlite3").record(
        rec("someone", question="我的电话13812345678，补贴多少", comment="=HYPERLINK(1)")
    )

    def open_page(**env) -> AppTest:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        at.switch_page("ui/qa.py").run()
        assert not at.exception, at.exception
        return at

    return open_page


def test_qa_page_refuses_an_anonymous_visitor(qa):
    at = qa()
    text = shown(at)
    assert [t.value for t in at.title] == ["仅限工作人员"]
    assert "只对工作人员开放" in text
    assert "读者反馈" not in text and "补贴多少" not in text
    assert not at.get("download_button") and not at.dataframe
    assert not [b for b in at.button if b.label == "开始评测"]


def test_qa_page_with_a_wrong_then_right_token(qa):
    at = qa(GAZETTE_STAFF_TOKEN_HASH=hash_token(TOKEN))
    at.text_input(key="staff_token").set_value("guess")
    at.button[0].click().run()
    assert "口令不对" in shown(at) and [t.value for t in at.title] == ["仅限工作人员"]
    at.text_input(key="staff_token").set_value(TOKEN)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["质检"]
    # datasets are named, never a path field
    names = at.selectbox(key="qa_dataset").options
    assert {"冒烟集（开发集每种题型 1 题）", "开发集（dev）", "留出集（held-out）"} <= set(names)
    assert any(n.startswith("样例期 ") for n in names)
    assert not any("/" in n for n in names)
    assert "qa_dataset" not in [t.key for t in at.text_input]
    # the feedback list masks the phone number
    assert any("［已隐去］" in str(df.value.to_dict()) for df in at.dataframe)


def test_a_run_without_the_naive_baseline_is_not_shown_as_failed(qa, data_dir):  # noqa: F811
    import json

    folder = data_dir / "reports" / "zz-small-run"
    folder.mkdir(parents=True, exist_ok=True)
    overall = {
        "pass_rate": 0.9,
        "hit_at_5": 1.0,
        "citation_verbatim": 1.0,
        "faithfulness": 1.0,
        "keypoints_first_sentence": 0.9,
        "refusal_accuracy": None,
        "false_refusal_rate": 0.0,
    }
    metrics = {
        "label": "extractive",
        "created_at": "2026-12-01",
        "n_items": 10,
        "overall": overall,
        "by_type": {},
        "gate": {
            "passed": False,
            "violations": ["refusal_accuracy: not measured (gated: ≥ 0.9)"],
            "thresholds": {"refusal_accuracy": {"min": 0.9}, "hit_at_5": {"min": 0.96}},
        },
    }
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    try:
        at = qa(GAZETTE_STAFF_TOKEN_HASH=hash_token(TOKEN))
        at.text_input(key="staff_token").set_value(TOKEN)
        at.button[0].click().run()
        at.selectbox(key="qa_report").set_value("zz-small-run").run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]  # no red 未通过
        assert any("未能完整判定" in w.value and "拒答准确率" in w.value for w in at.warning)
        assert {"通过率", "检索命中@5", "拒答准确率", "误拒率"} <= {m.label for m in at.metric}
        assert any(m.value == "未测量" for m in at.metric)
    finally:
        (folder / "metrics.json").unlink()
        folder.rmdir()
