"""Answers that read well: hints only where they apply, badges on what is repealed."""

from __future__ import annotations

from tests.test_app import app, ask, data_dir  # noqa: F401 - fixtures
from ui.answer_view import answer_html


def test_numbered_lines_become_a_list():
    out = answer_html("有两项：\n1. 甲<b>\n2. 乙\n说明。")
    assert out == "<p>有两项：</p><ol start='1'><li>甲&lt;b&gt;</li><li>乙</li></ol><p>说明。</p>"


def test_floor_hint_not_under_a_discount(app):  # noqa: F811
    ask(app, "低保户每月能免多少度电？")
    assert "7.16元" in "\n".join(m.value for m in app.markdown)
    assert not any("最低标准" in c.value for c in app.caption)


def test_repeal_badge_is_on_the_listed_document_not_the_list(app):  # noqa: F811
    ask(app, "长政发〔2011〕51号还有效吗？")
    md = [m.value for m in app.markdown]
    head = next(m for m in md if m.startswith("<b>[1]") and "长政规〔2024〕2号" in m)
    assert "ga-valid" in head and "ga-repealed" not in head  # the list document itself is valid
    assert any("所列文件：已废止或失效" in m and "ga-repealed" in m for m in md)


def test_a_cited_row_that_names_a_law_article_opens_it(tmp_path_factory, monkeypatch, laws_dir):  # noqa: F811
    """An official reading a row of a table of a law's articles opens that article, whole, from
    the source card (the edition in force on the document's date)."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import GAZETTE, built_index
    from tests.test_app import APP, TIMEOUT

    law = laws_dir / "行政法" / "噪声污染防治法(2021-12-24).md"
    data = built_index(tmp_path_factory.mktemp("app-laws"), GAZETTE, law)
    monkeypatch.setenv("GAZETTE_DATA_DIR", str(data))
    monkeypatch.setenv("GAZETTE_ANSWER_MODE", "extractive")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    ask(at, "社会生活噪声扰民，劝阻、调解无效的，向哪个部门报告？")  # names no law: the gazette row answers
    assert any(m.value.startswith("<b>[1]") and "长政办发〔2024〕27号" in m.value for m in at.markdown)
    links = [e for e in at.expander if e.label.startswith("📖 《中华人民共和国噪声污染防治法》第七十条")]
    assert links, [e.label for e in at.expander]
    body = "\n".join(m.value for m in links[0].markdown)
    assert "基层群众性自治组织" in body and "第七十条" in body
