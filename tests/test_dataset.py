"""The evaluation dataset (eval/dataset.jsonl) and its loader (eval/dataset.py)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from core.textnorm import fold
from eval.dataset import (
    DEFAULT_DATASET,
    EVERYDAY_MARK,
    ITEM_TYPES,
    KP_ESCAPE_MARK,
    PERSONAS,
    DatasetError,
    EvalItem,
    gold_docs,
    load_dataset,
)
from tests.conftest import SEVEN_DOCS

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "data" / "gazettes" / "changzhi-2024-05.txt"
DATASET = REPO / "eval" / "dataset.jsonl"


def is_english(question: str) -> bool:
    return len(re.findall(r"[A-Za-z]", question)) > len(re.findall(r"[\u4e00-\u9fff]", question))


@pytest.fixture(scope="module")
def corpus_folded() -> str:
    return fold(CORPUS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def items(corpus_folded: str) -> list[EvalItem]:
    return load_dataset(DATASET, corpus_folded=corpus_folded, known_docs=SEVEN_DOCS)


# ------------------------------------------------------------------------------ the dataset


def test_default_path_is_the_shipped_dataset() -> None:
    assert DEFAULT_DATASET == DATASET


def test_every_gold_quote_is_verbatim(items: list[EvalItem], corpus_folded: str) -> None:
    bad = [(i.id, q) for i in items for q in i.gold_quotes if fold(q) not in corpus_folded]
    assert not bad


def test_every_gold_doc_is_one_of_the_seven(items: list[EvalItem]) -> None:
    bad = [(i.id, d) for i in items for d in gold_docs(i) if d not in SEVEN_DOCS]
    assert not bad, "gold_doc must be written in canonical 〔〕 form"


def test_keypoints_are_in_the_gold_quotes(items: list[EvalItem]) -> None:
    bad = []
    for item in items:
        if not item.answerable or KP_ESCAPE_MARK in item.notes:
            continue
        quotes = [fold(q) for q in item.gold_quotes]
        bad += [(item.id, k) for k in item.answer_keypoints if not any(fold(k) in q for q in quotes)]
    assert not bad


def test_escape_is_rare(items: list[EvalItem]) -> None:
    escaped = [i.id for i in items if KP_ESCAPE_MARK in i.notes]
    assert len(escaped) <= 3, escaped
    assert all(i.answerable and i.answer_keypoints for i in items if i.id in escaped)


def test_answerable_items_have_keypoints(items: list[EvalItem]) -> None:
    assert [i.id for i in items if i.answerable and not i.answer_keypoints] == []


def test_ids_are_consecutive(items: list[EvalItem]) -> None:
    assert [i.id for i in items] == [f"E{n:03d}" for n in range(1, len(items) + 1)]


def test_questions_are_unique(items: list[EvalItem]) -> None:
    counts = Counter(fold(i.question) for i in items)
    assert [q for q, n in counts.items() if n > 1] == []


def test_every_item_has_notes(items: list[EvalItem]) -> None:
    assert [i.id for i in items if len(i.notes.replace(EVERYDAY_MARK, "").strip()) < 15] == []


def test_counts_and_coverage(items: list[EvalItem]) -> None:
    assert len(items) >= 160
    types = Counter(i.type for i in items)
    assert set(types) == set(ITEM_TYPES), set(ITEM_TYPES) - set(types)
    assert set(Counter(i.persona for i in items)) == set(PERSONAS)
    docs = Counter(d for i in items for d in gold_docs(i))
    assert set(docs) == SEVEN_DOCS
    # the mine plan and the elderly-care notice (its benefits table) are covered the most
    top_two = {d for d, _ in docs.most_common(2)}
    assert top_two == {"长政发〔2024〕13号", "长政办发〔2024〕28号"}


def test_everyday_share(items: list[EvalItem]) -> None:
    everyday = sum(i.everyday for i in items)
    assert everyday / len(items) >= 0.40, f"{everyday}/{len(items)} items marked {EVERYDAY_MARK}"


def test_english_questions(items: list[EvalItem]) -> None:
    assert sum(is_english(i.question) for i in items) >= 5


def test_refusal_items_are_empty(items: list[EvalItem]) -> None:
    for item in items:
        if item.type in ("unanswerable", "out_of_scope"):
            assert not item.answerable, item.id
        if not item.answerable:
            assert item.gold_doc is None and not item.gold_quotes and not item.answer_keypoints, item.id


def test_both_refusal_and_correction_adversarial_items(items: list[EvalItem]) -> None:
    adversarial = [i for i in items if i.type == "adversarial"]
    assert any(i.answerable for i in adversarial)
    assert any(not i.answerable for i in adversarial)


def test_ambiguous_number_items_list_both_documents(items: list[EvalItem]) -> None:
    for number, pair in (
        ("28号", {"长政办发〔2024〕28号", "长政办函〔2024〕28号"}),
        ("27号", {"长政办发〔2024〕27号", "长政办函〔2024〕27号"}),
    ):
        hits = [i for i in items if re.match(rf"^{number}文", i.question)]
        assert hits, number
        assert all(set(gold_docs(i)) == pair for i in hits)


def test_gold_docs_shapes() -> None:
    base = dict(id="E1", persona="qa", type="fact", question="q", answerable=True, gold_quotes=["x"])
    base.update(answer_keypoints=[], notes="n")
    assert gold_docs(EvalItem(**base, gold_doc="长政发〔2024〕13号")) == ["长政发〔2024〕13号"]
    two = EvalItem(**base, gold_doc=["长政办发〔2024〕28号", "长政办函〔2024〕28号"])
    assert gold_docs(two) == ["长政办发〔2024〕28号", "长政办函〔2024〕28号"]
    refused = dict(base, answerable=False, gold_quotes=[], type="out_of_scope")
    assert gold_docs(EvalItem(**refused, gold_doc=None)) == []


# ------------------------------------------------------------------------------ the loader

GOOD = {
    "id": "E001",
    "persona": "family",
    "type": "numeric",
    "question": "我爸今年91了，高龄津贴一个月有多少？",
    "answerable": True,
    "gold_doc": "长政办发〔2024〕28号",
    "gold_quotes": ["90周岁(含)至99周岁(含)不低于150元/人/月"],
    "answer_keypoints": ["不低于150元"],
    "notes": "[everyday] example",
}
REFUSED = {
    "id": "E002",
    "persona": "qa",
    "type": "out_of_scope",
    "question": "明天天气怎么样？",
    "answerable": False,
    "gold_doc": None,
    "gold_quotes": [],
    "answer_keypoints": [],
    "notes": "weather",
}


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def line(**changes: object) -> str:
    data = {**GOOD, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not ...}, ensure_ascii=False)


def assert_error_at(path: Path, lineno: int, *words: str, **kwargs: object) -> None:
    with pytest.raises(DatasetError) as err:
        load_dataset(path, **kwargs)
    message = str(err.value)
    assert f"{path}:{lineno}" in message, message
    for word in words:
        assert word in message, message


def test_loader_accepts_good_lines(tmp_path: Path, corpus_folded: str) -> None:
    path = write(tmp_path, json.dumps(GOOD, ensure_ascii=False), json.dumps(REFUSED, ensure_ascii=False))
    items = load_dataset(path, corpus_folded=corpus_folded, known_docs=SEVEN_DOCS)
    assert [i.id for i in items] == ["E001", "E002"]
    assert items[0].everyday and not items[1].everyday


def test_loader_accepts_bracket_variants(tmp_path: Path, corpus_folded: str) -> None:
    path = write(tmp_path, line(gold_doc="长政办发[2024]28号", gold_quotes=["长政办发[2024]27号"]))
    assert load_dataset(path, corpus_folded=corpus_folded, known_docs=SEVEN_DOCS)


def test_malformed_json(tmp_path: Path) -> None:
    path = write(tmp_path, line(), '{"id": "E002", "persona": ')
    assert_error_at(path, 2, "malformed JSON")


def test_not_an_object(tmp_path: Path) -> None:
    assert_error_at(write(tmp_path, line(), "[1, 2]"), 2, "JSON object")


def test_missing_field(tmp_path: Path) -> None:
    path = write(tmp_path, line(), line(id="E002", answer_keypoints=...))
    assert_error_at(path, 2, "answer_keypoints", "missing field")


def test_unknown_field(tmp_path: Path) -> None:
    assert_error_at(write(tmp_path, line(everyday=True)), 1, "everyday", "unknown field")


def test_unknown_persona(tmp_path: Path) -> None:
    path = write(tmp_path, line(), line(id="E002"), line(id="E003", persona="tourist"))
    assert_error_at(path, 3, "persona", "tourist")


def test_unknown_type(tmp_path: Path) -> None:
    assert_error_at(write(tmp_path, line(type="trivia")), 1, "type", "trivia")


def test_duplicate_id(tmp_path: Path) -> None:
    path = write(tmp_path, line(), line(id="E002"), line())
    assert_error_at(path, 3, "duplicate id", "E001", "line 1")


def test_quote_not_verbatim(tmp_path: Path, corpus_folded: str) -> None:
    path = write(tmp_path, line(), line(id="E002", gold_quotes=["90周岁以上不低于500元/人/月"]))
    assert_error_at(path, 2, "not verbatim", "500元", corpus_folded=corpus_folded)
    # without a corpus the quote is not checked
    assert len(load_dataset(path)) == 2


def test_unknown_gold_doc(tmp_path: Path) -> None:
    path = write(tmp_path, line(), line(id="E002", gold_doc=["长政办发〔2024〕28号", "长政办发〔2024〕30号"]))
    assert_error_at(path, 2, "长政办发〔2024〕30号", "not a known document", known_docs=SEVEN_DOCS)
    assert len(load_dataset(path)) == 2


def test_unanswerable_with_gold_quotes(tmp_path: Path) -> None:
    bad = json.dumps({**REFUSED, "gold_quotes": ["免诉讼费"]}, ensure_ascii=False)
    assert_error_at(write(tmp_path, line(), bad), 2, "answerable=false", "gold_quotes")


def test_unanswerable_with_gold_doc(tmp_path: Path) -> None:
    bad = json.dumps({**REFUSED, "gold_doc": "长政办发〔2024〕28号"}, ensure_ascii=False)
    assert_error_at(write(tmp_path, bad), 1, "gold_doc")


def test_answerable_without_quotes(tmp_path: Path) -> None:
    assert_error_at(write(tmp_path, line(gold_quotes=[])), 1, "gold_quotes is empty")


def test_out_of_scope_marked_answerable(tmp_path: Path) -> None:
    assert_error_at(write(tmp_path, line(type="out_of_scope")), 1, "out_of_scope")


def test_wrong_value_type(tmp_path: Path) -> None:
    assert_error_at(write(tmp_path, line(gold_quotes="90周岁")), 1, "gold_quotes")


def test_blank_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "gap.jsonl"
    path.write_text(line() + "\n\n" + line(id="E002") + "\n", encoding="utf-8")
    assert_error_at(path, 2, "empty line")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot read"):
        load_dataset(tmp_path / "missing.jsonl")


def test_dev_split_is_fixed_by_the_id_hash_and_partitions_the_set():
    from eval.dataset import SPLITS, select_split, split_of

    items = load_dataset(DEFAULT_DATASET)
    parts = {s: {i.id for i in select_split(items, s)} for s in SPLITS}
    assert parts["calib"].isdisjoint(parts["report"])
    assert parts["calib"] | parts["report"] == {i.id for i in items}
    # both parts hold answerable and unanswerable items
    for s in SPLITS:
        chosen = select_split(items, s)
        assert any(i.answerable for i in chosen) and any(not i.answerable for i in chosen)
    # the assignment was committed before calibrating: it must never move
    assert [split_of(i) for i in ("E001", "E002", "E003", "E100")] == ["calib", "report", "calib", "report"]
    with pytest.raises(DatasetError):
        select_split(items, "holdout")
