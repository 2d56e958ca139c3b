"""Where the documents of an issue begin.

A document begins at its title. A title is a heading, or a short standalone line (possibly
wrapped, or an issuing body on one line and `关于…` on the next) that reads like a title: it
ends in a document-kind word (通知, 通告, 公告, 决定, 办法, 批复, 函, 任免, 名单, 解读 …). It is
followed either by a line that is only a 文号, or by the document's body (an addressee line such
as `各县（区）人民政府…：`, or body text). A title the contents table lists begins a document
wherever the body prints it as a line of its own.

What is *not* a new document, although it reads like a title: the attached text of a 印发/转发
notice (its title is the object of the notice's own title), an annex title (the line after
`附件`), numbered section headings, and anything before the previous document was signed
(its 落款 date) when no 文号 line follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.textnorm import DOC_NUMBER_RE
from ingest.blocks import KIND, Block
from ingest.front import compact, publishes, title_key

OFFICIAL = re.compile(r"关于|《|人民政府|政府|办公室|办公厅|委员会|领导小组|指挥部|管委会|[局厅委院]")
NUMBERED = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}[\.．、]|第[一二三四五六七八九十百零\d]+[章节条])"
)
ANNEX = re.compile(r"^附\s*件\s*\d*$")
DATE_END = re.compile(
    r"(?:\d{4}|[〇零一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日$"
)
SENTENCE = re.compile(r"[。；;：:！？!?]")
MIN_TITLE, MAX_TITLE = 8, 120
ISSUER_MAX = 24  # an issuing body printed on the line above `关于…`


@dataclass
class Start:
    """A document's first block, how many blocks its title spans, and whether a 文号 line follows."""

    index: int
    title: str
    span: int  # title blocks (1, or 2 for `某市人民政府` / `关于…`)
    numbered: bool  # the block after the title is a 文号 line


def is_number_line(b: Block | None) -> bool:
    return b is not None and b.kind == "para" and bool(DOC_NUMBER_RE.fullmatch(b.text.strip()))


def _text(b: Block) -> str:
    return compact(b.text)


def reads_like_title(text: str) -> bool:
    """Short, no sentence punctuation, not numbered, and ends in a document-kind word."""
    return (
        MIN_TITLE <= len(text) <= MAX_TITLE
        and not SENTENCE.search(text)
        and not NUMBERED.match(text)
        and not text.endswith("公报")
        and bool(KIND.search(text))
    )


def _title_at(blocks: list[Block], i: int) -> tuple[str, int] | None:
    """The title that block ``i`` begins (text, blocks it spans), or None."""
    b = blocks[i]
    if b.kind not in ("heading", "para"):
        return None
    text = _text(b)
    nxt = blocks[i + 1] if i + 1 < len(blocks) else None
    if (
        nxt is not None
        and nxt.kind in ("heading", "para")
        and len(text) <= ISSUER_MAX
        and not SENTENCE.search(text)
        and not DATE_END.search(text)
        and not NUMBERED.match(text)
        and not ANNEX.match(text)
        and not KIND.search(text)
        and _text(nxt).startswith("关于")
        and reads_like_title(_text(nxt))
    ):
        return text + _text(nxt), 2
    return text, 1


def _attached_to(current: str | None, title: str) -> bool:
    """True when ``title`` is the text that the current 印发/转发 notice publishes."""
    return current is not None and publishes(current, title)


def _is_body(b: Block | None) -> bool:
    """The block after a title without 文号: an addressee line or body text, not another title."""
    if b is None or b.kind == "table":
        return False
    text = _text(b)
    if b.kind == "heading":
        return bool(NUMBERED.match(text))
    return not is_number_line(b) and not reads_like_title(text) and not ANNEX.match(text)


def _signed(b: Block) -> bool:
    return b.kind != "heading" and bool(DATE_END.search(b.text.strip().split("\n")[-1].strip()))


def find_starts(blocks: list[Block], begin: int, listed: set[str]) -> list[Start]:
    """Every document start at or after block ``begin``. ``listed``: the contents table's titles
    (``title_key`` form); a block printing one of them begins a document."""
    starts: list[Start] = []
    current: str | None = None  # the title of the document being read
    signed = True  # the document being read has its 落款 date (nothing open before the first one)
    begun: set[str] = set()
    i = begin
    while i < len(blocks):
        b = blocks[i]
        found = _title_at(blocks, i)
        if found is None:
            i += 1
            continue
        title, span = found
        after = blocks[i + span] if i + span < len(blocks) else None
        if span == 2 and not (is_number_line(after) or _is_body(after)):
            title, span = _text(b), 1
            after = blocks[i + 1] if i + 1 < len(blocks) else None
        key = title_key(title)
        prev = blocks[i - 1] if i else None
        annex_title = prev is not None and ANNEX.match(_text(prev)) is not None
        if is_number_line(after) and not annex_title and (b.kind == "heading" or reads_like_title(title)):
            start = Start(i, title, span, True)
        elif key in listed and key not in begun and not _attached_to(current, title):
            start = Start(i, title, span, is_number_line(after))
        elif (
            reads_like_title(title)
            and OFFICIAL.search(title)
            and signed
            and not annex_title
            and not _attached_to(current, title)
            and _is_body(after)
        ):
            start = Start(i, title, span, False)
        else:
            signed = signed or _signed(b)
            i += 1
            continue
        starts.append(start)
        begun.add(title_key(start.title))  # a listed title printed again later is a quotation
        current, signed = start.title, False
        i += start.span + (1 if start.numbered else 0)
    return starts
