"""Does the evidence answer what is asked, and is it a question for the gazette at all?

Retrieval finds the right topic for a near-miss question (…怎么申请？ lands on the row that
names the benefit), so relevance alone cannot tell that the gazette is silent on what is asked.
The answer kinds, the evidence each needs and the requests that are always declined live in
``assistant/asks.py``; this module applies them, and checks what a question names (a 文号,
an article, a year, a place, a 《title》) against what is indexed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from assistant.asks import (
    ASKS_NUMBER,
    CONFIRMATION,
    CONTACT_OWNER,
    ENGLISH_WORDS,
    FALLBACK_INVITATION,
    GRADES,
    INSTRUCTIONS,
    POST_OWNER,
    REQUESTS,
    missing_kind,
)
from assistant.query import TITLE, Query, age_fits, titled
from core.keywords import tokenize
from core.numerals import cn_to_int
from core.textnorm import find_doc_numbers, fold

HOME = re.compile(r"^(?:[\u4e00-\u9fff]{1,6}?省)?([\u4e00-\u9fff]{1,6}?[市县区州盟旗])")
ARTICLE_NO = re.compile(r"第([零一二三四五六七八九十百千两\d]+)条")


@dataclass
class Known:
    """What the index holds, for checking what a question names."""

    indexed_numbers: set[str] = field(default_factory=set)
    listed_numbers: set[str] = field(default_factory=set)  # named by a printed list of documents
    home: set[str] = field(default_factory=set)
    corpus: str = ""  # every document's text, folded
    articles: dict[str, set[int]] = field(default_factory=dict)  # doc id -> its article numbers
    titles: dict[str, str] = field(default_factory=dict)  # doc id -> its title, folded

    @classmethod
    def from_index(cls, docs: list, chunks: list, folded_docs: dict[str, str]) -> Known:
        gazette = [d for d in docs if d.kind == "gazette"]
        return cls(
            indexed_numbers={d.doc_number for d in docs if d.doc_number},
            listed_numbers={
                c.fields["文号"] for c in chunks if c.kind == "list_entry" and c.fields.get("文号")
            },
            home=home_places([d.issue or "" for d in gazette] + [d.office or "" for d in gazette]),
            corpus="\n".join(folded_docs.values()) + "\n" + "\n".join(fold(d.title) for d in docs),
            articles=articles_in(chunks),
            titles={d.id: fold(d.title) for d in docs},
        )

    def named(self, text: str) -> list[str]:
        """Documents a 《title》 in ``text`` names (the title in full, or its core after 关于…的)."""
        return titled(text, self.titles)


def home_places(names: list[str]) -> set[str]:
    """The home jurisdiction, read from the ingested issues' mastheads and issuing offices
    ("某市人民政府公报 2025·03" -> 某市, 某): a question may name it without leaving the gazette."""
    out: set[str] = set()
    for name in names:
        m = HOME.match(name or "")
        if m:
            out |= {m.group(1), m.group(1)[:-1]}
    return {p for p in out if len(p) >= 2}


def places(text: str, home: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Place names in ``text`` (jieba's part-of-speech tag ns), e.g. 太原市, 某某区, 北京."""
    import jieba.posseg

    out = []
    for word, flag in jieba.posseg.lcut(text):
        # only administrative names: the tagger also calls 上门 or 里市 (成员里市某局) places
        if flag.startswith("ns") and word not in home and len(word) >= 3 and word[-1] in "省市区县州镇乡":
            out.append(word)
    return out


def is_confirmation(q: Query) -> bool:
    """A yes/no check of a claim ("…是生态环境局罚的吧？"): its claims are corrected, not looked up."""
    return bool(re.search(CONFIRMATION, q.text, re.IGNORECASE))


def article_numbers(text: str) -> list[int]:
    """第十二条 / 第12条 -> [12]."""
    out = []
    for m in ARTICLE_NO.finditer(text):
        raw = m.group(1)
        n = int(raw) if raw.isdigit() else cn_to_int(raw)
        if n:
            out.append(n)
    return out


def articles_in(chunks) -> dict[str, set[int]]:
    """Document id -> the numbers of the articles (第X条 at a line start) it holds."""
    out: dict[str, set[int]] = {}
    for c in chunks:
        if c.kind not in ("article", "clause", "paragraph"):
            continue
        for line in c.text.split("\n"):
            m = ARTICLE_NO.match(line.strip())
            if m:
                out.setdefault(c.doc_id, set()).update(article_numbers(m.group(0)))
    return out


def strip_instructions(text: str) -> tuple[str, bool]:
    """The question without text that gives the assistant orders, and whether there was any."""
    out = text
    for pat in INSTRUCTIONS:
        out = re.sub(pat, " ", out, flags=re.IGNORECASE)
    out = re.sub(r"\s+", " ", out).strip(" ，,。.;；:：")
    return out, out != text.strip(" ，,。.;；:：")


def not_a_question(q: Query) -> bool:
    """Nothing to look up: no Chinese, and no English sentence either (keyboard mash, symbols)."""
    if re.search(r"[\u4e00-\u9fff]", q.text):
        return False
    return not re.search(ENGLISH_WORDS, q.text, re.IGNORECASE)


def unsupported_request(q: Query) -> str | None:
    """A request the assistant must decline whatever the evidence (fabricate, evade, reveal,
    a task, code), or text with nothing to look up. Checked before anything else, whatever
    document the question names."""
    text = re.sub(FALLBACK_INVITATION, "", q.text)
    for r in REQUESTS:
        if re.search(r.pattern, text, re.IGNORECASE):
            return r.reply
    if not_a_question(q):
        return "没有看懂这个问题。请用中文（或英文）写出想问的内容，例如某项补贴的标准、某个文件的规定。"
    return None


def unknown_reference(q: Query, known: Known, routed: list[str]) -> str | None:
    """A 文号, article or 《title》 the question names that the index does not hold."""
    for number in find_doc_numbers(q.text):
        if number not in known.indexed_numbers and number not in known.listed_numbers:
            return f"已收录的公报里没有{number}的正文。"
    wanted = article_numbers(q.text)
    routed = routed or known.named(q.text)
    if wanted and routed:
        for doc_id in routed:
            have = known.articles.get(doc_id, set())
            if any(n in have for n in wanted):
                return None
        counts = [len(known.articles.get(d, set())) for d in routed]
        if max(counts) == 0:
            return "所指文件不是按“第X条”编排的，没有这一条。"
        return f"所指文件共{max(counts)}条，没有第{wanted[0]}条。"
    for title in TITLE.findall(q.text):
        if fold(title) not in known.corpus:
            return f"已收录的公报和法规里没有《{title}》。"
    return None


def missing_facet(q: Query, evidence: str, known: Known, numbered: bool = True) -> str | None:
    """Why the evidence cannot answer what is asked, or None. ``numbered``: the evidence's
    document has a 文号."""
    if not numbered and ASKS_NUMBER.search(q.text):
        return "公报里这份文件没有文号。"
    kind = missing_kind(q.intents, evidence, q.text)
    if kind is not None and not (kind.name == "money" and is_confirmation(q)):
        return f"公报相关内容没有写{kind.what}。"
    if is_confirmation(q):
        return None
    for year in re.findall(r"(20\d{2})\s*年", q.text):
        if year not in evidence:
            return f"公报相关内容里没有{year}年的规定。"
    for place in places(q.text, known.home):
        if place not in evidence:
            return f"公报相关内容没有提到{place}。"
    return other_facet(q, evidence)


YES_NO = r"也能|也可以|能否|能不能|可不可以|是否|吗|吧"


def contact_owner(text: str) -> str | None:
    """The organisation whose phone number is asked (接驳公交的公交公司电话 -> 公交公司)."""
    m = re.search(CONTACT_OWNER, text)
    return re.split(r"[的之和与及、，,]", m.group(1))[-1] if m else None


def other_facet(q: Query, evidence: str) -> str | None:
    """What else the question pins that the evidence lacks: a grade of a scale the text prints
    other grades of, the asker's age where every printed age range excludes it, the owner of a
    phone number asked for."""
    for scale in GRADES:
        asked = [g for g in scale if g in q.text]
        if asked and not any(g in evidence for g in asked) and any(g in evidence for g in scale):
            return f"公报相关内容没有写{asked[0]}的情形。"
    how_much = (q.wants("money") or q.wants("amount")) and not re.search(YES_NO, q.text)
    if how_much and q.ages and all(age_fits(fold(evidence), a) is False for a in q.ages):
        # "66岁…每月多少？" where every printed range starts at 70 ("75岁也能领吗？" is answered
        # with the rule instead)
        return f"公报相关内容没有适用于{q.ages[0]}岁的规定。"
    owner = contact_owner(q.text) if q.wants("contact") else None
    if owner and owner not in evidence and owner[:2] not in evidence:
        return f"公报相关内容没有写{owner}的联系方式。"
    post = re.search(POST_OWNER, q.text) if q.wants("person") else None
    if post:
        org = re.split(r"[的之和与及、，,里中]", post.group(1))[-1]
        org = org[max(0, *(org.rfind(c) for c in "省市县区")) :]  # 成员里市某某局 -> 市某某局
        if re.sub(r"^[省市县区]", "", org) not in evidence:
            return f"公报相关内容没有写{org}的这一职务由谁担任。"
    return None


def common_title_words(titles: list[str]) -> list[str]:
    """Words in at least half of the document titles (the issuer and city), longest first."""
    if not titles:
        return []
    counts = Counter(w for t in titles for w in set(tokenize(t)) if len(w) >= 2)
    return sorted((w for w, n in counts.items() if n >= len(titles) / 2), key=len, reverse=True)
