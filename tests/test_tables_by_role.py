"""Tables understood by role, not by header word: roles from header and cells together, the
same answers when every header is replaced by 列1…列n and the columns are shuffled, and a
per-issue override for a misread column."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, fold
from core.settings import Settings
from eval.dataset import load_dataset
from eval.metrics import fold_doc_texts, score_item
from eval.session import doc_texts_by_number
from ingest import IngestError, parse_source
from tests.blind_tables import write_header_blind
from tests.conftest import FIXTURE_ISSUES, GAZETTE, REPO_ROOT, built_index


def table_roles(path: Path) -> list[dict[str, str]]:
    seen: dict[tuple, dict[str, str]] = {}
    for c in parse_source(path).chunks:
        if c.kind == "table_row":
            seen.setdefault((c.doc_id, c.parent, tuple(c.fields)), c.roles)
    return list(seen.values())


def test_bundled_tables_get_their_roles():
    assert table_roles(GAZETTE) == [
        {"序号": "seq", "法律条款": "basis", "职责部门": "lead"},
        {
            "对象": "who",
            "服务项目": "item",
            "服务内容": "content",
            "服务标准": "standard",
            "服务类型": "kind",
            "牵头落实部门": "lead",
        },
    ]


def test_fixture_tables_with_other_headers_get_their_roles():
    roles = table_roles(FIXTURE_ISSUES / "linchuan-2025" / "issue-2025-04.txt")
    # the first document (its title has no heading mark) and its task table are found too
    assert roles[0] == {
        "序号": "seq",
        "重点任务": "item",
        "具体内容": "content",
        "牵头单位": "lead",
        "配合单位": "partner",
        "完成时限": "deadline",
    }
    assert roles[1] == {
        "项目名称": "item",
        "享受对象": "who",
        "发放标准": "standard",
        "承办单位": "lead",
        "协办单位": "partner",
        "政策依据": "basis",
    }
    qingshi = table_roles(FIXTURE_ISSUES / "qingshi-2026-01" / "issue.txt")
    assert {"重点任务": "item", "责任单位": "lead", "配合单位": "partner", "完成时间": "deadline"} in qingshi
    # a continuation printed without its header row joins the table before, not a table of its own
    assert all("住院救助" not in r for r in qingshi)


@pytest.fixture(scope="module")
def blind_copy(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("blind") / GAZETTE.name
    assert write_header_blind(GAZETTE, path) == 2
    return path


def test_header_blind_roles_follow_the_cells(blind_copy):
    """Every column keeps its role when its header says nothing and it moved."""
    original, blind = table_roles(GAZETTE), table_roles(blind_copy)
    assert all(set(t) == {f"列{i + 1}" for i in range(len(t))} for t in blind)
    for before, after in zip(original, blind, strict=True):
        assert sorted(before.values()) == sorted(after.values())


def test_header_blind_rows_keep_their_names(blind_copy):
    sections = {c.section for c in parse_source(GAZETTE).chunks if c.kind == "table_row"}
    blind = {c.section for c in parse_source(blind_copy).chunks if c.kind == "table_row"}
    assert sections == blind  # section paths name rows by their item cell, whatever the header


def _table_items(bot: Assistant) -> list:
    """Dev items whose gold quotes all come from table rows, and survive the column shuffle."""
    rows = [fold(c.text) for c in bot.chunks() if c.kind == "table_row"]
    items = load_dataset(REPO_ROOT / "eval" / "dataset.jsonl")
    return [
        it
        for it in items
        if it.answerable and it.gold_quotes and all(any(fold(q) in r for r in rows) for q in it.gold_quotes)
    ]


def _pass_rate(bot: Assistant, items: list) -> float:
    texts, _ = doc_texts_by_number(bot)
    folded = fold_doc_texts(texts)
    return sum(score_item(it, bot.ask(it.question), folded).passed for it in items) / len(items)


@pytest.mark.slow
def test_table_questions_pass_as_well_with_blind_headers(bundled_index, blind_copy, tmp_path_factory):
    bot = Assistant.load(bundled_index)
    items = _table_items(bot)
    blind_dir = built_index(tmp_path_factory.mktemp("blind-index"), blind_copy)
    blind_bot = Assistant.load(Settings(data_dir=blind_dir, _env_file=None))
    blind_text = fold(blind_copy.read_text(encoding="utf-8"))
    kept = [it for it in items if all(fold(q) in blind_text for q in it.gold_quotes)]
    assert len(kept) >= 30, f"only {len(kept)} table questions survive the shuffle"
    before, after = _pass_rate(bot, kept), _pass_rate(blind_bot, kept)
    print(f"table questions: {len(kept)}; pass rate {before:.3f} with headers, {after:.3f} header-blind")
    assert after >= 0.9 * before, (before, after)


def test_an_override_file_corrects_a_role(tmp_path):
    issue = tmp_path / GAZETTE.name
    issue.write_text(GAZETTE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / f"{GAZETTE.stem}.roles.toml").write_text(
        '[tables."基本养老服务清单"]\n"服务类型" = "content"\n', encoding="utf-8"
    )
    roles = table_roles(issue)
    assert roles[1]["服务类型"] == "content" and roles[0]["职责部门"] == "lead"


def test_an_override_with_an_unknown_role_is_a_clear_error(tmp_path):
    issue = tmp_path / GAZETTE.name
    issue.write_text(GAZETTE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / f"{GAZETTE.stem}.roles.toml").write_text(
        '[tables."清单"]\n"对象" = "boss"\n', encoding="utf-8"
    )
    with pytest.raises(IngestError, match="unknown roles"):
        parse_source(issue)


def test_the_ingest_report_lists_documents_and_every_tables_roles(capsys):
    from cli.main import main as cli_main

    assert cli_main(["ingest", str(GAZETTE), "--report"]) == 0
    out = capsys.readouterr().out
    assert out.count("[通知]") == 7 and out.count("table ") == 2
    for line in (
        "服务项目 -> item",
        "服务标准 -> standard",
        "牵头落实部门 -> lead",
        "职责部门 -> lead",
        "法律条款 -> basis",
    ):
        assert line in out
    assert "could not place" not in out
