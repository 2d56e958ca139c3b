"""How an answer is drawn in the chat: its text with numbered lists as lists, and one source
card per cited document with every cited item marked in it.

The badge in a card's head is the cited document's own validity; an entry of a valid/repealed
list carries the listed document's status next to the entry, never on the list document."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import streamlit as st

from assistant import Answer
from assistant.present import (
    SourceCard,
    amount_note,
    clause_html,
    counter_citation,
    crumbs,
    group_citations,
    highlight,
    lead_department,
    status_label,
    text_html,
)
from ui.tables import table_html

KEEP_IN_VIEW = """<script>
// The page sticks to its bottom while the answer's cards draw (late on a loaded machine):
// keep the question and first sentence at the top for a few seconds, until the reader scrolls.
const d = window.parent.document;
let stop = false;
for (const ev of ["wheel", "touchstart", "keydown", "mousedown"]) {
  d.addEventListener(ev, () => { stop = true; }, {once: true, passive: true});
}
const bring = () => {
  if (stop) return;
  const m = d.querySelectorAll('[data-testid="stChatMessage"]');
  if (m.length < 2) return;
  const top = m[m.length - 2].getBoundingClientRect().top;
  if (top < 0 || top > 80) m[m.length - 2].scrollIntoView({block: "start"});
};
let n = 0;
const tick = setInterval(() => { bring(); if (++n >= 40 || stop) clearInterval(tick); }, 200);
</script>"""


_ITEM = re.compile(r"^\s*(\d{1,3})[.、．]\s*(.*)$")


def answer_html(text: str) -> str:
    """Escaped HTML of an answer: runs of "1. …" lines become numbered lists, other lines paragraphs."""
    out: list[str] = []
    items: list[str] = []
    start = 1

    def flush() -> None:
        if items:
            out.append(f"<ol start='{start}'>" + "".join(f"<li>{i}</li>" for i in items) + "</ol>")
            items.clear()

    for line in text.split("\n"):
        m = _ITEM.match(line)
        if m:
            if not items:
                start = int(m.group(1))
            items.append(html.escape(m.group(2)))
            continue
        flush()
        if line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    flush()
    return "".join(out)


@dataclass
class DocCard:
    """One cited document and the cited chunks in it, in the order the answer cites them."""

    doc_id: str
    cards: list[SourceCard] = field(default_factory=list)


def by_document(bot, answer: Answer) -> list[DocCard]:
    groups: dict[str, DocCard] = {}
    for card in group_citations(answer.citations):
        chunk = bot.chunk(card.citation.chunk_id)
        key = chunk.doc_id if chunk is not None else (card.citation.doc_number or card.citation.doc_title)
        groups.setdefault(key, DocCard(key)).cards.append(card)
    return list(groups.values())


def _badge(status: str | None, prefix: str = "") -> str:
    s = status or "unknown"
    return f"<span class='ga-badge ga-{html.escape(s)}'>{html.escape(prefix + status_label(s))}</span>"


def _head(i: int, bot, group: DocCard) -> str:
    c = group.cards[0].citation
    doc = bot.document(group.doc_id)
    status = doc.status if doc is not None else c.status  # the document's own validity
    page = f" · 第{c.page}页起" if c.page else ""
    n = len(group.cards)
    many = f" · 引用 {n} 处" if n > 1 else ""
    return (
        f"<b>[{i}] {html.escape(c.doc_number or '')}</b> {html.escape(c.doc_title)}<br>"
        f"<span class='ga-meta'>{html.escape(c.issue or '')}{page} · 效力：{_badge(status)}{many}</span>"
    )


def _item(bot, card: SourceCard) -> tuple[str, object]:
    c = card.citation
    chunk = bot.chunk(c.chunk_id)
    label = f"<span class='ga-meta'>{html.escape(crumbs(c.section))}</span>"
    if chunk is not None and chunk.kind == "list_entry":
        label += " " + _badge(chunk.status, "所列文件：")
    body = (
        clause_html(chunk, card.quotes)
        if chunk is not None
        else highlight("\n".join(card.quotes), card.quotes)
    )
    return f"{label}<div class='ga-clause'>{body}</div>", chunk


def source_cards(bot, msg_id: str, answer: Answer) -> None:
    """The cited documents as cards (folded away when there are many, so the answer stays in view)."""
    groups = by_document(bot, answer)
    if not groups:
        return
    all_text = []
    box = (
        st.expander(f"来源（{len(groups)} 份文件）", expanded=len(groups) <= 2)
        if len(groups) > 2
        else st.container()
    )
    with box:
        if len(groups) <= 2:
            st.markdown("**来源**")
        for i, group in enumerate(groups, 1):
            with st.container(border=True):
                st.markdown(_head(i, bot, group), unsafe_allow_html=True)
                first, shown = None, []
                for card in group.cards:
                    body, chunk = _item(bot, card)
                    first = first or chunk
                    shown.append(
                        (chunk.text if chunk is not None else card.citation.quote, card.citation.section)
                    )
                    st.markdown(body, unsafe_allow_html=True)
                _whole(bot, group, first)
                _law_links(bot, group.doc_id, shown)
                text = "\n".join(counter_citation(card.citation, card.quotes) for card in group.cards)
                all_text.append(f"[{i}]\n{text}")
                with st.expander("📋 到窗口出示的引用（可复制）"):
                    st.code(text, language=None, wrap_lines=True)
                if bot.document(group.doc_id) is not None and st.button(
                    "在文件中打开", key=f"open_{msg_id}_{i}", help="打开这份文件，定位到引用的条目"
                ):
                    st.session_state["open_doc"] = {
                        "doc": group.doc_id,
                        "section": group.cards[0].citation.section,
                    }
                    st.switch_page("ui/documents.py")
    st.download_button(
        "下载全部引用（文本）",
        data=(f"问题：{answer.question}\n\n" + "\n\n".join(all_text) + "\n").encode("utf-8"),
        file_name="公报引用.txt",
        mime="text/plain",
        key=f"dl_{msg_id}",
        on_click="ignore",
    )


def _law_links(bot, doc_id: str, passages: list[tuple[str, str]]) -> None:
    """Each law article the cited passages cite (《…法》第八十二条), whole, in the edition in force
    on the document's date: an official follows the citation without leaving the answer."""
    doc = bot.document(doc_id)
    if doc is None or doc.kind == "law":  # a law's own card already quotes its article
        return
    as_of = doc.date
    links = {
        cite: look for text, section in passages for cite, look in bot.law_citations(text, section, as_of)
    }
    for cite, look in links.items():
        with st.expander(f"📖 {cite}"):
            st.markdown(f"<div class='ga-clause'>{text_html(look.text)}</div>", unsafe_allow_html=True)


def _whole(bot, group: DocCard, chunk) -> None:
    """The whole table (for cited rows) or section (for cited clauses) of the first cited item."""
    c = group.cards[0].citation
    if chunk is not None and chunk.kind in ("table_row", "list_entry") and chunk.fields:
        with st.expander("查看整张表"):
            rows = [
                x.fields
                for x in bot.chunks(chunk.doc_id)
                if x.parent == chunk.parent and x.kind == chunk.kind
            ]
            st.markdown(table_html(rows), unsafe_allow_html=True)
    else:
        with st.expander("查看整节原文"):
            full = bot.section_text(c.section) or (chunk.text if chunk else "")
            quotes = [q for card in group.cards for q in card.quotes]
            st.markdown(f"<div class='ga-clause'>{highlight(full, quotes)}</div>", unsafe_allow_html=True)


def floor_note(bot, answer: Answer) -> str | None:
    """The "floor amount, counties may pay more" caveat: only under a cited standard that is a
    floor (不低于 / 最低), never under fines, discounts or other amounts."""
    rows = [ch for c in answer.citations if (ch := bot.chunk(c.chunk_id)) is not None]
    quoted = [c.quote for c in answer.citations]
    floors = [
        ch
        for ch in rows
        if any(
            ("不低于" in x or "最低" in x) and any(q in x or x in q for q in quoted)
            for x in ch.cells("standard")
        )
    ]
    return amount_note(answer.answer, lead_department(answer.answer, floors)) if floors else None
