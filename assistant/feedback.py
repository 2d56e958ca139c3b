"""Readers' 👍/👎 on answers, kept in SQLite (one row per shown answer) and exportable as CSV.

Logs name a question only by its hash: the question text is stored in the database (staff
need it to act on feedback) but never written to a log.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

log = logging.getLogger(__name__)

RATINGS = {0: "down", 1: "up"}  # st.feedback("thumbs") returns 0 for 👎 and 1 for 👍

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    answer_id     TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    rating        TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment       TEXT NOT NULL DEFAULT '',
    answer_mode   TEXT NOT NULL,
    model         TEXT NOT NULL,
    index_version TEXT NOT NULL,
    question_hash TEXT NOT NULL,
    question      TEXT NOT NULL DEFAULT '',
    refused       INTEGER NOT NULL DEFAULT 0,
    doc_numbers   TEXT NOT NULL DEFAULT ''
)
"""

COLUMNS = (
    "answer_id",
    "created_at",
    "updated_at",
    "rating",
    "comment",
    "answer_mode",
    "model",
    "index_version",
    "question_hash",
    "question",
    "refused",
    "doc_numbers",
)


def question_hash(question: str) -> str:
    """A stable, non-reversible name for a question (what logs use instead of its text)."""
    return hashlib.sha256(question.strip().encode("utf-8")).hexdigest()[:16]


class FeedbackRecord(BaseModel):
    """One reader's rating of one shown answer."""

    answer_id: str = Field(description="Id of the answer as shown (one rating per answer, updated in place).")
    rating: str = Field(pattern="^(up|down)$")
    comment: str = ""
    answer_mode: str
    model: str = Field(description="Embedding model and, in LLM modes, the chat model.")
    index_version: str = Field(description="The index manifest's built_at (or a hash).")
    question_hash: str
    question: str = ""
    refused: bool = False
    doc_numbers: str = Field("", description="文号 the answer cited, separated by spaces.")
    created_at: str = ""
    updated_at: str = ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FeedbackStore:
    """The feedback table in one SQLite file; each call opens its own short connection (thread-safe)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    def record(self, rec: FeedbackRecord) -> FeedbackRecord:
        """Store a rating; rating the same answer again replaces the rating and keeps the comment."""
        now = _now()
        with self._connect() as db:
            db.execute(
                """
                INSERT INTO feedback (answer_id, created_at, updated_at, rating, comment, answer_mode, model,
                                      index_version, question_hash, question, refused, doc_numbers)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(answer_id) DO UPDATE SET
                    rating = excluded.rating,
                    updated_at = excluded.updated_at,
                    comment = CASE WHEN excluded.comment != '' THEN excluded.comment ELSE feedback.comment END
                """,
                (
                    rec.answer_id,
                    now,
                    now,
                    rec.rating,
                    rec.comment,
                    rec.answer_mode,
                    rec.model,
                    rec.index_version,
                    rec.question_hash,
                    rec.question,
                    int(rec.refused),
                    rec.doc_numbers,
                ),
            )
        log.info("feedback %s on answer %s (question %s)", rec.rating, rec.answer_id, rec.question_hash)
        return self.get(rec.answer_id)  # type: ignore[return-value]

    def set_comment(self, answer_id: str, comment: str) -> bool:
        """Attach a comment to an existing rating; False when the answer has not been rated."""
        with self._connect() as db:
            cur = db.execute(
                "UPDATE feedback SET comment = ?, updated_at = ? WHERE answer_id = ?",
                (comment.strip(), _now(), answer_id),
            )
        if cur.rowcount:
            log.info("feedback comment on answer %s (%d chars)", answer_id, len(comment.strip()))
        return bool(cur.rowcount)

    def remove(self, answer_id: str) -> bool:
        """Withdraw a rating (the reader cleared 👍/👎)."""
        with self._connect() as db:
            cur = db.execute("DELETE FROM feedback WHERE answer_id = ?", (answer_id,))
        if cur.rowcount:
            log.info("feedback withdrawn on answer %s", answer_id)
        return bool(cur.rowcount)

    def get(self, answer_id: str) -> FeedbackRecord | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
        return _record(row) if row else None

    def list(self, limit: int | None = None) -> list[FeedbackRecord]:
        """Newest first."""
        sql = "SELECT * FROM feedback ORDER BY updated_at DESC, rowid DESC"
        args: tuple = ()
        if limit:
            sql += " LIMIT ?"
            args = (int(limit),)
        with self._connect() as db:
            return [_record(r) for r in db.execute(sql, args).fetchall()]

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT rating, COUNT(*) FROM feedback GROUP BY rating").fetchall()
        out = {"up": 0, "down": 0}
        out.update({r[0]: r[1] for r in rows})
        return out

    def to_csv(self) -> str:
        """Every record as CSV (UTF-8 text with a header row; open in a spreadsheet)."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        for rec in self.list():
            data = rec.model_dump()
            writer.writerow([int(data[c]) if c == "refused" else data[c] for c in COLUMNS])
        return buf.getvalue()


def _record(row: sqlite3.Row) -> FeedbackRecord:
    data = dict(row)
    data["refused"] = bool(data["refused"])
    return FeedbackRecord(**data)
