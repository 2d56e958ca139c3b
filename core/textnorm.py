"""Text folding shared by ingest, retrieval, citation checks and the eval suite.

"Verbatim" has one meaning everywhere (docs/contracts.md): after :func:`fold` the quote is a
substring of the folded source document.
"""

from __future__ import annotations

import re
import unicodedata

_TAGS = re.compile(r"</?p>|<br\s*/?>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "［": "〔", "］": "〕", "【": "〔", "】": "〕"})

# 文号: issuer prefix (Chinese chars), year in 〔〕 or [], number, 号.
DOC_NUMBER_RE = re.compile(r"([\u4e00-\u9fff]{2,12})\s*[〔\[［【](\d{4})[〕\]］】]\s*(\d{1,4})\s*号")
# Words that end a sentence or title and so cannot be part of an issuer prefix
# ("…的通知某政发〔2008〕78号": the prefix is 某政发, not 的通知某政发).
_PREFIX_STOPS = re.compile(
    r".*(?:通知|意见|办法|规定|方案|细则|决定|目录|文件|关于|印发|根据|依据|按照|确认|告诉|回答|查询|废止|执行|显示|"
    r"[的和与及是在对为即说问查看找那这个份把将请按据依从向给让被了吗呢吧我你他她它])"
)


def _issuer(prefix: str) -> str:
    return _PREFIX_STOPS.sub("", prefix) or prefix[-3:]


def fold(text: str) -> str:
    """Fold text for verbatim comparison: NFKC, no whitespace, no <p>/<br>, 〔〕 == []."""
    text = unicodedata.normalize("NFKC", text)
    text = _TAGS.sub("", text)
    text = _SPACE.sub("", text)
    return text.translate(_BRACKETS)


def is_verbatim(quote: str, folded_source: str) -> bool:
    """True when ``quote`` (raw) occurs in an already folded source text."""
    q = fold(quote)
    return bool(q) and q in folded_source


def canonical_doc_number(text: str) -> str | None:
    """The first 文号 in ``text`` in canonical form (某政发〔2025〕7号), or None."""
    found = find_doc_numbers(text)
    return found[0] if found else None


def find_doc_numbers(text: str) -> list[str]:
    """Every 文号 in ``text``, canonical, in order of appearance, without repeats."""
    norm = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    seen: dict[str, None] = {}
    for m in DOC_NUMBER_RE.finditer(norm):
        seen[f"{_issuer(m.group(1))}〔{m.group(2)}〕{int(m.group(3))}号"] = None
    return list(seen)


def normalize_question(text: str) -> str:
    """Light normalisation for user input: NFKC (full/half width), unified brackets, trimmed."""
    text = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    return _SPACE.sub(" ", text).strip()
