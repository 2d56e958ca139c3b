"""Gold articles for the article-lookup self-check, from a splitter written apart from
``ingest/laws.py`` (it imports nothing from the project, so a fault there cannot hide here).

Its rules, read off the corpus's Markdown: the title is the first ``# `` line; the body starts
after ``<!-- INFO END -->`` (the whole file when there is none); an article starts at a line
``第…条`` (or ``第…条之…``) whose number is greater than the previous article's, so a quoted
``第十条`` inside an article does not start one; an article runs to the next article, a
``#`` heading, or a bare 第…章/节/编 heading line. The edition is the date in the file name,
else the latest adoption or amendment date in the lines before the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000}
START = re.compile(
    r"^第([零〇一二三四五六七八九十百千]+)条(?:之([一二三四五六七八九十]+))?(?=[\s\u3000]|$|[^\s])"
)
BARE_HEADING = re.compile(r"^第[零一二三四五六七八九十百千]+[章节编](?:[\s\u3000]|$)")
NAME_DATE = re.compile(r"\((\d{4})-(\d{2})-(\d{2})\)$")
HEAD_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日.*?(?:通过|修正|修订|修改|公布|发布|决定)")


def number(cn: str) -> int:
    """Chinese numeral with units to int (一千零四十 -> 1040)."""
    total, digit = 0, 0
    for ch in cn:
        if ch in DIGITS:
            digit = DIGITS[ch]
        else:
            total += (digit or 1) * UNITS[ch]
            digit = 0
    return total + digit


@dataclass
class GoldArticle:
    label: str  # 第八十二条, 第一百三十三条之一
    key: tuple[int, int]
    lines: list[str]  # its paragraphs and items, in order

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class GoldLaw:
    path: Path
    title: str
    edition: str | None
    articles: list[GoldArticle]


def split_law(path: Path) -> GoldLaw:
    raw = path.read_text(encoding="utf-8-sig")
    lines = raw.splitlines()
    title_at = next(i for i, line in enumerate(lines) if line.startswith("# "))
    title = re.sub(r"\s+", "", lines[title_at][2:])
    end_info = next((i for i, line in enumerate(lines) if "INFO END" in line), None)
    body = lines[end_info + 1 :] if end_info is not None else lines[title_at + 1 :]
    head = "\n".join(lines[: end_info if end_info is not None else title_at + 1])
    m = NAME_DATE.search(path.stem)
    if m:
        edition = "-".join(m.groups())
    else:
        dates = [f"{int(y):04d}-{int(mo):02d}-{int(d):02d}" for y, mo, d in HEAD_DATE.findall(head)]
        edition = max(dates) if dates else None
    articles: list[GoldArticle] = []
    current: GoldArticle | None = None
    for line in body:
        s = line.strip().strip("\u3000\u200b\u200c\u200d\u2060\ufeff").strip()
        if not s or s.startswith("<!--"):
            continue
        if s.startswith("#") or BARE_HEADING.match(s):
            current = None
            continue
        a = START.match(s)
        if a:
            key = (number(a.group(1)), number(a.group(2)) if a.group(2) else 0)
            if not articles or key > articles[-1].key:
                label = a.group(0)
                current = GoldArticle(label, key, [s])
                articles.append(current)
                continue
        if current is not None:
            current.lines.append(s)
    return GoldLaw(path, title, edition, articles)
