"""The law-article catalogue's entries, made from parsed law files: each text's title, the short
names it is called by, its edition date and every article whole (paragraphs and items in order).

Article lookup reads this catalogue instead of searching vectors, so an article is never cut
at a chunk boundary and never confused with the same-numbered article of another law. The
short names come from general rules on the title, never from a list of laws.
"""

from __future__ import annotations

import re

from core.numerals import cn_to_int
from ingest.sources import ParsedSource
from ingest.units import ParsedDoc
from store.articles import LawText

STATE = "中华人民共和国"
# the issuer before 关于 (最高人民法院、最高人民检察院 / 国务院、中央军委 / 海关总署 …): any words
# that are not themselves a quotation or a 的-phrase
ISSUERS = re.compile(r"^[^的《》]{2,40}?(?=关于)")
EDITION = re.compile(r"[（(]\s*\d{4}年?[^）)]{0,8}[）)]$")  # （2018年）, （2018年修正）, (2004)
TRIAL = re.compile(r"[（(](?:试行|暂行|草案)[）)]$")  # 办法（试行）: called without the mark
SERIAL = re.compile(r"[（(][一二三四五六七八九十]+[）)]$")  # （二）: one of a numbered series
QUOTED = re.compile(r"《([^》]+)》")
# 关于X的规定 / 关于X的若干规定: the general form of an interpretation's or regulation's title
ABOUT = re.compile(r"^关于(.+?)的(?:若干)?(规定|解释|决定|办法|批复|答复|意见)$")
# what the subject X may shed, in any combination, on the way to the name people use:
# 审理X案件具体适用法律若干问题 -> X案件, 审理X, X …; 适用《X》 -> X
SUBJECT_TRIMS = (
    re.compile(r"(?:若干)?问题$"),
    re.compile(r"(?:(?:具体|如何)?(?:适用|应用)法律|法律适用)$"),
    re.compile(r"案件$"),
    re.compile(r"相关$"),
    re.compile(r"^(?:审理|办理|适用)"),
    re.compile(r"(?:刑事|民事|行政)$"),
)
HEADER_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日[^\n]*?(?:通过|修正|修订|修改|公布|发布|决定)")
ARTICLE_LABEL = re.compile(r"^第([零〇一二三四五六七八九十百千]+)条(?:之([一二三四五六七八九十]+))?$")


def short_names(title: str) -> list[str]:
    """The names a text is called by besides its full title, by general rules:
    中华人民共和国X法 -> X法; 《》 dropped; a trailing edition (（2018年修正）) or （试行） dropped; the issuer
    before 关于 dropped; 关于X的解释/规定 forms shortened to X解释 with X trimmed
    (审理X案件适用法律若干问题 -> X), keeping a （二） series mark."""
    names: list[str] = []

    def add(name: str) -> None:
        name = name.strip()
        if len(name) >= 2 and name != title and name not in names:
            names.append(name)

    add(QUOTED.sub(r"\1", title).replace(STATE, ""))  # 宪法修正案（2018年）: the edition kept
    base = EDITION.sub("", title)
    add(base)
    add(TRIAL.sub("", base))
    unquoted = QUOTED.sub(r"\1", base)
    add(unquoted)
    for form in list(dict.fromkeys([base, unquoted])):
        add(form.replace(STATE, ""))
    for form in [title, *names]:
        about = ISSUERS.sub("", form)
        if about != form:
            add(about)
        serial = SERIAL.search(about)
        core = about[: serial.start()] if serial else about
        mark = serial.group(0) if serial else ""
        m = ABOUT.match(core)
        if not m:
            continue
        subject, kind = QUOTED.sub(r"\1", m.group(1)).replace(STATE, ""), m.group(2)
        subjects = [subject]
        for trim in SUBJECT_TRIMS:  # every combination of the trims, in a fixed order
            subjects += [trim.sub("", s) for s in subjects]
        for s in dict.fromkeys(subjects):
            if len(s) >= 2:
                add(f"{s}{kind}{mark}")
                if kind == "解释":
                    add(f"{s}司法解释{mark}")
    return names


def edition_date(doc: ParsedDoc, text: str) -> str | None:
    """The file's edition: the date its name carries, else the latest adoption or amendment
    date in the lines before the body (ISO)."""
    if doc.info.date:
        return doc.info.date
    head = text.split("<!-- INFO END -->", 1)[0] if "<!-- INFO END -->" in text else text[:2000]
    dates = [f"{int(y):04d}-{int(m):02d}-{int(d):02d}" for y, m, d in HEADER_DATE.findall(head)]
    return max(dates) if dates else None


def article_number(label: str) -> tuple[int, int] | None:
    """第八十二条 -> (82, 0); 第一百三十三条之一 -> (133, 1)."""
    m = ARTICLE_LABEL.match(label)
    if not m:
        return None
    main = cn_to_int(m.group(1))
    sub = cn_to_int(m.group(2)) if m.group(2) else 0
    return (main, sub or 0) if main else None


def law_texts(docs: list[ParsedDoc], text: str, category: str) -> list[LawText]:
    """One catalogue entry per law document, with its articles in file order."""
    out: list[LawText] = []
    for doc in docs:
        if doc.info.kind != "law":
            continue
        articles: list[tuple[str, str]] = []
        for unit in doc.units:
            if unit.kind == "article" and unit.path and article_number(unit.path[-1]):
                articles.append((unit.path[-1], unit.text))
        out.append(
            LawText(
                doc_id=doc.info.id,
                title=doc.info.title,
                names=short_names(doc.info.title),
                edition=edition_date(doc, text),
                category=category,
                source=doc.info.source,
                articles=articles,
            )
        )
    return out


def catalogue_entries(parsed: list[ParsedSource]) -> dict[str, list[LawText]]:
    """Source name -> its law texts (empty for a gazette issue), for ``update_catalogue``."""
    out: dict[str, list[LawText]] = {}
    for p in parsed:
        category = p.name.rsplit("/", 1)[0] if "/" in p.name else ""
        out[p.name] = [t for d in p.docs for t in law_texts([d], p.texts.get(d.info.id, ""), category)]
    return out
