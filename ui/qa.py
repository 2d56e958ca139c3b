"""质检: run the evaluation suite with a progress bar, read its metrics, open earlier reports, export feedback."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import streamlit as st

from assistant import REPO_ROOT
from eval import DatasetError, evaluate, load_items, pass_rate_by_type
from ui.common import assistant, feedback_store, log, settings, show_load_error

s = settings()
st.title("质检")
st.caption("发布前运行评测集：逐题判定是否通过，给出检索、引用、回答和拒答指标，并检查发布门槛。")

HEADLINE = [
    ("pass_rate", "通过率"),
    ("hit_at_5", "检索命中@5"),
    ("citation_verbatim", "引用逐字率"),
    ("keypoints_first_sentence", "首句要点"),
    ("refusal_accuracy", "拒答准确率"),
    ("false_refusal_rate", "误拒率"),
]


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


def _fmt(v) -> str:
    return f"{v:.1%}" if isinstance(v, int | float) and not isinstance(v, bool) else "—"


def show_metrics(metrics: dict, results: list[dict] | None) -> None:
    overall = metrics.get("overall", {})
    gate = metrics.get("gate")
    if gate is not None:
        if gate.get("passed"):
            st.success("发布门槛：通过")
        else:
            st.error("发布门槛：未通过\n\n" + "\n".join(f"- {v}" for v in gate.get("violations", [])))
    cols = st.columns(3)
    for i, (key, label) in enumerate(HEADLINE):
        cols[i % 3].metric(label, _fmt(overall.get(key)))
    st.caption(
        f"{metrics.get('label', '')} · {metrics.get('created_at', '')} · 共 {metrics.get('n_items', '?')} 题"
        f" · 延迟 p50 {overall.get('latency_p50_ms', 0):.0f} ms / p95 {overall.get('latency_p95_ms', 0):.0f} ms"
    )
    by_type = metrics.get("by_type", {})
    if by_type:
        st.markdown("**各题型通过率**")
        # the report's chart spec (eval.charts): fixed 0–100 % axis, naive side by side, no zoom
        st.altair_chart(pass_rate_by_type(metrics), width="stretch")
    with st.expander("全部指标"):
        st.dataframe(
            [{"指标": k, "数值": v} for k, v in overall.items()],
            hide_index=True,
        )
    if results is not None:
        failing = [r for r in results if not r.get("pass")]
        st.markdown(f"**未通过的题目（{len(failing)}）**")
        if failing:
            st.dataframe(
                [
                    {
                        "id": r["id"],
                        "题型": r.get("type"),
                        "问题": r.get("question"),
                        "原因": "；".join(r.get("reasons", [])),
                        "回答": (r.get("answer", {}).get("answer") or "").split("\n")[0][:120],
                    }
                    for r in failing
                ],
                hide_index=True,
            )


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
# run the suite
# --------------------------------------------------------------------------------------

st.subheader("运行评测")
default_dataset = REPO_ROOT / "eval" / "dataset.jsonl"
dataset = st.text_input("评测集文件（JSON Lines）", value=str(default_dataset), key="qa_dataset")
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

if st.button("开始评测", key="qa_run", type="primary"):
    try:
        bot = assistant(s)
    except Exception as exc:  # noqa: BLE001
        show_load_error(exc)
        st.stop()
    try:
        items = load_items(bot, Path(dataset), int(limit) if limit else None)
    except DatasetError as exc:
        st.error(f"评测集有问题：{exc}")
        st.stop()
    except OSError as exc:
        st.error(f"读不到评测集文件：{exc.strerror or exc}")
        st.stop()
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
        metrics = evaluate(
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

last = st.session_state.get("qa_last")
if last and (Path(last) / "metrics.json").is_file():
    st.subheader("本次结果")
    show_metrics(
        json.loads((Path(last) / "metrics.json").read_text(encoding="utf-8")),
        _read_results(Path(last) / "results.jsonl"),
    )

# --------------------------------------------------------------------------------------
# earlier reports
# --------------------------------------------------------------------------------------

st.subheader("历次报告")
earlier = _reports()
if not earlier:
    st.caption(f"还没有报告（{s.reports_dir}）。")
else:
    name = st.selectbox("选择报告", [p.name for p in earlier], key="qa_report")
    folder = s.reports_dir / name
    try:
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        st.error(f"报告读不出来：{type(exc).__name__}")
    else:
        show_metrics(metrics, _read_results(folder / "results.jsonl"))
        with st.expander("metrics.json"):
            st.json(metrics, expanded=False)
        html_path = folder / "report.html"
        if html_path.is_file():
            st.download_button(
                "下载 report.html",
                data=html_path.read_bytes(),
                file_name=f"{name}-report.html",
                mime="text/html",
                key="qa_report_html",
                on_click="ignore",
            )

# --------------------------------------------------------------------------------------
# feedback from readers
# --------------------------------------------------------------------------------------

st.subheader("读者反馈")
try:
    store = feedback_store(s)
    counts = store.counts()
    recent = store.list(limit=50)
except Exception as exc:  # noqa: BLE001
    log.exception("reading feedback failed")
    st.error(f"反馈记录读不出来（{type(exc).__name__}）。")
else:
    st.caption(f"👍 {counts['up']} · 👎 {counts['down']}")
    if recent:
        st.dataframe(
            [
                {
                    "时间": r.updated_at,
                    "评价": "👍" if r.rating == "up" else "👎",
                    "说明": r.comment,
                    "问题": r.question,
                    "方式": r.answer_mode,
                    "索引": r.index_version,
                }
                for r in recent
            ],
            hide_index=True,
        )
    st.download_button(
        "导出全部反馈（CSV）",
        data=("\ufeff" + store.to_csv()).encode("utf-8"),
        file_name="feedback.csv",
        mime="text/csv",
        key="fb_csv",
        on_click="ignore",
    )
