"""Answer metrics: keypoints in the answer and in its first sentence.

keypoint accuracy          share of answer_keypoints found in the answer (norm'd).
keypoints first sentence   the same, in the first sentence only (text up to the
                           first 。！？!? or newline).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.schema import Answer
from eval.dataset import EvalItem
from eval.metrics.text import norm


def first_sentence(text: str) -> str:
    """The answer's first sentence: text up to (and including) the first 。！？!? or newline."""
    text = text.lstrip()
    m = re.search(r"[。！？!?\n]", text)
    return text if m is None else text[: m.end()]


def keypoint_hits(keypoints: Sequence[str], text: str) -> list[bool]:
    """For each keypoint, whether it appears in ``text`` (both norm'd)."""
    t = norm(text)
    return [bool(norm(k)) and norm(k) in t for k in keypoints]


def keypoint_accuracy(item: EvalItem, answer: Answer) -> float | None:
    """Share of answer_keypoints in the answer; None when the item lists none."""
    if not item.answer_keypoints:
        return None
    hits = keypoint_hits(item.answer_keypoints, answer.answer)
    return sum(hits) / len(hits)


def keypoints_first_sentence(item: EvalItem, answer: Answer) -> float | None:
    """Share of answer_keypoints in the answer's first sentence; None when none are listed."""
    if not item.answer_keypoints:
        return None
    hits = keypoint_hits(item.answer_keypoints, first_sentence(answer.answer))
    return sum(hits) / len(hits)
