"""Article lookup that cannot miss: a question naming an indexed law (by its title or a short
name derived from it at ingest) and an article answers with that article, whole, from the
article catalogue (store/articles.py), without vector retrieval.

A name that fits several texts asks which; an article the text does not have says how many it
has; several editions of one title answer from the newest, from an asked one ("2018年版"), or
from the one in force on a given date, and note where the article reads differently elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.lawrefs import (
    ArticleRef,
    ShortForms,
    asked_edition,
    citations,
    cn_numeral,
    find_refs,
    label_key,
    split_article,
)
from core.textnorm import fold
from store.articles import LawText

# a law's name inside a longer title ("关于贯彻实施X法的通知") names that document, not the law
INSIDE_TITLE = re.compile(r"^》?(?:的)?(?:通知|意见|决定|实施方案|实施意见|实施办法|工作方案|细则|规划)")
# "X法实施条例第五条", "X法修改决定…的解释第一条": the reference belongs to another document
# whose name merely contains X法, so not to X法 ("X法规定", "X法的规定" still mean X法)
OTHER_DOCUMENT = re.compile(
    r"[^的》\s](?:解释|规定|条例|细则|办法|决定|意见|通知|批复|答复|修正案)(?:[(（][^)）]*[)）])?》?(?:里面|里|中|当中)?$"
)
# 43条 / 四十三条 count only right after the name ("…条例里面25条" too)
BARE_GAP = re.compile(r"^》?的?(?:里面|里|中|当中)?的?$")
MAX_CANDIDATES = 8


@dataclass
class Edition:
    """One edition of one text: its articles by (number, 之 number), in print order."""

    title: str
    date: str | None
    doc_ids: list[str]
    articles: dict[tuple[int, int], tuple[str, str, str]] = field(default_factory=dict)  # label, text, doc_id

    @property
    def name(self) -> str:
        if not self.date:
            return f"《{self.title}》"
        y, m, d = (int(x) for x in self.date.split("-"))
        return f"《{self.title}》（{y}年{m}月{d}日版）"

    @property
    def count(self) -> int:
        return max((k[0] for k in self.articles), default=0)


@dataclass
class Found:
    """One article to quote: its edition, label and whole text, and the document it is in."""

    edition: Edition
    label: str
    text: str
    doc_id: str


@dataclass
class Lookup:
    """The desk's answer: the text to show and the articles it quotes (empty when it asks back
    or says the article does not exist)."""

    text: str
    found: list[Found]
    notes: list[str] = field(default_factory=list)


class ArticleDesk:
    """Names -> texts -> editions -> articles, built once from the catalogue."""

    def __init__(self, texts: list[LawText]):
        editions: dict[tuple[str, str | None], Edition] = {}
        self.names: dict[str, set[str]] = {}
        self.full: dict[str, set[str]] = {}  # a full title names that text even if it is another's short name
        for t in texts:
            ed = editions.setdefault((t.title, t.edition), Edition(t.title, t.edition, []))
            ed.doc_ids.append(t.doc_id)
            for label, body in t.articles:
                key = label_key(label)
                if key and key not in ed.articles:
                    ed.articles[key] = (label, body, t.doc_id)
            self.full.setdefault(fold(t.title), set()).add(t.title)
            for name in [t.title, *t.names]:
                self.names.setdefault(fold(name), set()).add(t.title)
        self.editions: dict[str, list[Edition]] = {}
        for (title, _), ed in sorted(editions.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            self.editions.setdefault(title, []).append(ed)
        self._by_start: dict[str, list[str]] = {}  # first two characters -> names
        for name in self.names:
            self._by_start.setdefault(name[:2], []).append(name)
        self.short = ShortForms(self.names)

    def __bool__(self) -> bool:
        return bool(self.editions)

    # -- reading the question ----------------------------------------------------------------
    def mentions(self, text: str) -> list[tuple[int, int, set[str]]]:
        """Names in ``text`` (folded): (start, end, titles), longest first where they overlap."""
        found = [
            (i, i + len(name), name)
            for i in range(len(text) - 1)
            for name in self._by_start.get(text[i : i + 2], ())
            if text.startswith(name, i)
        ]
        spans = [(s, e, self.full.get(name) or self.names[name]) for s, e, name in found]
        spans += self.short.find(text, {e for _, e, _ in found})
        taken: list[tuple[int, int, set[str]]] = []
        for start, end, titles in sorted(spans, key=lambda f: f[0] - f[1]):  # longest first
            if not any(s <= start and end <= e for s, e, _ in taken) and not INSIDE_TITLE.match(text[end:]):
                taken.append((start, end, titles))
        return sorted(taken, key=lambda m: m[0])

    def lookup(self, question: str, context: str = "", as_of: str | None = None) -> Lookup | None:
        """The articles a question asks for, or None when it names no law with an article.

        ``context``: the previous question; when it asked for an article, a follow-up naming no
        law ("那第四十四条呢") keeps its law.
        ``as_of``: the date of the gazette document the question is read with (ISO).
        """
        if not self.editions:
            return None
        text = fold(question)
        refs = find_refs(text)
        if not refs:
            return None
        names = self.mentions(text)
        if not names and context and find_refs(fold(context)):  # the previous question asked for an article
            names = [(-1, -1, titles) for _, _, titles in self.mentions(fold(context))[-1:]]
        pairs: list[tuple[set[str], ArticleRef]] = []
        for ref in refs:
            titles = _owner(ref, names, text)
            if titles is not None:
                pairs.append((titles, ref))
        if not pairs:
            return None
        asked = asked_edition(text)
        parts, found, notes = [], [], []
        seen: set[tuple[str, tuple[int, int]]] = set()
        for titles, ref in pairs:
            if len(titles) > 1:
                listed = "、".join(f"《{t}》" for t in sorted(titles)[:MAX_CANDIDATES])
                more = f"等{len(titles)}部" if len(titles) > MAX_CANDIDATES else ""
                return Lookup(
                    f"这个名称对应多部文件：{listed}{more}。请问是哪一部？", [], ["ambiguous law name"]
                )
            title = next(iter(titles))
            if (title, ref.key) in seen:
                continue
            seen.add((title, ref.key))
            part, hit, note = self._answer(title, ref, asked, as_of)
            parts.append(part)
            found.extend(hit)
            notes.extend(note)
        return Lookup("\n\n".join(parts), found, notes)

    def cited(self, text: str, section: str = "", as_of: str | None = None) -> list[tuple[str, Lookup]]:
        """The law articles a gazette passage cites, each with its article(s) whole, in the
        edition in force on ``as_of`` (the document's date): formal citations in the text
        ("《…法》第八十二条、第八十三条") and, when the passage's section path names a law and an
        article (a table listing a law's articles row by row), that one. Citations of texts or
        articles the index does not hold are left out: a reader is never offered an empty link."""
        asks = [(cite, cite) for cite in citations(text)]
        if section:
            asks.append(("", section))
        out, seen = [], set()
        for label, ask in asks:
            look = self.lookup(ask, as_of=as_of)
            if look is None or not look.found:
                continue
            keys = tuple((f.edition.title, f.label) for f in look.found)
            if keys not in seen:
                seen.add(keys)
                out.append((label or "、".join(f"《{t}》{a}" for t, a in keys), look))
        return out

    # -- answering ------------------------------------------------------------------------------
    def edition(self, title: str, asked: str | None = None, as_of: str | None = None) -> tuple[Edition, str]:
        """The edition to quote and, when it is not the one asked for, why. ``asked``: an
        edition's year or full date (asked_edition)."""
        eds = self.editions[title]
        if asked is not None:
            same = [e for e in eds if e.date and e.date.startswith(asked)]
            if same:
                return same[-1], ""
            before = [e for e in eds if e.date and e.date[: len(asked)] <= asked]
            pick = before[-1] if before else eds[-1]
            return pick, f"没有{_asked_words(asked)}的版本，以下是{_date_words(pick)}版。"
        if as_of:
            before = [e for e in eds if e.date and e.date <= as_of]
            if before:
                return before[-1], ""
            return eds[-1], f"{as_of}时这部文件的版本不在库中，以下是{_date_words(eds[-1])}版。"
        return eds[-1], ""

    def _answer(
        self, title: str, ref: ArticleRef, asked: str | None, as_of: str | None
    ) -> tuple[str, list[Found], list[str]]:
        ed, why = self.edition(title, asked, as_of)
        lead = why + "\n" if why else ""
        got = ed.articles.get(ref.key)
        if got is None:
            if not ed.articles:
                return f"{lead}{ed.name}不是按条文编排的，没有{ref.label}。", [], ["no such article"]
            return f"{lead}{ed.name}共{ed.count}条，没有{ref.label}。", [], ["no such article"]
        label, body, doc_id = got
        lines = [f"{lead}{ed.name}{label}：", body]
        part = _asked_part(body, ref)
        if part:
            lines.append(part)
        lines.extend(self._changes(title, ed, ref.key))
        return "\n".join(lines), [Found(ed, label, body, doc_id)], []

    def _changes(self, title: str, quoted: Edition, key: tuple[int, int]) -> list[str]:
        """A note for each other edition where this article reads differently or is absent."""
        out = []
        mine = fold(quoted.articles[key][1])
        for ed in self.editions[title]:
            if ed is quoted:
                continue
            other = ed.articles.get(key)
            when = _date_words(ed)
            if other is None:
                out.append(f"注：{when}版没有这一条。")
            elif fold(other[1]) != mine:
                out.append(f"注：这一条在{when}版中文字不同（问“{when[:5]}版”可看）。")
        return out


def _owner(ref: ArticleRef, names: list[tuple[int, int, set[str]]], text: str) -> set[str] | None:
    """The titles of the name a reference belongs to: the nearest name before it, or, when none
    precedes it, the nearest after it; a follow-up's name (position -1) belongs to every
    reference. A reference without 第 (43条) counts only right after its name; none counts
    when the words between name and reference end in another document's kind (…实施条例)."""
    before = [m for m in names if m[1] <= ref.start]
    if before and before[-1][1] >= 0 and OTHER_DOCUMENT.search(text[before[-1][1] : ref.start]):
        return None
    if ref.bare:
        ok = before and (before[-1][1] < 0 or BARE_GAP.match(text[before[-1][1] : ref.start]))
        return before[-1][2] if ok else None
    if before:
        return before[-1][2]
    after = [m for m in names if m[0] >= ref.end]
    return after[0][2] if after else None


def _asked_part(body: str, ref: ArticleRef) -> str:
    """The asked 款 or 项, quoted again after the whole article; a note when it does not exist."""
    if ref.para is None and ref.item is None:
        return ""
    paras = split_article(body)
    if ref.para is not None:
        if ref.para > len(paras):
            return f"（这一条共{cn_numeral(len(paras))}款，没有第{cn_numeral(ref.para)}款。）"
        text, items = paras[ref.para - 1]
        if ref.item is None:
            return f"其中第{cn_numeral(ref.para)}款：\n{text}"
    else:
        text, items = next(((t, i) for t, i in paras if i), paras[0])
    if ref.item > len(items):
        return f"（这一款共{cn_numeral(len(items))}项，没有第{cn_numeral(ref.item)}项。）"
    return f"其中第{cn_numeral(ref.item)}项：\n{items[ref.item - 1]}"


def _asked_words(asked: str) -> str:
    if len(asked) == 4:
        return f"{asked}年"
    y, m, d = (int(x) for x in asked.split("-"))
    return f"{y}年{m}月{d}日"


def _date_words(ed: Edition) -> str:
    if not ed.date:
        return "未注明日期的"
    y, m, d = (int(x) for x in ed.date.split("-"))
    return f"{y}年{m}月{d}日"
