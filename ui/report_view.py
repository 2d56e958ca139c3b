"""How the QA page shows one evaluation report: the gate in Chinese (with "not measured" as
its own verdict), headline numbers beside the naive baseline, the report's charts, failing items."""

from __future__ import annotations

import re

import streamlit as st

from eval import hit_at_k, pass_rate_by_type

LABELS = {
    "pass_rate": "通过率",
    "hit_at_1": "检索命中@1",
    "hit_at_3": "检索命中@3",
    "hit_at_5": "检索命中@5",
    "hit_at_10": "检索命中@10",
    "recall_at_1": "检索召回@1",
    "recall_at_3": "检索召回@3",
    "recall_at_5": "检索召回@5",
    "recall_at_10": "检索召回@10",
    "mrr": "平均倒数排名",
    "citation_verbatim": "引用逐字率",
    "citation_precision": "引用精确率",
    "citation_recall": "引用召回率",
    "keypoint_accuracy": "要点准确率",
    "keypoints_first_sentence": "首句要点",
    "faithfulness": "忠实度（数字文号有出处）",
    "refusal_accuracy": "拒答准确率",
    "false_refusal_rate": "误拒率",
    "latency_p50_ms": "延迟中位数",
    "latency_p95_ms": "延迟 p95",
    "first_sentence_margin_over_naive": "首句要点领先基线",
}
HEADLINE = [
    "pass_rate",
    "hit_at_5",
    "citation_verbatim",
    "keypoints_first_sentence",
    "refusal_accuracy",
    "false_refusal_rate",
]
NOT_MEASURED = "未测量"


def label(name: str) -> str:
    return LABELS.get(name, name)


def fmt(name: str, v) -> str:
    if v is None or isinstance(v, bool) or not isinstance(v, int | float):
        return NOT_MEASURED
    if name.endswith("_ms"):
        return f"{v:,.0f} ms"
    if name == "mrr":
        return f"{v:.3f}"
    if name == "first_sentence_margin_over_naive":
        return f"{v * 100:+.1f} 个百分点"
    return f"{v:.1%}"


def gate_rows(metrics: dict) -> list[dict]:
    """Every gated metric with its bound and a Chinese verdict (通过 / 未达标 / 未测量)."""
    gate = metrics.get("gate") or {}
    overall = metrics.get("overall", {})
    rows = []
    for name, bounds in (gate.get("thresholds") or {}).items():
        value = overall.get(name, metrics.get(name))
        measured = isinstance(value, int | float) and not isinstance(value, bool)
        for bound, limit in bounds.items():
            if not measured:
                verdict = NOT_MEASURED
            elif bound == "min":
                verdict = "通过" if value >= limit - 1e-9 else "未达标"
            else:
                verdict = "通过" if value <= limit + 1e-9 else "未达标"
            sign = "≥" if bound == "min" else "≤"
            rows.append(
                {
                    "指标": label(name),
                    "门槛": f"{sign} {fmt(name, limit)}",
                    "本次": fmt(name, value),
                    "判定": verdict,
                }
            )
    if not rows:  # an older report without the thresholds: read its violations
        for v in gate.get("violations", []):
            name = re.split(r"[:= ]", v, maxsplit=1)[0]
            rows.append(
                {
                    "指标": label(name),
                    "门槛": "",
                    "本次": "",
                    "判定": NOT_MEASURED if "not measured" in v else "未达标",
                }
            )
    return rows


def show_gate(metrics: dict) -> None:
    if metrics.get("gate") is None:
        st.info("发布门槛：本次没有检查。")
        return
    rows = gate_rows(metrics)
    failed = [r for r in rows if r["判定"] == "未达标"]
    unmeasured = [r for r in rows if r["判定"] == NOT_MEASURED]
    if failed:
        st.error("发布门槛：未通过（" + "、".join(r["指标"] for r in failed) + " 未达标）")
    elif unmeasured:
        st.warning(
            "发布门槛：未能完整判定 — "
            + "、".join(r["指标"] for r in unmeasured)
            + " 本次未测量（题量小、没有相应题型或没跑简单基线），其余指标均达标。"
        )
    else:
        st.success("发布门槛：通过")
    with st.expander("门槛明细"):
        st.dataframe(rows, hide_index=True)


def show_metrics(metrics: dict, results: list[dict] | None) -> None:
    """One report: gate, headline numbers beside the naive baseline, charts, failing items."""
    overall = metrics.get("overall", {})
    naive = (metrics.get("naive") or {}).get("overall")
    show_gate(metrics)
    cols = st.columns(3)
    for i, key in enumerate(HEADLINE):
        theirs = f"简单基线 {fmt(key, naive.get(key))}" if naive else None
        cols[i % 3].metric(label(key), fmt(key, overall.get(key)), delta=theirs, delta_color="off")
    st.caption(
        f"{metrics.get('label', '')} · {metrics.get('created_at', '')} · 共 {metrics.get('n_items', '?')} 题"
        f" · 延迟中位数 {fmt('latency_p50_ms', overall.get('latency_p50_ms'))}"
        f" / p95 {fmt('latency_p95_ms', overall.get('latency_p95_ms'))}"
    )
    if metrics.get("by_type"):
        st.markdown("**各题型通过率**（与简单基线并列，坐标固定 0–100 %）")
        st.altair_chart(pass_rate_by_type(metrics), width="stretch")
        st.markdown("**检索命中@k**")
        st.altair_chart(hit_at_k(metrics), width="stretch")
    with st.expander("全部指标"):
        st.dataframe(
            [
                {
                    "指标": label(k),
                    "本系统": fmt(k, v),
                    **({"简单基线": fmt(k, naive.get(k))} if naive else {}),
                }
                for k, v in overall.items()
            ],
            hide_index=True,
        )
    if results is not None:
        failing = [r for r in results if not r.get("pass")]
        st.markdown(f"**未通过的题目（{len(failing)}）**")
        if failing:
            st.dataframe(
                [
                    {
                        "编号": r["id"],
                        "题型": r.get("type"),
                        "问题": r.get("question"),
                        "原因": "；".join(r.get("reasons", [])),
                        "回答": (r.get("answer", {}).get("answer") or "").split("\n")[0][:120],
                    }
                    for r in failing
                ],
                hide_index=True,
            )
