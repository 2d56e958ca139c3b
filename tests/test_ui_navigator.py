"""The benefits navigator in the app: from the chat and as a form page (AppTest, real index)."""

from __future__ import annotations

import sqlite3

from tests.test_app import app, ask, data_dir, shown  # noqa: F401 - fixtures

GRANNY = "我姥姥87岁，低保户，半失能，能享受哪些？"


def test_chat_routes_a_profile_question_to_the_navigator(app, data_dir):  # noqa: F811
    ask(app, GRANNY)
    md = "\n".join(m.value for m in app.markdown)
    assert "<ol start='1'><li>" in md  # a numbered list, not a run-on paragraph
    assert "按您说的情况（87岁、低保、中度失能）" in md
    assert "还差一个条件" in md and "请核实" in md
    assert "80周岁(含)至89周岁(含)不低于70元/人/月" in md
    # one card per cited document: every benefit row comes from one list, so one card
    heads = [m.value for m in app.markdown if m.value.startswith("<b>[")]
    assert len(heads) == 1 and "引用" in heads[0]
    # the person described is not stored with the rating
    app.feedback[0].set_value(1).run()
    answer_id = app.session_state["messages"][-1]["id"]
    with sqlite3.connect(data_dir / "feedback.sqlite3") as db:
        row = db.execute("SELECT question FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
    assert row is not None and row[0] == ""


def test_benefits_page_form(app):  # noqa: F811
    app.switch_page("ui/benefits.py").run()
    assert not app.exception, app.exception
    assert "nav_profile" not in app.session_state
    app.number_input(key="nav_age").set_value(92)
    app.multiselect(key="nav_conditions").set_value(["低保", "失能"])
    app.button[0].click().run()
    assert not app.exception, app.exception
    text = shown(app)
    heads = [s.value for s in app.subheader]
    assert heads[0].startswith("适用（") and any(h.startswith("还差一个条件") for h in heads)
    assert "90周岁(含)至99周岁(含)不低于150元/人/月" in text
    assert "80周岁(含)至89周岁(含)不低于70元/人/月" not in text  # the person's band only
    assert "不是资格认定" in text
    dl = [d for d in app.get("download_button") if d.label.startswith("下载一页纸摘要")]
    assert dl


def test_printable_summary_names_issue_number_page_and_date():
    from assistant import Profile, navigate
    from tests.conftest import GAZETTE
    from tests.test_navigator import parsed
    from ui.printable import summary_html

    chunks, docs = parsed([GAZETTE])
    nav = navigate(chunks, docs, Profile(age=87, conditions=frozenset({"低保", "中度失能"})))
    page = summary_html(nav)
    assert page.count("<table>") == 3  # applies, one condition short, 请核实
    row = next(r for r in page.split("<tr>") if "高龄津贴" in r)
    for part in (
        "长政办发〔2024〕28号",
        "第14页起",
        "2024-10-16",
        "2024·05",
        "80周岁(含)至89周岁(含)不低于70元/人/月",
        "市民政局",
    ):
        assert part in row, part
    assert "不是资格认定" in page and "各县（区）可以更高" in page
    assert "<script" not in page
