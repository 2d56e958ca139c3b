"""The ingest report staff read before publishing: what the parser found in each source
(documents and their kinds) and how it read each table (column roles with confidence, and
columns it could not place). Parses only; writes nothing."""

from __future__ import annotations

import re
from pathlib import Path

from core.schema import ROLE_ZH
from ingest.roles import infer_roles
from ingest.sources import expand_paths, overrides_path, parse_source, read_overrides

KIND = re.compile(r"(通知|通告|公告|决定|意见|办法|细则|规定|方案|批复|函|清单|报告|命令|任免|解读|纪要)$")


def document_kind(title: str) -> str:
    m = KIND.search(title.strip())
    return m.group(1) if m else "其他"


def ingest_report(paths: list[Path]) -> str:
    """A plain-text report of every source in ``paths`` (raises IngestError on a bad file)."""
    lines: list[str] = []
    for path in expand_paths(paths):
        src = parse_source(path)
        overrides = read_overrides(path) if path.suffix.lower() != ".md" else {}
        lines.append(f"== {src.name}: {len(src.docs)} documents, {len(src.chunks)} chunks")
        if overrides:
            lines.append(f"   role corrections from {overrides_path(path).name}")
        for d in src.docs:
            info = d.info
            lines.append(
                f"   {info.doc_number or '(无文号)'}  [{document_kind(info.title)}]  {info.title}"
                f"  ({info.date or '无落款日期'}{', 第' + str(info.page) + '页' if info.page else ''})"
            )
        tables: dict[tuple[str, str], list] = {}
        for c in src.chunks:
            if c.kind == "table_row":
                tables.setdefault((c.doc_id, c.parent), []).append(c)
        for (_doc, parent), rows in tables.items():
            header = list(rows[0].fields)
            forced = next((cols for key, cols in overrides.items() if key in parent), None)
            roles = infer_roles(header, [[r.fields[h] for h in header] for r in rows], forced)
            lines.append(f"   table {parent} ({len(rows)} rows)")
            for col in roles.columns:
                mark = " (corrected)" if col.overridden else ""
                lines.append(
                    f"      {col.header} -> {col.role} {ROLE_ZH[col.role]}  confidence {col.confidence:.2f}{mark}"
                )
            if roles.unplaced():
                lines.append(f"      could not place with confidence: {', '.join(roles.unplaced())}")
    return "\n".join(lines)
