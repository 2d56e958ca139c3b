"""Readers' 👍/👎 on answers, kept in SQLite (one row per shown answer) and exportable as CSV.

Logs name a question only by its hash: the question text is stored in the database (staff
need it to act on feedback) but never written to a log. The store keeps no more than it needs:
ID-card, phone and e-mail shapes in questions and comments are masked before they are stored,
records older than the retention setting are deleted, and one record (or all) can be deleted
on request. Exported CSV cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.navigator import NOTE as NAVIGATOR_NOTE

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


# personal data a reader may type into a question or comment (Chinese ID card, mobile and
# landline numbers, e-mail addresses): masked before anything is stored
_PERSONAL = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])"
    r"|(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)"
    r"|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)
MASK = "［已隐去］"
# a cell a spreadsheet would evaluate as a formula (OWASP CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def mask_personal(text: str) -> str:
    """The text with ID-card, phone and e-mail shapes replaced by a mask."""
    return _PERSONAL.sub(MASK, text or "")


def csv_safe(value: object) -> object:
    """A CSV cell that opens as text: one starting with = + - @ (or tab/CR) gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


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

    @classmethod
    def for_answer(
        cls,
        answer_id: str,
        rating: str,
        answer: dict,
        *,
        comment: str = "",
        model: str = "",
        index_version: str = "",
    ) -> FeedbackRecord:
        """A rating of one shown answer (its answer JSON); the question is not kept for an answer
        about a reader's own circumstances (the benefits navigator's)."""
        private = NAVIGATOR_NOTE in (answer.get("notes") or [])
        question = "" if private else str(answer.get("question") or "")
        cited = dict.fromkeys(c.get("doc_number") or "" for c in answer.get("citations") or [])
        return cls(
            answer_id=answer_id,
            rating=rating,
            comment=comment or "",
            answer_mode=str(answer.get("mode") or ""),
            model=model,
            index_version=index_version,
            question_hash=question_hash(question),
            question=question,
            refused=bool(answer.get("refused")),
            doc_numbers=" ".join(cited).strip(),
        )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Exports:
    """What every feedback store derives from its records."""

    def list(self, limit: int | None = None) -> list[FeedbackRecord]:
        raise NotImplementedError

    def remove(self, answer_id: str) -> bool:
        raise NotImplementedError

    def delete(self, answer_id: str) -> bool:
        """Delete one record on request (a reader asked; staff found personal data in it)."""
        return self.remove(answer_id)

    def counts(self) -> dict[str, int]:
        out = {"up": 0, "down": 0}
        for rec in self.list():
            out[rec.rating] += 1
        return out

    def to_csv(self) -> str:
        """Every record as CSV (UTF-8 text with a header row; open in a spreadsheet)."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        for rec in self.list():
            data = rec.model_dump()
            writer.writerow([int(data[c]) if c == "refused" else csv_safe(data[c]) for c in COLUMNS])
        return buf.getvalue()


def masked(rec: FeedbackRecord) -> FeedbackRecord:
    return rec.model_copy(
        update={"question": mask_personal(rec.question), "comment": mask_personal(rec.comment)}
    )


class FeedbackStore(Exports):
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
        now = now_iso()
        rec = masked(rec)
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
                (mask_personal(comment.strip()), now_iso(), answer_id),
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

    def delete_all(self) -> int:
        """Delete every record; how many there were."""
        with self._connect() as db:
            cur = db.execute("DELETE FROM feedback")
        log.info("all feedback deleted (%d records)", cur.rowcount)
        return cur.rowcount

    def purge(self, retention_days: int, now: datetime | None = None) -> int:
        """Delete records last updated more than ``retention_days`` ago; how many went."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=retention_days)).isoformat(timespec="seconds")
        with self._connect() as db:
            cur = db.execute("DELETE FROM feedback WHERE updated_at < ?", (cutoff,))
        if cur.rowcount:
            log.info(
                "feedback retention: %d records older than %d days deleted", cur.rowcount, retention_days
            )
        return cur.rowcount

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


def _record(row: sqlite3.Row) -> FeedbackRecord:
    data = dict(row)
    data["refused"] = bool(data["refused"])
    return FeedbackRecord(**data)
