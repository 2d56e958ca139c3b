"""The law-article catalogue on disk: ``articles.json`` beside the index, one entry per law text
(title, short names, edition date, every article whole), grouped by the source file it came from.

It is written whole to a temporary file and swapped in with ``os.replace``, so a reader sees the
old catalogue or the new one, never half of one. Syncing a source replaces that source's entries;
removing a source drops them.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.settings import Settings

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


def read_catalogue(settings: Settings) -> dict[str, list[LawText]]:
    """Source name -> its law texts; empty when no law was ever indexed."""
    path = catalogue_path(settings)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != CATALOGUE_VERSION:
        return {}
    return {
        source: [LawText(**{**entry, "articles": [tuple(a) for a in entry["articles"]]}) for entry in entries]
        for source, entries in data["sources"].items()
    }


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
    for source, texts in synced.items():
        if texts:
            sources[source] = texts
            changed = True
        elif sources.pop(source, None) is not None:
            changed = True
    if changed:
        _write(settings, sources)


def drop_from_catalogue(settings: Settings, source: str) -> None:
    sources = read_catalogue(settings)
    if sources.pop(source, None) is not None:
        _write(settings, sources)
