"""The gazette index as a LangChain retriever, for anyone's LCEL chain.

Each ``Document`` carries the passage text and the citation metadata a reader needs to check
it: 文号, title, section path, gazette issue, page, validity and the chunk id. Our own verified
extractive answerer stays our own; this is the retrieval half, for chains built elsewhere.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.query import parse_query
from assistant.retrieval import Hit, Retriever


def hit_document(hit: Hit) -> Document:
    """One retrieved passage as a LangChain Document with its citation metadata."""
    c = hit.chunk
    metadata = {
        "chunk_id": c.chunk_id,
        "doc_id": c.doc_id,
        "doc_number": c.doc_number,
        "doc_title": c.doc_title,
        "section": c.section,
        "issue": c.issue,
        "page": c.page,
        "status": c.status,
        "kind": c.kind,
        "source": c.source,
        "score": round(float(hit.score), 4),
    }
    return Document(page_content=c.text, metadata={k: v for k, v in metadata.items() if v is not None})


class GazetteRetriever(BaseRetriever):
    """Hybrid gazette retrieval (dense + BM25, routing by 文号) behind LangChain's retriever interface."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any = Field(exclude=True)  # an assistant.retrieval.Retriever
    k: int = 5
    doc_ids: list[str] | None = None  # limit to these documents (None: all)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        r: Retriever = self.retriever
        hits = r.search(parse_query(query), top_k=self.k, doc_ids=self.doc_ids or None)
        return [hit_document(h) for h in hits[: self.k]]
