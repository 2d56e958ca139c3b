"""Ingest entry point: parse every input first, then sync the index (or change nothing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.embedding import Embedder
from core.schema import DocInfo
from core.settings import Settings
from ingest.catalogue import catalogue_entries
from ingest.duplicates import refuse_duplicates
from ingest.sources import IngestError, expand_paths, parse_source, source_digest, source_name
from store.articles import catalogue_path, drop_from_catalogue, update_catalogue
from store.index import MANIFEST_VERSION, IndexStore, SyncStats


def default_paths(settings: Settings) -> list[Path]:
    return sorted(settings.gazette_dir.glob("*.txt"))


def indexed_documents(settings: Settings) -> list[DocInfo] | None:
    """What the index holds (None when there is no index yet); loads no model."""
    store = IndexStore(settings)
    if store.manifest() is None:
        return None
    return store.documents()


def remove_source(settings: Settings, embedder: Embedder, source: str) -> SyncStats:
    """Drop one source from the index; KeyError (naming the indexed sources) when it is not there."""
    store = IndexStore(settings, embedder)
    with store.writing():
        stats = IndexStore(settings, embedder).remove(source)
        drop_from_catalogue(settings, source)
    return stats


def up_to_date(settings: Settings, paths: list[Path]) -> bool:
    """True when every path is indexed with its current content (no model needed to tell)."""
    store = IndexStore(settings)
    manifest = store.manifest()
    if not manifest or manifest.get("version") != MANIFEST_VERSION:
        return False
    if any(name.endswith(".md") for name in manifest["sources"]) and not catalogue_path(settings).exists():
        return False  # laws indexed before the article catalogue existed: a sync writes it
    for p in expand_paths(paths):
        entry = manifest["sources"].get(source_name(p))
        if not entry or not p.exists():
            return False
        try:
            if source_digest(p) != entry["sha256"]:
                return False
        except IngestError:
            return False
    return True


def index_outdated(settings: Settings) -> bool:
    """True when an index exists but was written in an earlier format (it needs a rebuild)."""
    manifest = IndexStore(settings).manifest()
    return manifest is not None and manifest.get("version") != MANIFEST_VERSION


def run_ingest(
    settings: Settings,
    embedder: Embedder,
    paths: list[Path] | None = None,
    rebuild: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[SyncStats]:
    """Parse ``paths`` (default: the bundled gazettes) and sync them into the index.

    Raises IngestError before anything is written when any input is bad, or when a document
    would be indexed twice (the same issue under another name, one document in two sources).
    With ``rebuild`` the index is rebuilt from scratch (all previously indexed sources too).
    Holds the writer lease throughout (``IndexBusyError`` while another ingest runs), and the
    result is a new generation of the index, switched to at the end (``store/layout.py``).
    """
    files = expand_paths(paths or default_paths(settings))
    store = IndexStore(settings, embedder)
    with store.writing():
        store = IndexStore(settings, embedder)  # what is serving now that no one else writes
        if rebuild:
            known = [Path(v["path"]) for v in (store.manifest() or {}).get("sources", {}).values()]
            files = list(dict.fromkeys([*known, *files]))
        elif not catalogue_path(settings).exists():  # laws indexed before the catalogue existed
            laws = [
                Path(v["path"])
                for k, v in (store.manifest() or {}).get("sources", {}).items()
                if k.endswith(".md")
            ]
            files = list(dict.fromkeys([*files, *(p for p in laws if p.is_file())]))
        parsed = [parse_source(p) for p in files]  # every input parses, or nothing is touched
        # and no document comes twice (a rebuild replaces every source, so only the inputs count)
        manifest = None if rebuild else store.manifest()
        refuse_duplicates(
            [p.record for p in parsed],
            store.documents() if manifest else [],
            {name: entry["sha256"] for name, entry in (manifest or {}).get("sources", {}).items()},
        )
        stats = store.sync([p.record for p in parsed], progress=progress, rebuild=rebuild)
        update_catalogue(settings, catalogue_entries(parsed), replace=rebuild)  # law articles, whole
        return stats
