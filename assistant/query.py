"""What a question asks: normalised text, named documents, ages and amounts, the kind of answer wanted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.asks import ASKING_WORDS, asked_kinds
from core.numerals import cn_to_int
from core.textnorm import find_doc_numbers, fold, normalize_question

AGE_PATTERNS = [
    re.compile(r"(\d{2,3})\s*(?:周岁|岁|了|多岁)"),
    re.compile(r"([一二三四五六七八九十百零两]{2,5})\s*(?:周岁|岁)"),
    re.compile(r"(?:age[sd]?|aged)\s*(\d{2,3})|(\d{2,3})[- ]years?[- ]old", re.IGNORECASE),
]
PARTIAL_NUMBER = re.compile(
    r"(?:([\u4e00-\u9fff]{1,4}?)(?:〔|\[)?(\d{4})?(?:〕|\])?)?(\d{1,4})\s*号(?:文|文件)?"
)
ARTICLE_REF = re.compile(r"第[零一二三四五六七八九十百千]+条")
TITLE = re.compile(r"《([^《》]{2,60})》")


@dataclass
class Query:
    """A question after normalisation, with the signals retrieval and answering use."""

    raw: str
    text: str
    doc_numbers: list[str] = field(default_factory=list)  # full 文号 named in the question
    partial_numbers: list[tuple[str | None, str | None, int]] = field(
        default_factory=list
    )  # (issuer hint, year, n)
    ages: list[int] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    intents: set[str] = field(default_factory=set)
    english: bool = False  # mostly non-Chinese: keyword coverage means little, rely on meaning
    age_floor: int | None = None  # "90岁以上": the asker means every age from there up

    def wants(self, intent: str) -> bool:
        return intent in self.intents


def titled(text: str, titles: dict[str, str]) -> list[str]:
    """Ids of the documents a 《title》 in ``text`` names; ``titles`` maps id -> folded title
    (the title in full, or a core of six characters or more inside it)."""
    out = []
    for name in TITLE.findall(text):
        f = fold(name)
        out += [d for d, t in titles.items() if f == t or (len(f) >= 6 and f in t)]
    return out


def is_asking_word(token: str) -> bool:
    """A word that says what is asked, not what about (多少, 负责, 材料…)."""
    return token in ASKING_WORDS or bool(asked_kinds(token))


def parse_query(question: str) -> Query:
    text = normalize_question(question)
    q = Query(raw=question, text=text)
    q.doc_numbers = find_doc_numbers(text)
    if not q.doc_numbers:
        for m in PARTIAL_NUMBER.finditer(text):
            # "28号文", "13号文件", "某政办发28号": a number that may match several documents
            hint, year, n = m.group(1), m.group(2), int(m.group(3))
            q.partial_numbers.append((hint, year, n))
    for pat in AGE_PATTERNS:
        for m in pat.finditer(text):
            raw = next(g for g in m.groups() if g)
            n = int(raw) if raw.isdigit() else cn_to_int(raw)
            if n is not None and 40 <= n <= 130 and n not in q.ages:
                q.ages.append(n)
    floor = re.search(r"(\d{2,3})\s*(?:周岁|岁)\s*(?:\(含\))?\s*(?:以上|及以上)", text)
    if floor:
        q.age_floor = int(floor.group(1))
    q.articles = ARTICLE_REF.findall(text)
    q.intents = asked_kinds(text)
    q.english = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") < 0.2 * max(len(text.replace(" ", "")), 1)
    return q


RANGE_PATTERNS = [
    # 90周岁(含)至99周岁(含) / 60(含)一65周岁(不含): the filler 一 of the print means a dash
    re.compile(
        r"(\d{2,3})\s*(?:周岁|岁)?\s*(\((?:含|不含)\))?\s*(?:至|到|-|—|~|一|－)\s*(\d{2,3})\s*(?:周岁|岁)\s*(\((?:含|不含)\))?"
    ),
]
OPEN_RANGE = re.compile(r"(\d{2,3})\s*(?:周岁|岁)\s*(?:\(含\))?\s*(?:及|以)(?:以上|上)")
UNDER_RANGE = re.compile(r"(?:未满|不满|低于)\s*(\d{2,3})\s*(?:周岁|岁)")


def age_ranges(text: str) -> list[tuple[int, int, int, int]]:
    """(start, end, lo, hi) spans of age ranges in ``text``; hi inclusive, open ranges up to 200."""
    out = []
    for pat in RANGE_PATTERNS:
        for m in pat.finditer(text):
            lo, hi = int(m.group(1)), int(m.group(3))
            if m.group(4) == "(不含)":
                hi -= 1
            if m.group(2) == "(不含)":
                lo += 1
            out.append((m.start(), m.end(), lo, hi))
    for m in OPEN_RANGE.finditer(text):
        if not any(s <= m.start() < e for s, e, _, _ in out):
            out.append((m.start(), m.end(), int(m.group(1)), 200))
    for m in UNDER_RANGE.finditer(text):
        out.append((m.start(), m.end(), 0, int(m.group(1)) - 1))
    return out


def age_fits(text: str, age: int) -> bool | None:
    """True when a range in ``text`` covers ``age``, False when ranges exist but none does, None without ranges."""
    ranges = age_ranges(text)
    if not ranges:
        return None
    return any(lo <= age <= hi for _, _, lo, hi in ranges)
