"""List entries: the printed lists of documents (valid / repealed), one entry or all that fit."""

from __future__ import annotations

import re

from assistant.answerers.base import Draft, Piece
from assistant.answerers.text import overlap
from assistant.query import Query
from assistant.retrieval import Hit, Retriever
from core.schema import Chunk


class ListEntryAnswerer:
    """Answers from entries of a printed list of documents."""

    kinds = ("list_entry",)

    def __init__(self, retriever: Retriever):
        self.r = retriever

    def survey(self, q: Query) -> Draft | None:
        """A complete list by a condition the printed lists carry:
        "继续有效的文件里哪些是2021年及以后发的" (status, year, issuer)."""
        if not q.wants("list") and "哪些" not in q.text:
            return None
        status = (
            "valid"
            if re.search(r"继续有效|仍然有效|还有效的", q.text)
            else "repealed"
            if re.search(r"废止|失效", q.text)
            else None
        )
        if status is None:
            return None
        entries = [c for c in self.r.chunks if c.kind == "list_entry" and c.status == status]
        listing = self.r.route(q)
        if listing:  # "某〔2025〕14号废止了哪些": the list printed in that document
            entries = [c for c in entries if c.doc_id in listing]
        entries, printed = _by_printed_result(q.text, entries)
        if not entries:
            return None
        year = re.search(r"(\d{4})年?(及|以)(以后|后|之后|以来)", q.text)
        before = re.search(r"(\d{4})年?(及|以)?(以前|前|之前)", q.text)
        chosen = entries
        if year:
            chosen = [
                c
                for c in chosen
                if int(re.search(r"〔(\d{4})〕", c.fields.get("文号", "〔0〕")).group(1))
                >= int(year.group(1))
            ]
        elif before:
            chosen = [
                c
                for c in chosen
                if int(re.search(r"〔(\d{4})〕", c.fields.get("文号", "〔0〕")).group(1))
                <= int(before.group(1))
            ]
        office = re.search(r"(不是|非|除了?)\s*(办公室|办公厅)", q.text)
        if office:
            chosen = [
                c
                for c in chosen
                if "办公室" not in c.fields.get("标题", "")[:12]
                and "办公厅" not in c.fields.get("标题", "")[:12]
            ]
        elif re.search(r"办公室|办公厅", q.text):
            chosen = [c for c in chosen if re.search(r"办公室|办公厅", c.fields.get("标题", "")[:12])]
        if not chosen:
            return None
        if not (year or before or office or listing) and not q.wants("list"):
            return None  # one entry asked about: retrieval finds it
        label = printed or ("继续有效" if status == "valid" else "废止或失效")
        names = [f"{c.fields.get('文号', '')}《{c.fields.get('标题', '')}》" for c in chosen]
        pieces = [Piece(c, p) for c in chosen for p in c.text.split("\n") if p.strip()]
        lead = "符合条件的" if (year or before or office) else ""
        return Draft(f"{lead}{label}的文件共{len(chosen)}件：" + "；".join(names) + "。", pieces)

    def validity(self, q: Query, doc_ids: list[str]) -> Draft | None:
        """Is a named document in force? What the printed lists say of it, cited."""
        for doc_id in doc_ids:
            number = self.r.docs[doc_id].doc_number
            listed = [
                c
                for c in self.r.chunks
                if c.kind == "list_entry" and number and c.fields.get("文号") == number
            ]
            if listed:
                return self.entries(q, listed)
        return self._unlisted(doc_ids[0]) if doc_ids else None

    def _unlisted(self, doc_id: str) -> Draft | None:
        """A numbered document no printed list names: say so, name the lists looked in, and the
        entries whose numbers differ only in series or year (〔2025〕5号 is not 〔2024〕5号)."""
        doc = self.r.docs[doc_id]
        entries = [c for c in self.r.chunks if c.kind == "list_entry"]
        head = next((c for c in self.r.by_doc.get(doc_id, []) if c.kind == "preamble"), None)
        if not entries or not doc.doc_number or head is None:
            return None
        lists = [self.r.docs[i] for i in dict.fromkeys(c.doc_id for c in entries) if i in self.r.docs]
        heads = [c for d in lists for c in self.r.by_doc.get(d.id, [])[:1] if c.kind == "preamble"]
        similar = [c for c in entries if _near_number(c.fields.get("文号", ""), doc.doc_number)]
        text = (
            f"{doc.doc_number}《{doc.title}》没有列在已收录的文件目录中（"
            + "、".join(d.doc_number or f"《{d.title}》" for d in lists)
            + "）。"
        )
        if similar:
            text += (
                "目录中编号相近的是："
                + "；".join(self._list_entry(c).text.split("：", 1)[0] for c in similar)
                + "。"
            )
        pieces = [Piece(head, doc.title), *(Piece(c, self.r.docs[c.doc_id].title) for c in heads)]
        pieces += [p for c in similar for p in self._list_entry(c).pieces]
        return Draft(text, pieces, notes=["validity: the document is in no printed list"])

    def answer(self, q: Query, best: Hit, hits: list[Hit]) -> Draft:
        return self.entries(q, [h.chunk for h in hits[:5] if h.chunk.kind == "list_entry"])

    def entries(self, q: Query, entries: list[Chunk]) -> Draft:
        """The entry asked about, and others that fit the question as well (两个城中村改造的文件)."""
        best = entries[0]
        named = [e for e in entries if e.fields.get("文号") in q.doc_numbers]
        if named:
            chosen = named
        else:
            top = overlap(q.text, best.fields.get("标题", ""))
            chosen = [
                e for e in entries if overlap(q.text, e.fields.get("标题", "")) >= max(0.8 * top, 0.01)
            ] or [best]
        drafts = [self._list_entry(e) for e in chosen[:5]]
        if len(drafts) == 1:
            return self._since_when(drafts[0], chosen[0])
        heads = [d.text.split("：", 1)[0] for d in drafts]
        where = [d.text.split("：", 1)[1].rstrip("。") for d in drafts if "：" in d.text]
        return Draft("；".join(heads) + "。\n" + "\n".join(where), [p for d in drafts for p in d.pieces])

    def _since_when(self, draft: Draft, entry: Chunk) -> Draft:
        """A repealed entry, with the sentence of its list's document that says from when the
        listed documents stop applying ("…自本决定公布之日起停止执行"), cited."""
        if entry.status != "repealed":
            return draft
        for c in self.r.by_doc.get(entry.doc_id, []):
            m = STOPS.search(c.text) if c.kind in ("clause", "paragraph") else None
            if m:
                said = m.group(0).strip()
                return Draft(
                    draft.text + "\n" + said, [*draft.pieces, Piece(c, said.rstrip("。；;"))], draft.notes
                )
        return draft

    def _list_entry(self, c: Chunk) -> Draft:
        f = c.fields
        status = {"valid": "继续有效", "repealed": "已废止或失效"}.get(c.status, "状态未注明")
        annex = c.section.split(" › ")[1] if " › " in c.section else ""
        listing = c.section.split(" › ")[0]
        title, number = f.get("标题", ""), f.get("文号", "")
        text = f"{number}《{title}》{status}：它列在{listing}的“{annex}”中（第{f.get('序号', '')}项）。"
        pieces = [Piece(c, p) for p in c.text.split("\n") if p.strip()]
        annex_title = annex.split(" ", 2)[-1] if annex else ""
        if annex_title:
            pieces.append(Piece(c, annex_title))
        return Draft(text, pieces)

    # -- clauses ---------------------------------------------------------------------------


NUMBER = re.compile(r"(.+)〔(\d{4})〕(\d+)号")


def _near_number(a: str, b: str) -> bool:
    """Two different 文号 with the same serial and either the same series or the same year."""
    ma, mb = NUMBER.fullmatch(a or ""), NUMBER.fullmatch(b or "")
    if not ma or not mb or a == b or ma.group(3) != mb.group(3):
        return False
    return ma.group(1) == mb.group(1) or ma.group(2) == mb.group(2)


# a sentence saying from when listed documents stop applying
STOPS = re.compile(r"[^。；;\n]*自[^。；;\n]{0,24}起[^。；;\n]{0,6}(?:停止执行|废止|失效)[^。；;\n]*[。；;]?")

# what a list prints as each entry's result, longest first (宣布失效 before 失效)
RESULT = re.compile(r"宣布失效|继续有效|废止|失效|保留|修改")


def _by_printed_result(question: str, entries: list[Chunk]) -> tuple[list[Chunk], str]:
    """A list that prints a result per entry (废止 / 宣布失效): the entries whose result the
    question names, when it names one of several ("哪两件被宣布失效"), and that result; all of
    them and "" otherwise."""

    def result(c: Chunk) -> str:
        cells = [x for x in c.text.split("\t") if x.strip()]
        m = RESULT.fullmatch(cells[-1].strip()) if len(cells) > 1 else None
        return m.group(0) if m else ""

    printed = {result(c) for c in entries} - {""}
    asked = [r for r in RESULT.findall(question) if r in printed]
    if len(printed) < 2 or len(set(asked)) != 1:
        return entries, ""
    return [c for c in entries if result(c) == asked[0]], asked[0]
