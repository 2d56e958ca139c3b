"""The command line as release checks use it: ingest, docs --json, ask --json, ask --batch."""

from __future__ import annotations

import json

import pytest

from cli.main import main as cli_main
from core.settings import REPO_ROOT, get_settings
from tests.conftest import GAZETTE

DOC_KEYS = {"id", "doc_number", "title", "date", "source", "status", "chunks"}
ANSWER_KEYS = ["id", "question", "answer", "refused", "citations", "passages", "timings_ms", "mode", "notes"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "var"
    mp = pytest.MonkeyPatch()
    mp.setenv("GAZETTE_DATA_DIR", str(path))
    get_settings.cache_clear()
    assert cli_main(["ingest", str(GAZETTE), "--quiet"]) == 0
    yield path
    mp.undo()
    get_settings.cache_clear()


@pytest.fixture
def env(data_dir, monkeypatch):
    monkeypatch.setenv("GAZETTE_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


def test_docs_json_has_the_contract_keys(env, capsys):
    assert cli_main(["docs", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert len(docs) == 7 and all(set(d) == DOC_KEYS for d in docs)
    d13 = next(d for d in docs if d["doc_number"] == "长政发〔2024〕13号")
    assert (
        d13["date"] == "2024-10-14" and d13["status"] == "valid" and d13["source"] == "changzhi-2024-05.txt"
    )


def test_reingest_unchanged_embeds_nothing(env, capsys):
    assert cli_main(["ingest", str(GAZETTE), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "added 0" in out and "(0 texts embedded)" in out
    assert cli_main(["ingest", str(GAZETTE), "--if-needed"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_ask_json_follows_the_answer_contract(env, capsys):
    assert cli_main(["ask", "我爸今年91了，高龄津贴一个月有多少？", "--json"]) == 0
    ans = json.loads(capsys.readouterr().out)
    assert list(ans) == ANSWER_KEYS
    assert "不低于150元" in ans["answer"] and ans["refused"] is False and ans["mode"] == "extractive"
    cite = ans["citations"][0]
    assert {"doc_number", "doc_title", "section", "quote", "chunk_id", "source", "page"} <= set(cite)
    assert [p["score"] for p in ans["passages"]] == sorted(
        (p["score"] for p in ans["passages"]), reverse=True
    )


def test_batch_writes_one_answer_per_line_in_order(env, tmp_path):
    qs = tmp_path / "q.jsonl"
    qs.write_text(
        "\n".join(
            json.dumps(x, ensure_ascii=False)
            for x in [
                {"id": "A", "question": "建筑施工噪声超标由哪个部门处罚？", "extra": 1},
                {"id": "B", "question": "明天长治天气怎么样？"},
                {"id": "C", "question": ""},
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "a.jsonl"
    assert cli_main(["ask", "--batch", str(qs), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["A", "B", "C"]
    assert "城市管理局" in rows[0]["answer"] and rows[1]["refused"] and rows[2]["refused"]


def test_bad_input_exits_non_zero_with_a_message(env, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "A"}\n', encoding="utf-8")
    assert cli_main(["ask", "--batch", str(bad), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert cli_main(["ingest", str(empty), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "empty" in err and "the index was not changed" in err
    assert cli_main(["ingest", "--remove", "nope.txt"]) == 1


def test_ask_without_an_index_says_how_to_build(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAZETTE_DATA_DIR", str(tmp_path / "none"))
    get_settings.cache_clear()
    assert cli_main(["ask", "高龄津贴多少"]) == 1
    assert "gazette-assistant ingest" in capsys.readouterr().err
    get_settings.cache_clear()


def test_eval_command_writes_a_report_and_says_the_gate(env, tmp_path, capsys):
    items = (REPO_ROOT / "eval" / "dataset.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    ds = tmp_path / "small.jsonl"
    ds.write_text("\n".join(items) + "\n", encoding="utf-8")
    code = cli_main(["eval", "--dataset", str(ds), "--out", str(tmp_path / "r"), "--no-naive"])
    out = capsys.readouterr().out
    assert code in (0, 1) and "gate: " in out
    assert (tmp_path / "r" / "report.html").is_file() and (tmp_path / "r" / "results.jsonl").is_file()
