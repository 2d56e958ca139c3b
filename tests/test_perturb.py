"""The perturbation evaluation: each transformation changes what it names, consistently in the
issue and the dataset, reproducibly by seed (fast, no model); and one slow run with the real
embedder on a subset of the dev set."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from core.textnorm import find_doc_numbers, fold
from eval.dataset import DEFAULT_DATASET, GATE_SPLIT
from eval.perturb import TRANSFORMS, cn_number, document_starts, perturb
from eval.perturb_pool import HEADER_KINDS
from eval.perturbation import parse_names, read_items, run_perturbations, summarize
from tests.conftest import GAZETTE, SEVEN_DOCS

SEED = 20241030


@pytest.fixture(scope="module")
def issue() -> str:
    return GAZETTE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return read_items(DEFAULT_DATASET)


@pytest.fixture(scope="module")
def runs(issue, items) -> dict:
    return {name: perturb(name, issue, items, SEED) for name in TRANSFORMS}


def _header_cells(text: str) -> list[str]:
    lines = text.split("\n")
    heads = [line for i, line in enumerate(lines) if "\t" in line and (i == 0 or "\t" not in lines[i - 1])]
    return [c for line in heads for c in line.split("\t")]


def _by_id(items: list[dict]) -> dict[str, dict]:
    return {i["id"]: i for i in items}


# -- every transformation ----------------------------------------------------------------


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_gold_quotes_and_documents_survive(runs, items, name):
    run = runs[name]
    folded = fold(run.issue)
    assert run.issue != GAZETTE.read_text(encoding="utf-8")
    assert not run.dropped, run.dropped
    assert len(run.items) == len(items)
    for item in run.items:
        assert all(fold(q) in folded for q in item["gold_quotes"]), item["id"]
        docs = [item["gold_doc"]] if isinstance(item["gold_doc"], str) else item["gold_doc"] or []
        assert all(fold(d) in folded for d in docs), item["id"]
    assert not run.warnings, run.warnings


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_a_seed_repeats_and_another_differs(issue, items, runs, name):
    again = perturb(name, issue, items, SEED)
    assert (again.issue, again.items, again.changes) == (
        runs[name].issue,
        runs[name].items,
        runs[name].changes,
    )
    others = [perturb(name, issue, items, seed) for seed in (1, 2, 3)]
    assert any(o.issue != runs[name].issue for o in others)


def test_a_quote_that_cannot_be_kept_drops_its_item_and_says_why(issue, items):
    broken = [dict(items[0], gold_quotes=["长治市人民政府公报"])]
    broken.append(dict(items[1], gold_quotes=["(长政"]))  # cut inside a 文号: the series rule cannot see it
    run = perturb("city", issue, broken, SEED)
    assert [i["id"] for i in run.items] == [items[0]["id"]]
    assert [d[0] for d in run.dropped] == [items[1]["id"]]
    assert "not in the transformed issue" in run.dropped[0][1]


# -- headers ---------------------------------------------------------------------------------


def test_headers_renames_every_header_cell_by_role(issue, runs):
    run = runs["headers"]
    before, after = _header_cells(issue), _header_cells(run.issue)
    assert len(before) == len(after) > 0
    assert not set(before) & set(after), "an original header cell is left"
    kind_of = {w: k for k, words in HEADER_KINDS.items() for w in words}
    for old, new in zip(before, after, strict=True):
        assert kind_of[old] == kind_of[new], (old, new)
    # repeated after 续表: every copy of a table's header row reads the same
    heads = Counter("\t".join(c) for c in [after[i : i + 3] for i in range(0, 12, 3)])
    assert len(heads) == 1
    # only header rows changed
    changed = [(a, b) for a, b in zip(issue.split("\n"), run.issue.split("\n"), strict=True) if a != b]
    assert all("\t" in a for a, _ in changed) and len(changed) == 11


def test_headers_rewrites_a_question_that_names_a_column(runs, items):
    old = _by_id(items)["E039"]["question"]
    new = _by_id(runs["headers"].items)["E039"]["question"]
    assert "牵头落实部门" in old and "牵头落实部门" not in new
    assert new.replace(runs["headers"].changes["牵头落实部门"], "牵头落实部门") == old


# -- city ------------------------------------------------------------------------------------


def test_city_leaves_no_changzhi_and_no_chang_series(runs):
    run = runs["city"]
    fields = ("question", "gold_doc", "gold_quotes", "answer_keypoints")  # notes are for people
    text = run.issue + "\n".join(str(i[f]) for i in run.items for f in fields)
    assert "长治" not in text and "changzhi" not in text.lower()
    assert not re.search(r"长[政民][\u4e00-\u9fff]{0,3}[〔\[]\d{4}", text)
    new, abbr = run.changes["长治"], run.changes["长政…"][0]
    numbers = set(find_doc_numbers(run.issue))
    assert {d.replace("长", abbr, 1) for d in SEVEN_DOCS} <= numbers
    assert f"{new}市人民政府" in run.issue and f"国网{new}供电公司" in run.issue
    # the province's own series is not the city's
    assert "晋政办发〔2024〕3号" in run.issue


# -- departments -----------------------------------------------------------------------------


def test_departments_are_renamed_everywhere(issue, runs, items):
    run = runs["departments"]
    assert {"市民政局", "市城市管理局", "市公安局", "市交通运输局"} <= set(run.changes)
    for old, new in run.changes.items():
        assert old not in run.issue, old
        assert new in run.issue and new not in issue, new
    assert len(set(run.changes.values())) == len(run.changes)
    # the bare form (由城市管理局处罚) moves with the 市 form, keypoints with the text
    assert "城市管理局" not in run.issue
    kp = _by_id(run.items)["E008"]["answer_keypoints"]
    assert kp == [run.changes["市民政局"]]
    assert "市政府" in run.issue and "市人民政府" in run.issue  # not departments


# -- amounts and ages ------------------------------------------------------------------------


def _band_floor(text: str, amount: int) -> tuple[int, int | None]:
    """The age band printed before the amount on the 高龄津贴 row: (from, to or None)."""
    m = re.search(rf"(\d+)周岁(?:\(含\)至(\d+)周岁\(含\)|及以上)不低于{amount}元", text)
    assert m, amount
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


def test_amounts_scale_money_and_shift_ages_consistently(issue, runs):
    run = runs["amounts"]
    k = float(run.changes["amount factor"].lstrip("×"))
    d = int(run.changes["age shift"].split()[0])
    for amount, (lo, hi) in ((70, (80, 89)), (150, (90, 99)), (300, (100, None))):
        new_lo, new_hi = _band_floor(run.issue, round(amount * k))
        assert new_lo == lo + d and new_hi == (hi + d if hi else None)
    assert "未满16周岁" in run.issue  # a child's age is not an elderly band
    assert cn_number(round(1000 * k)) + "元以下的罚款" in run.issue  # 二百元以上一千元以下


def test_a_questions_age_stays_in_its_band(runs, items):
    run = runs["amounts"]
    d = int(run.changes["age shift"].split()[0])
    k = float(run.changes["amount factor"].lstrip("×"))
    cases = {"E001": ("91", 150), "E192": ("95", 150), "E002": ("85", 70), "E196": ("101", 300)}
    new_items, old_items = _by_id(run.items), _by_id(items)
    for item_id, (age, amount) in cases.items():
        assert age in old_items[item_id]["question"]
        asked = int(re.search(r"\d+", new_items[item_id]["question"]).group(0))
        assert asked == int(age) + d
        lo, hi = _band_floor(run.issue, round(amount * k))
        assert lo <= asked and (hi is None or asked <= hi), (item_id, asked, lo, hi)
    # English questions and bare-number keypoints move too
    assert new_items["E187"]["answer_keypoints"] == [f"{150 * k:g}"]
    assert str(92 + d) in new_items["E187"]["question"]
    assert new_items["E189"]["answer_keypoints"] == [str(65 + d)]


def test_cn_number():
    assert [cn_number(n) for n in (10, 15, 200, 2500, 10000, 15000, 100000, 250000)] == [
        "十",
        "十五",
        "二百",
        "二千五百",
        "一万",
        "一万五千",
        "十万",
        "二十五万",
    ]


# -- year ------------------------------------------------------------------------------------


def test_year_shifts_dates_and_numbers(issue, runs, items):
    run = runs["year"]
    shift = int(run.changes["shift"])
    new = 2024 + shift
    assert run.changes["2024"] == str(new)
    assert "2024年" not in run.issue and "〔2024〕" not in run.issue and "2024·05" not in run.issue
    assert f"{new}年10月14日" in run.issue and f"长政发〔{new}〕13号" in run.issue
    assert f"长政发〔{2008 + shift}〕78号" in run.issue  # the lists move with the issue
    assert "GB/T 42195 - 2022" in run.issue  # a standard's year is not a date
    assert _by_id(run.items)["E063"]["answer_keypoints"] == [f"{new}年10月16日"]
    assert _by_id(run.items)["E152"]["gold_doc"] == f"长政规〔{new}〕2号"


# -- order -----------------------------------------------------------------------------------


def test_order_moves_documents_and_keeps_the_contents(issue, runs, items):
    run = runs["order"]
    lines, new_lines = issue.split("\n"), run.issue.split("\n")
    starts = document_starts(lines)
    assert len(starts) == 7
    toc = lines[: starts[0]]
    assert new_lines[: starts[0]] == toc  # front matter and 目录 unchanged
    titles = [lines[s] for s in starts]
    assert [new_lines[s] for s in document_starts(new_lines)] != titles
    assert sorted(new_lines[s] for s in document_starts(new_lines)) == sorted(titles)
    assert Counter(filter(None, lines)) == Counter(filter(None, new_lines))
    assert run.items == items and run.items_changed == 0


# -- the runner's pieces ---------------------------------------------------------------------


def test_parse_names():
    assert parse_names(None) == parse_names("all") == list(TRANSFORMS)
    assert parse_names("headers, city") == ["headers", "city"]
    with pytest.raises(ValueError, match="unknown perturbation"):
        parse_names("headers,colour")


def test_summarize_matches_the_metric_definitions():
    rows = {
        "a": {"pass": True, "answerable": True, "kfs": 1.0},
        "b": {"pass": False, "answerable": True, "kfs": 0.5},
        "c": {"pass": True, "answerable": False, "kfs": None},
    }
    assert summarize(rows, ["a", "b", "c"]) == {"pass_rate": 2 / 3, "keypoints_first_sentence": 0.75}
    assert summarize(rows, ["c"]) == {"pass_rate": 1.0, "keypoints_first_sentence": None}


# -- the real thing, small -------------------------------------------------------------------


@pytest.mark.slow
def test_release_gate_every_transformation_within_two_points(tmp_path, settings, capsys):
    """The release gate: the dev set's calibration half on the bundled issue and on each transformed copy
    (headers, city and 文号 series, departments, amounts and ages, year, document order); every
    transformation within 2 points of the untransformed run on pass rate and first-sentence
    keypoints, and the untransformed run holds eval/thresholds.toml. The seed is fixed here so
    CI is repeatable (GAZETTE_PERTURB_SEED overrides it); `gazette-assistant eval --perturb`
    draws a new one each run and prints it."""
    import os

    seed = int(os.environ.get("GAZETTE_PERTURB_SEED", SEED))
    report = run_perturbations(
        DEFAULT_DATASET,
        GAZETTE,
        tmp_path / "perturb",
        list(TRANSFORMS),
        seed,
        settings,
        split=GATE_SPLIT,
        naive_original=True,
        progress=False,
        log=lambda _: None,
    )
    with capsys.disabled():
        print(f"\nperturbation gate (seed {report['seed']}):")
        for run in report["runs"]:
            now = run.get("now", run["overall"])
            print(
                f"  {run['name']:<12} pass_rate {now['pass_rate']:.3f} "
                f"keypoints_first_sentence {now['keypoints_first_sentence']:.3f} dropped {len(run['dropped'])}"
            )
    assert [r["name"] for r in report["runs"]] == ["original", *TRANSFORMS]
    assert report["passed"], "perturbation gate failed:\n" + "\n".join(report["violations"])
