"""Answerers by kind of evidence; the extractive answerer asks them in this order.

Order matters only for ``survey`` (complete lists over the whole index): document facts by
date first, then printed lists by status. Each chunk kind has exactly one answerer."""

from assistant.answerers.clauses import ClauseAnswerer
from assistant.answerers.documents import DocumentAnswerer
from assistant.answerers.lists import ListEntryAnswerer
from assistant.answerers.tables import TableRowAnswerer

ANSWERERS = (DocumentAnswerer, ListEntryAnswerer, TableRowAnswerer, ClauseAnswerer)

__all__ = ["ANSWERERS", "ClauseAnswerer", "DocumentAnswerer", "ListEntryAnswerer", "TableRowAnswerer"]
