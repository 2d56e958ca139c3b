"""Document facts: what a document is, who signed it and when, documents by signing date,
and a document number that several documents share."""

from __future__ import annotations

import re

from assistant.answerers.base import Draft, Piece
from assistant.query import Query
from assistant.retrieval import Hit, Retriever
from core.schema import Chunk


class DocumentAnswerer:
    """Answers from a document's title, 落款 (signature and date) and metadata."""

    kinds = ("preamble",)

    def __init__(self, retriever: Retriever):
        self.r = retriever

    def survey(self, q: Query) -> Draft | None:
        """Every document signed on the date the question names ("哪些文件是…年…月…日签发的")."""
        if not q.wants("list") and "哪些" not in q.text:
            return None
        date = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", q.text)
        asks_documents = re.search(
            r"(?:哪些|哪几|什么|几)[份个件篇]?(?:文件|文|通知|通告|公告|决定|方案|意见)", q.text
        )
        if date and asks_documents and any(w in q.text for w in ("签发", "印发", "发布", "落款", "发的")):
            iso = f"{date.group(1)}-{int(date.group(2)):02d}-{int(date.group(3)):02d}"
            docs = [d for d in self.r.docs.values() if d.date == iso]
            if not docs:
                return None
            pieces, names = [], []
            for d in docs:
                sig = self.signature(d.id)
                if sig is not None:
                    pieces.append(Piece(sig, sig.text.split("\n")[-1]))
                head = self.title_chunk(d.id)
                if head is not None:
                    pieces.append(Piece(head, d.title))
                names.append(d.full_name)
            return Draft(f"落款日期为{date.group(0)}的文件有：" + "；".join(names) + "。", pieces)
        return None

    @staticmethod
    def asks_about_document(q: Query) -> bool:
        return any(
            w in q.text
            for w in (
                "关于什么",
                "是什么文件",
                "什么文件",
                "标题",
                "名称",
                "讲什么",
                "讲的什么",
                "哪个文件",
                "内容是什么",
            )
        )

    # -- documents -------------------------------------------------------------------------

    def signature(self, doc_id: str) -> Chunk | None:
        return next((c for c in self.r.by_doc.get(doc_id, []) if c.section.endswith("落款")), None)

    def title_chunk(self, doc_id: str) -> Chunk | None:
        return next((c for c in self.r.by_doc.get(doc_id, []) if c.kind == "preamble"), None)

    def about_document(self, q: Query, doc_id: str) -> Draft:
        head = self.title_chunk(doc_id)
        doc = self.r.docs[doc_id]
        pieces = [Piece(head, doc.title)] if head else []
        if doc.doc_number:
            text = f"{doc.doc_number}是《{doc.title}》"
        else:  # a law, or a gazette document without 文号 (通告, 任免, 解读): its title names it
            text = f"《{doc.title}》" + ("（无文号）" if doc.kind == "gazette" else "")
        sig = self.signature(doc_id)
        if sig is not None:
            lines = sig.text.split("\n")
            text += f"，落款为{lines[0]}，{lines[-1]}" if len(lines) > 1 else f"，落款日期{lines[-1]}"
            pieces.append(Piece(sig, sig.text))
        text += "。"
        if doc.status == "repealed":
            text += "据已收录的目录，该文件已废止或失效。"
        return Draft(text, pieces)

    def answer(self, q: Query, best: Hit, hits: list[Hit]) -> Draft:
        return self.about_document(q, best.chunk.doc_id)

    def ambiguous_number(self, doc_ids: list[str]) -> Draft:
        parts, pieces = [], []
        for did in doc_ids:
            doc = self.r.docs[did]
            parts.append(doc.full_name)
            head = self.title_chunk(did)
            if head:
                pieces.append(Piece(head, doc.title))
        text = "您说的编号对应公报中的多份文件：" + "；".join(parts) + "。请说明是哪一份（发文字号不同）。"
        return Draft(text, pieces, notes=["ambiguous document number: several documents match"])

    # -- tables ----------------------------------------------------------------------------
