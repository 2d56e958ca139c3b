"""What later (and earlier) documents say of a document: its history across the issues indexed.

A document's page shows, in date order, each place where the gazette itself changes or names
its standing, cited:
- a printed list of documents that lists it (废止 / 失效 / 继续有效 …), with the list's status;
- a clause of another document that names it (by 文号 or 《title》) with a word that ends or
  replaces a document (废止, 停止执行, 失效, 代替, 不再执行);
- and the other way round, the documents this one ends or replaces.

Nothing is inferred beyond those printed words: the event's quote is the clause or list entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.schema import Chunk, DocInfo
from core.textnorm import find_doc_numbers, fold

ENDS = re.compile(r"废止|停止执行|失效|代替|替代|不再执行")


@dataclass(frozen=True)
class Event:
    date: str | None  # the acting document's date (ISO)
    issue: str | None
    actor: str  # the document that says it (文号, or 《title》)
    actor_id: str
    subject: str  # the document it is said of
    subject_id: str | None  # None when that document is not indexed
    what: str  # 列入废止目录 / 废止或代替 …, in the gazette's words where it has them
    quote: str  # the list entry's cells or the clause, verbatim
    chunk_id: str


def _names(doc: DocInfo) -> list[str]:
    names = [fold(doc.doc_number)] if doc.doc_number else []
    return names + [fold(f"《{doc.title}》")]


def history(doc_id: str, chunks: list[Chunk], docs: dict[str, DocInfo]) -> list[Event]:
    """Every event about ``doc_id`` and every one it causes, oldest first."""
    doc = docs.get(doc_id)
    if doc is None:
        return []
    names = _names(doc)
    events: list[Event] = []
    for c in chunks:
        actor = docs.get(c.doc_id)
        if actor is None or actor.kind != "gazette":
            continue
        if c.kind == "list_entry":
            number = c.fields.get("文号")
            if c.doc_id != doc_id and number and doc.doc_number and fold(number) == fold(doc.doc_number):
                events.append(_event(actor, c, doc, doc_id, _listed(c)))
            elif c.doc_id == doc_id and number:  # its own list: an entry for a document indexed too
                other = _indexed(number, docs)
                if other is not None and other.id != doc_id:
                    events.append(_event(actor, c, other, other.id, _listed(c)))
            continue
        text = fold(c.text)
        if not ENDS.search(c.text):
            continue
        if c.doc_id != doc_id and any(n in text for n in names):
            events.append(_event(actor, c, doc, doc_id, _verb(c.text)))
        elif c.doc_id == doc_id:
            for number in find_doc_numbers(c.text):
                if doc.doc_number and fold(number) == fold(doc.doc_number):
                    continue
                other = _indexed(number, docs)
                subject = other or DocInfo(id=number, doc_number=number, title="", source="")
                events.append(_event(actor, c, subject, other.id if other else None, _verb(c.text)))
    unique = {(e.chunk_id, e.subject): e for e in events}
    return sorted(unique.values(), key=lambda e: (e.date or "", e.actor))


def _indexed(number: str, docs: dict[str, DocInfo]) -> DocInfo | None:
    return next((d for d in docs.values() if d.doc_number and fold(d.doc_number) == fold(number)), None)


def _listed(c: Chunk) -> str:
    """The list's own name, as its heading prints it (附件 1 继续有效的行政规范性文件目录)."""
    where = c.section.split(" › ")[1] if " › " in c.section else "文件目录"
    return f"列入{where}"


def _verb(text: str) -> str:
    return ENDS.search(text).group(0)  # type: ignore[union-attr]


def _event(actor: DocInfo, c: Chunk, subject: DocInfo, subject_id: str | None, what: str) -> Event:
    return Event(
        date=actor.date,
        issue=actor.issue,
        actor=actor.display_name,
        actor_id=actor.id,
        subject=subject.display_name if subject.title or subject.doc_number else subject.id,
        subject_id=subject_id,
        what=what,
        quote=re.sub(r"[\t\n]+", " ", c.text.strip()),  # the entry or clause as printed
        chunk_id=c.chunk_id,
    )
