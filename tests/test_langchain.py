"""The gazette as LangChain parts: GazetteRetriever in anyone's LCEL chain, cited Documents."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableParallel, RunnablePassthrough

from assistant import Assistant, GazetteRetriever, fold

QUESTION = "我爸今年91了，高龄津贴一个月有多少？"
CITATION_KEYS = {
    "chunk_id",
    "doc_id",
    "doc_number",
    "doc_title",
    "section",
    "issue",
    "page",
    "status",
    "source",
}


@pytest.fixture(scope="module")
def bot(bundled_index) -> Assistant:
    return Assistant.load(bundled_index)


def test_retriever_returns_documents_with_citation_metadata(bot):
    retriever = bot.as_retriever(k=3)
    assert isinstance(retriever, GazetteRetriever)
    docs = retriever.invoke(QUESTION)
    assert 1 <= len(docs) <= 3 and all(isinstance(d, Document) for d in docs)
    assert all(set(d.metadata) >= CITATION_KEYS for d in docs)
    texts = {d.doc_number: fold(t) for d, t in ((bot.document(k), v) for k, v in bot.doc_texts().items())}
    for d in docs:  # each passage is the document's own words
        assert fold(d.page_content) in texts[d.metadata["doc_number"]]
    assert any("150元" in d.page_content for d in docs)
    assert docs[0].metadata["section"].startswith(docs[0].metadata["doc_number"])


def test_document_filter_limits_the_retriever(bot):
    other = next(d for d in bot.documents() if "150元" not in bot.doc_texts()[d.id])
    docs = bot.as_retriever(k=5, doc_ids=[other.id]).invoke(QUESTION)
    assert docs and {d.metadata["doc_id"] for d in docs} == {other.id}


def test_an_lcel_chain_with_a_fake_chat_model_returns_cited_documents(bot):
    prompt = ChatPromptTemplate.from_messages(
        [("system", "只根据资料回答。"), ("human", "资料：{context}\n问题：{question}")]
    )
    model = FakeListChatModel(responses=["不低于150元/人/月[1]"])

    def context(inputs: dict) -> str:
        return "\n".join(f"[{i}] {d.page_content}" for i, d in enumerate(inputs["docs"], 1))

    chain = RunnableParallel(docs=bot.as_retriever(k=3), question=RunnablePassthrough()).assign(
        answer=(lambda x: {"context": context(x), "question": x["question"]})
        | prompt
        | model
        | StrOutputParser()
    )
    out = chain.invoke(QUESTION)
    assert out["answer"] == "不低于150元/人/月[1]"
    assert out["docs"] and all(d.metadata["doc_number"] for d in out["docs"])
    assert any("150元" in d.page_content for d in out["docs"])
