"""Presentation helpers for the chat UI that need no Streamlit: citation text, highlighting, outlines.

Everything that turns document words into HTML escapes them first; ``<mark>`` and the few
layout tags are the only markup added, and only around escaped text.
"""

from __future__ import annotations

import html
import inspect
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from core.schema import ROLE_ZH, SECTION_SEP, Chunk, Citation

STATUS_ZH = {"valid": "有效", "repealed": "已废止或失效", "unknown": "未注明"}

AMOUNT_WORDS = ("多少", "几", "钱", "元", "标准", "金额")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_TAGS = re.compile(r"</?p>|<br\s*/?>", re.IGNORECASE)
_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "［": "〔", "］": "〕", "【": "〔", "】": "〕"})
_CITY_DEPT = re.compile(r"市[\u4e00-\u9fff]{1,10}?(?:局|委|办|厅|院|会|联)")


def status_label(status: str | None) -> str:
    """Legal validity in the words a reader expects (有效 / 已废止或失效 / 未注明)."""
    return STATUS_ZH.get(status or "unknown", STATUS_ZH["unknown"])


def crumbs(section: str) -> str:
    """The section path without its leading 文号 (the card shows the 文号 separately)."""
    parts = section.split(SECTION_SEP)
    return SECTION_SEP.join(parts[1:]) if len(parts) > 1 else section


# --------------------------------------------------------------------------------------
# highlighting
# --------------------------------------------------------------------------------------


def _folded_index(text: str) -> tuple[str, list[int]]:
    """``text`` folded like :func:`core.textnorm.fold`, with each folded char's source offset."""
    skip = set()
    for m in _TAGS.finditer(text):
        skip.update(range(m.start(), m.end()))
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if i in skip or ch.isspace():
            continue
        for out in unicodedata.normalize("NFKC", ch).translate(_BRACKETS):
            if not out.isspace():
                chars.append(out)
                where.append(i)
    return "".join(chars), where


def quote_spans(text: str, quotes: Iterable[str]) -> list[tuple[int, int]]:
    """Merged (start, end) offsets in ``text`` where any quote occurs (folded comparison)."""
    folded, where = _folded_index(text)
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        q, _ = _folded_index(quote)
        if not q:
            continue
        start = folded.find(q)
        while start != -1:
            spans.append((where[start], where[start + len(q) - 1] + 1))
            start = folded.find(q, start + len(q))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def highlight(text: str, quotes: Iterable[str]) -> str:
    """HTML: ``text`` escaped, each quote wrapped in ``<mark>``; newlines become ``<br>``."""
    out: list[str] = []
    pos = 0
    for s, e in quote_spans(text, quotes):
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def found_in(text: str, quote: str) -> bool:
    return bool(quote_spans(text, [quote]))


def clause_html(chunk: Chunk, quotes: Sequence[str]) -> str:
    """The cited clause as HTML with the quotes marked; a table row as 列：值 lines."""
    if chunk.kind in ("table_row", "list_entry") and chunk.fields:
        lines = [
            f"<b>{html.escape(k)}</b>：{highlight(v, quotes)}"
            for k, v in chunk.fields.items()
            if v and v.strip()
        ]
        body = "<br>".join(lines)
        if any(found_in(v, q) for q in quotes for v in chunk.fields.values()):
            return body
        return highlight(chunk.text, quotes) if any(found_in(chunk.text, q) for q in quotes) else body
    return highlight(chunk.text, quotes)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^\"'&])")


def md_escape(text: str) -> str:
    """Text safe to pass to Markdown (st.info etc.): ASCII punctuation escaped, line breaks kept."""
    return "  \n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in text.split("\n"))


def text_html(text: str) -> str:
    """Plain text (an answer, a user question) as escaped HTML with line breaks kept."""
    return html.escape(text).replace("\n", "<br>")


# --------------------------------------------------------------------------------------
# citations
# --------------------------------------------------------------------------------------


@dataclass
class SourceCard:
    """One cited chunk with every quote the answer took from it (one card per chunk)."""

    citation: Citation
    quotes: list[str] = field(default_factory=list)


def group_citations(citations: Sequence[Citation]) -> list[SourceCard]:
    """Citations grouped by chunk, in the order the answer first cites them."""
    cards: dict[str, SourceCard] = {}
    for c in citations:
        card = cards.setdefault(c.chunk_id, SourceCard(c))
        if c.quote not in card.quotes:
            card.quotes.append(c.quote)
    return list(cards.values())


def counter_citation(citation: Citation, quotes: Sequence[str] | None = None) -> str:
    """Plain text a family can copy or print and show at a service counter."""
    quotes = list(quotes or [citation.quote])
    where = citation.issue or "公报"
    if citation.page:
        where += f"（本文件自第{citation.page}页起）"
    doc = (
        f"{citation.doc_number}《{citation.doc_title}》"
        if citation.doc_number
        else f"《{citation.doc_title}》"
    )
    lines = [
        f"出处：{where}",
        f"文件：{doc}",
        f"条目：{crumbs(citation.section)}",
        *(f"原文：“{q}”" for q in quotes),
        f"效力（据公报）：{status_label(citation.status)}",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# amounts
# --------------------------------------------------------------------------------------


def mentions_amount(answer_text: str) -> bool:
    return "不低于" in answer_text or "元" in answer_text


def lead_department(answer_text: str, cited_rows: Iterable[Chunk] = ()) -> str | None:
    """The department to ask: a cited row's responsible party (its "lead" column, whatever the
    header), else a city department named in the answer."""
    for row in cited_rows:
        value = row.cell("lead").strip()
        if value and len(value) <= 20 and not re.search(r"[由。，,；;]", value):
            return value
        m = _CITY_DEPT.search(value)  # a duty described in a sentence: the office it names
        if m:
            return m.group(0)
    m = _CITY_DEPT.search(answer_text)
    return m.group(0) if m else None


def amount_note(answer_text: str, department: str | None) -> str | None:
    """The floor caveat for answers with amounts (None when the answer has none)."""
    if not mentions_amount(answer_text):
        return None
    ask = department or "文件中写明的牵头部门"
    return f"公报定的是全市最低标准，各县（区）可以制定更高的标准。具体金额和办理方式请咨询{ask}或当地县（区）相关部门。"


# --------------------------------------------------------------------------------------
# vague questions
# --------------------------------------------------------------------------------------


def benefit_items(chunks: Iterable[Chunk]) -> list[str]:
    """Names of table rows whose standard column states an amount in 元 (from the index, in order)."""
    items: list[str] = []
    for c in chunks:
        if c.kind != "table_row" or not any("元" in x for x in c.cells("standard")):
            continue
        name = c.section.split(SECTION_SEP)[-1].strip()
        if name and name not in items:
            items.append(name)
    return items


def example_questions(chunks: Iterable[Chunk], per_audience: int = 4) -> dict[str, list[str]]:
    """Example questions for families and for staff, made from what the index holds (benefit
    rows, rows with a responsible party, listed documents), so they fit whatever issue is in."""
    chunks = list(chunks)
    families = [f"{item}的标准是多少？" for item in benefit_items(chunks)]
    staff: list[str] = []
    for c in chunks:
        item = re.sub(r"^\d+\s+", "", c.section.split(SECTION_SEP)[-1]).strip()
        if c.kind == "table_row" and c.cell("lead") and not c.cells("standard") and item:
            staff.append(f"{item}由哪个部门负责？")
    listed = [c.fields.get("文号", "") for c in chunks if c.kind == "list_entry" and c.fields.get("文号")]
    staff = staff[: per_audience - 1] + [f"{n}还有效吗？" for n in listed[:1]]
    out = {"家属": families[:per_audience], "工作人员": staff[:per_audience]}
    return {k: v for k, v in out.items() if v}


def is_vague(question: str, items: Sequence[str]) -> bool:
    """A very short amount question that names no item ("补贴多少？"), so it could mean several."""
    core = _PUNCT.sub("", question)
    if not core or len(core) > 6 or not any(w in core for w in AMOUNT_WORDS):
        return False
    return not any(item in core or core.rstrip("多少钱几标准金额") == item for item in items)


def candidate_questions(items: Sequence[str], limit: int = 6) -> list[str]:
    """Questions to choose from, one per benefit item."""
    return [f"{item}的标准是多少？" for item in items[:limit]]


# --------------------------------------------------------------------------------------
# document outline (Documents page)
# --------------------------------------------------------------------------------------


@dataclass
class Block:
    """One piece of a document outline: a heading, a paragraph, or a table of rows."""

    kind: str  # "heading" | "text" | "table"
    text: str = ""
    level: int = 0
    rows: list[dict[str, str]] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # a table's column -> role, as ingest read it


def roles_line(roles: dict[str, str]) -> str:
    """ "项目名称→事项 · 承办单位→负责 …": how the index reads a table's columns."""
    return " · ".join(f"{col}→{ROLE_ZH.get(role, role)}" for col, role in roles.items())


def outline(chunks: Iterable[Chunk]) -> list[Block]:
    """A document's chunks (in print order) as headings, paragraphs and tables.

    A heading is emitted when the section path changes; consecutive table rows (or list
    entries) under one parent become one table built from their fields.
    """
    blocks: list[Block] = []
    shown: set[str] = set()
    for c in sorted(chunks, key=lambda c: c.start):
        is_row = c.kind in ("table_row", "list_entry") and c.fields
        heading_path = c.parent if is_row else c.section
        parts = heading_path.split(SECTION_SEP)
        for depth in range(2, len(parts) + 1):
            path = SECTION_SEP.join(parts[:depth])
            if path not in shown:
                shown.add(path)
                blocks.append(Block("heading", parts[depth - 1], level=depth - 1))
        if is_row:
            last = blocks[-1] if blocks else None
            if last is not None and last.kind == "table" and last.text == c.parent:
                last.rows.append(dict(c.fields))
            else:
                blocks.append(Block("table", c.parent, rows=[dict(c.fields)], roles=dict(c.roles)))
        else:
            blocks.append(Block("text", c.text))
    return blocks


def list_entries(chunks: Iterable[Chunk]) -> list[dict[str, str]]:
    """Rows of the valid/repealed lists (list_entry chunks), with the list they come from."""
    rows = []
    for c in chunks:
        if c.kind != "list_entry":
            continue
        f = c.fields
        rows.append(
            {
                "序号": f.get("序号", ""),
                "标题": f.get("标题", ""),
                "文号": f.get("文号", ""),
                "状态": f.get("状态", ""),
                "目录": c.parent.split(SECTION_SEP)[-1],
                "来源": c.doc_number or c.doc_title,
            }
        )
    return rows


def filter_rows(rows: Iterable[dict[str, str]], needle: str) -> list[dict[str, str]]:
    """Rows any of whose cells contain ``needle`` (brackets and width folded); all rows when empty."""
    n, _ = _folded_index(needle)
    if not n:
        return list(rows)
    return [r for r in rows if any(n in _folded_index(str(v))[0] for v in r.values())]


# --------------------------------------------------------------------------------------
# misc
# --------------------------------------------------------------------------------------


def accepts_kwarg(fn: Callable, name: str) -> bool:
    """Whether ``fn`` takes a keyword argument ``name`` (e.g. the Assistant's doc filter)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
