"""Test helper: the bundled issue with every data table's header replaced by 列1…列n and its
columns shuffled (the same permutation for a table's rows, its 续表 and repeated header)."""

from __future__ import annotations

import random
import re
from pathlib import Path

from ingest.blocks import split_blocks

DOC_NUMBER = re.compile(r"[〔\[]\d{4}[〕\]]\d+号")


def _is_document_list(rows: list[list[str]]) -> bool:
    cells = [c for r in rows for c in r if c.strip()]
    return bool(cells) and sum(1 for c in cells if DOC_NUMBER.search(c)) >= len(cells) / 2


def header_blind(text: str, seed: int = 7) -> tuple[str, int]:
    """(transformed text, number of tables transformed)."""
    rng = random.Random(seed)
    out, pos, tables = [], 0, 0
    header: list[str] | None = None
    perm: list[int] = []
    for b in split_blocks(text):
        if b.kind != "table" or _is_document_list(b.rows):
            continue
        rows = b.rows
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        if rows[0] != header:  # a new table (a repeated header continues the last one)
            header, tables = rows[0], tables + 1
            perm = list(range(width))
            while perm == list(range(width)) and width > 1:
                rng.shuffle(perm)
        new_rows = []
        for r in rows:
            if r == header:
                new_rows.append([f"列{i + 1}" for i in range(width)])
            else:
                new_rows.append([r[i].replace("\n", "<br>") for i in perm])
        out.append(text[pos : b.start])
        out.append("\n".join("\t".join(r) for r in new_rows))
        pos = b.end
    out.append(text[pos:])
    return "".join(out), tables


def write_header_blind(src: Path, dst: Path, seed: int = 7) -> int:
    text, n = header_blind(src.read_text(encoding="utf-8"), seed)
    dst.write_text(text, encoding="utf-8")
    return n
