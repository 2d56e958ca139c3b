"""Fact checker for model-written answers: is every fact an answer states true to the verbatim
evidence (clauses, table rows) it cites, and does it fit the asker's stated condition? Pure regex
over text normalised one way (:func:`normalize`); every rule is general, none names one issue:

1. numbers whole, with their unit (12元 != 120元, 1年 != 10年, 5% != 50%); 一百二十元 == １２０元;
   万/亿 multiplied out (3万元 == 30000元); 周岁 == 岁; 九个部门 == 9部门. [n] citation markers and
   the answer's list markers are ignored; the asker's own age may be echoed; a count (四项, 9种)
   passes when its sentence lists that many items or the evidence numbers items up to it ((9)).
2. dates as dates (2024-10-14 == 2024年10月14日); 文号 canonical (〔〕 == [], full/half width),
   from the evidence or ``doc_numbers`` (those of the documents the evidence is quoted from).
3. bands as ranges: 80至89岁, 200元以上2000元以下, 60岁及以上 must be bands of the evidence
   (120元以上 restates 不低于120元). A bare (含) may go — 以上/以下/至 include the bound
   (民法典 第1259条); (不含) may not.
4. organisations (市X局, X委员会, X办公室, X中心, X人民政府, 县区X委 ...) named in the evidence.
5. negation: what the evidence negates (不/不得/未/严禁/禁止/停止 ...) stated plainly, or what it
   states plainly negated, fails (a sentence with 除外 is an exception, not judged); so does
   dropping 原则上, or an amount's qualifier (不低于/以上/不超过/以下/最多/至少 ...).
6. condition: an amount from a sentence/row whose age band excludes the asker's age, or whose
   statuses (低保, 特困 ...) are none of the asker's, fails (经济困难 covers 低保/特困/低收入).

Why one long module: the six rules read the same normalised facts (numbers with units, dates,
bands, qualifiers and their positions) of answer and evidence; split apart, each would re-parse.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from assistant.query import age_ranges
from core.numerals import cn_to_int, normalize_numbers
from core.textnorm import DOC_NUMBER_RE, find_doc_numbers, fold

MESSAGES = {  # template: (Chinese, English); {f} is the fact
    "doc_number": ("文号“{f}”不在引文中", "document number {f} is not in the evidence"),
    "date": ("日期“{f}”不在引文中", "date {f} is not in the evidence"),
    "number": ("数字“{f}”不在引文中", "number {f} is not in the evidence"),
    "range": ("范围“{f}”不是引文中的范围", "range {f} is not a range of the evidence"),
    "organisation": ("机构“{f}”不在引文中", "organisation {f} is not named in the evidence"),
    "dropped": ("引文中“{f}”带{q}，回答丢掉或改变了", "the evidence puts {q} on {f}; the answer drops it"),
    "added": ("引文中“{f}”不带{q}，回答加上了", "the evidence has no {q} on {f}; the answer adds it"),
    "age": ("“{f}”出自不含{age}岁的年龄段", "{f} comes from an age band that excludes age {age}"),
    "status": ("“{f}”出自不适用于{who}的条目", "{f} comes from a row that is not for {who}"),
}


@dataclass(frozen=True)
class Problem:
    kind: str  # number, date, doc_number, range, organisation, negation, qualifier, age, status
    fact: str
    message: str  # Chinese / English

    def __str__(self) -> str:
        return f"[{self.kind}] {self.message}"


@dataclass(frozen=True)
class Conditions:
    """What the asker said about themself: an age, and statuses (canonical names of STATUS)."""

    age: int | None = None
    statuses: frozenset[str] = field(default_factory=frozenset)


# --- normalisation and facts ---------------------------------------------------------------------
_CN = "零〇一二两三四五六七八九十百千"
_MARKER = re.compile(r"[\[【]\d{1,2}(?:[,，、\-]\d{1,2})*[\]】]")
_LIST = re.compile(
    r"(^|[\n。；;:：])\s*(?:\d{1,2}(?:[、)）]|\.(?!\d))|[(（][\d一二三四五六七八九十]{1,2}[)）]|[①-⑳])"
)
_SLASH_DATE = re.compile(r"(?<![\d.])(\d{4})[./](\d{1,2})[./](\d{1,2})(?![\d.])")
# numerals before measure words core leaves alone (五档 -> 5档); a lone 一 stays a word (这一档, 进一步)
_MORE_MEASURE = re.compile(rf"(?<![{_CN}])(?!一[档步级张册度部期届])[{_CN}]+(?=[档步级张册度部期届])")
_WAN = re.compile(rf"(\d+(?:\.\d+)?|[{_CN}]+)([万亿])(?=[元吨人户张个件名次台辆亩册床千平公])")
UNITS = (
    "周岁|个月|平方米|公里|千米|小时|分钟|分贝|季度|部门|方面|千瓦|岁|元|年|月|日|天|次|%|倍|人|户|"
    "张|册|度|件|项|种|类|所|家|名|位|吨|米|亩|条|款|批|档|级|步|层|台|辆|期|届|周|床|套|餐|个"
)
COUNT_UNITS = {"项", "步", "种", "类", "个", "件", "条", "档", "方面"}
_UNIT, _NUM = re.compile(UNITS), r"(\d+(?:\.\d+)?)"
_QTY = re.compile(rf"(?<![\d.]){_NUM}(?!\d)")
_INC, _TO = r"(\((?:不)?含\))?", r"(?:至|到|-|~|—|－|一)"
_BAND_TAIL = re.compile(rf"{_INC}{_TO}\d+(?:\.\d+)?({UNITS})")
_RANGES = [  # closed bands first, then open ones
    (re.compile(rf"{_NUM}({UNITS})?{_INC}{_TO}{_NUM}({UNITS}){_INC}"), "to"),
    (re.compile(rf"{_NUM}({UNITS}){_INC}(?:及)?以上{_NUM}({UNITS}){_INC}(?:及)?以下"), "to"),
    (re.compile(rf"{_NUM}({UNITS})?{_INC}(?:及以上|以上|及其以上)"), "lower"),
    (re.compile(rf"{_NUM}({UNITS}){_INC}(?:及以下|以下|以内)"), "upper"),
]
_DATE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(?:(\d{1,2})日)?")
_BREAK = re.compile(r"[，,。；;：:！？!?、¶|“”\"()]")
_ENDS = "。；;！？!?¶"
Endpoint = tuple[str, bool] | None  # value, inclusive
_DENIAL = re.compile(r"(?:不是|并非|而非)$")


def _fmt(d: Decimal) -> str:
    return format(d.normalize(), "f")


def _unit(u: str | None) -> str | None:
    return "岁" if u == "周岁" else u


def _wan(m: re.Match[str]) -> str:
    n = Decimal(m.group(1)) if m.group(1)[0].isdigit() else Decimal(cn_to_int(m.group(1)) or 0)
    return _fmt(n * (10_000 if m.group(2) == "万" else 100_000_000))


def normalize(text: str) -> str:
    """NFKC, no [n] markers, folded (no whitespace; lines end in ¶, cells in |), digits only."""
    text = _MARKER.sub("", unicodedata.normalize("NFKC", text))
    text = re.sub(r"(?<=[\d.])[ \t]+(?=\d)", "|", text)  # 5. 100 stays two numbers
    text = fold(text.replace("\n", "¶").replace("\t", "|"))
    text = normalize_numbers(_SLASH_DATE.sub(r"\1-\2-\3", text))
    text = _MORE_MEASURE.sub(lambda m: str(cn_to_int(m.group(0)) or m.group(0)), text)
    return _WAN.sub(_wan, text)


@dataclass
class _Facts:
    text: str  # normalised; a 文号 left as issuer + §, a date as ¤
    docs: set[str]
    dates: list[tuple[str | None, str, str | None]]
    qty: list[tuple[str, str | None, int, int]]  # value, unit, start, end
    ranges: list[tuple[str, Endpoint, Endpoint, str | None]]  # shown, low, high, unit


def _facts(raw: str) -> _Facts:
    text = normalize(raw)
    docs = set(find_doc_numbers(unicodedata.normalize("NFKC", raw)))
    text = DOC_NUMBER_RE.sub(lambda m: m.group(1) + "§", text)
    dates = [(m.group(1), m.group(2), m.group(3)) for m in _DATE.finditer(text)]
    text = _DATE.sub("¤", text)
    qty = []
    for m in _QTY.finditer(text):
        u = _UNIT.match(text, m.end())
        if u and u.group(0) == "个":  # 9个部门 == 9部门
            u = _UNIT.match(text, u.end()) or u
        unit, end = (_unit(u.group(0)), u.end()) if u else (None, m.end())
        if unit == "次" and text.startswith("性", end):
            continue  # 一次性 is a word
        if unit is None and (band := _BAND_TAIL.match(text, m.end())):
            unit = _unit(band.group(2))  # 80(含)至89周岁: the band's unit
        qty.append((_fmt(Decimal(m.group(1))), unit, m.start(), end))
    ranges: list[tuple[str, Endpoint, Endpoint, str | None]] = []
    taken: list[tuple[int, int]] = []
    for pat, kind in _RANGES:
        for m in pat.finditer(text):
            if not any(s <= m.start() < e for s, e in taken):
                taken.append(m.span())
                g = m.groups()
                a = (_fmt(Decimal(g[0])), g[2] != "(不含)")
                if kind == "to":
                    ranges.append((m.group(0), a, (_fmt(Decimal(g[3])), g[5] != "(不含)"), _unit(g[4])))
                else:
                    ranges.append((m.group(0), *((a, None) if kind == "lower" else (None, a)), _unit(g[1])))
    return _Facts(text, docs, dates, qty, ranges)


def _sentence_at(text: str, pos: int) -> tuple[int, int]:
    ends = [i for c in _ENDS if (i := text.find(c, pos)) >= 0]
    return max(text.rfind(c, 0, pos) for c in _ENDS) + 1, min(ends, default=len(text))


# --- qualifiers, negation, organisations, statuses -----------------------------------------------
_LOWER = "不得低于|不低于|不得少于|不少于|至少|最低|最少|超过|高于|多于|大于"
_UPPER = "不得超过|不超过|不得高于|不高于|最高|最多|至多|低于|少于|小于|不足|未满|不满"
_BACK_Q = re.compile("|".join(sorted(f"{_LOWER}|{_UPPER}".split("|"), key=len, reverse=True)))
_FWD_Q = re.compile(r"(?:/[\u4e00-\u9fff]{1,2})*(?:\(含\))?(及以上|以上|及以下|以下|以内)")
SENSES = {"lower": "下限 (floor)", "upper": "上限 (ceiling)"}
_NEG = re.compile(r"不得|不再|不予|无需|无须|暂不|禁止|严禁|停止|没有|未(?!来)|不(?![断同仅但久论管])")
_HEDGE = re.compile(r"原则上")
_AUX = "会能可以应得要再需用须该必"
_ORG = re.compile(
    r"委员会|办公室|办公厅|人民政府|政府|人民法院|法院|检察院|残联|妇联|总工会|公司|中心(?![城区])|"
    r"(?<![格布结大全开残时当僵邮])局(?!长)|(?<![大餐客门展])厅(?!长)|委(?![员托会屈婉派任])"
)
_ORG_PREFIX = re.compile(r"[^由在向经和与及或的是为将把对被给从于以等并即属归让请同]{1,10}$")
_GENERIC = re.compile(r"(?:当地|各地|各级|有关|相关|地方|上级|本级|同级|基层|属地|[县市省乡]级(?:以上)?)")
# fmt: off
STATUS = {  # canonical name: pattern; general vocabulary of social-assistance documents
    "低收入": "低收入|低保边缘", "低保": "低保|最低生活保障", "特困": "特困|五保",
    "半失能": "半失能|部分失能", "失能": "失能|不能自理|失去自理", "残疾": "残疾|残障|重残|伤残",
    "经济困难": "经济[\u4e00-\u9fff]{0,2}困难|家庭困难|困难家庭", "孤儿": "孤儿|事实无人抚养",
    "独居": "独居", "空巢": "空巢", "留守": "留守", "孤寡": "孤寡|孤老", "优抚": "优抚|烈士|遗属|退役军人|军属",
    "计划生育特殊家庭": "计划生育特殊家庭|计生特殊家庭|失独",
}
# fmt: on
_STATUS = re.compile("|".join(f"(?P<s{i}>{p})" for i, p in enumerate(STATUS.values())))
_ECONOMIC = {"低保", "特困", "低收入"}  # a row for 经济困难 covers these askers
# a status word naming a yardstick (低保标准的1.3倍), or a thing (特困人员供养服务机构, 残疾补贴)
YARDSTICK = re.compile(r"[\u4e00-\u9fff]{0,12}标准")
THING = re.compile(
    r"(?:人员|老年人|老人|人)?(?:供养|护理|照护)?(?:服务)?(?:机构|中心|院|补贴|津贴|补助|标准|证)"
)


def statuses_in(text: str, skip: re.Pattern[str] | None = None) -> set[str]:
    """Canonical statuses named in ``text``, but not those ``skip`` matches right after."""
    found = [m for m in _STATUS.finditer(text) if not (skip and skip.match(text, m.end()))]
    return {list(STATUS)[int(str(m.lastgroup)[1:])] for m in found}


def _qualifiers(text: str, start: int, end: int) -> set[str]:
    """Senses (lower/upper) of the qualifiers of the quantity at [start, end): in the 14 characters
    of its clause before it (a word the window's edge may cut is not read), or right after it."""
    back = re.split(r"\d", _BREAK.split(text[max(0, start - 14) : start])[-1])[-1]
    found = [m.group(0) for m in _BACK_Q.finditer(back) if m.start() or len(back) < 14]
    senses = {"lower" if q in _LOWER.split("|") else "upper" for q in found}
    if fwd := _FWD_Q.match(text, end):
        senses.add("lower" if "上" in fwd.group(1) else "upper")
    return senses


def _marked(text: str, pos: int, marker: re.Pattern[str]) -> bool:
    """A negation within 6 characters of the clause before ``pos``; 原则上 in its sentence."""
    if marker is _HEDGE:
        return bool(marker.search(text, _sentence_at(text, pos)[0], pos))
    return bool(marker.search(re.split(r"或|并|且", _BREAK.split(text[max(0, pos - 6) : pos])[-1])[-1]))


def _counts(text: str, tail: str, marker: re.Pattern[str]) -> tuple[int, int]:
    """(marked, plain) occurrences of ``tail``; one in a sentence with 除外 counts as both."""
    marked = plain = 0
    for m in re.finditer(re.escape(tail), text):
        s, e = _sentence_at(text, m.start())
        exception, hit = "除外" in text[s:e], _marked(text, m.start(), marker)
        marked, plain = marked + (hit or exception), plain + (not hit or exception)
    return marked, plain


def _governed(text: str, marker: re.Pattern[str]) -> set[tuple[str, str]]:
    """(head, tail): 2 characters before a marker, 2-3 it governs (部门不得审批: 部门, 审批)."""
    out = set()
    lead = r"[，,:：]?" if marker is _HEDGE else ""
    for m in marker.finditer(text):
        run = re.match(lead + r"([\u4e00-\u9fff\d]{1,6})", text[m.end() :])
        body = run.group(1).lstrip(_AUX) if run else ""  # 不会另行发文: 另行发
        body = body if len(body) >= 2 or not run else run.group(1)
        if len(body) >= 2:
            head = re.search(r"[\u4e00-\u9fff]{2}$", text[max(0, m.start() - 2) : m.start()])
            out.add((head.group(0) if head else "", body[:3]))
    return out


def _flipped(src: str, dst: str, marker: re.Pattern[str]) -> list[str]:
    """What ``src`` puts ``marker`` on and ``dst`` states only without it."""
    out = []
    for head, tail in _governed(src, marker):
        (sm, sp), (dm, dp) = _counts(src, tail, marker), _counts(dst, tail, marker)
        if sm and not dm and dp > sp:
            out.append(tail)
        elif head and marker is _NEG:  # 部门不得审批 -> 部门可以审批
            pat = re.compile(re.escape(head) + r"([\u4e00-\u9fff\d]{0,4}?)" + re.escape(tail))
            plain = [m for m in pat.finditer(dst) if not _NEG.search(m.group(1))]
            if plain and len(plain) == len(pat.findall(dst)):
                s, e = _sentence_at(dst, plain[0].start())
                if not any(not _NEG.search(g) for g in pat.findall(src)) and "除外" not in dst[s:e]:
                    out.append(tail)
    return out


def _orgs(text: str) -> list[tuple[str, int]]:
    """(name, suffix length): an organisation suffix and the words before it up to a stop."""
    out = []
    for m in _ORG.finditer(text):
        prefix = _ORG_PREFIX.search(
            re.split(r"[^\u4e00-\u9fff]", text[max(0, m.start() - 10) : m.start()])[-1]
        )
        if prefix and not _GENERIC.fullmatch(prefix.group(0)):
            out.append((prefix.group(0) + m.group(0), len(m.group(0))))
    return out


def _org_named(name: str, suffix_len: int, ev: str) -> bool:
    """Named as such, or from a 市/县/区/省... after words before the name (报市政府 -> 市政府)."""
    return name in ev or any(
        c in "市县区省州乡镇" and name[i:] in ev for i, c in enumerate(name[:-suffix_len])
    )


def _same_doc(a: str, b: str) -> bool:
    """Same year and number, one issuer ending the other (…办公室以某政办发 == 某政办发)."""
    (ia, ya), (ib, yb) = a.split("〔", 1), b.split("〔", 1)
    return ya == yb and (ia.endswith(ib) or ib.endswith(ia))


def _enumerated(n: str, sentence: str, markers: set[str]) -> bool:
    """A count the sentence itself lists (a、b、c和d; 文号s) or the evidence numbers up to."""
    items = sentence.count("、") + 1
    joined = items + 1 if re.search(r"和|及|与", sentence.split("、")[-1]) else items
    return n in markers or n in {str(items), str(joined), str(sentence.count("§"))}


# --- the check -----------------------------------------------------------------------------------
Flag = Callable[..., None]


def check(
    answer: str, evidence: list[str], *, conditions: Conditions | None = None, doc_numbers: Iterable[str] = ()
) -> list[Problem]:
    """Why ``answer`` is not true to ``evidence`` or does not fit the asker; empty when it passes.
    ``doc_numbers``: 文号 of the documents the evidence is quoted from, which the answer may name."""
    cond = conditions or Conditions()
    a, e = _facts(_LIST.sub(r"\1", answer)), _facts("\n".join(evidence))
    out: dict[tuple[str, str], Problem] = {}

    def flag(kind: str, fact: str, template: str = "", **kw: object) -> None:
        zh, en = (t.format(f=fact, **kw) for t in MESSAGES[template or kind])
        out.setdefault((kind, fact), Problem(kind, fact, f"{zh} / {en}"))

    sources = e.docs | {d for n in doc_numbers for d in find_doc_numbers(n)}
    for d in a.docs:
        if not any(_same_doc(d, d2) for d2 in sources):
            flag("doc_number", d)
    for y, mo, d in a.dates:
        if not any(mo == m2 and d in (None, d2) and y in (None, y2) for y2, m2, d2 in e.dates):
            flag("date", f"{y + '年' if y else ''}{mo}月{d + '日' if d else ''}")
    _numbers(a, e, cond, flag, listed=str(len(_LIST.findall(answer))))
    for shown, lo, hi, unit in a.ranges:
        if not _band_in(lo, hi, unit, e):
            flag("range", shown)
    for name, n in _orgs(a.text):
        if not _org_named(name, n, e.text):
            flag("organisation", name)
    for marker, kind, q in ((_NEG, "negation", "否定 (negation)"), (_HEDGE, "qualifier", "原则上")):
        for tail in _flipped(e.text, a.text, marker):
            flag(kind, tail, "dropped", q=q)
        for tail in _flipped(a.text, e.text, marker):
            flag(kind, tail, "added", q=q)
    return list(out.values())


def _band_in(lo: Endpoint, hi: Endpoint, unit: str | None, e: _Facts) -> bool:
    """A band of the evidence; an open one (120元以上) may also restate 不低于120元."""
    if any(lo == l2 and hi == h2 and unit in (None, u2) for _, l2, h2, u2 in e.ranges):
        return True
    (v, _), sense = lo or hi or ("", True), "lower" if lo else "upper"
    qty = [(s, end) for ev, eu, s, end in e.qty if (ev, eu) == (v, unit)]
    return not (lo and hi) and any(sense in _qualifiers(e.text, s, end) for s, end in qty)


def _numbers(a: _Facts, e: _Facts, cond: Conditions, flag: Flag, listed: str) -> None:
    """Rules 1, 5 (qualifiers of amounts) and 6 for every number of the answer (``listed``: how
    many list items the answer itself numbers)."""
    pairs = {(v, u) for v, u, _, _ in e.qty} | {(y, "年") for y, _, _ in e.dates if y}
    values = {v for v, _ in pairs}
    markers = {x for pair in re.findall(r"\((\d{1,2})\)|(?:^|¶)(\d{1,2})[.、]", e.text) for x in pair if x}
    markers.add(listed)
    for v, u, s, end in a.qty:
        fact, occurrences = f"{v}{u or ''}", [(es, ee) for ev, eu, es, ee in e.qty if (ev, eu) == (v, u)]
        if cond.age is not None and u in (None, "岁") and v == str(cond.age):
            continue  # the asker's own age, echoed
        if _DENIAL.search(a.text, max(0, s - 2), s):  # 不是10万元: wrong only of what the evidence states
            if occurrences and not any(_DENIAL.search(e.text, max(0, es - 2), es) for es, _ in occurrences):
                flag("negation", fact, "added", q="否定 (negation)")
            continue
        if not ((v, u) in pairs or (u is None and v in values)):
            if not (u in COUNT_UNITS and _enumerated(v, a.text[slice(*_sentence_at(a.text, s))], markers)):
                flag("number", fact)
            continue
        quals = [_qualifiers(e.text, es, ee) for es, ee in occurrences]
        mine = _qualifiers(a.text, s, end)  # an age may be reversed: 不满80周岁 from 80周岁及以上
        if u and quals and all(quals) and not any(q & mine for q in quals) and not (u == "岁" and mine):
            flag("qualifier", fact, "dropped", q="/".join(SENSES[x] for x in sorted(set().union(*quals))))
        if u and u != "岁" and not (u == "年" and len(v) == 4):
            _condition(cond, fact, e.text, occurrences, flag)


def _condition(cond: Conditions, fact: str, ev: str, occurrences: list[tuple[int, int]], flag: Flag) -> None:
    """Rule 6: an amount must come from a sentence/row that fits the asker's age and statuses."""
    age_ok = status_ok = False
    for s, _ in occurrences:
        ss, se = _sentence_at(ev, s)
        bands = sorted(age_ranges(ev[ss:se]))  # in reading order
        if cond.age is None or not bands:
            age_ok = True
        else:  # the band nearest before the amount, else the first after it
            before = [b for b in bands if b[0] <= s - ss]
            _, _, lo, hi = before[-1] if before else min(bands)
            age_ok |= lo <= cond.age <= hi
        rows = statuses_in(ev[ss:se], YARDSTICK)
        rows |= _ECONOMIC if "经济困难" in rows else set()
        status_ok |= not cond.statuses or not rows or bool(rows & cond.statuses)
    if not age_ok:
        flag("age", fact, age=cond.age)
    if not status_ok:
        flag("status", fact, who="、".join(sorted(cond.statuses)))


_AGE_Q = re.compile(rf"(\d{{1,3}}|[{_CN}]{{1,5}})(周岁|岁|了|(?=[，,。？?\s]))")
PERSON = re.compile(r"[我您他她俺爸妈父母爷奶公婆姥伯叔姨舅儿女夫妻]|老伴|老人|孩子")


def conditions_from_question(text: str) -> Conditions:
    """The asker's stated age (91岁, 九十一岁, 今年91了, 我爸83,) and statuses (低保, 失能 ...). An age
    of a category (60岁以上, 80至89岁, 89岁和90岁) is not theirs; of several, the one said of a
    person (满75岁就能领…我爸76了: 76); nor a status denied (不是低保户) or of a thing (残疾补贴)."""
    norm, ages = unicodedata.normalize("NFKC", text), {}
    for m in _AGE_Q.finditer(norm):
        before = norm[max(0, m.start() - 4) : m.start()]
        n = int(m.group(1)) if m.group(1).isdigit() else cn_to_int(m.group(1))
        band = re.match(r"\(?含|及|以[上下内]|至|到|-", norm[m.end() :]) or re.search(r"[至到\-~]$", before)
        said = bool(PERSON.search(before))
        if n and not band and (m.group(2) or said) and (40 if m.group(2) in ("了", "") else 1) <= n <= 130:
            ages.setdefault(n, said)
    said = [n for n, person in ages.items() if person or len(ages) == 1]
    norm = re.sub(r"(?:不是|并非|不属于|没有|非)[\u4e00-\u9fff]{0,4}", "", norm)
    return Conditions(said[0] if len(said) == 1 else None, frozenset(statuses_in(norm, THING)))
