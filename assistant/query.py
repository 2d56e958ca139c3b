"""What a question asks: normalised text, named documents, ages and amounts, the kind of answer wanted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.numerals import cn_to_int
from core.textnorm import find_doc_numbers, normalize_question

AGE_PATTERNS = [
    re.compile(r"(\d{2,3})\s*(?:周岁|岁|了|多岁)"),
    re.compile(r"([一二三四五六七八九十百零两]{2,5})\s*(?:周岁|岁)"),
    re.compile(r"(?:age[sd]?|aged)\s*(\d{2,3})|(\d{2,3})[- ]years?[- ]old", re.IGNORECASE),
]
PARTIAL_NUMBER = re.compile(
    r"(?:([\u4e00-\u9fff]{1,4}?)(?:〔|\[)?(\d{4})?(?:〕|\])?)?(\d{1,4})\s*号(?:文|文件)?"
)
ARTICLE_REF = re.compile(r"第[零一二三四五六七八九十百千]+条")

INTENTS: dict[str, tuple[str, ...]] = {
    "amount": (
        "多少钱",
        "多少元",
        "多少",
        "金额",
        "标准",
        "补贴",
        "津贴",
        "几块",
        "how much",
        "amount",
        "money",
        "钱",
    ),
    # asks for money specifically: the evidence must state an amount (or that it is free)
    "money": (
        "多少钱",
        "多少元",
        "几块钱",
        "罚款",
        "罚多少",
        "额度",
        "收费",
        "费用",
        "学费",
        "花钱",
        "要钱",
        "付钱",
        "价格",
        "补多少",
        "给多少",
        "领多少",
        "发多少",
        "多少补贴",
        "how much",
    ),
    "who": (
        "哪个部门",
        "什么部门",
        "哪些部门",
        "谁",
        "哪个单位",
        "负责",
        "处罚",
        "牵头",
        "主管",
        "管",
        "找谁",
        "who",
        "department",
    ),
    "when": (
        "什么时候",
        "何时",
        "哪天",
        "哪一天",
        "几号",
        "几月",
        "日期",
        "时间",
        "期限",
        "截止",
        "之前",
        "多久",
        "when",
        "date",
        "哪一年",
        "运行至",
        "到什么时候",
    ),
    "list": (
        "哪些",
        "有几",
        "几种",
        "几类",
        "包括",
        "情形",
        "列出",
        "都有",
        "哪几",
        "what are",
        "list",
        "which",
    ),
    "yesno": ("吗", "是否", "能不能", "可不可以", "可以", "有没有", "是不是", "对吧", "对不对"),
    "procedure": (
        "怎么申请",
        "如何申请",
        "怎么办理",
        "如何办理",
        "去哪办",
        "哪里办",
        "怎么报名",
        "如何报名",
        "材料",
        "流程",
        "手续",
        "电话",
        "网址",
        "apply",
        "how do i",
    ),
    # asks about the document itself: its date, title, issuer
    "docmeta": (
        "哪天发",
        "哪天印发",
        "什么时候发",
        "什么时候印发",
        "哪天签发",
        "印发日期",
        "发文日期",
        "签发",
        "落款",
        "哪个文件",
        "哪份文件",
        "什么文件",
        "哪个文号",
        "文号是",
        "谁发的",
        "哪个单位发",
        "发文机关",
        "发的文",
    ),
}
# Words that say what is asked, not what about (general verbs and connectives of a follow-up):
# a follow-up made only of these and of numbers ("那100岁呢？", "谁负责？", "要交什么材料？")
# has no topic of its own and borrows the previous question's.
ASKING_WORDS = frozenset(
    {"还有", "如果", "那么", "另外", "要交", "需要", "开始", "结束", "办理", "申请", "时候", "怎么", "可以"}
)
# every word of the answer-kind cues above, and ASKING_WORDS
ASKED_WORDS = ASKING_WORDS | {w for cues in INTENTS.values() for w in cues}

STRICT_WHEN = (
    "什么时候",
    "何时",
    "哪天",
    "哪一天",
    "几号",
    "几月",
    "截止",
    "期限",
    "多久",
    "到什么时候",
    "when",
)


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
    low = text.lower()
    q.intents = {name for name, words in INTENTS.items() if any(w in low for w in words)}
    if any(w in low for w in STRICT_WHEN):
        q.intents.add("strict_when")
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
