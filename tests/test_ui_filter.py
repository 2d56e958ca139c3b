"""The document filter is visible: full 文号, a notice above each answer, cleared with the chat,
and "the selected documents do not cover this" instead of an answer from them."""

from __future__ import annotations

from tests.test_app import FAMILY_Q, app, ask, data_dir, shown  # noqa: F401 - fixtures

LIST_DOC = "长政办发〔2024〕28号"
OTHER_DOC = "长政办发〔2024〕27号"


def test_filter_notice_and_clear(app):  # noqa: F811
    app.multiselect(key="doc_filter").set_value([LIST_DOC]).run()
    assert any(f"只在 {LIST_DOC} 中查找" in i.value for i in app.info)  # before asking
    ask(app, FAMILY_Q)
    assert any(c.value.startswith("🔎 只在 ") and LIST_DOC in c.value for c in app.caption)
    assert "150元" in shown(app)
    app.button(key="clear_chat").click().run()
    assert app.session_state["messages"] == []
    assert app.multiselect(key="doc_filter").value == []
    assert not any("只在" in i.value for i in app.info)


def test_filter_that_does_not_cover_the_question(app):  # noqa: F811
    app.multiselect(key="doc_filter").set_value([OTHER_DOC]).run()
    ask(app, FAMILY_Q)
    warned = [w.value for w in app.warning]
    assert any(f"所选文件（{OTHER_DOC}）没有写这个" in w for w in warned), warned
    assert "150元" not in shown(app)  # no answer taken from the filtered document
