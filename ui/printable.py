"""A printable one-page summary of a navigation (HTML, offered as a download): per row the
benefit, its standard, who handles it and where the gazette says so; then what it is not.
The page carries no name and is made in memory only."""

from __future__ import annotations

import html
from datetime import date

from assistant import NAVIGATOR_DISCLAIMER, NAVIGATOR_FLOOR, Benefit, Navigation

CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; font-size: 11pt; margin: 1.2cm; }
h1 { font-size: 15pt; margin: 0 0 .2em 0; } h2 { font-size: 12pt; margin: .8em 0 .2em 0; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #999; padding: 3px 5px;
vertical-align: top; font-size: 9.5pt; } th { background: #eee; } .note { font-size: 9.5pt; color: #333; }
@media print { @page { size: A4; margin: 1cm; } }
"""


def _rows(items: list[Benefit], extra: str | None) -> str:
    head = "<tr><th>#</th><th>项目</th><th>标准（公报原文）</th><th>办理部门</th><th>出处</th>"
    head += f"<th>{extra}</th></tr>" if extra else "</tr>"
    body = []
    for i, b in enumerate(items, 1):
        d = b.doc
        where = "；".join(
            x
            for x in (
                d.issue if d else b.chunk.issue,
                d.display_name if d else b.chunk.doc_number,
                f"第{b.chunk.page}页起" if b.chunk.page else "",
                d.date if d and d.date else "",
            )
            if x
        )
        cells = [str(i), b.item, b.standard, b.lead or "—", where]
        if extra:
            cells.append(f"还需：{b.missing[0]}" if b.missing else f"对象：{b.who}")
        body.append("<tr>" + "".join(f"<td>{html.escape(c or '')}</td>" for c in cells) + "</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def summary_html(nav: Navigation) -> str:
    """One A4 page: the three lists as tables and the gazette's own caveats."""
    who = html.escape(nav.profile.describe() or "—")
    parts = [
        f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>可享受的待遇</title><style>{CSS}</style>",
        f"<h1>按公报可享受的待遇</h1><p class='note'>情况：{who} · 生成日期：{date.today().isoformat()}</p>",
        f"<h2>适用（{len(nav.eligible)}项）</h2>",
        _rows(nav.eligible, None) if nav.eligible else "<p>没有完全符合的项目。</p>",
    ]
    if nav.nearly:
        parts += [f"<h2>还差一个条件（{len(nav.nearly)}项）</h2>", _rows(nav.nearly, "差什么")]
    if nav.unclear:
        parts += [f"<h2>请核实（{len(nav.unclear)}项）</h2>", _rows(nav.unclear, "公报写的对象")]
    notes = [NAVIGATOR_FLOOR] if any("不低于" in b.standard for b in nav.eligible) else []
    parts.append("".join(f"<p class='note'>{html.escape(n)}</p>" for n in [*notes, NAVIGATOR_DISCLAIMER]))
    return "".join(parts) + "</html>"
