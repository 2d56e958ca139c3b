"""Ingest: gazette issues and law files -> documents -> units -> chunks, written to the index
through the store layer. Its public API is what this package exports."""

from ingest.pipeline import (
    default_paths,
    index_outdated,
    indexed_documents,
    remove_source,
    run_ingest,
    up_to_date,
)
from ingest.report import ingest_report
from ingest.sources import IngestError, expand_paths, parse_source
from store.index import IndexBusyError, IndexMismatchError, IndexUnavailableError, IndexWriteError

__all__ = [
    "IndexBusyError",
    "IndexMismatchError",
    "IndexUnavailableError",
    "IndexWriteError",
    "IngestError",
    "default_paths",
    "expand_paths",
    "index_outdated",
    "indexed_documents",
    "ingest_report",
    "parse_source",
    "remove_source",
    "run_ingest",
    "up_to_date",
]
