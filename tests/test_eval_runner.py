"""The eval runner with fake assistants: files written, baseline comparison, escaping, the gate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from core.schema import NOT_IN_GAZETTE, Answer, Citation, Passage
from core.settings import REPO_ROOT
from core.textnorm import fold
from eval.dataset import EvalItem
from eval.runner import (
    DEFAULT_THRESHOLDS,
    check_gate,
    compare_thresholds,
    load_thresholds,
    parse_thresholds,
    run_eval,
)

DN = "长政办发〔2024〕28号"
Q150 = "90周岁(含)至99周岁(含)不低于150元/人/月"
Q70 = "80周岁(含)至89周岁(含)不低于70元/人/月"
DOC_TEXTS = {DN: fold(f"高龄津贴\t{Q70};{Q150}\t市民政局")}
SCRIPT = "<script>alert('x')</script>"

ITEMS = [
    EvalItem(
        id="E001",
        persona="family",
        type="numeric",
        question="我爸今年91了，高龄津贴一个月有多少？",
        answerable=True,
        gold_doc=DN,
        gold_quotes=[Q150],
        answer_keypoints=["不低于150元"],
        notes="",
    ),
    EvalItem(
        id="E002",
        persona="family",
        type="numeric",
        question="我奶奶85岁，每个月能领多少？",
        answerable=True,
        gold_doc=DN,
        gold_quotes=[Q70],
        answer_keypoints=["不低于70元"],
        notes="",
    ),
    EvalItem(
        id="U001",
        persona="qa",
        type="unanswerable",
        question=f"{SCRIPT} 公务员工资涨多少？",
        answerable=False,
        gold_doc=None,
        gold_quotes=[],
        answer_keypoints=[],
        notes="",
    ),
]


def good(quote: str, amount: str) -> Answer:
    return Answer(
        question="",
        answer=f"不低于{amount}/人/月。",
        citations=[
            Citation(
                doc_number=DN,
                doc_title="清单",
                section=f"{DN} › 高龄津贴",
                quote=quote,
                chunk_id="c",
                source="g",
            )
        ],
        passages=[Passage(chunk_id="c", doc_number=DN, section=DN, text=quote, score=1.0)],
        timings_ms={"total": 120.0},
    )


def wrong(_: str = "") -> Answer:
    """Cites the 150元 band but says 70元: unfaithful, keypoint missing."""
    ans = good(Q150, "70元")
    return ans.model_copy(update={"passages": []})


REFUSAL = Answer(question="", answer=NOT_IN_GAZETTE, refused=True, timings_ms={"total": 40.0})


class FakeAssistant:
    """Answers from a table keyed by item question; records what it was asked."""

    def __init__(self, answers: dict[str, Answer | Exception]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, list]] = []

    def ask(self, question: str, history: list) -> Answer:
        self.asked.append((question, history))
        out = self.answers[question]
        if isinstance(out, Exception):
            raise out
        return out.model_copy(update={"question": question})


def fake(
    e001: Answer | Exception, e002: Answer | Exception, u001: Answer | Exception = REFUSAL
) -> FakeAssistant:
    return FakeAssistant({ITEMS[0].question: e001, ITEMS[1].question: e002, ITEMS[2].question: u001})


def thresholds(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "thresholds.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- run_eval --------------------------------------------------------------------------------


def test_run_writes_results_metrics_and_both_reports(tmp_path: Path) -> None:
    bot = fake(good(Q150, "150元"), wrong())
    metrics = run_eval(bot, ITEMS, tmp_path / "run", DOC_TEXTS, progress=False)
    out = tmp_path / "run"
    for name in ("results.jsonl", "metrics.json", "report.md", "report.html"):
        assert (out / name).is_file(), name
    assert [q for q, _ in bot.asked] == [i.question for i in ITEMS]
    assert all(h == [] for _, h in bot.asked)

    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["E001", "E002", "U001"]
    assert [r["pass"] for r in rows] == [True, False, True]
    assert rows[0]["answer"]["id"] == "E001"
    assert rows[0]["metrics"]["hit_at_5"] is True
    assert any("unfaithful" in r for r in rows[1]["reasons"])
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8")) == metrics
    assert metrics["overall"]["pass_rate"] == pytest.approx(2 / 3)
    assert metrics["overall"]["faithfulness"] == 0.5
    assert set(metrics["by_type"]) == {"numeric", "unanswerable"}
    assert metrics["gate"]["passed"] is False  # 2 answers are not enough for hit@5 ≥ 0.95 here
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Gate: FAIL" in html and "<svg" in html and "E002" in html


def test_an_assistant_error_fails_that_item_and_the_run_goes_on(tmp_path: Path) -> None:
    bot = fake(RuntimeError("index missing"), good(Q70, "70元"))
    metrics = run_eval(bot, ITEMS, tmp_path, DOC_TEXTS, progress=False, thresholds_path=None)
    rows = [
        json.loads(line) for line in (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert rows[0]["pass"] is False
    assert any("RuntimeError: index missing" in r for r in rows[0]["reasons"])
    assert rows[1]["pass"] is True
    assert "gate" not in metrics


def test_baseline_comparison_finds_a_regression_and_a_fix(tmp_path: Path) -> None:
    run_eval(
        fake(good(Q150, "150元"), wrong()), ITEMS, tmp_path / "before", DOC_TEXTS, label="v1", progress=False
    )
    metrics = run_eval(
        fake(wrong(), good(Q70, "70元")),
        ITEMS,
        tmp_path / "after",
        DOC_TEXTS,
        label="v2",
        progress=False,
        baseline_dir=tmp_path / "before",
    )
    base = metrics["baseline"]
    assert [r["id"] for r in base["regressions"]] == ["E001"]
    assert [r["id"] for r in base["fixes"]] == ["E002"]
    assert base["label"] == "v1"
    assert base["deltas"]["pass_rate"]["delta"] == pytest.approx(0.0)
    md = (tmp_path / "after" / "report.md").read_text(encoding="utf-8")
    assert "Regressions (1)" in md and "Fixes (1)" in md


def test_missing_baseline_is_reported_not_fatal(tmp_path: Path) -> None:
    metrics = run_eval(
        fake(good(Q150, "150元"), wrong()),
        ITEMS,
        tmp_path / "r",
        DOC_TEXTS,
        progress=False,
        baseline_dir=tmp_path / "nope",
    )
    assert "baseline unreadable" in metrics["baseline"]["error"]
    assert "baseline unreadable" in (tmp_path / "r" / "report.html").read_text(encoding="utf-8")


def test_naive_assistant_runs_side_by_side_and_sets_the_margin(tmp_path: Path) -> None:
    # naive: the top passage as the answer, so the keypoint (不低于150元) is not up front
    naive_answer = Answer(question="", answer=f"高龄津贴：{Q70}；{Q150}", timings_ms={"total": 10.0})
    naive = FakeAssistant({i.question: naive_answer for i in ITEMS})
    metrics = run_eval(
        fake(good(Q150, "150元"), good(Q70, "70元")),
        ITEMS,
        tmp_path,
        DOC_TEXTS,
        progress=False,
        naive_assistant=naive,
    )
    assert metrics["overall"]["keypoints_first_sentence"] == 1.0
    assert (
        metrics["naive"]["overall"]["keypoints_first_sentence"] == 1.0
    )  # both bands are in its one sentence
    assert metrics["overall"]["first_sentence_margin_over_naive"] == 0.0
    assert "first_sentence_margin_over_naive = 0" in " ".join(metrics["gate"]["violations"])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "naive baseline" in html
    rows = [
        json.loads(line) for line in (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert rows[2]["naive"]["pass"] is False  # the naive one never refuses


def test_report_escapes_questions_and_answers(tmp_path: Path) -> None:
    evil = Answer(question="", answer=f"{SCRIPT}每月200元", timings_ms={"total": 1.0})
    run_eval(fake(good(Q150, "150元"), good(Q70, "70元"), evil), ITEMS, tmp_path, DOC_TEXTS, progress=False)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html
    assert "<script" not in md.lower()


# --- the gate --------------------------------------------------------------------------------


def test_check_gate_flags_metrics_on_the_wrong_side(tmp_path: Path) -> None:
    path = thresholds(
        tmp_path, "[hit_at_5]\nmin = 0.95\n\n[false_refusal_rate]\nmax = 0.05\n\n[faithfulness]\nmin = 1.0\n"
    )
    ok = {"overall": {"hit_at_5": 0.96, "false_refusal_rate": 0.05, "faithfulness": 1.0}}
    assert check_gate(ok, path) == []
    bad = {"overall": {"hit_at_5": 0.9, "false_refusal_rate": 0.1, "faithfulness": None}}
    violations = check_gate(bad, path)
    assert len(violations) == 3
    assert "hit_at_5 = 0.9 is below the minimum 0.95" in violations
    assert "false_refusal_rate = 0.1 is above the maximum 0.05" in violations
    assert any(v.startswith("faithfulness: not measured") for v in violations)


def test_check_gate_reads_top_level_metrics_and_tolerates_float_noise(tmp_path: Path) -> None:
    path = thresholds(tmp_path, "[first_sentence_margin_over_naive]\nmin = 0.20\n")
    assert check_gate({"overall": {}, "first_sentence_margin_over_naive": 0.85 - 0.65}, path) == []
    assert check_gate({"overall": {"first_sentence_margin_over_naive": 0.19}}, path)


@pytest.mark.parametrize(
    "text", ["[hit_at_5]\nminimum = 0.9\n", "[hit_at_5]\n", "hit_at_5 = 0.9\n", '[x]\nmin = "a"\n']
)
def test_malformed_thresholds_are_errors(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError):
        load_thresholds(thresholds(tmp_path, text))


def test_shipped_thresholds_gate_the_agreed_metrics() -> None:
    gated = load_thresholds(DEFAULT_THRESHOLDS)
    assert gated["citation_verbatim"] == {"min": 1.0}
    assert gated["false_refusal_rate"].keys() == {"max"}
    for name in (
        "faithfulness",
        "hit_at_5",
        "keypoints_first_sentence",
        "refusal_accuracy",
        "first_sentence_margin_over_naive",
    ):
        assert "min" in gated[name]
    # every gated name is a metric the runner produces (a typo would otherwise gate nothing)
    from eval.metrics import METRIC_NAMES

    assert set(gated) <= {*METRIC_NAMES, "first_sentence_margin_over_naive"}


def test_compare_thresholds_finds_every_loosening() -> None:
    old = {"a": {"min": 0.9}, "b": {"max": 0.05}, "c": {"min": 1.0}, "d": {"min": 0.5, "max": 0.7}}
    assert (
        compare_thresholds(
            old,
            {
                "a": {"min": 0.95},
                "b": {"max": 0.01},
                "c": {"min": 1.0},
                "d": {"min": 0.5, "max": 0.7},
                "e": {"min": 0},
            },
        )
        == []
    )
    problems = compare_thresholds(old, {"a": {"min": 0.8}, "b": {"max": 0.1}, "d": {"max": 0.7}})
    assert problems == [
        "a: min lowered 0.9 -> 0.8",
        "b: max raised 0.05 -> 0.1",
        "c: removed",
        "d: min removed (was 0.5)",
    ]


# --- thresholds only go up ---------------------------------------------------------------------

REL = "eval/thresholds.toml"


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _committed_versions() -> list[str]:
    """Texts of eval/thresholds.toml in the commits that touched it, newest first."""
    log = _git("log", "--format=%H", "--", REL)
    texts = []
    for sha in (log or "").split():
        text = _git("show", f"{sha}:{REL}")
        if text is not None:  # None: the commit deleted it
            texts.append(text)
    return texts


def test_thresholds_only_go_up() -> None:
    """The latest change to the gate never loosens it.

    Uncommitted edits are compared with the last committed version; with no edits, the last
    committed version is compared with the one before it (so CI checks the commit under test).
    """
    versions = _committed_versions()
    if not versions:
        pytest.skip(f"no committed version of {REL} yet (or git unavailable): nothing to compare with")
    working = DEFAULT_THRESHOLDS.read_text(encoding="utf-8")
    current = parse_thresholds(working, "working tree")
    last = parse_thresholds(versions[0], "last commit")
    if current != last:
        old, new, what = last, current, "working tree vs last commit"
    elif len(versions) >= 2:
        old, new, what = (
            parse_thresholds(versions[1], "previous commit"),
            last,
            "last commit vs the one before",
        )
    else:
        pytest.skip(f"{REL} has one committed version and no edits: nothing to compare with")
    problems = compare_thresholds(old, new)
    assert not problems, f"thresholds loosened ({what}): " + "; ".join(problems)
