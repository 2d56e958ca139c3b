"""可享受的待遇: the benefits navigator as a form — age and conditions in, every benefit row of
the ingested tables out (applies / one condition short / 请核实), each with its verbatim
source, and a printable one-page summary. The form's values stay in this browser session:
never in the URL, never logged, never stored."""

from __future__ import annotations

import html

import streamlit as st

from assistant import CONDITION_TAGS, NAVIGATOR_DISCLAIMER, NAVIGATOR_FLOOR, Profile, conditions_in, navigate
from assistant.present import md_escape, status_label
from ui.common import base_assistant, settings, show_load_error
from ui.printable import summary_html

try:
    bot = base_assistant(settings())
except Exception as exc:  # noqa: BLE001 - shown as a readable message
    show_load_error(exc)
    st.stop()

st.title("可享受的待遇")
st.caption(
    "填写年龄和情况，列出公报表格里适用的每一项待遇、标准、办理部门和原文出处。填写的内容不保存、不记录。"
)

chunks = bot.chunks()
docs = {d.id: d for d in bot.documents()}
# the conditions the ingested tables name come first; the rest of the vocabulary after
named = {t for c in chunks if c.kind == "table_row" for t in conditions_in(c.cell("who"))}
offered = [t for t in CONDITION_TAGS if t in named] + [t for t in CONDITION_TAGS if t not in named]

with st.form("navigator"):
    age = st.number_input("年龄（周岁）", min_value=0, max_value=130, value=None, step=1, key="nav_age")
    picked = st.multiselect(
        "情况（可多选）", offered, key="nav_conditions", placeholder="例如：低保、中度失能"
    )
    go = st.form_submit_button("查看可享受的待遇", type="primary")

if go:
    st.session_state["nav_profile"] = Profile(
        age=int(age) if age is not None else None, conditions=frozenset(picked)
    )
profile: Profile | None = st.session_state.get("nav_profile")


def _card(b, tail: str = "") -> None:
    d = b.doc
    with st.container(border=True):
        status = (d.status if d else b.chunk.status) or "unknown"
        meta = " · ".join(
            x
            for x in (
                html.escape(d.issue if d and d.issue else b.chunk.issue or ""),
                f"第{b.chunk.page}页起" if b.chunk.page else "",
                html.escape(d.date or "") if d else "",
            )
            if x
        )
        st.markdown(
            f"<b>{html.escape(b.item)}</b> · {html.escape(b.lead or '—')}<br>"
            f"<span class='ga-meta'>{html.escape(b.chunk.doc_number or '')}《{html.escape(b.chunk.doc_title)}》"
            f" · {meta} · <span class='ga-badge ga-{html.escape(status)}'>{html.escape(status_label(status))}</span></span>",
            unsafe_allow_html=True,
        )
        st.markdown(f"<div class='ga-clause'>{html.escape(b.standard)}</div>", unsafe_allow_html=True)
        st.caption(f"对象：{md_escape(b.who)}" + (f" · {md_escape(tail)}" if tail else ""))


if profile is not None:
    nav = navigate(chunks, docs, profile)
    st.subheader(f"适用（{len(nav.eligible)}项）")
    if not nav.eligible:
        st.info("公报表格里没有完全符合的项目。")
    for b in nav.eligible:
        _card(b)
    if nav.nearly:
        st.subheader(f"还差一个条件（{len(nav.nearly)}项）")
        for b in nav.nearly:
            _card(b, f"还需：{b.missing[0]}")
    if nav.unclear:
        st.subheader(f"请核实（{len(nav.unclear)}项）")
        st.caption("这些项目的“对象”写法无法自动对照，请按原文自行核实或咨询办理部门。")
        for b in nav.unclear:
            _card(b, "请核实")
    if any("不低于" in b.standard for b in nav.eligible):
        st.caption("💡 " + NAVIGATOR_FLOOR)
    st.caption(NAVIGATOR_DISCLAIMER)
    st.download_button(
        "下载一页纸摘要（可打印）",
        data=summary_html(nav).encode("utf-8"),
        file_name="可享受的待遇.html",
        mime="text/html",
        key="nav_print",
        on_click="ignore",
    )
