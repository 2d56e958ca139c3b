"""The law-article catalogue on disk: ``articles.json`` beside the index, one entry per law text
(title, short names, edition date, every article whole), grouped by the source file it came from.

It is written whole to a temporary file and swapped in with ``os.replace``, so a reader sees the
old catalogue or the new one, never half of one. Syncing a source replaces that source's entries;
removing a source drops them. With a Chroma server the same entries go to a ``<collection>-catalogue``
table there, one record per source, and readers read that: replicas with empty folders answer
law articles too.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.settings import Settings
from store.rows import ServerTable

CATALOGUE_VERSION = 1
FILE_NAME = "articles.json"


@dataclass
class LawText:
    """One law, regulation or interpretation in one edition (one file, or several files of one
    text such as a code's books)."""

    doc_id: str
    title: str
    names: list[str]  # short names besides the title
    edition: str | None  # ISO date of the edition, None when the file gives none
    category: str  # the corpus folder: 行政法规, 司法解释, 部门规章, or a branch of law
    source: str
    articles: list[tuple[str, str]] = field(default_factory=list)  # (第X条, whole article text)


def catalogue_path(settings: Settings) -> Path:
    """Beside the index generations (written under the writer lease, atomically on its own):
    a generation switch must not drop the law articles of sources it did not touch."""
    return settings.data_dir / FILE_NAME


def _texts(entries: list[dict]) -> list[LawText]:
    return [LawText(**{**entry, "articles": [tuple(a) for a in entry["articles"]]}) for entry in entries]


def read_catalogue(settings: Settings) -> dict[str, list[LawText]]:
    """Source name -> its law texts; empty when no law was ever indexed. With a Chroma server the
    catalogue is the server's (every replica answers law articles as the writer does)."""
    if settings.chroma_host:
        records = ServerTable(settings, "catalogue").all()
        return {r["source"]: _texts(r["texts"]) for r in records if r.get("version") == CATALOGUE_VERSION}
    path = catalogue_path(settings)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != CATALOGUE_VERSION:
        return {}
    return {source: _texts(entries) for source, entries in data["sources"].items()}


def _publish(settings: Settings, put: dict[str, list[LawText]], drop: list[str], clear: bool = False) -> None:
    """The same change on the Chroma server's catalogue table, one record per source."""
    table = ServerTable(settings, "catalogue")
    if clear:
        table.clear()
    for source, texts in put.items():
        record = {"version": CATALOGUE_VERSION, "source": source, "texts": [asdict(t) for t in texts]}
        table.put(source, record, {"articles": float(sum(len(t.articles) for t in texts))})
    if drop:
        table.delete(drop)


def _write(settings: Settings, sources: dict[str, list[LawText]]) -> None:
    path = catalogue_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": CATALOGUE_VERSION,
        "sources": {s: [asdict(t) for t in texts] for s, texts in sorted(sources.items())},
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=FILE_NAME, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_catalogue(settings: Settings, synced: dict[str, list[LawText]], replace: bool = False) -> None:
    """Replace the entries of the synced sources (a source with no law text drops out); with
    ``replace`` (a rebuild) the synced sources are the whole catalogue."""
    sources = {} if replace else read_catalogue(settings)
    changed = replace
    put, dropped = {}, []
    for source, texts in synced.items():
        if texts:
            sources[source] = put[source] = texts
            changed = True
        elif sources.pop(source, None) is not None:
            changed = True
            dropped.append(source)
    if changed:
        _write(settings, sources)
        if settings.chroma_host:
            _publish(settings, put, dropped, clear=replace)


def drop_from_catalogue(settings: Settings, source: str) -> None:
    sources = read_catalogue(settings)
    if sources.pop(source, None) is not None:
        _write(settings, sources)
        if settings.chroma_host:
            _publish(settings, {}, [source])
