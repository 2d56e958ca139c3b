"""Chinese keyword tokens for BM25 (jieba, search mode), shared by ingest and retrieval."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata

_LOCK = threading.Lock()
_READY = False
_KEEP = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]")
_STOP = set(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "等",
        "是",
        "在",
        "对",
        "为",
        "由",
        "按",
        "其",
        "之",
        "以",
        "于",
        "将",
        "把",
        "被",
        "有",
        "要",
        "可",
        "也",
        "就",
        "都",
        "而",
        "并",
        "吗",
        "呢",
        "吧",
        "啊",
        "么",
        "嘛",
        "呀",
        "我",
        "你",
        "他",
        "她",
        "它",
        "们",
        "这",
        "那",
        "哪",
        "什么",
        "怎么",
        "多少",
        "请问",
        "一下",
        "一个",
        "请",
    ]
)


def _init() -> None:
    global _READY
    with _LOCK:
        if _READY:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _READY = True


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (words and their sub-words), lowercased, without stopwords/punctuation."""
    _init()
    import jieba

    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"<[^>]+>", " ", text)
    out = []
    for tok in jieba.lcut_for_search(text):
        tok = tok.strip()
        if tok and _KEEP.search(tok) and tok not in _STOP:
            out.append(tok)
    return out


def bm25_index(texts: list[str]):
    """A bm25s index of ``texts`` (one row each; a text without keywords gets a placeholder token so
    rows stay aligned with their chunks). The one place the keyword index is built, stored or not."""
    import bm25s

    index = bm25s.BM25()
    index.index([tokenize(t) or ["∅"] for t in texts], show_progress=False)
    return index
