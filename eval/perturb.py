"""Perturbations of one gazette issue and its eval dataset, applied consistently to both.

Each transformation is a named function ``(issue_text, items, rng) -> Plan``: the rewritten
issue plus the rewrites of the dataset's fields (question, gold_quotes, gold_doc,
answer_keypoints). :func:`perturb` runs one with a seeded RNG, applies it to the dataset and
checks that every gold quote is still verbatim in the new issue and every gold document still
printed there; an item that fails is dropped and counted (:attr:`Perturbed.dropped`), never
silently. Replacement words come from :mod:`eval.perturb_pool`.

headers      every header row of a tab or ``|`` table (repeated after 续表) renamed by role
city         the city (长治/长治市, its pinyin) and the 文号 series (长政发 → 临政发 …)
departments  市X局/委/办 found in the issue renamed to other departments
amounts      amounts in 元 scaled by k; elderly ages (周岁/岁) shifted by d years
year         years of dates, ranges and 文号 shifted by the same number of years
order        the documents of the issue in another order (front matter and 目录 kept)

Why one long module: the six transformations share one contract (a :class:`Plan` that rewrites
the issue and the dataset alike) and one check (:func:`perturb`); reading them side by side is
how one sees that a rule applied to the issue is the rule applied to the quotes and questions.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.numerals import cn_to_int
from core.textnorm import find_doc_numbers, fold
from eval import perturb_pool as pool

Item = dict[str, Any]


def identity(s: str) -> str:
    return s


@dataclass
class Plan:
    """What one transformation does: the new issue and how each dataset field is rewritten."""

    issue: str
    text: Callable[[str], str] = identity  # gold quotes, gold_doc, keypoints (and questions by default)
    question: Callable[[str], str] | None = None
    keypoint: Callable[[str, Item], str] | None = None  # (keypoint, original item)
    changes: dict[str, str] = field(default_factory=dict)  # what became what, for the report


@dataclass
class Perturbed:
    """One transformation applied: the issue, the kept items and what was dropped or changed."""

    name: str
    seed: int
    issue: str
    items: list[Item]
    changes: dict[str, str]
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (item id, why)
    warnings: list[str] = field(default_factory=list)
    items_changed: int = 0


def _sub_map(text: str, mapping: dict[str, str], guard: str = "") -> str:
    """Replace every key by its value at once (longest key first, so no chains)."""
    if not mapping:
        return text
    keys = sorted(mapping, key=len, reverse=True)
    pattern = re.compile(guard + "(?:" + "|".join(map(re.escape, keys)) + ")")
    return pattern.sub(lambda m: mapping[m.group(0)], text)


# --------------------------------------------------------------------------------------
# headers
# --------------------------------------------------------------------------------------

_PIPE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^(\s*(?:[-*]\s+)?)")


def _kind(cell: str) -> str | None:
    for kind, words in pool.HEADER_KINDS.items():
        if cell in words:
            return kind
    return next((kind for hint, kind in pool.HEADER_HINTS if hint in cell), None)


def _header_rows(lines: list[str]) -> list[tuple[int, str]]:
    """(line index, separator) of every table header row: the first line of a block of tab
    lines, or the line above a ``|---|`` separator."""
    rows = []
    for i, line in enumerate(lines):
        if "\t" in line and (i == 0 or "\t" not in lines[i - 1]):
            cells = [c.strip() for c in line.split("\t")]
            if all(c and len(c) <= 12 and not re.search(r"\d", c) for c in cells):
                rows.append((i, "\t"))
        elif "|" in line and i + 1 < len(lines) and _PIPE_SEP.match(lines[i + 1]):
            rows.append((i, "|"))
    return rows


def _cells(line: str, sep: str) -> list[str]:
    body = _BULLET.sub("", line).strip()
    if sep == "|":
        body = body.strip("|")
    return [c.strip() for c in body.split(sep)]


def headers(text: str, items: list[Item], rng: random.Random) -> Plan:
    lines = text.split("\n")
    rows = _header_rows(lines)
    originals = list(dict.fromkeys(c for i, sep in rows for c in _cells(lines[i], sep) if c))
    used = set(originals)
    mapping: dict[str, str] = {}
    for cell in originals:
        kind = _kind(cell)
        choices = [w for w in pool.HEADER_KINDS.get(kind or "", ()) if w not in used]
        if choices:
            mapping[cell] = rng.choice(choices)
            used.add(mapping[cell])
    for i, sep in rows:
        parts = lines[i].split(sep)
        for n, part in enumerate(parts):
            if part.strip() in mapping:
                parts[n] = part.replace(part.strip(), mapping[part.strip()], 1)
        lines[i] = sep.join(parts)
    # A question may name a column by its header ("牵头落实部门是哪个？"); short generic words
    # (对象, 序号) are ordinary words in a question and stay.
    asked = {k: v for k, v in mapping.items() if len(k) >= 3}
    return Plan(
        issue="\n".join(lines),
        question=lambda q: _sub_map(q, asked),
        changes={**mapping, **{c: "(no pool word: kept)" for c in originals if c not in mapping}},
    )


# --------------------------------------------------------------------------------------
# city
# --------------------------------------------------------------------------------------

_CITY = re.compile(r"([\u4e00-\u9fff]{2})([市县])人民政府")
_PINYIN = re.compile(r"^\s*([A-Z]+?)\s*(?:SHI|XIAN)\s+RENMIN", re.M)


def _corpus(text: str, items: list[Item]) -> str:
    return text + "\n" + "\n".join(str(v) for it in items for v in it.values())


def city(text: str, items: list[Item], rng: random.Random) -> Plan:
    found = Counter(m.group(1) for m in _CITY.finditer(text)).most_common(1)  # the issuer's place
    if not found:
        return Plan(issue=text, changes={"(no city found)": ""})
    old = found[0][0]
    series_of = (n.split("〔")[0] for n in find_doc_numbers(text))
    prefixes = Counter(p[: p.index("政")] for p in series_of if "政" in p[1:]).most_common(1)
    old_abbr = prefixes[0][0] if prefixes else old[0]
    pinyin = _PINYIN.search(text)
    old_py = pinyin.group(1).lower() if pinyin else ""
    corpus = _corpus(text, items)
    cands = [
        c
        for c in pool.CITIES
        if c[0] not in corpus and f"{c[1]}政" not in corpus and f"{c[1]}民发" not in corpus
    ]
    new, abbr, py = rng.choice(cands)
    names = {old: new}
    if old_py:
        names |= {old_py.upper(): py.upper(), old_py: py, old_py.capitalize(): py.capitalize()}
    series = re.compile(rf"{re.escape(old_abbr)}(?=[政民][\u4e00-\u9fff]{{0,3}}\s*[〔\[［【]\s*\d{{4}})")

    def rewrite(s: str) -> str:
        return _sub_map(series.sub(abbr, s), names)

    return Plan(
        issue=rewrite(text),
        text=rewrite,
        changes={old: new, f"{old_abbr}政…": f"{abbr}政…", **({old_py: py} if old_py else {})},
    )


# --------------------------------------------------------------------------------------
# departments
# --------------------------------------------------------------------------------------


def _level(text: str) -> str:
    """市 for a city's gazette, 县 for a county's: the level of the issuer's departments."""
    levels = Counter(m.group(2) for m in _CITY.finditer(text)).most_common(1)
    return levels[0][0] if levels else "市"


def _dept_pattern(level: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![城都全县省本我各直]){level}(?!政府|人民|委|直|级|县|区|场)"
        r"([\u4e00-\u9fff]{1,8}?[局委办])(?![公法])"
    )


def departments(text: str, items: list[Item], rng: random.Random) -> Plan:
    level = _level(text)
    other = "县" if level == "市" else "市"
    guard = rf"(?<![省家区部{other}])"  # 省发展改革委 and the other level's offices stay
    found = list(dict.fromkeys(m.group(1) for m in _dept_pattern(level).finditer(text)))
    corpus = _corpus(text, items)
    free = [d for d in pool.DEPARTMENTS if d[:-1] not in corpus]
    rng.shuffle(free)
    mapping = dict(zip(found, free, strict=False))
    return Plan(
        issue=_sub_map(text, mapping, guard),
        text=lambda s: _sub_map(s, mapping, guard),
        changes={f"{level}{k}": f"{level}{v}" for k, v in mapping.items()}
        | {f"{level}{k}": "(pool exhausted: kept)" for k in found if k not in mapping},
    )


# --------------------------------------------------------------------------------------
# amounts and ages
# --------------------------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"
_AMOUNT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(\s*)(万|千)?(元|\s*yuan)")
_CN_AMOUNT = re.compile(
    r"(?<![\d零〇一二两三四五六七八九十百千万])([零〇一二两三四五六七八九十百千万]+)(?=元)"
)
_AGE_TEXT = re.compile(
    r"(?<![\d.])(\d{2,3})(?=\s*(?:周岁|岁)|\s*[\(（]含[\)）]\s*[一至到\-—~～]\s*\d{2,3}\s*周?岁)"
)
# A question also states an age as 今年91了, "is 92", "a 65-year-old", "over 60".
_AGE_QUESTION = re.compile(
    _AGE_TEXT.pattern
    + r"|(?<![\d.])(?:(?<=今年)|(?<=is )|(?<=over )|(?<=aged ))(\d{2,3})(?!\d|\.\d|%)"
    + r"|(?<![\d.])(\d{2,3})(?=了|-year-old| years? old)"
)


def _cn_small(n: int) -> str:
    out, zero = "", False
    for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        d, n = divmod(n, size)
        if d:
            out += ("零" if zero and out else "") + _CN_DIGITS[d] + unit
            zero = False
        else:
            zero = True
    return out


def cn_number(n: int) -> str:
    """An integer in Chinese numerals as the gazette writes them (15000 -> 一万五千, 10 -> 十)."""
    hi, lo = divmod(n, 10000)
    out = (_cn_small(hi) + "万" if hi else "") + (
        ("零" if hi and lo < 1000 else "") + _cn_small(lo) if lo else ""
    )
    out = out or "零"
    return out[1:] if out.startswith("一十") else out


def _cn_value(run: str) -> int | None:
    hi, _, lo = run.rpartition("万")
    hi_v = (cn_to_int(hi) if hi else 1) if "万" in run else 0
    lo_v = cn_to_int(lo) if lo else 0
    return None if hi_v is None or lo_v is None else hi_v * 10000 + lo_v


def _fmt(value: float) -> str:
    return str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:.2f}".rstrip("0")


def amounts(text: str, items: list[Item], rng: random.Random) -> Plan:
    k, d = rng.choice(pool.AMOUNT_FACTORS), rng.choice(pool.AGE_SHIFTS)
    lo, hi = pool.AGE_RANGE

    def scale(m: re.Match[str]) -> str:
        return _fmt(float(m.group(1)) * k) + m.group(2) + (m.group(3) or "") + m.group(4)

    def scale_cn(m: re.Match[str]) -> str:
        value = _cn_value(m.group(1))
        if value is None or value == 0:
            return m.group(0)
        new = value * k
        return cn_number(int(new)) if new == int(new) else _fmt(new)

    def age(m: re.Match[str]) -> str:
        n = int(m.group(m.lastindex or 1))
        return str(n + d) if lo <= n <= hi else m.group(0)

    def money(s: str) -> str:
        return _CN_AMOUNT.sub(scale_cn, _AMOUNT.sub(scale, s))

    def rewrite(s: str) -> str:
        return _AGE_TEXT.sub(age, money(s))

    def keypoint(kp: str, item: Item) -> str:
        if not re.fullmatch(r"\d+(?:\.\d+)?", kp):
            return rewrite(kp)
        quotes = "\n".join(item["gold_quotes"])
        if re.search(rf"(?<![\d.]){re.escape(kp)}\s*万?元", quotes):
            return _fmt(float(kp) * k)
        if re.search(rf"(?<![\d.]){re.escape(kp)}\s*周?岁", quotes) and lo <= float(kp) <= hi:
            return str(int(kp) + d)
        return kp

    return Plan(
        issue=rewrite(text),
        text=rewrite,
        question=lambda q: _AGE_QUESTION.sub(age, money(q)),
        keypoint=keypoint,
        changes={"amount factor": f"×{k:g}", "age shift": f"{d:+d} years (ages {lo}-{hi})"},
    )


# --------------------------------------------------------------------------------------
# year
# --------------------------------------------------------------------------------------

_YEAR = re.compile(
    r"(?<!\d)((?:19|20)\d{2})(?="
    r"\s*年"  # 2024年10月14日, 2026年底
    r"|\s*[-—–~至到]\s*(?:19|20)\d{2}\s*年"  # 2021-2025年
    r"|[〕\]］】]"  # 〔2024〕13号
    r"|·\d{1,2}(?!\d)"  # 2024·05 (the issue)
    r"|-\d{1,2}-\d{1,2}(?!\d)"  # 2024-10-14
    r")"
)


def year(text: str, items: list[Item], rng: random.Random) -> Plan:
    delta = rng.choice(pool.YEAR_SHIFTS)

    def rewrite(s: str) -> str:
        return _YEAR.sub(lambda m: str(int(m.group(1)) + delta), s)

    years = Counter(m.group(1) for m in _YEAR.finditer(text)).most_common(1)
    main = int(years[0][0]) if years else 0
    return Plan(
        issue=rewrite(text), text=rewrite, changes={str(main): str(main + delta), "shift": f"{delta:+d}"}
    )


# --------------------------------------------------------------------------------------
# order
# --------------------------------------------------------------------------------------

_NUMBER_ALONE = re.compile(r"^\s*[\u4e00-\u9fff]{2,10}\s*[〔\[［【]\d{4}[〕\]］】]\s*\d{1,4}\s*号\s*$")
_PUBLISHED = re.compile(r"^\s*[（(]此件[^)）]*[)）]\s*$")


def document_starts(lines: list[str]) -> list[int]:
    """Line index where each document begins: its title, the non-blank line(s) above a line
    holding a 文号 alone (a title may wrap over lines without a blank between them)."""
    starts = []
    for i, line in enumerate(lines):
        if not _NUMBER_ALONE.match(line):
            continue
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        while j > 0 and lines[j - 1].strip() and not lines[j].lstrip().startswith("#"):
            j -= 1
        if j >= 0:
            starts.append(j)
    return starts


def order(text: str, items: list[Item], rng: random.Random) -> Plan:
    lines = text.split("\n")
    starts = document_starts(lines)
    if len(starts) < 2:
        return Plan(issue=text, changes={"documents": f"{len(starts)} found: order kept"})
    end = len(lines)
    last = [i for i in range(starts[-1], len(lines)) if _PUBLISHED.match(lines[i])]
    if last:
        tail = lines[last[-1] + 1 :]
        if not any(t.lstrip().startswith("#") or "\t" in t or "附件" in t for t in tail):
            end = last[-1] + 1
    bounds = [*starts, end]
    docs = ["\n".join(lines[a:b]).rstrip("\n") for a, b in zip(bounds, bounds[1:], strict=False)]
    perm = list(range(len(docs)))
    while perm == sorted(perm):
        rng.shuffle(perm)
    head, back = "\n".join(lines[: starts[0]]) + "\n", "\n".join(lines[end:])
    body = "\n\n".join(docs[p] for p in perm)
    titles = [lines[s].strip("# ").strip() for s in starts]
    return Plan(
        issue=head + body + "\n" + back,
        changes={f"{n + 1}. {titles[p][:24]}": f"was {p + 1}" for n, p in enumerate(perm)},
    )


# --------------------------------------------------------------------------------------
# applying one
# --------------------------------------------------------------------------------------

TRANSFORMS: dict[str, Callable[[str, list[Item], random.Random], Plan]] = {
    "headers": headers,
    "city": city,
    "departments": departments,
    "amounts": amounts,
    "year": year,
    "order": order,
}


def rng_for(name: str, seed: int) -> random.Random:
    """The RNG of one transformation: the same seed always draws the same words."""
    return random.Random(f"{seed}:{name}")


def _rewrite_item(item: Item, plan: Plan) -> Item:
    new = dict(item)
    new["question"] = (plan.question or plan.text)(item["question"])
    new["gold_quotes"] = [plan.text(q) for q in item["gold_quotes"]]
    new["answer_keypoints"] = [
        plan.keypoint(k, item) if plan.keypoint else plan.text(k) for k in item["answer_keypoints"]
    ]
    doc = item["gold_doc"]
    new["gold_doc"] = plan.text(doc) if isinstance(doc, str) else doc and [plan.text(d) for d in doc]
    return new


def perturb(name: str, text: str, items: list[Item], seed: int) -> Perturbed:
    """Transformation ``name`` of the issue and the items, checked; failing items are dropped."""
    plan = TRANSFORMS[name](text, items, rng_for(name, seed))
    before, after = fold(text), fold(plan.issue)
    out = Perturbed(name=name, seed=seed, issue=plan.issue, items=[], changes=plan.changes)
    for item in items:
        new = _rewrite_item(item, plan)
        docs = [new["gold_doc"]] if isinstance(new["gold_doc"], str) else new["gold_doc"] or []
        lost = [q for q in new["gold_quotes"] if fold(q) not in after]
        lost += [f"gold_doc {d}" for d in docs if fold(d) not in after]
        if lost:
            out.dropped.append((item["id"], "not in the transformed issue: " + "; ".join(lost)))
            continue
        for old_kp, kp in zip(item["answer_keypoints"], new["answer_keypoints"], strict=True):
            if fold(old_kp) in before and fold(kp) not in after:
                out.warnings.append(f"{item['id']}: keypoint {old_kp!r} -> {kp!r} is no longer in the issue")
        out.items_changed += new != item
        out.items.append(new)
    return out


__all__ = [
    "TRANSFORMS",
    "Perturbed",
    "Plan",
    "amounts",
    "city",
    "cn_number",
    "departments",
    "document_starts",
    "headers",
    "order",
    "perturb",
    "rng_for",
    "year",
]
