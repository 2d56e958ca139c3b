"""One document, one source: refuse an ingest that would index a document twice.

A document is the same as another when it has the same canonical 文号 (so 〔2024〕5号 and
〔2025〕5号, or 某政办函 and 某政办发 with one number, stay different documents), or — without a
文号 — the same title and signing date. Re-ingesting a source under its own name replaces it
and is never a duplicate; the same issue under another file name, or one document printed in
two sources, is refused with both sources named, before anything is written.
"""

from __future__ import annotations

from core.schema import DocInfo
from core.textnorm import fold
from ingest.units import IngestError
from store.index import SourceRecord

Key = tuple[str, ...]


def _key(d: DocInfo) -> Key | None:
    if d.doc_number:
        return ("文号", d.doc_number)
    if d.kind == "gazette" and d.date:
        return ("title", fold(d.title), d.date)
    return None  # a law, or a document without 文号 and date: its title alone does not identify it


def _name(d: DocInfo) -> str:
    when = f" ({d.date})" if not d.doc_number and d.date else ""
    return f"{d.display_name}{when}"


def refuse_duplicates(parsed: list[SourceRecord], indexed: list[DocInfo], digests: dict[str, str]) -> None:
    """Raise IngestError when a parsed source repeats another source (parsed or indexed).

    ``indexed``: the documents already in the index; ``digests``: source name -> sha256 of the
    indexed sources. Indexed sources that are parsed again (same name) are being replaced."""
    replacing = {p.name for p in parsed}
    owners: dict[str, str] = {n: s for n, s in digests.items() if n not in replacing}
    seen: dict[Key, DocInfo] = {}
    for d in indexed:
        if d.source not in replacing and (k := _key(d)) is not None:
            seen.setdefault(k, d)
    for src in parsed:
        same_text = next((n for n, sha in owners.items() if sha == src.sha256 and n != src.name), None)
        if same_text is not None:
            raise IngestError(
                f"{src.name} has the same text as {same_text}: the same issue under another file name "
                f"(re-ingest it as {same_text}, or remove that source first with --remove)"
            )
        owners[src.name] = src.sha256
        for d in src.docs:
            k = _key(d)
            if k is None:
                continue
            other = seen.get(k)
            if other is not None and other.source != d.source:
                both = f" (both in {d.issue})" if d.issue and d.issue == other.issue else ""
                raise IngestError(
                    f"{src.name}: {_name(d)} is also in {other.source}{both} — one document in two sources; "
                    f"remove one of them (gazette-assistant ingest --remove NAME) or ingest it under one name"
                )
            seen[k] = d
