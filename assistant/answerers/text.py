"""Sentence tools every answerer shares: splitting, bigram overlap, rare-word ranking, two-part questions."""

from __future__ import annotations

import re

from assistant.query import Query

AGENCY = re.compile(r"[\u4e00-\u9fff]{1,8}(?:局|部门|委员会|委|办公室|政府|中心|公司|机关|法院)")
FULL_STOP = re.compile(r"(?<=[。！？!?])|\n")
SENT_SPLIT = re.compile(r"(?<=[。；;！？!?])|\n")


def sentences(text: str, keep_enumerations: bool = False) -> list[str]:
    """Sentences (split at 。；！？ and line ends); with ``keep_enumerations`` only at 。！？ and
    line ends, so "…决策部署;研究拟定…;制定实施…" stays one answer to "有哪些职责"."""
    splitter = FULL_STOP if keep_enumerations else SENT_SPLIT
    return [s.strip() for s in splitter.split(text) if s and s.strip()]


# a conditional tier of a rule: "…500平方米以上的，补助20万元" (the condition ends in 的, a comma)
TIER = re.compile(r"^[^，,。；;：:]{2,40}的[，,]")
MAX_TIERS_CHARS = 240


def join_tiers(sents: list[str]) -> list[str]:
    """Consecutive tiers of one rule, split at ；, as one sentence: "…补助：200平方米至500平方米的，
    补助10万元；500平方米以上的，补助20万元。" answers "补助标准是多少" only whole. Only tiers that
    follow each other in the text are joined, so the result is still a verbatim quote."""
    out: list[str] = []
    for s in sents:
        prev = out[-1] if out else ""
        tail = re.split(r"[：:]", prev)[-1]
        if (
            prev.endswith(("；", ";"))
            and TIER.match(s)
            and TIER.match(tail)
            and len(prev) + len(s) <= MAX_TIERS_CHARS
        ):
            out[-1] = prev + s
        else:
            out.append(s)
    return out


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[\s\W_]+", "", text)
    return {t[i : i + 2] for i in range(len(t) - 1)}


def overlap(question: str, text: str) -> float:
    """Share of the question's character bigrams found in ``text`` (robust to jieba's cuts)."""
    qb = _bigrams(question)
    return len(qb & _bigrams(text)) / len(qb) if qb else 0.0


def rank_by_overlap(question: str, texts: list[str], topics: list[str] | None = None) -> list[float]:
    """Overlap of each text with the question, each bigram weighted by how rare it is among
    ``texts``: what sets a sentence apart (人社, 兼任) counts more than the shared topic (矿山).

    ``topics[i]`` (a document title and section path) names what text i is about; question
    words found there say the passage is on topic, not that this sentence answers, so they
    count a third (retrieval already rewarded them)."""
    import math

    qb = _bigrams(question)
    sets = [_bigrams(t) for t in texts]
    n = len(texts)
    weight = {b: math.log(1 + n / (1 + sum(1 for st in sets if b in st))) for b in qb}
    total = sum(weight.values()) or 1.0
    topic_sets = [_bigrams(t) for t in topics] if topics else [set()] * n
    return [
        sum(w for b, w in weight.items() if b in st and b not in tb) / total
        for st, tb in zip(sets, topic_sets, strict=True)
    ]


ASK_WORDS = re.compile(r"几|多少|什么|谁|哪|怎么|如何|是否|吗")


PAIR = re.compile(r"^(?P<head>.+?)(?:，|,)?(?:分别|各自|哪个|哪一个)(?P<tail>.*)$")


def decompose(text: str) -> list[str]:
    """ "非煤矿山整治专班和绿电专班分别运行到什么时候？" -> the same question about each of the two.

    The head before 分别/哪个 is split at 和/与/跟/、; a shared tail after the last 的
    ("…和绿电专班的办公室") is given to each part."""
    m = PAIR.match(text.strip())
    if not m:
        return []
    head, tail = m.group("head").strip("，, "), m.group("tail").strip()
    names = [x for x in re.split(r"和|与|跟|、", head) if x.strip()]
    if len(names) != 2 or any(len(x) < 2 for x in names):
        return []
    if "的" in names[-1]:
        shared = names[-1][names[-1].rindex("的") :]
        names = [x if x.endswith(shared) else x + shared for x in names]
    return [f"{x}{tail}" for x in names]


def asks_two_things(q: Query) -> bool:
    """ "分别…", or two questions in one ("保留了几件、废止了几件？")."""
    return (
        "分别" in q.text
        or len(ASK_WORDS.findall(q.text)) >= 2
        and bool(re.search(r"[、，,？?和与及]", q.text))
    )


def trim(s: str) -> str:
    return s.rstrip("；;。，, ")
