"""The front of an issue: its identity from the masthead, and its table of contents (目录).

The masthead names the gazette (a short line ending in 公报), the issue (`2024·05`,
`2025年第2期(总第58期)`, `2025　第4期`) and the publication date (`出版日期:…`, `…出版`).
The contents table starts at a line that is only 目录 (or 本期目录/要目) and runs over its
entries. An entry ends with a leader and a page number (`…… 12`, `····· 9`, `..... 7`); its
title and 文号 may come before the leader on the same line or on the lines just above it.
Group headings (【通告】, ◎ 人事任免, `## 市政府文件`) and the issue lines are not entries.
A table printed without page numbers ends where its first title is printed again (the first
document); each of its titles is an entry, with the 文号 line below it when there is one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from core.textnorm import DOC_NUMBER_RE, canonical_doc_number
from ingest.blocks import KIND, Block
from ingest.units import IngestError, ParsedDoc

CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff《》〈〉“”、])\s+(?=[\u4e00-\u9fff《》〈〉“”、])")
ISSUE_DOTTED = re.compile(r"^(\d{4})\s*[·・.]\s*(\d{1,2})$")  # 2024·05
ISSUE_NUMBERED = re.compile(r"^(?:(\d{4})\s*年?\s*)?第\s*(\d{1,3})\s*期")  # 2025年第2期, 2025　第4期
PUBLISHED = re.compile(r"(?:出版日期\s*[:：]?\s*)?(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:出版)?$")
CONTENTS_MARK = re.compile(r"^(?:本期)?(?:目录|要目)$")
LEADER = re.compile(r"(?:[…⋯]+|[.．·・]{2,}|[-—─]{3,})\s*(\d{1,4})\s*$")
GROUP_MARK = re.compile(r"^[【◎■●◆□○#\[]")
PERIODICAL = re.compile(r"(?:总第\d+期|[双半]?月刊|季刊|^\(|^（)")
ENTRY_MARK = re.compile(r"^(?:[-*•·]\s*|\d{1,3}\s*[.．、]\s*|[(（][一二三四五六七八九十\d]+[)）]\s*)")
ATTACHED = re.compile(r"(?:印发|转发|发布|公布)(.+?)的(?:通知|决定|通告|公告)$")
MAX_GAP = 4  # blocks between two entries (a group heading, a title line) before the table is over


def compact(text: str) -> str:
    """Drop the spaces that only wrap a Chinese title across lines (and hard line breaks)."""
    return CJK_SPACE.sub("", " ".join(text.split("\n")).strip())


def title_key(title: str) -> str:
    """A title as compared across the contents table and the body: width, spaces and brackets folded."""
    t = unicodedata.normalize("NFKC", title)
    return re.sub(r"[\s《》〈〉“”\"'「」『』]", "", t).replace("〔", "[").replace("〕", "]")


def publishes(notice: str, title: str) -> bool:
    """True when ``title`` is the text that the notice titled ``notice`` publishes (印发/转发)."""
    cur, key = title_key(notice), title_key(title)
    if key in cur:
        return True
    m = ATTACHED.search(cur)
    return bool(m) and SequenceMatcher(None, m.group(1), key).ratio() >= 0.8


# -- the masthead ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueIdentity:
    """Who publishes the gazette, and which issue this is (None where the masthead is silent)."""

    gazette: str | None  # 某市人民政府公报
    year: int | None
    number: int | None
    dotted: bool = False  # printed as 2024·05
    published: str | None = None  # ISO date of publication

    def display(self, source: str) -> str:
        """The issue as shown with a citation: `某市人民政府公报 2024·05`, `… 2025年第2期`."""
        name = self.gazette or Path(source).stem
        if self.number is not None and self.dotted:
            return f"{name} {self.year}·{self.number:02d}"
        if self.number is not None:
            return f"{name} {self.year}年第{self.number}期" if self.year else f"{name} 第{self.number}期"
        if self.published and self.gazette:
            y, m, d = self.published.split("-")
            return f"{name} {y}年{int(m)}月{int(d)}日"
        return name


def issue_identity(front: list[Block]) -> IssueIdentity:
    """The masthead's gazette name, issue number and publication date, from the front blocks."""
    gazette = year = number = published = None
    dotted = False
    for b in front:
        for line in b.text.split("\n"):
            t = compact(line)
            if gazette is None and t.endswith("公报") and 4 <= len(t) <= 24:
                gazette = t
            elif number is None and (m := ISSUE_DOTTED.match(t)):
                year, number, dotted = int(m.group(1)), int(m.group(2)), True
            elif number is None and (m := ISSUE_NUMBERED.match(t)):
                year, number = (int(m.group(1)) if m.group(1) else None), int(m.group(2))
            elif published is None and (m := PUBLISHED.search(t)) and ("出版" in t):
                published = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    if number is not None and year is None and published:
        year = int(published[:4])
    return IssueIdentity(gazette, year, number, dotted, published)


# -- the contents table ---------------------------------------------------------------------


@dataclass
class Entry:
    """One document the contents table lists."""

    title: str
    number: str | None  # canonical 文号, None for a document listed without one
    page: int | None  # None in a table printed without page numbers
    printed: str  # the entry as printed, for messages

    def label(self) -> str:
        number = f"({self.number})" if self.number else ""
        return f"《{self.title}》{number}" + (f", p. {self.page}" if self.page is not None else "")


def contents_span(blocks: list[Block]) -> tuple[int, int] | None:
    """(first, last) block indexes of the contents table, or None when the issue has none."""
    mark = next(
        (
            i
            for i, b in enumerate(blocks)
            if b.kind != "table" and CONTENTS_MARK.match(re.sub(r"\s", "", b.text))
        ),
        None,
    )
    if mark is None:
        return None
    last, gap = None, 0
    for i in range(mark + 1, len(blocks)):
        b = blocks[i]
        if b.kind != "table" and any(LEADER.search(line) for line in b.text.split("\n")):
            last, gap = i, 0
            continue
        gap += 1
        if gap > MAX_GAP or (b.kind == "para" and DOC_NUMBER_RE.fullmatch(b.text.strip())):
            break
    return (mark, last) if last is not None else _pageless_span(blocks, mark)


def _pageless_span(blocks: list[Block], mark: int) -> tuple[int, int] | None:
    """A table without page numbers: from the mark to just before one of its titles is printed
    again (the first document of the body, whatever the order of the table, even misprinted)."""
    end, i = len(blocks), mark + 1
    while i < end:
        b = blocks[i]
        lines = [] if b.kind == "table" else b.text.split("\n")
        for line in lines:
            if _is_group(b, line) or DOC_NUMBER_RE.fullmatch(line.strip("()（） \u3000")):
                continue
            key = title_key(_entry(ENTRY_MARK.sub("", line.strip()), None, line).title)
            again = next((j for j in range(i + 1, end) if _same_title(key, blocks[j])), None)
            end = again if again is not None else end
        i += 1
    return (mark, end - 1) if end < len(blocks) else None


def _same_title(key: str, b: Block) -> bool:
    if b.kind == "table" or len(key) < 8:
        return False
    other = title_key(compact(b.text))
    if other == key:
        return True
    return abs(len(other) - len(key)) <= len(key) // 5 and SequenceMatcher(None, key, other).ratio() >= 0.9


def _is_group(block: Block, line: str) -> bool:
    t = re.sub(r"\s", "", line)
    return (
        block.kind == "heading"
        or bool(GROUP_MARK.match(t))
        or len(t) <= 8
        or bool(ISSUE_DOTTED.match(t) or ISSUE_NUMBERED.match(t) or PERIODICAL.search(t))
    )


def contents_entries(blocks: list[Block], span: tuple[int, int]) -> list[Entry]:
    """The entries of the contents table in ``span``, in printed order."""
    region = blocks[span[0] + 1 : span[1] + 1]
    if not any(LEADER.search(line) for b in region for line in b.text.split("\n")):
        return _pageless_entries(region)
    entries: list[Entry] = []
    pending: list[str] = []
    for b in region:
        for line in b.text.split("\n"):
            if not line.strip():
                continue
            m = LEADER.search(line)
            if not m:
                pending = [] if _is_group(b, line) else [*pending, line]
                continue
            head = ENTRY_MARK.sub("", line[: m.start()].strip())
            above = compact("".join(ENTRY_MARK.sub("", p.strip()) for p in pending))
            pending = []
            page = int(m.group(1))
            if above and DOC_NUMBER_RE.fullmatch(head.strip("()（） \u3000")):
                # the title above, the 文号 on the leader's line
                entries.append(Entry(above, canonical_doc_number(head), page, line.strip()))
            else:  # the whole entry on the leader's line, or its title wrapped onto it
                entries.append(_entry(above + head, page, line))
    return entries


def _pageless_entries(region: list[Block]) -> list[Entry]:
    """Entries of a table without page numbers: a title (wrapped until it ends in a document
    kind), then its 文号 line if one follows."""
    entries: list[Entry] = []
    for b in region:
        for line in b.text.split("\n"):
            if not line.strip() or _is_group(b, line):
                continue
            text = compact(ENTRY_MARK.sub("", line.strip()))
            last = entries[-1] if entries else None
            if (
                last is not None
                and last.number is None
                and DOC_NUMBER_RE.fullmatch(text.strip("()（） \u3000"))
            ):
                last.number = canonical_doc_number(text)
            elif last is not None and last.number is None and not KIND.search(last.title):
                last.title += text  # a title wrapped onto the next line
            else:
                entries.append(_entry(text, None, line))
    return entries


def _entry(text: str, page: int | None, printed: str) -> Entry:
    """Title and 文号 of one entry: the 文号 is the one that ends it, after the title or below it."""
    text = compact(text).strip()
    last = next(reversed(list(DOC_NUMBER_RE.finditer(text))), None)
    if (
        last is not None
        and not text[last.end() :].strip("()（） \u3000")
        and (number := canonical_doc_number(last.group(0)))
    ):
        issuer = number.split("〔")[0]
        cut = last.start(1) + len(last.group(1)) - len(issuer)  # the issuer, not the title's last words
        return Entry(text[:cut].rstrip("(（ \u3000"), number, page, printed.strip())
    return Entry(text, None, page, printed.strip())


def _by_title(e: Entry, docs: list[ParsedDoc], taken: set[int]) -> int | None:
    """The document an entry names by its title: exactly, else nearly (a misprint) among those
    without a 文号 of their own."""
    free = [k for k in range(len(docs)) if k not in taken]
    key = title_key(e.title)
    exact = next((k for k in free if title_key(docs[k].info.title) == key), None)
    if exact is not None:
        return exact
    near = [
        (SequenceMatcher(None, key, title_key(docs[k].info.title)).ratio(), k)
        for k in free
        if docs[k].info.doc_number is None
    ]
    best = max(near, default=None)
    if best and best[0] >= 0.9:
        return best[1]
    # a table that lists the published text (a 方案) by its own title: the notice publishing it
    return next((k for k in free if publishes(docs[k].info.title, e.title)), None)


def _merged_into(e: Entry, docs: list[ParsedDoc]) -> ParsedDoc | None:
    """The document whose text holds a listed title that did not begin a document. A damaged
    title keeps the start of what follows its issuer (…关于 / …人民政府)."""
    own = re.sub(r"^.*?(?:关于|人民政府|办公室|办公厅)", "", title_key(e.title), count=1)
    lead = own[: max(6, len(own) * 3 // 5)]
    return next((d for d in docs if lead in title_key("".join(u.text for u in d.units))), None)


def match_contents(entries: list[Entry], docs: list[ParsedDoc], source: str) -> None:
    """Every document the contents table lists is a document of its own: it gets the entry's
    page (and the entry's 文号 when its own 文号 line was not readable). Raises IngestError
    naming an entry that was not found, or that was found inside another document."""
    found: dict[int, int] = {}  # entry -> document
    for n, e in enumerate(entries):  # by 文号 first, so that a title cannot take another's document
        k = next((k for k, d in enumerate(docs) if e.number and d.info.doc_number == e.number), None)
        if k is not None and k not in found.values():
            found[n] = k
    for n, e in enumerate(entries):
        if n not in found:
            k = _by_title(e, docs, set(found.values()))
            if k is None:
                inside = _merged_into(e, docs)
                where = (
                    f"its text is inside {inside.info.display_name} (merged: its title line was not recognised)"
                    if inside is not None
                    else "no such document was found in the issue"
                )
                raise IngestError(f"{source}: the 目录 lists {e.label()}, but {where}")
            found[n] = k
    for n, k in found.items():
        info = docs[k].info
        info.page = entries[n].page
        if info.doc_number is None and entries[n].number:
            info.doc_number = entries[n].number
