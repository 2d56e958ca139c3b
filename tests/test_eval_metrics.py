"""Eval metrics on hand-built items and answers: each metric can pass and each can fail."""

from __future__ import annotations

import pytest

from core.schema import NOT_IN_GAZETTE, Answer, Citation, Passage
from core.textnorm import fold
from eval.dataset import EvalItem
from eval.metrics import (
    aggregate,
    breakdown,
    citation_precision,
    citation_recall,
    citation_verbatim_counts,
    extract_facts,
    first_sentence,
    hit_at_k,
    keypoint_accuracy,
    keypoints_first_sentence,
    norm,
    percentile,
    recall_at_k,
    reciprocal_rank,
    score_item,
    unsupported_facts,
)

DN28 = "长政办发〔2024〕28号"
DN13 = "长政发〔2024〕13号"
ROW8 = (
    "8 高龄津贴\t为80周岁及以上老年人发放高龄津贴\t80周岁(含)至89周岁(含)不低于70元/人/月;"
    "90周岁(含)至99周岁(含)不低于150元/人/月;100周岁及以上不低于300元/人/月\t物质帮助\t市民政局"
)
MINING = "(2)新建地下矿山原则上采用充填采矿法。"
DOC_TEXTS = {
    DN28: fold(
        f"长治市基本养老服务清单\n对象\t服务项目\n{ROW8}\n经市人民政府2024年9月20日第55次常务会议研究通过"
    ),
    DN13: fold(f"3. 升级改造\n{MINING}\n(3)其他。"),
}
Q150 = "90周岁(含)至99周岁(含)不低于150元/人/月"
Q70 = "80周岁(含)至89周岁(含)不低于70元/人/月"


def item(**kw) -> EvalItem:
    data = {
        "id": "E001",
        "persona": "family",
        "type": "numeric",
        "question": "我爸今年91了，高龄津贴一个月有多少？",
        "answerable": True,
        "gold_doc": DN28,
        "gold_quotes": [Q150],
        "answer_keypoints": ["150元"],
        "notes": "",
    }
    data.update(kw)
    return EvalItem(**data)


def cite(
    quote: str, doc: str | None = DN28, chunk_id: str = "c8", title: str = "长治市基本养老服务清单"
) -> Citation:
    return Citation(
        doc_number=doc,
        doc_title=title,
        section=f"{doc} › 附件 › 高龄津贴",
        quote=quote,
        chunk_id=chunk_id,
        source="g.txt",
    )


def passage(text: str, chunk_id: str, doc: str = DN28) -> Passage:
    return Passage(chunk_id=chunk_id, doc_number=doc, section=f"{doc} › x", text=text, score=0.5)


def answer(
    text: str, citations=(), passages=(), refused: bool = False, total: float | None = 100.0
) -> Answer:
    return Answer(
        question="q",
        answer=text,
        refused=refused,
        citations=list(citations),
        passages=list(passages),
        timings_ms={} if total is None else {"total": total},
    )


GOOD = answer(
    "不低于150元/人/月（90周岁至99周岁）。由市民政局负责发放。",
    citations=[cite(Q150)],
    passages=[passage(ROW8, "c8"), passage(MINING, "m2", DN13)],
)


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chinese", "arabic"),
    [
        ("一百五十元", "150元"),
        ("九十一岁", "91岁"),
        ("二〇二四年十月十四日", "2024年10月14日"),
        ("百分之五十", "50%"),
        ("三个月", "3个月"),
        ("长政办发[2024]28号", "长政办发〔2024〕28号"),
        ("１５０元", "150元"),
        ("2024-10-14", "2024年10月14日"),
        ("1,000元", "1000元"),
    ],
)
def test_chinese_numerals_and_widths_match_arabic(chinese: str, arabic: str) -> None:
    assert norm(chinese) == norm(arabic)


def test_words_with_numeral_characters_are_left_alone() -> None:
    # 统一 and the conversion's filler 一 (60(含)一65) are not numbers; 十分 means "very".
    assert norm("统一") == "统一"
    assert norm("60(含)一65周岁") == "60(含)一65周岁"
    assert norm("十分重要，老百姓") == "十分重要,老百姓"


def test_first_sentence_stops_at_the_first_terminator() -> None:
    assert first_sentence("不低于150元。条件如下") == "不低于150元。"
    assert first_sentence("第一行\n第二行。") == "第一行\n"
    assert first_sentence("没有句号") == "没有句号"


# --- retrieval -------------------------------------------------------------------------------


def test_hit_recall_and_mrr_follow_the_rank_of_the_gold_passage() -> None:
    it = item(gold_quotes=[Q150, MINING])
    ans = answer("…", passages=[passage("无关", "a"), passage("无关2", "b"), passage(ROW8, "c8")])
    assert hit_at_k(it, ans, 1) is False
    assert hit_at_k(it, ans, 3) is True
    assert recall_at_k(it, ans, 3) == 0.5  # the mining clause was never retrieved
    assert reciprocal_rank(it, ans) == pytest.approx(1 / 3)


def test_a_quote_of_adjacent_cells_is_found_in_a_row_passage() -> None:
    """A gold quote written as the printed table shows it ("cell | cell") is in the passage of
    that row, whose cells the product joins with tabs; one of other cells is not."""
    it = item(gold_quotes=["90周岁(含)至99周岁(含) | 不低于150元/人/月"])
    row = passage("高龄津贴\t90周岁(含)至99周岁(含)\t不低于150元/人/月\t市民政局", "r")
    other = passage("高龄津贴\t80周岁(含)至89周岁(含)\t不低于70元/人/月", "o")
    assert hit_at_k(it, answer("…", passages=[row]), 1) is True
    assert hit_at_k(it, answer("…", passages=[other]), 1) is False


def test_retrieval_metrics_are_zero_when_nothing_relevant_is_retrieved() -> None:
    ans = answer("…", passages=[passage("无关", "a")])
    assert hit_at_k(item(), ans, 10) is False
    assert recall_at_k(item(), ans, 10) == 0.0
    assert reciprocal_rank(item(), ans) == 0.0
    no_gold = item().model_copy(update={"gold_quotes": []})  # not a valid dataset item, but possible
    assert hit_at_k(no_gold, ans, 5) is None


def test_gold_quote_matches_a_passage_after_folding() -> None:
    spaced = ROW8.replace("不低于150", "不低于 150 ").replace("(", "（").replace(")", "）")
    assert hit_at_k(item(), answer("…", passages=[passage(spaced, "c8")]), 1) is True


# --- citations -------------------------------------------------------------------------------


def test_verbatim_citation_counts_and_a_made_up_quote_does_not() -> None:
    assert citation_verbatim_counts(GOOD, DOC_TEXTS)[:2] == (1, 1)
    bad = answer("不低于200元。", citations=[cite("90周岁以上不低于200元/人/月")])
    ok, total, reasons = citation_verbatim_counts(bad, DOC_TEXTS)
    assert (ok, total) == (0, 1)
    assert "not verbatim" in reasons[0]


def test_citation_of_an_unknown_document_is_not_verbatim() -> None:
    ans = answer("x", citations=[cite(Q150, doc="长政办函〔2024〕28号")])
    ok, total, reasons = citation_verbatim_counts(ans, DOC_TEXTS)
    assert (ok, total) == (0, 1)
    assert "not in the corpus" in reasons[0]


def test_citation_document_lookup_treats_square_brackets_as_lenticular() -> None:
    ans = answer("x", citations=[cite(Q150, doc="长政办发[2024]28号")])
    assert citation_verbatim_counts(ans, DOC_TEXTS)[:2] == (1, 1)


def test_citation_precision_counts_only_citations_that_support_the_answer() -> None:
    ans = answer("不低于150元/人/月。", citations=[cite(Q150), cite("物质帮助")])
    assert citation_precision(item(), ans, DOC_TEXTS) == 0.5
    assert citation_precision(item(), answer("x"), DOC_TEXTS) is None


def test_citation_precision_is_zero_for_a_relevant_but_not_verbatim_quote() -> None:
    ans = answer("不低于150元/人/月。", citations=[cite("不低于150元/人/月，按季发放")])
    assert citation_precision(item(), ans, DOC_TEXTS) == 0.0


def test_citation_recall_by_overlap_by_chunk_and_not_by_a_fragment() -> None:
    half = Q150[: len(Q150) // 2 + 2]  # covers just over half of the gold quote
    assert citation_recall(item(), answer("x", citations=[cite(half, chunk_id="zz")])) == 1.0
    # a short quote, but the cited chunk's passage holds the whole gold quote
    in_chunk = answer("x", citations=[cite("物质帮助", chunk_id="c8")], passages=[passage(ROW8, "c8")])
    assert citation_recall(item(), in_chunk) == 1.0
    fragment = answer("x", citations=[cite("不低于150元", chunk_id="zz")])
    assert citation_recall(item(), fragment) == 0.0
    assert citation_recall(item(gold_quotes=[Q150, Q70]), answer("x", citations=[cite(Q150)])) == 0.5


# --- answers ---------------------------------------------------------------------------------


def test_keypoints_match_chinese_numerals() -> None:
    ans = answer("每月不低于一百五十元。")
    assert keypoint_accuracy(item(), ans) == 1.0
    assert keypoint_accuracy(item(answer_keypoints=["150元", "市民政局"]), ans) == 0.5
    assert keypoint_accuracy(item(), answer("不低于70元。")) == 0.0


def test_keypoints_in_first_sentence_only_count_the_first_sentence() -> None:
    late = answer("高龄津贴按年龄分档发放。90周岁(含)至99周岁(含)不低于150元/人/月。")
    assert keypoint_accuracy(item(), late) == 1.0
    assert keypoints_first_sentence(item(), late) == 0.0
    assert keypoints_first_sentence(item(), GOOD) == 1.0


def test_extract_facts_finds_doc_numbers_dates_and_quantities() -> None:
    facts = extract_facts(
        "依据长政办发[2024]28号，2024年9月20日起，90周岁以上每月一百五十元，占比百分之五。\n1. 第一项"
    )
    assert facts == [DN28, "2024年9月20日", "90岁", "150元", "5%"]


def test_answer_with_an_amount_not_in_the_cited_text_is_unfaithful() -> None:
    ans = answer("不低于70元/人/月。", citations=[cite(Q150)], passages=[passage(Q150, "c8")])
    assert unsupported_facts(ans) == ["70元"]
    s = score_item(item(answer_keypoints=[]), ans, DOC_TEXTS)
    assert s.faithful is False
    assert any("unfaithful" in r and "70元" in r for r in s.reasons)


def test_digits_inside_a_larger_number_do_not_count_as_support() -> None:
    ans = answer("不低于50元。", citations=[cite(Q150)])
    assert unsupported_facts(ans) == ["50元"]


def test_faithful_answer_may_use_the_citation_doc_number_ranges_and_the_question() -> None:
    ans = answer(
        f"您父亲91岁，依据{DN28}，90岁至99岁不低于150元/人/月。",
        citations=[cite(Q150, chunk_id="c8")],
        passages=[passage(ROW8, "c8")],
    )
    assert unsupported_facts(ans, question="我爸今年91了") == []
    assert unsupported_facts(ans) == ["91岁"]


def test_a_date_or_doc_number_not_in_the_evidence_is_unfaithful() -> None:
    ans = answer(f"自2024年10月1日起执行，见{DN13}。", citations=[cite(Q150)])
    facts = unsupported_facts(ans)
    assert len(facts) == 2
    assert facts[0].endswith(DN13)  # the issuer may come out with the 见 before it
    assert facts[1] == "2024年10月1日"


# --- pass / fail and refusal ------------------------------------------------------------------


def test_good_answer_passes_with_no_reasons() -> None:
    s = score_item(item(), GOOD, DOC_TEXTS)
    assert s.passed, s.reasons
    assert s.hit_at[5] is True
    assert s.faithful is True
    assert s.citation_recall == 1.0


def test_answerable_item_fails_for_each_missing_property() -> None:
    no_cites = answer("不低于150元/人/月。", passages=[passage(ROW8, "c8")])
    assert "no citations" in score_item(item(), no_cites, DOC_TEXTS).reasons
    not_retrieved = GOOD.model_copy(update={"passages": [passage("无关", "a")]})
    assert "no gold quote in the top 5 passages" in score_item(item(), not_retrieved, DOC_TEXTS).reasons
    refused = answer(NOT_IN_GAZETTE, refused=True, passages=[passage(ROW8, "c8")])
    reasons = score_item(item(), refused, DOC_TEXTS).reasons
    assert "refused an answerable question" in reasons
    assert any(r.startswith("missing keypoints") for r in reasons)


def test_unanswerable_item_passes_only_when_refused_without_inventions() -> None:
    un = item(
        id="U1", type="unanswerable", answerable=False, gold_doc=None, gold_quotes=[], answer_keypoints=[]
    )
    assert score_item(un, answer(NOT_IN_GAZETTE, refused=True), DOC_TEXTS).passed
    answered = score_item(un, answer("每月发放200元。"), DOC_TEXTS)
    assert not answered.passed
    assert "answered a question the gazette does not answer" in answered.reasons
    invented = score_item(
        un, answer(NOT_IN_GAZETTE + "可参考长政办发〔2023〕99号，每月200元。", refused=True), DOC_TEXTS
    )
    assert not invented.passed
    assert [f[-len("长政办发〔2023〕99号") :] for f in invented.invented_facts[:1]] == [
        "长政办发〔2023〕99号"
    ]
    assert invented.invented_facts[1:] == ["200元"]
    # a real 文号 from the corpus is a pointer, not an invention
    pointer = score_item(un, answer(NOT_IN_GAZETTE + f"相关规定见{DN28}。", refused=True), DOC_TEXTS)
    assert pointer.passed, pointer.reasons


def test_adversarial_items_follow_their_answerable_flag() -> None:
    trap = item(
        id="A1", type="adversarial", answerable=False, gold_doc=None, gold_quotes=[], answer_keypoints=[]
    )
    assert score_item(trap, answer(NOT_IN_GAZETTE, refused=True), DOC_TEXTS).passed
    assert not score_item(trap, GOOD, DOC_TEXTS).passed
    fair = item(id="A2", type="adversarial")
    assert score_item(fair, GOOD, DOC_TEXTS).passed


def test_refusal_accuracy_and_false_refusal_rate() -> None:
    un = item(
        id="U1", type="out_of_scope", answerable=False, gold_doc=None, gold_quotes=[], answer_keypoints=[]
    )
    refusal = answer(NOT_IN_GAZETTE, refused=True)
    scores = [
        score_item(un, refusal, DOC_TEXTS),
        score_item(un.model_copy(update={"id": "U2"}), answer("大概100元。"), DOC_TEXTS),
        score_item(item(), GOOD, DOC_TEXTS),
        score_item(item(id="E2"), refusal, DOC_TEXTS),
        score_item(item(id="E3"), GOOD, DOC_TEXTS),
        score_item(item(id="E4"), GOOD, DOC_TEXTS),
    ]
    m = aggregate(scores)
    assert m["refusal_accuracy"] == 0.5
    assert m["false_refusal_rate"] == 0.25
    assert m["pass_rate"] == pytest.approx(4 / 6)
    # faithfulness counts answers that were given (not refusals): 3 good + one made-up 100元
    assert m["faithfulness"] == 0.75


def test_citation_verbatim_aggregates_over_all_citations() -> None:
    bad = answer("不低于150元/人/月。", citations=[cite(Q150), cite("编造的话")])
    m = aggregate([score_item(item(), GOOD, DOC_TEXTS), score_item(item(id="E2"), bad, DOC_TEXTS)])
    assert m["n_citations"] == 3
    assert m["citation_verbatim"] == pytest.approx(2 / 3)


def test_latency_percentiles() -> None:
    assert percentile([10, 20, 30, 40, 50], 50) == 30
    assert percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48)
    assert percentile([], 50) is None
    scores = [
        score_item(item(id=f"E{i}"), GOOD.model_copy(update={"timings_ms": {"total": float(i)}}), DOC_TEXTS)
        for i in range(1, 101)
    ]
    m = aggregate(scores)
    assert m["latency_p50_ms"] == pytest.approx(50.5)
    assert m["latency_p95_ms"] == pytest.approx(95.05)


def test_breakdown_by_type_persona_and_every_gold_document() -> None:
    both = item(id="M1", type="multi_hop", persona="official", gold_doc=[DN28, DN13])
    scores = [score_item(item(), GOOD, DOC_TEXTS), score_item(both, GOOD, DOC_TEXTS)]
    b = breakdown(scores)
    assert b["overall"]["n"] == 2
    assert set(b["by_type"]) == {"numeric", "multi_hop"}
    assert set(b["by_persona"]) == {"family", "official"}
    assert b["by_document"][DN28]["n"] == 2
    assert b["by_document"][DN13]["n"] == 1
