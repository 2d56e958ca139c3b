"""Every failure a message: bad batch files and lines, an unwritable --out, resume, a second
writer, a full disk, a read-only dir and a Chroma server that is down end in `error:` lines
(never a traceback), and `ask --batch` keeps every answer it could give."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass

import pytest

from cli import main as cli
from core.settings import get_settings
from ingest.pipeline import run_ingest
from store import faults
from store.layout import Layout
from store.lock import writer_lease
from tests.conftest import GAZETTE, KeywordEmbedder


@dataclass
class FakeAnswer:
    question: str
    id: str | None = None

    def to_json_dict(self) -> dict:
        return {"id": self.id, "question": self.question, "answer": "a", "refused": False}


class FakeBot:
    def __init__(self, fail_on: set[str] = frozenset()):
        self.asked: list[str] = []
        self.fail_on = fail_on

    def ask(self, question: str) -> FakeAnswer:
        if question in self.fail_on:
            raise ConnectionError("the server went away")
        self.asked.append(question)
        return FakeAnswer(question)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("GAZETTE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setattr("cli.main.load_embedder", lambda settings: KeywordEmbedder())
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def bot(monkeypatch):
    b = FakeBot()
    monkeypatch.setattr(cli, "_load_assistant", lambda settings: b)
    return b


def no_models(monkeypatch):
    def refuse(settings):
        raise AssertionError("a model was loaded before the input was checked")

    monkeypatch.setattr(cli, "_load_assistant", refuse)


def line(qid, question) -> str:
    return json.dumps({"id": qid, "question": question}, ensure_ascii=False)


def rows(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


class TestBatchInput:
    def test_a_missing_batch_file_is_one_error_line(self, env, monkeypatch, capsys):
        no_models(monkeypatch)
        assert cli.main(["ask", "--batch", str(env / "absent.jsonl"), "--out", str(env / "o.jsonl")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: --batch") and "no such file" in err and "Traceback" not in err

    def test_a_folder_as_batch_file(self, env, monkeypatch, capsys):
        no_models(monkeypatch)
        assert cli.main(["ask", "--batch", str(env), "--out", str(env / "o.jsonl")]) == 2
        assert "is a folder" in capsys.readouterr().err

    @pytest.mark.parametrize("kind", ["folder", "under-a-file"])
    def test_an_unwritable_out_is_found_before_models_load(self, env, monkeypatch, capsys, kind):
        no_models(monkeypatch)
        qs = env / "q.jsonl"
        qs.write_text(line("A", "问题") + "\n", encoding="utf-8")
        (env / "afile").write_text("x")
        out = env if kind == "folder" else env / "afile" / "o.jsonl"
        assert cli.main(["ask", "--batch", str(qs), "--out", str(out)]) == 2
        assert capsys.readouterr().err.startswith("error: --out")

    def test_bad_lines_are_reported_by_number_and_good_ones_answered(self, env, bot, capsys):
        qs = env / "q.jsonl"
        qs.write_bytes(
            b"\xef\xbb\xbf"  # a byte-order mark
            + line("A", "第一问").encode()
            + b"\n{not json\n"
            + b'{"id": "C", "question": "\xff\xfe bad bytes"}\n'
            + b'{"id": "D", "question": "\\ud800 lone"}\n'
            + b'{"id": "E"}\n'
            + line("F", "x" * 200_000).encode()
            + b"\n\n"
            + line("G", "最后一问").encode()
            + b"\n"
        )
        out = env / "o.jsonl"
        assert cli.main(["ask", "--batch", str(qs), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        for n in (2, 3, 4, 5, 6):
            assert f"q.jsonl:{n}:" in err
        assert "not UTF-8" in err and "lone surrogate" in err and "limit" in err
        assert [r["id"] for r in rows(out)] == ["A", "G"] and "Traceback" not in err

    def test_answers_are_written_as_they_go_and_a_run_resumes(self, env, monkeypatch, capsys):
        qs = env / "q.jsonl"
        qs.write_text("".join(line(q, f"问题{q}") + "\n" for q in "ABCDEF"), encoding="utf-8")
        out = env / "o.jsonl"
        failing = FakeBot(fail_on={"问题C", "问题D", "问题E"})
        monkeypatch.setattr(cli, "_load_assistant", lambda settings: failing)
        assert cli.main(["ask", "--batch", str(qs), "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert "stopped after 3 failures" in err and "--resume" in err
        assert [r["id"] for r in rows(out)] == ["A", "B"]
        with open(out, "a", encoding="utf-8") as f:
            f.write('{"id": "C", "quest')  # a line cut short by a kill
        healthy = FakeBot()
        monkeypatch.setattr(cli, "_load_assistant", lambda settings: healthy)
        assert cli.main(["ask", "--batch", str(qs), "--out", str(out), "--resume"]) == 0
        assert [r["id"] for r in rows(out)] == list("ABCDEF")
        assert healthy.asked == ["问题C", "问题D", "问题E", "问题F"]
        assert "answering" in capsys.readouterr().err  # progress on stderr


class TestIngestFailures:
    def test_a_second_writer_gets_one_error_line_naming_the_holder(self, env, capsys):
        assert cli.main(["ingest", str(GAZETTE), "--quiet"]) == 0
        capsys.readouterr()
        with writer_lease(Layout(env / "var").lock):
            import threading

            codes = []
            t = threading.Thread(target=lambda: codes.append(cli.main(["ingest", str(GAZETTE), "--quiet"])))
            t.start()
            t.join()
        err = capsys.readouterr().err
        assert codes == [1] and err.startswith("error: another ingest is writing") and "pid" in err
        assert err.count("\n") == 1

    def test_a_full_disk_is_one_error_line(self, env, capsys, monkeypatch):
        import errno

        settings = get_settings()
        run_ingest(settings, KeywordEmbedder(), [GAZETTE])
        before = Layout(settings.data_dir).current()

        def full(step):
            if step == "docstore":
                raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(faults, "HOOK", full)
        synth = GAZETTE.parent.parent.parent / "tests" / "fixtures" / "synthetic-2024-06.txt"
        assert cli.main(["ingest", str(synth), "--quiet"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: the disk holding") and "previous generation still serves" in err
        assert Layout(settings.data_dir).current() == before


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_chroma_server_that_is_down_is_one_error_line(env, monkeypatch, capsys):
    monkeypatch.setenv("GAZETTE_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("GAZETTE_CHROMA_PORT", str(closed_port()))
    get_settings.cache_clear()
    assert cli.main(["ingest", str(GAZETTE), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach the Chroma server") and err.count("\n") == 1
