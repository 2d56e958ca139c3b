"""Parse one national-law Markdown file (# title, ## 第X章, 第X条 articles with their items)."""

from __future__ import annotations

import re
from pathlib import Path

from core.schema import DocInfo
from ingest.blocks import split_blocks
from ingest.units import IngestError, ParsedDoc, Unit

ARTICLE = re.compile(r"^(第[零一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?)\s*")
STEM_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)$")
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width marks some files put before 第一条
CHAPTER = re.compile(r"^第[零一二三四五六七八九十百]+[编章节]")


def parse_law(text: str, source: str) -> list[ParsedDoc]:
    """A law as one document; articles are units cited as 《title》第X条."""
    blocks = split_blocks(text, repair=False)  # Markdown: every paragraph is its own line
    title_block = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
    if title_block is None:
        raise IngestError(f"{source}: no '# title' line: not a law file in the expected Markdown form")
    title = re.sub(r"\s+", "", title_block.text)
    stem = Path(source).stem
    m = STEM_DATE.search(stem)
    date = m.group(1) if m else None
    units: list[Unit] = []
    headings: list[tuple[int, str]] = []
    article: Unit | None = None
    body_started = "<!-- INFO END -->" not in text
    for b in blocks:
        if b is title_block:
            continue
        if not body_started:
            body_started = "INFO END" in b.text
            continue
        if b.kind == "heading":
            label = re.sub(r"[\s\u3000]+", " ", b.text).strip()
            while headings and headings[-1][0] >= b.level:
                headings.pop()
            headings.append((b.level, label))
            article = None
            continue
        text_ = b.text.strip().lstrip(INVISIBLE)
        if not text_ or text_.startswith("<!--"):
            continue
        path = [h for _, h in headings]
        am = ARTICLE.match(text_)
        if am:
            article = Unit("article", text_, [*path, am.group(1)], b.start, b.end)
            units.append(article)
        elif article is not None:
            article.text += "\n" + text_
            article.end = b.end
        else:
            units.append(Unit("paragraph", text_, path, b.start, b.end))
    if not units:
        raise IngestError(f"{source}: no article or paragraph found")
    info = DocInfo(
        id=f"{title}({date})" if date else title,
        doc_number=None,
        title=title,
        date=date,
        source=source,
        status="unknown",
        kind="law",
    )
    return [ParsedDoc(info=info, units=units, start=title_block.start, end=len(text))]
