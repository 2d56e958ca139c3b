"""质检 (staff only): run an evaluation set picked by name, read one report per run with the
naive baseline beside ours, and read, export or delete readers' feedback."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import streamlit as st

from eval import DatasetError, evaluate, load_items
from ui.common import assistant, feedback_store, log, settings, show_load_error, staff_gate
from ui.datasets import SMOKE, catalogue, smoke
from ui.report_view import show_metrics

s = settings()
if not staff_gate(s):
    st.stop()

st.title("质检")
st.caption("发布前运行评测集：逐题判定是否通过，给出检索、引用、回答和拒答指标，并检查发布门槛。")


def _read_results(path: Path) -> list[dict] | None:
    try:
        with path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return None


def _reports() -> list[Path]:
    root = s.reports_dir
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if (p / "metrics.json").is_file()]
    return sorted(found, key=lambda p: (p / "metrics.json").stat().st_mtime, reverse=True)


# --------------------------------------------------------------------------------------
# run a dataset picked by name
# --------------------------------------------------------------------------------------

st.subheader("运行评测")
sets = catalogue()
name = st.selectbox("评测集", list(sets), key="qa_dataset", index=0 if sets else None)
c1, c2 = st.columns(2)
limit = c1.number_input("只跑前 N 题（0 = 全部）", min_value=0, value=0, step=10, key="qa_limit")
with_naive = c2.checkbox("同时跑简单基线（用时加倍，门槛需要）", value=True, key="qa_naive")
earlier = _reports()
baseline = st.selectbox(
    "与哪次结果对比（可选）",
    [None, *[p.name for p in earlier]],
    key="qa_baseline",
    format_func=lambda n: "不对比" if n is None else n,
)


class _Counting:
    """Wraps an assistant so each answered question moves the progress bar."""

    def __init__(self, inner, bar, total: int):
        self.inner, self.bar, self.total, self.done = inner, bar, max(total, 1), 0

    def ask(self, question: str, history: list[dict]):
        try:
            return self.inner.ask(question, history)
        finally:
            self.done += 1
            self.bar.progress(min(self.done / self.total, 1.0), text=f"已完成 {self.done}/{self.total} 题")


if st.button("开始评测", key="qa_run", type="primary", disabled=not sets):
    try:
        bot = assistant(s)
    except Exception as exc:  # noqa: BLE001
        show_load_error(exc)
        st.stop()
    try:
        items = load_items(bot, sets[name])
    except DatasetError:
        log.warning("dataset %s does not fit the index", name)
        st.error(f"“{name}”的题目引用了当前索引里没有的文件，不能在这个索引上评测。")
        st.stop()
    except OSError:
        st.error(f"读不到评测集“{name}”。")
        st.stop()
    if name == SMOKE:
        items = smoke(items)
    items = items[: int(limit)] if limit else items
    if not items:
        st.warning("评测集里没有题目。")
        st.stop()
    out = s.reports_dir / f"app-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    total = len(items) * (2 if with_naive else 1)
    bar = st.progress(0.0, text=f"已完成 0/{total} 题")

    def counting(answerer, done: int) -> _Counting:
        wrapped = _Counting(answerer, bar, total)
        wrapped.done = done  # the naive pass runs second and continues the count
        return wrapped

    try:
        evaluate(
            bot,
            items,
            out,
            label=s.answer_mode,
            with_naive=with_naive,
            progress=False,
            baseline_dir=s.reports_dir / baseline if baseline else None,
            wrap=counting,
        )
    except Exception as exc:  # noqa: BLE001 - a readable message, never a traceback
        log.exception("evaluation run failed")
        st.error(f"评测运行失败（{type(exc).__name__}）。详情见服务器日志。")
        st.stop()
    bar.progress(1.0, text=f"完成：{len(items)} 题，报告在 {out.name}")
    st.session_state["qa_last"] = str(out)
    st.session_state["qa_report"] = out.name  # the report below is this run's: shown once

# --------------------------------------------------------------------------------------
# one report (this run's, or an earlier one)
# --------------------------------------------------------------------------------------

st.subheader("评测报告")
earlier = _reports()
if not earlier:
    st.caption("还没有报告。")
else:
    names = [p.name for p in earlier]
    if st.session_state.get("qa_report") not in names:
        st.session_state["qa_report"] = names[0]
    picked = st.selectbox("选择报告", names, key="qa_report")
    folder = s.reports_dir / picked
    try:
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        st.error(f"报告读不出来：{type(exc).__name__}")
    else:
        show_metrics(metrics, _read_results(folder / "results.jsonl"))
        html_path = folder / "report.html"
        if html_path.is_file():
            st.download_button(
                "下载 report.html",
                data=html_path.read_bytes(),
                file_name=f"{picked}-report.html",
                mime="text/html",
                key="qa_report_html",
                on_click="ignore",
            )

# --------------------------------------------------------------------------------------
# readers' feedback (kept for the retention period; deletable)
# --------------------------------------------------------------------------------------

st.subheader("读者反馈")
try:
    store = feedback_store(s)
    store.purge(s.feedback_retention_days)
    counts = store.counts()
    recent = store.list(limit=50)
except Exception as exc:  # noqa: BLE001
    log.exception("reading feedback failed")
    st.error(f"反馈记录读不出来（{type(exc).__name__}）。")
else:
    st.caption(
        f"👍 {counts['up']} · 👎 {counts['down']} · 保留 {s.feedback_retention_days} 天，"
        "证件号、电话和邮箱在保存前已隐去。"
    )
    if recent:
        st.dataframe(
            [
                {
                    "时间": r.updated_at,
                    "评价": "👍" if r.rating == "up" else "👎",
                    "说明": r.comment,
                    "问题": r.question,
                    "方式": r.answer_mode,
                    "编号": r.answer_id[:8],
                }
                for r in recent
            ],
            hide_index=True,
        )
        c1, c2 = st.columns(2)
        gone = c1.selectbox(
            "删除一条反馈",
            [None, *[r.answer_id for r in recent]],
            key="fb_delete_pick",
            format_func=lambda i: "（选择编号）" if i is None else i[:8],
        )
        if c2.button("删除", key="fb_delete", disabled=gone is None) and gone:
            store.delete(gone)
            st.rerun()
    st.download_button(
        "导出全部反馈（CSV）",
        data=("\ufeff" + store.to_csv()).encode("utf-8"),
        file_name="feedback.csv",
        mime="text/csv",
        key="fb_csv",
        on_click="ignore",
    )
