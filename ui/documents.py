"""文件: the indexed documents, each readable with its structure, and the valid/repealed lists."""

from __future__ import annotations

import html

import streamlit as st

from assistant.present import (
    filter_rows,
    list_entries,
    md_escape,
    outline,
    roles_line,
    status_label,
    text_html,
)
from ui.common import base_assistant, settings, show_load_error

try:
    bot = base_assistant(settings())
except Exception as exc:  # noqa: BLE001 - shown as a readable message
    show_load_error(exc)
    st.stop()

st.title("公报文件")
docs = sorted(bot.documents(), key=lambda d: (d.page or 0, d.id))
st.caption(f"本期公报收录 {len(docs)} 份文件。效力按公报所载；“未注明”表示公报没有写明。")
st.dataframe(
    [
        {
            "文号": d.doc_number or "",
            "标题": d.title,
            "日期": d.date or "",
            "起始页": d.page,
            "效力": status_label(d.status),
        }
        for d in docs
    ],
    hide_index=True,
    key="doc_table",
)

st.subheader("阅读文件")
chosen = st.selectbox(
    "选择文件",
    [d.id for d in docs],
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
    chunks = bot.chunks(doc.id)
    with st.container(border=True):
        for i, block in enumerate(outline(chunks)):
            if block.kind == "heading":
                level = min(block.level, 4) + 2  # h3..h6: headings stay smaller than the page title
                st.markdown(f"<h{level}>{html.escape(block.text)}</h{level}>", unsafe_allow_html=True)
            elif block.kind == "table":
                if block.roles:
                    st.caption("列的作用（入库时识别）：" + md_escape(roles_line(block.roles)))
                st.dataframe(block.rows, hide_index=True, key=f"outline_table_{doc.id}_{i}")
            else:
                st.markdown(f"<div class='ga-clause'>{text_html(block.text)}</div>", unsafe_allow_html=True)

rows = list_entries(bot.chunks())
if rows:
    st.subheader("继续有效 / 废止或失效的文件目录")
    needle = st.text_input(
        "在目录中查找（标题或文号）", key="list_filter", placeholder="输入标题中的词或文号"
    )
    statuses = sorted({r["状态"] for r in rows if r["状态"]})
    pick = st.multiselect("状态", statuses, key="list_status", placeholder="全部")
    shown = [r for r in filter_rows(rows, needle) if not pick or r["状态"] in pick]
    st.caption(f"共 {len(shown)} 条（目录共 {len(rows)} 条）")
    st.dataframe(shown, hide_index=True, key="list_table")
