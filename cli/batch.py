"""`ask --batch FILE --out FILE`: every good line answered, every bad line reported by number.

The input and the output are checked before any model loads. Answers are written (and flushed)
one line at a time, so an interrupted run keeps what it answered; ``--resume`` skips the ids
already in ``--out``. A UTF-8 byte-order mark is accepted; a line that is not UTF-8, not JSON,
lacks ``id``/``question``, holds a lone surrogate or passes the size limit is reported as
``FILE:N: …`` and skipped. Progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

MAX_BATCH_BYTES = 64 * 1024 * 1024
MAX_LINE_CHARS = 100_000
MAX_LINES = 100_000
STOP_AFTER_FAILURES = 3  # in a row: the index or a server is down, not one question


class BatchError(Exception):
    """The batch cannot run at all (the message says why); nothing was written."""


@dataclass
class Line:
    number: int
    id: str = ""
    question: str = ""
    problem: str = ""


@dataclass
class Outcome:
    answered: int = 0
    skipped: int = 0  # already in --out (resume)
    bad: list[str] = field(default_factory=list)
    stopped: str = ""


def read_batch(path: Path) -> list[Line]:
    """The lines of the batch file, each with its id and question or the problem with it."""
    if not path.exists():
        raise BatchError(f"--batch {path}: no such file")
    if path.is_dir():
        raise BatchError(f"--batch {path} is a folder; give a JSON Lines file")
    try:
        size = path.stat().st_size
        if size > MAX_BATCH_BYTES:
            raise BatchError(f"--batch {path}: {size} bytes is larger than the {MAX_BATCH_BYTES}-byte limit")
        data = path.read_bytes()
    except OSError as e:
        raise BatchError(f"--batch {path}: cannot read it ({e.strerror or e})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    raw = data.split(b"\n")
    if len(raw) > MAX_LINES:
        raise BatchError(f"--batch {path}: {len(raw)} lines is more than the {MAX_LINES}-line limit")
    out = []
    for n, b in enumerate(raw, 1):
        try:
            text = b.decode("utf-8").strip()
        except UnicodeDecodeError as e:
            out.append(Line(n, problem=f"not UTF-8 (byte {e.start + 1})"))
            continue
        if text:
            out.append(_parse(n, text))
    return out


def _parse(n: int, text: str) -> Line:
    if len(text) > MAX_LINE_CHARS:
        return Line(n, problem=f"{len(text)} characters is more than the {MAX_LINE_CHARS}-character limit")
    try:
        item = json.loads(text)
    except json.JSONDecodeError as e:
        return Line(n, problem=f"each line needs JSON with 'id' and 'question' ({e})")
    if not isinstance(item, dict) or "id" not in item or "question" not in item:
        return Line(n, problem="each line needs JSON with 'id' and 'question'")
    qid, question = item["id"], item["question"]
    if not isinstance(question, str):
        return Line(n, problem="'question' must be text")
    try:
        str(qid).encode("utf-8")
        question.encode("utf-8")
    except UnicodeEncodeError:
        return Line(n, problem="the line holds a lone surrogate (\\ud800-\\udfff), which is not text")
    return Line(n, str(qid), question)


def check_out(path: Path) -> None:
    """Fail now, before any model loads, when ``--out`` cannot be written."""
    if path.is_dir():
        raise BatchError(f"--out {path} is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as e:
        raise BatchError(f"--out {path}: cannot write it ({e.strerror or e})") from None


def answered_ids(path: Path) -> Counter:
    """Ids of the complete answers in ``path``; a line cut short by an interruption is dropped."""
    if not path.exists():
        return Counter()
    keep, ids = [], Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            ids[str(json.loads(line)["id"])] += 1
            keep.append(line)
        except (ValueError, KeyError, TypeError):
            break
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(x + "\n" for x in keep), encoding="utf-8")
    os.replace(tmp, path)
    return ids


def run_batch(
    lines: list[Line], out: Path, resume: bool, ask: Callable[[str, str], dict], source: str
) -> Outcome:
    """Answer each good line into ``out`` as it goes; ``ask(id, question)`` gives the answer as JSON."""
    result = Outcome()
    done = answered_ids(out) if resume else Counter()
    todo = [ln for ln in lines if not ln.problem]
    failures = 0
    with (
        open(out, "a" if resume else "w", encoding="utf-8") as f,
        tqdm(total=len(todo), desc="answering", unit="q") as bar,
    ):
        for ln in lines:
            if ln.problem:
                result.bad.append(f"{source}:{ln.number}: {ln.problem}")
                tqdm.write(f"error: {result.bad[-1]}", file=sys.stderr)
                continue
            bar.update(1)
            if done[ln.id] > 0:
                done[ln.id] -= 1
                result.skipped += 1
                continue
            try:
                row = ask(ln.id, ln.question)
            except Exception as e:  # one question failing must not lose the others' answers
                failures += 1
                result.bad.append(f"{source}:{ln.number}: could not answer ({type(e).__name__}: {e})")
                tqdm.write(f"error: {result.bad[-1]}", file=sys.stderr)
                if failures >= STOP_AFTER_FAILURES:
                    result.stopped = (
                        f"stopped after {failures} failures in a row; the answers so far are in {out}: "
                        "fix the cause and run again with --resume"
                    )
                    break
                continue
            failures = 0
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            result.answered += 1
    return result
