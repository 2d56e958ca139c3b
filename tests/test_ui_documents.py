"""The documents page: every column on a phone, search with the chat's 文号 folding, and a
citation that opens its document at the cited section."""

from __future__ import annotations

from tests.test_app import FAMILY_Q, app, ask, data_dir  # noqa: F401 - fixtures
from ui.tables import matches, search_key, table_html


def test_search_key_folds_doc_numbers_like_the_chat():
    row = {"文号": "长政发〔2011〕51号", "标题": "某办法"}
    for needle in (
        "长政发2011 51号",
        "长政发[2011]51号",
        "长政发（2011）51号",
        "长政发〔2011〕51号",
        "2011〕51",
    ):
        assert matches(row, needle), needle
    assert not matches(row, "长政发2011 57号")
    assert search_key(" 〔2024〕 ") == "2024"


def test_table_html_escapes_and_labels_every_cell():
    out = table_html([{"文号": "<b>x</b>", "效力": "有效"}], {"效力": {"有效": "ga-valid"}})
    assert "&lt;b&gt;" in out and "<b>x</b>" not in out
    assert "data-label='文号'" in out and "ga-badge ga-valid" in out


def test_document_search_finds_a_listed_number_typed_loosely(app):  # noqa: F811
    app.switch_page("ui/documents.py").run()
    app.text_input(key="list_filter").set_value("长政发2011 51号").run()
    assert not app.exception
    listed = [m.value for m in app.markdown if "class='ga-table'" in m.value][-1]
    assert listed.count("<tr>") == 2 and "长政发〔2011〕51号" in listed


def test_a_citation_opens_its_document_at_the_cited_section(app):  # noqa: F811
    ask(app, FAMILY_Q)
    app.button(key=next(b.key for b in app.button if b.key and b.key.startswith("open_"))).click().run()
    assert not app.exception, app.exception
    assert app.selectbox(key="doc_read").value == "长政办发〔2024〕28号"
    cited = [m.value for m in app.markdown if "引用的位置" in m.value]
    assert cited and "高龄津贴" in cited[0]


def test_a_repealed_document_shows_its_history(tmp_path_factory, monkeypatch):
    """Two issues of one series: the earlier issue's 函 was repealed by a 决定 of the later one;
    its page says so, with the date and the later document's own words."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import FIXTURE_ISSUES, built_index
    from tests.test_app import APP, TIMEOUT

    series = FIXTURE_ISSUES / "linchuan-2025"
    data = built_index(
        tmp_path_factory.mktemp("history"), series / "issue-2025-02.txt", series / "issue-2025-04.txt"
    )
    monkeypatch.setenv("GAZETTE_DATA_DIR", str(data))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("ui/documents.py").run()
    at.selectbox(key="doc_read").set_value("临政办函〔2025〕5号").run()
    assert not at.exception, at.exception
    assert any(e.label.startswith("历史") for e in at.expander)
    told = "\n".join(m.value for m in at.markdown if "临政发〔2025〕14号" in m.value)
    assert "列入" in told and "2025-07-21" in told
