"""Tables every column of which can be read on a phone: escaped HTML that wraps on a desktop
and turns each row into a labelled block on a narrow screen (CSS in ui/shell.py). And the
search key the document list uses: the chat's folding, brackets and spaces ignored, so
"某政发2011 51号" finds 某政发〔2011〕51号."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

from assistant import fold

_IGNORED = re.compile(r"[〔〕\[\]()（）《》<>\s]")


def search_key(text: str) -> str:
    """Folded text without brackets or spaces (what both the needle and each cell become)."""
    return _IGNORED.sub("", fold(text or ""))


def matches(row: Mapping[str, object], needle: str) -> bool:
    key = search_key(needle)
    return not key or any(key in search_key(str(v)) for v in row.values())


def table_html(
    rows: Iterable[Mapping[str, object]], badges: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """Rows as a responsive table; ``badges`` maps a column to {cell value: css class} for a
    coloured status cell."""
    rows = list(rows)
    if not rows:
        return ""
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = html.escape("" if r.get(c) is None else str(r.get(c)))
            cls = (badges or {}).get(c, {}).get(str(r.get(c)))
            v = f"<span class='ga-badge {cls}'>{v}</span>" if cls and v else v
            cells.append(f"<td data-label='{html.escape(str(c))}'>{v}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='ga-table-wrap'><table class='ga-table'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
