"""Readers' feedback in one place for every replica: a table on the Chroma server.

With the index on a Chroma server (several API replicas and the app), feedback must not land in
one SQLite file per machine; the same records go to a table on that server (``store/rows.py``).
Without a server, the SQLite file in the data dir is that one place.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from assistant.feedback import Exports, FeedbackRecord, FeedbackStore, mask_personal, masked, now_iso
from core.settings import Settings
from store.rows import ServerTable

log = logging.getLogger("assistant.feedback")


def open_feedback(settings: Settings) -> FeedbackStore | ServerFeedbackStore:
    """The one place feedback goes: with a Chroma server (replicas), a table on that server that
    every replica and the app share; else the SQLite file in the data dir."""
    if settings.chroma_host:
        return ServerFeedbackStore(ServerTable(settings, "feedback"))
    return FeedbackStore(settings.feedback_db)


class ServerFeedbackStore(Exports):
    """The same feedback records in a table on the Chroma server (``store/rows.py``), so that
    every API replica and the app write and read one place."""

    def __init__(self, table: ServerTable):
        self.table = table

    def record(self, rec: FeedbackRecord) -> FeedbackRecord:
        now = now_iso()
        rec = masked(rec)
        old = self.get(rec.answer_id)
        rec = rec.model_copy(
            update={
                "created_at": old.created_at if old else now,
                "updated_at": now,
                "comment": rec.comment or (old.comment if old else ""),
            }
        )
        self._put(rec)
        log.info("feedback %s on answer %s (question %s)", rec.rating, rec.answer_id, rec.question_hash)
        return rec

    def _put(self, rec: FeedbackRecord) -> None:
        updated = datetime.fromisoformat(rec.updated_at).timestamp()
        self.table.put(rec.answer_id, rec.model_dump(), {"updated_ts": updated})

    def set_comment(self, answer_id: str, comment: str) -> bool:
        old = self.get(answer_id)
        if old is None:
            return False
        self._put(old.model_copy(update={"comment": mask_personal(comment.strip()), "updated_at": now_iso()}))
        log.info("feedback comment on answer %s (%d chars)", answer_id, len(comment.strip()))
        return True

    def remove(self, answer_id: str) -> bool:
        gone = self.table.delete([answer_id]) > 0
        if gone:
            log.info("feedback withdrawn on answer %s", answer_id)
        return gone

    def delete_all(self) -> int:
        n = self.table.clear()
        log.info("all feedback deleted (%d records)", n)
        return n

    def purge(self, retention_days: int, now: datetime | None = None) -> int:
        cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
        n = self.table.delete(self.table.keys_below("updated_ts", cutoff.timestamp()))
        if n:
            log.info("feedback retention: %d records older than %d days deleted", n, retention_days)
        return n

    def get(self, answer_id: str) -> FeedbackRecord | None:
        got = self.table.get(answer_id)
        return FeedbackRecord(**got) if got else None

    def list(self, limit: int | None = None) -> list[FeedbackRecord]:
        """Newest first."""
        recs = sorted(
            (FeedbackRecord(**r) for r in self.table.all()), key=lambda r: r.updated_at, reverse=True
        )
        return recs[:limit] if limit else recs
