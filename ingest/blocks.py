"""Lines of converted text -> blocks (paragraphs, headings, tables), page-break damage repaired.

A block remembers the character span it came from in the source file, so every chunk
can point back at the printed text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
BOLD_RE = re.compile(r"^\*\*(.+?)\*\*$")
PIPE_SEP_RE = re.compile(r"^-?\s*\|[\s\-:|]*\|\s*$")
TAG_RE = re.compile(r"</?p>|<br\s*/?>", re.IGNORECASE)

DOC_NUMBER_TAIL = re.compile(r"[\u4e00-\u9fff]{0,8}[〔\[]\d{4}[〕\]]\d+号$")
# the last word of a document's title (…的通知, …办法（试行）): such a line is complete as printed
KIND_WORDS = "通知|通告|公告|通报|决定|决议|意见|办法|细则|规定|规则|方案|规划|计划|批复|复函|函|命令|任免|名单|解读|说明|报告|纪要"
KIND = re.compile(rf"(?:{KIND_WORDS})(?:[(（][^()（）]{{1,16}}[)）])?$")
SENTENCE_MARKS = re.compile(r"[。；;：:，,！？!?]")
NUMBERED_START = re.compile(
    r"^(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十\d]+\)|（[一二三四五六七八九十\d]+）|\d+[\.．])"
)


# a printed page's number on a line of its own ("— 16 —", "- 3 -", "第 5 页", "第5页 共12页")
PAGE_NUMBER_LINE = re.compile(
    r"^[ \t]*(?:[—–\-－]+[ \t]*\d{1,4}[ \t]*[—–\-－]+|第[ \t]*\d{1,4}[ \t]*页(?:[ \t]*共[ \t]*\d{1,4}[ \t]*页)?)[ \t]*$",
    re.MULTILINE,
)


def blank_page_numbers(text: str) -> str:
    """Page numbers printed between paragraphs, blanked (same length, so every span still points
    at the printed text): they are not content, and a sentence a page break cut is rejoined across
    them like across any blank line."""
    return PAGE_NUMBER_LINE.sub(lambda m: " " * len(m.group(0)), text)


@dataclass
class Block:
    """A paragraph, heading, list or table as printed, with its source span."""

    kind: str  # "para" | "heading" | "table" | "list"
    text: str
    start: int
    end: int
    level: int = 0  # heading level (number of #), 0 otherwise
    rows: list[list[str]] = field(default_factory=list)  # table cells as printed (tags kept)
    pipe: bool = False  # a pipe table (two-column lists are printed this way)
    headed: bool | None = None  # pipe tables: a |---| line under the first row marks it the header


def _clean_cell(cell: str) -> str:
    """Cell text without <p>/<br> markup; paragraphs inside a cell become newlines."""
    cell = re.sub(r"</p>\s*<p>", "\n", cell, flags=re.IGNORECASE)
    cell = re.sub(r"<br\s*/?>", "\n", cell, flags=re.IGNORECASE)
    cell = TAG_RE.sub("", cell)
    return "\n".join(part.strip() for part in cell.split("\n")).strip()


def clean_cell(cell: str) -> str:
    return _clean_cell(cell)


def _line_spans(text: str) -> list[tuple[str, int, int]]:
    spans, pos = [], 0
    for raw in text.split("\n"):
        spans.append((raw, pos, pos + len(raw)))
        pos += len(raw) + 1
    return spans


def _is_tab_row(line: str) -> bool:
    return "\t" in line


def _is_pipe_row(line: str) -> bool:
    s = line.strip()
    if s.startswith("- "):
        s = s[2:].strip()
    return s.startswith("|") and s.endswith("|") and s.count("|") >= 2


def _pipe_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("- "):
        s = s[2:].strip()
    return [c.strip() for c in s.strip("|").split("|")]


def split_blocks(text: str, repair: bool = True) -> list[Block]:
    """Group lines into blocks. Tables keep their rows; `续表` is left as a paragraph marker.
    ``repair=False`` for text with no page breaks to repair (Markdown, one paragraph a line)."""
    lines = _line_spans(text)
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        raw, start, end = lines[i]
        line = raw.strip()
        if not line:
            i += 1
            continue
        m = HEADING_RE.match(line)
        if m:
            blocks.append(Block("heading", m.group(2).strip(), start, end, level=len(m.group(1))))
            i += 1
            continue
        if _is_tab_row(raw):
            rows, j = [], i
            while j < len(lines) and lines[j][0].strip() and _is_tab_row(lines[j][0]):
                rows.append([c.strip() for c in lines[j][0].split("\t")])
                j += 1
            blocks.append(Block("table", "", start, lines[j - 1][2], rows=rows))
            i = j
            continue
        if _is_pipe_row(raw) or (
            PIPE_SEP_RE.match(line) and i + 1 < len(lines) and _is_pipe_row(lines[i + 1][0])
        ):
            rows, j, seps = [], i, []
            while (
                j < len(lines)
                and lines[j][0].strip()
                and (_is_pipe_row(lines[j][0]) or PIPE_SEP_RE.match(lines[j][0].strip()))
            ):
                if PIPE_SEP_RE.match(lines[j][0].strip()):
                    seps.append(len(rows))
                else:
                    rows.append(_pipe_cells(lines[j][0]))
                j += 1
            # Markdown's rule: the row above the |---| line is the header; rows printed with no
            # such line at all are all data (a two-column list of places or items)
            headed = True if seps and seps[0] == 1 else (False if not seps else None)
            blocks.append(Block("table", "", start, lines[j - 1][2], rows=rows, pipe=True, headed=headed))
            i = j
            continue
        # A paragraph: consecutive non-blank lines. A markdown hard break ("  " at the end)
        # or a list bullet keeps its line break; other line ends are soft wraps.
        parts, j, is_list = [], i, line.startswith("- ")
        while j < len(lines):
            r = lines[j][0]
            s = r.strip()
            if not s or HEADING_RE.match(s) or _is_tab_row(r) or _is_pipe_row(r):
                break
            if j > i and s.startswith("- ") != is_list:
                break
            parts.append((s[2:].strip() if is_list else s, r.endswith("  ") or is_list))
            j += 1
        buf = ""
        for k, (s, hard) in enumerate(parts):
            buf += s
            if k < len(parts) - 1:
                # a line that starts a numbered item or is a bare 文号 is a real line, not a wrap
                nxt = parts[k + 1][0]
                buf += "\n" if hard or NUMBERED_START.match(nxt) or DOC_NUMBER_TAIL.fullmatch(nxt) else ""
        bm = BOLD_RE.match(buf)
        if bm:
            blocks.append(Block("heading", bm.group(1).strip(), start, lines[j - 1][2], level=6))
        else:
            blocks.append(Block("list" if is_list else "para", buf, start, lines[j - 1][2]))
        i = j
    return _join_page_breaks(blocks) if repair else blocks


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _ends_open(text: str) -> bool:
    """True when a paragraph stops mid-sentence (a page break cut it).

    Short lines (a 文号, an office in a 落款, a name) and lines ending in a line break or
    in punctuation that closes a sentence are complete as printed.
    """
    t = text.rstrip()
    if len(t) < 16 or "\n" in t[-16:] or DOC_NUMBER_TAIL.search(t):
        return False
    if KIND.search(t) and not SENTENCE_MARKS.search(t):
        return False  # a title (…的通告) followed by its body, not a sentence cut by a page
    return _is_cjk(t[-1]) or t[-1] in "、,，"


def _starts_continuation(text: str) -> bool:
    t = text.strip()
    if len(t) < 16 and _is_cjk(t[-1:] or "。"):
        return False  # a short line ending bare is a name or an office, not half a sentence
    return (
        bool(t)
        and (_is_cjk(t[0]) or t[0].isdigit() or t[0] in ",，、")
        and not NUMBERED_START.match(t)
        and not t.startswith(("附件", "续表"))
    )


def _join_page_breaks(blocks: list[Block]) -> list[Block]:
    """Rejoin a sentence split over a blank line (常务副组 / 长为… -> 常务副组长为…)."""
    out: list[Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "para"
            and b.kind == "para"
            and _ends_open(prev.text)
            and _starts_continuation(b.text)
        ):
            prev.text += b.text
            prev.end = b.end
            continue
        out.append(b)
    return out
