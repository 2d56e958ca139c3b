"""文件: the indexed documents, each readable with its structure, and the valid/repealed lists.

Every column stays readable on a phone (ui/tables.py). A citation's "在文件中打开" lands here
with the document chosen and the cited section shown first, marked."""

from __future__ import annotations

import html

import streamlit as st

from assistant.present import crumbs, list_entries, md_escape, outline, roles_line, status_label, text_html
from ui.common import base_assistant, settings, show_load_error
from ui.tables import matches, table_html

try:
    bot = base_assistant(settings())
except Exception as exc:  # noqa: BLE001 - shown as a readable message
    show_load_error(exc)
    st.stop()

STATUS_CLASS = {status_label(s): f"ga-{s}" for s in ("valid", "repealed", "unknown")}
LISTED_CLASS = {
    "继续有效": "ga-valid",
    "废止或失效": "ga-repealed",
    "废止": "ga-repealed",
    "失效": "ga-repealed",
}

st.title("公报文件")
docs = sorted(bot.documents(), key=lambda d: (d.page or 0, d.id))
st.caption(f"本期公报收录 {len(docs)} 份文件。效力按公报所载；“未注明”表示公报没有写明。")
needle = st.text_input(
    "查找文件（标题或文号，如 某政发2011 51号）", key="doc_search", placeholder="输入标题中的词或文号"
)
doc_rows = [
    {
        "文号": d.doc_number or "",
        "标题": d.title,
        "日期": d.date or "",
        "起始页": d.page or "",
        "效力": status_label(d.status),
    }
    for d in docs
]
shown_docs = [r for r in doc_rows if matches(r, needle)]
st.markdown(table_html(shown_docs, {"效力": STATUS_CLASS}), unsafe_allow_html=True)
if needle and not shown_docs:
    st.caption("本期公报没有这份文件；下面的目录里可能列着它。")

# a citation opened from the chat: choose its document, show the cited section first
opened = st.session_state.pop("open_doc", None)
if opened and bot.document(opened.get("doc", "")) is not None:
    st.session_state["doc_read"] = opened["doc"]
    st.session_state["doc_section"] = opened.get("section", "")

st.subheader("阅读文件")
ids = [d.id for d in docs]
chosen = st.selectbox(
    "选择文件",
    ids,
    key="doc_read",
    format_func=lambda i: f"{bot.document(i).display_name}　{bot.document(i).title}",
)
doc = bot.document(chosen) if chosen else None
if doc is not None:
    meta = " · ".join(
        x
        for x in (
            doc.issue,
            f"第{doc.page}页起" if doc.page else "",
            doc.office,
            doc.date,
            f"效力：{status_label(doc.status)}",
        )
        if x
    )
    st.markdown(
        f"**{html.escape(doc.title)}**  \n<span class='ga-meta'>{html.escape(meta)}</span>",
        unsafe_allow_html=True,
    )
    events = bot.document_history(doc.id)
    if events:  # what the gazette prints of this document's standing, across the issues indexed
        with st.expander(f"历史（{len(events)}）", expanded=doc.status == "repealed"):
            for e in events:
                when = " · ".join(x for x in (e.date, e.issue) if x)
                st.markdown(
                    f"- **{md_escape(e.actor)}** {md_escape(e.what)}：{md_escape(e.subject)}"
                    f"<br><span class='ga-meta'>{html.escape(when)}　“{html.escape(e.quote[:160])}”</span>",
                    unsafe_allow_html=True,
                )
    section = st.session_state.get("doc_section", "")
    if section and section.startswith(doc.id):
        with st.container(border=True, key="cited_section"):
            st.markdown(f"**📍 引用的位置：{md_escape(crumbs(section))}**")
            body = bot.section_text(section) or next(
                (c.text for c in bot.chunks(doc.id) if c.section == section), ""
            )
            st.markdown(f"<div class='ga-clause'>{text_html(body)}</div>", unsafe_allow_html=True)
    chunks = bot.chunks(doc.id)
    with st.container(border=True):
        for block in outline(chunks):
            if block.kind == "heading":
                level = min(block.level, 4) + 2  # h3..h6: headings stay smaller than the page title
                st.markdown(f"<h{level}>{html.escape(block.text)}</h{level}>", unsafe_allow_html=True)
            elif block.kind == "table":
                if block.roles:
                    st.caption("列的作用（入库时识别）：" + md_escape(roles_line(block.roles)))
                st.markdown(table_html(block.rows), unsafe_allow_html=True)
            else:
                st.markdown(f"<div class='ga-clause'>{text_html(block.text)}</div>", unsafe_allow_html=True)

rows = list_entries(bot.chunks())
if rows:
    st.subheader("继续有效 / 废止或失效的文件目录")
    list_needle = st.text_input(
        "在目录中查找（标题或文号）", key="list_filter", placeholder="输入标题中的词或文号"
    )
    statuses = sorted({r["状态"] for r in rows if r["状态"]})
    pick = st.multiselect("状态", statuses, key="list_status", placeholder="全部")
    shown = [
        {k: r[k] for k in ("文号", "标题", "状态", "目录")}
        for r in rows
        if matches(r, list_needle) and (not pick or r["状态"] in pick)
    ]
    st.caption(f"共 {len(shown)} 条（目录共 {len(rows)} 条）")
    st.markdown(table_html(shown, {"状态": LISTED_CLASS}), unsafe_allow_html=True)
