"""The Streamlit shell: page setup, shared sidebar, navigation (the pages are ui/chat.py, ui/documents.py,
ui/qa.py). ``app.py`` calls ``main()`` on every rerun."""

from __future__ import annotations

import streamlit as st

from ui.common import MODES, base_assistant, index_version, manifest, settings

# Constant CSS (no document or user text): cards, highlights, and phone-friendly wrapping.
BASE_CSS = """
<style>
mark { background: #ffe58a; color: inherit; padding: 0 .1em; border-radius: 2px; }
.ga-answer, .ga-clause { line-height: 1.75; overflow-wrap: anywhere; word-break: break-word; }
.ga-clause { border-left: 3px solid #d0d7de; padding-left: .6em; margin: .3em 0 .5em 0; }
.ga-meta { color: #57606a; font-size: .9em; overflow-wrap: anywhere; }
.ga-badge { display: inline-block; padding: 0 .45em; border-radius: 4px; font-size: .85em; }
.ga-valid { background: #dafbe1; color: #116329; }
.ga-repealed { background: #ffebe9; color: #82071e; }
.ga-unknown { background: #eaeef2; color: #424a53; }
pre, code { white-space: pre-wrap !important; overflow-wrap: anywhere; }
.ga-answer ol { margin: .3em 0 .6em 0; padding-left: 1.6em; } .ga-answer li { margin: .15em 0; }
.ga-answer p { margin: 0 0 .4em 0; }
.ga-table-wrap { max-width: 100%; overflow-x: auto; }
.ga-table { border-collapse: collapse; width: 100%; font-size: .92em; }
.ga-table th, .ga-table td { border: 1px solid #d0d7de; padding: .25em .45em; vertical-align: top; overflow-wrap: anywhere; word-break: break-word; text-align: left; }
.ga-table th { background: #f6f8fa; }
.ga-cited td { background: #fff8c5; }
@media (max-width: 640px) {
  .ga-table thead { display: none; }
  .ga-table, .ga-table tbody, .ga-table tr, .ga-table td { display: block; width: 100%; }
  .ga-table tr { border: 1px solid #d0d7de; border-radius: 6px; margin: 0 0 .5em 0; padding: .2em .4em; }
  .ga-table td { border: none; padding: .1em 0; }
  .ga-table td::before { content: attr(data-label) "："; color: #57606a; }
}
/* filter chips show the whole 文号 (two numbers differing in the last digit must look different) */
[data-testid="stMultiSelect"] [data-tag], [data-baseweb="tag"] { max-width: none !important; height: auto !important; }
[data-testid="stMultiSelect"] [data-tag] span[title], [data-baseweb="tag"] span {
  max-width: none !important; overflow: visible !important; text-overflow: clip !important; white-space: normal !important; }
</style>
"""
LARGE_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"], [data-testid="stSidebar"] { font-size: 20px; }
.stMarkdown p, .stMarkdown li, .ga-answer, .ga-clause, .stChatMessage, textarea, input, button { font-size: 1.15rem !important; }
</style>
"""


def main() -> None:
    st.set_page_config(page_title="公报问答助手", page_icon="📜", layout="centered")
    st.markdown(BASE_CSS, unsafe_allow_html=True)

    s = settings()
    with st.sidebar:
        st.markdown("### 📜 公报问答助手")
        if st.toggle("大字模式", key="large_text", help="放大文字，方便老年人阅读"):
            st.markdown(LARGE_CSS, unsafe_allow_html=True)
        modes = list(MODES)
        st.selectbox(
            "回答方式",
            modes,
            index=modes.index(s.answer_mode) if s.answer_mode in modes else 0,
            format_func=MODES.get,
            key="answer_mode",
            help="摘录模式直接引用公报原文；大模型模式先生成再逐句核对原文，核对不过就改用摘录。",
        )

    pages = [
        st.Page("ui/chat.py", title="问答", icon="💬", default=True),
        st.Page("ui/benefits.py", title="可享受的待遇", icon="🧓"),
        st.Page("ui/documents.py", title="文件", icon="📄"),
        st.Page("ui/qa.py", title="质检", icon="✅"),
    ]
    st.navigation(pages).run()

    # Index status last, so the first load's spinner shows on the page rather than in the sidebar.
    with st.sidebar:
        m = manifest(s)
        with st.expander("索引状态", expanded=False):
            if m is None:
                st.warning("尚未建立索引")
            else:
                n_chunks = sum(int(v.get("chunks", 0)) for v in m.get("sources", {}).values())
                try:
                    docs = base_assistant(s).documents()
                    n_docs = f"{len(docs)} 份"
                    issues = "、".join(sorted({d.issue for d in docs if d.issue})) or "—"
                except Exception:  # noqa: BLE001 - the page shows the load error itself
                    n_docs = issues = "—"
                st.markdown(
                    f"- 公报：{issues}\n"
                    f"- 文件：{n_docs}（来源 {len(m.get('sources', {}))} 个）\n"
                    f"- 片段：{n_chunks} 条\n"
                    f"- 建立时间：{index_version(s)}\n"
                    f"- 检索模型：`{m.get('embedding_model', '?')}`"
                )

    st.caption("本助手只引用公报原文作答，不构成法律意见；办理事项请以主管部门的答复为准。")
