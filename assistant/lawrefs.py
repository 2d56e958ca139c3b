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
