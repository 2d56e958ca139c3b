"""What an article question asks for, read from its words: the article references
(第四十三条, 第43条, 43条, 第八十二条第二款, 第八十二条第一项, 第一百三十三条之一) and an
asked edition (2018年版, 2018年修正). Works on folded text (core.textnorm.fold)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.numerals import cn_to_int

_CN = "零〇一二两三四五六七八九十百千"
_NUM = rf"(?:\d+|[{_CN}]+)"
REF = re.compile(rf"(第)?({_NUM})条(?:之({_NUM}))?(?:第({_NUM})款)?(?:第({_NUM})项)?")
EDITION = re.compile(r"(\d{4})年(?:(\d{1,2})月(\d{1,2})日)?(?:的)?(?:版|修正|修订|修改|文本|版本|通过|公布)")
CN_DIGITS = "〇一二三四五六七八九"


@dataclass(frozen=True)
class ArticleRef:
    """One reference: article ``main`` (之 ``sub``), optionally one paragraph 款 and item 项."""

    main: int
    sub: int
    para: int | None
    item: int | None
    start: int
    end: int
    bare: bool  # written without 第 (43条, 四十三条)

    @property
    def label(self) -> str:
        """The article as laws print it: 第一百三十三条之一."""
        label = f"第{cn_numeral(self.main)}条"
        return label + (f"之{cn_numeral(self.sub)}" if self.sub else "")

    @property
    def key(self) -> tuple[int, int]:
        return (self.main, self.sub)


def _value(token: str | None) -> int | None:
    if not token:
        return None
    if token.isdigit():
        return int(token)
    return cn_to_int(token.replace("两", "二").replace("〇", "零"))


def find_refs(text: str) -> list[ArticleRef]:
    """Every article reference in ``text`` (folded), in order."""
    out: list[ArticleRef] = []
    for m in REF.finditer(text):
        main = _value(m.group(2))
        if not main:
            continue
        sub = _value(m.group(3)) or 0
        out.append(
            ArticleRef(
                main=main,
                sub=sub,
                para=_value(m.group(4)),
                item=_value(m.group(5)),
                start=m.start(),
                end=m.end(),
                bare=m.group(1) is None,
            )
        )
    return out


# A formal citation as gazettes print them: a title in 《》 then its articles
# (《…法》第八十二条、第八十三条第二款).
_ART = rf"第{_NUM}条(?:之{_NUM})?(?:第{_NUM}款)?(?:第{_NUM}项)?"
CITATION = re.compile(rf"《[^《》\n]{{2,80}}》(?:{_ART})(?:[、和及与,，]?{_ART})*")


def citations(text: str) -> list[str]:
    """Each formal law citation in a gazette passage (raw text), once, in order."""
    return list(dict.fromkeys(m.group(0) for m in CITATION.finditer(text)))


def label_key(label: str) -> tuple[int, int] | None:
    """第一百三十三条之一 -> (133, 1); None for anything else."""
    refs = find_refs(label)
    if len(refs) != 1 or refs[0].bare or refs[0].start != 0 or refs[0].end != len(label):
        return None
    return refs[0].key


def asked_edition(text: str) -> str | None:
    """The edition the question asks for, as the start of an ISO date: "2018" for 2018年版 or
    2018年修正的, "2022-04-01" for 2022年4月1日版; None when it asks for none."""
    m = EDITION.search(text)
    if not m:
        return None
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m.group(2) else m.group(1)


def cn_numeral(n: int) -> str:
    """133 -> 一百三十三, 1040 -> 一千零四十, 10 -> 十 (the way article numbers are printed)."""
    if n <= 0:
        return str(n)
    units = [(1000, "千"), (100, "百"), (10, "十")]
    out, zero = "", False
    rest = n
    for value, unit in units:
        digit, rest = divmod(rest, value)
        if digit:
            if zero:
                out += "零"
                zero = False
            out += ("" if (value == 10 and digit == 1 and not out) else CN_DIGITS[digit]) + unit
        elif out:
            zero = True
    if rest:
        out += ("零" if zero else "") + CN_DIGITS[rest]
    return out


def split_article(body: str) -> list[tuple[str, list[str]]]:
    """An article's paragraphs (款), each with its items (项: lines beginning （一）(一) 一、)."""
    paras: list[tuple[str, list[str]]] = []
    for line in (s.strip() for s in body.split("\n")):
        if not line:
            continue
        if ITEM.match(line) and paras:
            paras[-1][1].append(line)
        else:
            paras.append((line, []))
    return paras


ITEM = re.compile(rf"^(?:[（(][{_CN}]+[）)]|[{_CN}]+、)")


# -- short forms people use that no suffix rule derives (节能法, 民诉法解释, X司法解释) --------------
# a name's type word, longest first (办法 before 法); 司法解释 names any interpretation-shaped
# text of the highest court or procuratorate
TYPES = ("司法解释", "条例", "规定", "解释", "办法", "规则", "细则", "决定", "批复", "法")
JUDICIAL_KINDS = ("解释", "规定", "批复", "决定")
JUDICIAL_ISSUERS = ("最高人民法院", "最高人民检察院")
# a series mark after the type word: 公司法司法解释二, …解释(二), …解释之二 (not 解释二十条)
SERIES_AFTER = re.compile(rf"^(?:之)?(\()?([一二三四五六七八九十]+)(?(1)\))(?![{_CN}\d]*[条款项])")
SERIES_END = re.compile(r"\(([一二三四五六七八九十]+)\)$")
NOT_IN_SHORT = re.compile(r"[《》()\d、，。？?！!:：的是]")  # words around a name, never inside a short form
MAX_SHORT = 16
# what follows a name: an article, 的/里/中, a closing mark, punctuation, the end
NAME_END = re.compile(rf"^(?:$|[第的里中》()\d,，。？?！!、和与及]|[{_CN}]+条)")
COMMON = 3  # words inside more names than this are common words (相关, 管理), not a name
WORDS_INSIDE = 10_000  # the rank of a fit by words inside a name: behind any first-character fit
STATE = "中华人民共和国"


@dataclass(frozen=True)
class _Core:
    core: str  # the name without its type word and series mark: 节约能源 (节约能源法)
    kind: str
    mark: str
    title: str
    judicial: bool
    criminal: bool


class ShortForms:
    """Short forms of indexed names by two general rules, each needing the name's own type word
    at the end (节能法 never names an 实施条例):

    * an ordered subsequence of a name's core that keeps its first character: 节能法 for
      节约能源法, 不动产登记条例 for 不动产登记暂行条例;
    * for an interpretation of the highest court or procuratorate (its 解释/规定/批复/决定, or
      "X司法解释"), words the name's subject contains as they stand: 融资租赁司法解释 for 关于审理融资租赁合同纠纷案件…的解释; a trailing 罪 stands for a
      criminal case (袭警罪司法解释);

    and a long law's head words (选举法 for …代表大会选举法). A prefix of the core that leaves more
    than it keeps is a longer name's first word, no short form (规划条例). A full title (中华人民共和国…) is
    never read as a short form. Where several texts fit, those whose
    core the short form leaves least of win; a tie is for the asker to settle."""

    def __init__(self, names: dict[str, set[str]]):
        self.cores: dict[str, list[_Core]] = {}
        for name, titles in names.items():
            m = SERIES_END.search(name)
            mark, bare = (m.group(1), name[: m.start()]) if m else ("", name)
            kind = next((k for k in TYPES[1:] if bare.endswith(k)), None)
            if kind is None or bare.endswith("司法解释") or len(bare) - len(kind) < 2:
                continue
            core = bare[: -len(kind)].removeprefix(STATE)
            for title in titles:
                judicial = title.startswith(JUDICIAL_ISSUERS) and kind in JUDICIAL_KINDS
                criminal = "刑事" in title or "犯罪" in title
                self.cores.setdefault(kind, []).append(_Core(core, kind, mark, title, judicial, criminal))
        self._cache: dict[tuple[str, str, str], set[str]] = {}

    def find(self, text: str, skip_ends: set[int]) -> list[tuple[int, int, set[str]]]:
        """Short forms in ``text`` (folded): (start, end, titles), every fitting length; none
        ends where an indexed name already ends (``skip_ends``)."""
        out = []
        inside = 0  # the end of the type word last read: 解释 inside 司法解释 is no type word
        for i in range(2, len(text)):
            for kind in TYPES:
                if i < inside or not text.startswith(kind, i):
                    continue
                end = inside = i + len(kind)
                s = SERIES_AFTER.match(text[end:])
                mark = s.group(2) if s else ""
                end += s.end() if s else 0
                if end in skip_ends or not NAME_END.match(text[end:]):
                    break  # 法 of 法律法规 ends no name
                state = text.rfind(STATE, 0, i)
                if state >= 0 and not NOT_IN_SHORT.search(text[state:i]):
                    break  # a full title (中华人民共和国…) names only itself, never a short form
                for n in range(2, min(MAX_SHORT, i) + 1):
                    short = text[i - n : i]
                    if NOT_IN_SHORT.search(short):
                        break
                    titles = self.fit(short, kind, mark)
                    if titles:
                        out.append((i - n, end, titles))
                break
        return out

    def fit(self, short: str, kind: str, mark: str) -> set[str]:
        key = (short, kind, mark)
        if key not in self._cache:
            self._cache[key] = self._fit(short, kind, mark)
        return self._cache[key]

    def _fit(self, short: str, kind: str, mark: str) -> set[str]:
        kinds = JUDICIAL_KINDS if kind == "司法解释" else (kind,)
        best: dict[str, int] = {}
        inside = {c.title for k in kinds for c in self.cores.get(k, ()) if short in c.core}
        # "X司法解释" names interpretations about X however many there are (then it asks which)
        common = len(inside) > COMMON and not (kind == "司法解释" and len(short) >= 3)
        for k in kinds:
            for c in self.cores.get(k, ()):
                if (mark and c.mark != mark) or (kind == "司法解释" and not c.judicial):
                    continue
                for form in (short, short[:-1] if short.endswith("罪") and c.criminal else None):
                    if not form or len(form) < 2 or len(form) > len(c.core):
                        continue
                    left = _fits(form, c, common)
                    if left is not None:
                        best[c.title] = min(best.get(c.title, left), left)
        if not best:
            return set()
        least = min(best.values())
        return {t for t, left in best.items() if left == least}


def _fits(form: str, c: _Core, common: bool) -> int | None:
    """How much of ``c``'s core ``form`` leaves when it names ``c`` by the rules of ShortForms
    (less is a closer fit), else None. ``common``: the words are inside more names than a name
    would be, so they count only from a name's first character. A fit by words inside the name
    ranks behind every fit from the first character, and such fits tie with each other."""
    short_prefix = c.core.startswith(form) and 2 * len(form) < len(c.core)  # 规划条例: a first word
    if form[0] == c.core[0] and not short_prefix:
        rest = iter(c.core)  # an iterator: each character found after the one before
        if all(ch in rest for ch in form):
            return len(c.core) - len(form)
    inside = c.judicial or (c.kind == "法" and _head(form, c.core))
    return WORDS_INSIDE if not common and inside and form in c.core else None


def _head(form: str, core: str) -> bool:
    """A long compound law's head words (选举法 for …代表大会和…代表大会选举法): the last words of a
    core at least four times as long, so 合同法 never names 劳动合同法. Laws only: a local
    条例/办法 (…服务收费办法) often ends in a national one's last words."""
    return core.endswith(form) and len(core) >= 4 * len(form)
