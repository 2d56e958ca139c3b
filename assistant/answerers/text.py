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
