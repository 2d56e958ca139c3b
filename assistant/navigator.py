"""The benefits navigator: given a person (age and conditions), every benefit row of the
ingested tables that applies, the ones a single condition short, and the ones whose who-cell
cannot be read (请核实, never dropped).

A benefit row is a table row with a who-column and a standard column (ingest/roles.py). Its
who-cell is read into a requirement: an age range (``N周岁及以上``, ``N周岁(含)至M周岁(含)``,
``N—M岁``; a bare 老年人 means 60 and over, as national law defines it) and condition groups
(economic status, care need, disability, living alone, family, merit, …). Conditions of one
group are alternatives (低保对象、特困人员 = either), different groups must all hold. Words
outside this general vocabulary leave the cell unread: the row is shown as 请核实.

Nothing here is logged: a profile is personal data.

Why one long module: the vocabulary, the who-cell reader, the matching and the answer that
names what is missing share one set of condition words; split, they would drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.numerals import normalize_numbers
from core.schema import Answer, Chunk, Citation, DocInfo, issue_series

OLD_AGE = 60  # 老年人 without an age: 60 and over (老年人权益保障法 第二条)

# tag, group, aliases (general vocabulary of social-assistance documents), most specific first
CONDITIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("低保边缘", "经济状况", ("低保边缘",)),
    ("低保", "经济状况", ("低保", "最低生活保障")),
    ("特困", "经济状况", ("特困", "五保")),
    ("监测对象", "经济状况", ("监测对象",)),
    ("经济困难", "经济状况", ("经济困难",)),
    ("重度失能", "照护", ("重度失能", "完全失能", "全失能")),
    ("中度失能", "照护", ("中度失能", "半失能", "部分失能")),
    ("轻度失能", "照护", ("轻度失能",)),
    ("失能", "照护", ("失能", "生活不能自理", "不能自理")),
    ("重度残疾", "残疾", ("重度残疾", "一级或者二级", "一级或二级", "一、二级", "一级残疾", "二级残疾")),
    ("残疾", "残疾", ("残疾",)),
    ("独居", "居住", ("独居",)),
    ("空巢", "居住", ("空巢",)),
    ("失独", "家庭", ("失独", "计划生育特殊家庭")),
    ("优抚对象", "优抚", ("优抚对象", "烈士遗属", "军烈属", "退役军人", "伤残军人")),
    ("流浪乞讨", "流浪", ("流浪", "乞讨", "生活无着")),
    ("重病", "疾病", ("重病", "大病", "因病致贫")),
)
TAGS = tuple(t for t, _, _ in CONDITIONS)
GROUP = {t: g for t, g, _ in CONDITIONS}
# a person with the key also counts as having the values (低保 is one kind of 经济困难)
IMPLIES = {
    "低保": ("经济困难",),
    "特困": ("经济困难",),
    "低保边缘": ("经济困难",),
    "监测对象": ("经济困难",),
    "重度失能": ("失能",),
    "中度失能": ("失能",),
    "轻度失能": ("失能",),
    "重度残疾": ("残疾",),
}
_ALIAS = sorted(((a, t) for t, _, al in CONDITIONS for a in al), key=lambda x: -len(x[0]))
_ALIAS_RE = re.compile("|".join(re.escape(a) for a, _ in _ALIAS))
_TAG_OF = dict(_ALIAS)

_Y = r"(?:周岁|岁)"
_INCL = r"(?:[(（]含[)）])?"
_RANGE = re.compile(
    rf"(\d{{1,3}})\s*{_Y}?\s*{_INCL}\s*(?:至|到|—|－|-|~|～|一)\s*(\d{{1,3}})\s*{_Y}\s*{_INCL}([(（]不含[)）])?"
)
_MIN = re.compile(rf"(?:年满)?(\d{{1,3}})\s*{_Y}\s*{_INCL}\s*(?:及|或)?以上|年满(\d{{1,3}})\s*{_Y}")
_MAX = re.compile(rf"(\d{{1,3}})\s*{_Y}\s*{_INCL}\s*(?:及|或)?以下|未满(\d{{1,3}})\s*{_Y}")
_OLD = re.compile(r"老年人|老人")
# words that only say "people" or join conditions: what may remain of a cell that was read
_FILLER = re.compile(
    r"老年人|老人|人员|对象|居民|群众|家庭成员|家庭|成员|患者|持有|人证|等级为|经认定|认定|符合条件|"
    r"纳入|范围|救助供养|供养|救助|城乡|城市|农村|本市|户籍|常住|以上|以下|或者|以及|及|和|与|或|且|"
    r"中的|的|户|经|不含|含|周岁|岁|至|到|[\d\s、，,；;：:“”\"'‘’()（）\[\]—－\-~～]"
)
_CHILD = re.compile(r"儿童|未成年人|学生")
SEGMENT = re.compile(r"[；;\n。]")


@dataclass(frozen=True)
class Profile:
    """A person as the navigator sees them (never logged, never stored)."""

    age: int | None = None
    conditions: frozenset[str] = frozenset()

    def has(self) -> set[str]:
        out = set(self.conditions)
        for t in self.conditions:
            out.update(IMPLIES.get(t, ()))
        return out

    def describe(self) -> str:
        parts = [f"{self.age}岁"] if self.age is not None else []
        return "、".join(parts + sorted(self.conditions, key=TAGS.index))


@dataclass(frozen=True)
class Requirement:
    """What a who-cell asks: an age range and condition groups (alternatives within a group)."""

    min_age: int | None = None
    max_age: int | None = None
    groups: tuple[frozenset[str], ...] = ()
    readable: bool = True  # False: words outside the vocabulary remain (请核实)
    # the standard names a lower age than the who-cell's own explicit one: between the two, 请核实
    looser_age: int | None = None

    def shortfall(self, p: Profile) -> tuple[list[str], bool]:
        """What the person lacks (in words), and whether they are past the age range."""
        missing, past = [], False
        if self.min_age is not None and (p.age is None or p.age < self.min_age):
            missing.append(f"年满{self.min_age}周岁")
        if self.max_age is not None and p.age is not None and p.age > self.max_age:
            past = True
        have = p.has()
        for g in self.groups:
            if not g & have:
                missing.append("或".join(sorted(g, key=TAGS.index)))
        return missing, past


def conditions_in(text: str) -> list[str]:
    """Condition tags the text names, in order (specific aliases win over their prefixes)."""
    return [_TAG_OF[m.group(0)] for m in _ALIAS_RE.finditer(text)]


def ages(text: str) -> tuple[int | None, int | None]:
    """The age range the text states (numbers already Arabic); None where it states none."""
    lo = hi = None
    if m := _RANGE.search(text):
        return int(m.group(1)), int(m.group(2)) - (1 if m.group(3) else 0)
    if m := _MIN.search(text):
        lo = int(m.group(1) or m.group(2))
    if m := _MAX.search(text):
        hi = int(m.group(1) or m.group(2)) - (1 if "未满" in m.group(0) else 0)
    return lo, hi


def parse_who(cell: str) -> Requirement:
    """Read a who-cell into a requirement (``readable`` False when words remain unread)."""
    text = normalize_numbers(cell)
    lo, hi = ages(text)
    if lo is None and hi is None and _OLD.search(text):
        lo = OLD_AGE
    tags = conditions_in(text)
    by_group: dict[str, set[str]] = {}
    for t in tags:
        by_group.setdefault(GROUP[t], set()).add(t)
    groups = []
    for g in by_group.values():
        # a specific tag and its general parent together: the specific one is meant
        g = {t for t in g if not any(t in IMPLIES.get(o, ()) for o in g if o != t)}
        groups.append(frozenset(g))
    rest = _FILLER.sub("", _ALIAS_RE.sub("", text))
    if lo is not None or hi is not None:
        rest = _CHILD.sub("", rest)  # 儿童 with its ages stated says nothing more
    return Requirement(lo, hi, tuple(groups), readable=len(rest) < 2)


@dataclass
class Benefit:
    """One benefit row, as the navigator lists it."""

    item: str
    who: str
    parts: list[str]  # the standard: the person's band when the cell has bands, else the cell
    lead: str
    chunk: Chunk
    doc: DocInfo | None
    requirement: Requirement
    status: str = "eligible"  # eligible | nearly | unclear
    missing: list[str] = field(default_factory=list)

    @property
    def standard(self) -> str:
        return "；".join(self.parts)

    @property
    def quotes(self) -> list[str]:
        """Verbatim words of the row to cite: the who-cell and the standard (or its band)."""
        return [q for q in (self.who, *self.parts) if q and q in self.chunk.text]


@dataclass
class Navigation:
    profile: Profile
    eligible: list[Benefit] = field(default_factory=list)
    nearly: list[Benefit] = field(default_factory=list)
    unclear: list[Benefit] = field(default_factory=list)


def benefit_rows(chunks: Iterable[Chunk]) -> list[tuple[str, Chunk]]:
    """Every table row with a who-column and a standard column, with its item (a row without
    its own item cell continues the row above it, as merged cells do)."""
    out, last = [], {}
    for c in chunks:
        if c.kind != "table_row" or "who" not in c.roles.values() or "standard" not in c.roles.values():
            continue
        item = re.sub(r"^\s*\d{1,3}\s+", "", c.cell("item")).strip() or last.get(c.parent, "")
        last[c.parent] = item
        if c.cell("who"):
            out.append((item or c.section.rsplit(" › ", 1)[-1], c))
    return out


def band(cells: list[str], age: int | None) -> list[str]:
    """The parts of the standard cells for this age when a cell states age bands, else the
    whole cells; each part verbatim."""
    out = []
    for cell in cells:
        if cell.strip() in ("", "—", "-", "/"):
            continue
        parts = [p.strip() for p in SEGMENT.split(cell) if p.strip()]
        banded = [(p, ages(normalize_numbers(p))) for p in parts]
        banded = [(p, (lo, hi)) for p, (lo, hi) in banded if lo is not None or hi is not None]
        fit = [
            p
            for p, (lo, hi) in banded
            if age is not None and (lo or 0) <= age <= (hi if hi is not None else 200)
        ]
        out.extend(fit if len(banded) >= 2 and fit else [cell.strip()])
    return out


# the opening words of a standard that say whom it is for: "80周岁及以上经济困难老年人每人…"
_STD_WHO = re.compile(r"^(.{0,8}?\d{1,3}\s*(?:周岁|岁).{0,12}?)(?:老年人|老人|人员|对象)")


def requirement(c: Chunk) -> Requirement:
    """A row's requirement: its who-cell, narrowed by a standard that opens by naming whom it
    is for (an age, conditions). A standard naming a lower age than the who-cell's explicit one
    leaves the ages between to be checked."""
    who = c.cell("who")
    req = parse_who(who)
    cells = [x for x in c.cells("standard") if x.strip()]
    if not req.readable or len(cells) != 1:
        return req
    segments = [x for x in SEGMENT.split(normalize_numbers(cells[0])) if x.strip()]
    if not segments or sum(1 for x in segments if ages(x) != (None, None)) > 1:
        return req  # age bands: band() picks the person's
    m = _STD_WHO.match(re.split(r"[，,]", segments[0])[0])
    if not m:
        return req
    std = parse_who(m.group(0))
    lo, looser = req.min_age, None
    own = ages(normalize_numbers(who))[0]
    if std.min_age is not None:
        if own is not None and std.min_age < own:
            looser = std.min_age
        else:
            lo = max(lo or 0, std.min_age)
    have = {t for g in req.groups for t in g}
    have |= {i for t in have for i in IMPLIES.get(t, ())}
    extra = tuple(g for g in std.groups if not g & have)
    return Requirement(lo, req.max_age, req.groups + extra, True, looser)


def navigate(chunks: Iterable[Chunk], docs: dict[str, DocInfo], profile: Profile) -> Navigation:
    """Every benefit for the person: rows that apply (the fitting band), one row per item one
    condition short, and every row whose who-cell cannot be read (请核实)."""
    chunks = list(chunks)
    nav = Navigation(profile)
    got: set[tuple[str, str]] = set()
    near: dict[tuple[str, str], Benefit] = {}
    for item, c in benefit_rows(chunks):
        doc = docs.get(c.doc_id)
        if doc is not None and doc.status == "repealed":
            continue
        req = requirement(c)
        b = Benefit(
            item,
            c.cell("who"),
            band(c.cells("standard"), profile.age),
            "、".join(c.cells("lead")),
            c,
            doc,
            req,
        )
        if not req.readable:
            b.status = "unclear"
            nav.unclear.append(b)
            continue
        missing, past = req.shortfall(profile)
        if past:
            continue
        b.missing = missing
        key = (c.parent, item)
        if (
            missing
            and missing[0].startswith("年满")
            and req.looser_age is not None
            and (profile.age or 0) >= req.looser_age
        ):
            b.status = "unclear"  # the who-cell and the standard disagree about this age
            b.missing = [f"对象一栏写{missing[0]}，标准写{req.looser_age}周岁及以上"]
            nav.unclear.append(b)
        elif not missing:
            nav.eligible.append(b)
            got.add(key)
        elif len(missing) == 1 and key not in near:
            b.status = "nearly"
            near[key] = b
    # an item the person gets in another band, or already listed as nearly, is listed once
    nav.nearly = [b for k, b in near.items() if k not in got]
    # a later issue's row for the same benefit and the same people replaces the earlier one
    rows = benefit_rows(chunks)
    for name in ("eligible", "nearly", "unclear"):
        setattr(nav, name, [b for b in getattr(nav, name) if not _superseded(b, rows, docs, profile)])
    return nav


def _superseded(
    b: Benefit, rows: list[tuple[str, Chunk]], docs: dict[str, DocInfo], profile: Profile
) -> bool:
    """Whether a later document of the same gazette has a row for this benefit and these people."""

    def date(c: Chunk) -> str:
        return (docs[c.doc_id].date or "") if c.doc_id in docs else ""

    c = b.chunk
    for item, x in rows:
        if item != b.item or x.doc_id == c.doc_id or issue_series(x.issue) != issue_series(c.issue):
            continue
        if date(x) <= date(c):
            continue
        same_people = re.sub(r"\s", "", x.cell("who")) == re.sub(r"\s", "", c.cell("who"))
        if same_people or (profile.age is not None and ages(x.cell("who")) == ages(c.cell("who"))):
            return True
    return False


# --- from a chat question -------------------------------------------------------------

_ASKS = re.compile(
    r"(?:能|可以|可|该|能够)(?:享受|领|拿|申请|得到|办)(?:到)?(?:哪些|什么|啥|哪几)"
    r"|(?:有|享受|领)(?:哪些|什么|啥|哪几[项样种个])(?:补贴|补助|津贴|待遇|优待|福利|政策|照顾|优惠|帮扶|救助|钱)"
    r"|符合(?:哪些|什么|啥)"
)
_AGE = re.compile(r"(\d{1,3})\s*(?:周岁|岁)|今年\s*(\d{1,3})")


# "每月一共能领多少钱？" about a described person, naming no benefit: every benefit is asked about
_ASKS_TOTAL = re.compile(r"(?:能|可以|可)(?:领|拿|得)(?:到)?(?:多少|几)|一共(?:有|能|可以)?(?:领|拿)?多少")
_ASKING = re.compile(r"多少|哪些|什么|啥|哪几[项样种个]?|一共|总共|每个?月|每年|能|可以|领|拿|得到")
_NAMED_BENEFIT = re.compile(r"[\u4e00-\u9fff]{2}(?:补贴|津贴|补助|保险|救助金|抚恤金|体检)")


def profile_from_question(question: str) -> Profile | None:
    """The person a "what can they get?" question describes, or None for other questions."""
    text = normalize_numbers(question)
    total = _ASKS_TOTAL.search(text) and not _NAMED_BENEFIT.search(_ASKING.sub("", text))
    if not (_ASKS.search(text) or total):
        return None
    m = _AGE.search(text)
    age = int(m.group(1) or m.group(2)) if m else None
    tags = frozenset(conditions_in(text))
    if age is None and not tags:
        return None
    return Profile(age=age if age is not None and age <= 130 else None, conditions=tags)


# --- as a chat answer -----------------------------------------------------------------

NOTE = "福利导航"  # in Answer.notes: the answer lists benefit rows for a described person
_MONEY = re.compile(r"(?:不低于|不高于|不超过|最高|最低)?\d+(?:\.\d+)?\s*(?:万)?元(?:/人/月|/人/年|/人|/户)?")
_ASKS_MONEY = re.compile(r"钱|多少|金额|补贴|津贴")
DISCLAIMER = "以上按公报表格的“对象”一栏对照，不是资格认定；请带上证件向所列部门申请，以部门审核为准。"
FLOOR = "写明“不低于”的是全市最低标准，各县（区）可以更高。"


def _line(n: int, b: Benefit) -> str:
    where = "；".join(x for x in (b.lead, b.doc.display_name if b.doc else "") if x)
    return f"{n}. {b.item}：{b.standard}（{where}）"


def summary_text(nav: Navigation, question: str = "") -> str:
    """The navigation as a reader's answer: a first sentence with what applies, then numbered
    lists (applies / one condition short / to be checked), then what it is not."""
    who = f"您说的情况（{nav.profile.describe()}）" if nav.profile.describe() else "您说的情况"
    money = [b for b in nav.eligible if any(_MONEY.search(p) for p in b.parts)]
    if not nav.eligible:
        head = f"按{who}，公报表格里没有完全符合的项目。"
    elif money and _ASKS_MONEY.search(question):
        named = "；".join(
            f"{b.item}{_MONEY.search(next(p for p in b.parts if _MONEY.search(p))).group(0)}" for b in money
        )
        head = f"按{who}，公报表格里写了金额的：{named}（适用的项目见下）。"
    else:
        head = f"按{who}，公报表格里适用的：{'、'.join(b.item for b in nav.eligible)}。"
    lines = [head, ""]
    lines += [_line(i, b) for i, b in enumerate(nav.eligible, 1)]
    if nav.nearly:
        lines += ["", "还差一个条件的："]  # no counts of our own: every number shown is the gazette's
        lines += [f"{_line(i, b)}——还需：{b.missing[0]}" for i, b in enumerate(nav.nearly, 1)]
    if nav.unclear:
        lines += ["", "请核实（对象一栏无法自动对照）的："]
        lines += [f"{_line(i, b)}——对象：{b.who}" for i, b in enumerate(nav.unclear, 1)]
    lines += [""]
    if any("不低于" in b.standard for b in nav.eligible):
        lines.append(FLOOR)
    lines.append(DISCLAIMER)
    return "\n".join(lines)


def citations(nav: Navigation) -> list[Citation]:
    """One verbatim citation per quoted cell of every row the answer names (those that apply, one
    condition short, to be checked): each amount shown is cited."""
    out = []
    for b in (*nav.eligible, *nav.nearly, *nav.unclear):
        c, d = b.chunk, b.doc
        for q in b.quotes:
            out.append(Citation.of(c, q, status=d.status if d else None))
    return out


def navigation_answer(question: str, chunks: Iterable[Chunk], docs: dict[str, DocInfo]) -> Answer | None:
    """The chat's answer to "what can this person get?" questions; None for other questions."""
    profile = profile_from_question(question)
    if profile is None:
        return None
    nav = navigate(chunks, docs, profile)
    if not (nav.eligible or nav.nearly or nav.unclear):
        return None  # no benefit tables indexed: an ordinary answer instead
    return Answer(
        question=question, answer=summary_text(nav, question), citations=citations(nav), notes=[NOTE]
    )
