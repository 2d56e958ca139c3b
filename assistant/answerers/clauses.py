"""Clauses, paragraphs and articles: the sentence that answers, a whole enumerated list,
or the lines of a member roster."""

from __future__ import annotations

import re

from assistant.answerers.base import Draft, Piece
from assistant.answerers.text import AGENCY, asks_two_things, join_tiers, rank_by_overlap, sentences, trim
from assistant.asks import KINDS, holds
from assistant.query import Query, age_fits
from assistant.retrieval import Hit, Retriever
from core.keywords import tokenize
from core.schema import Chunk


class ClauseAnswerer:
    """Answers from running text: clauses, paragraphs, articles."""

    kinds = ("clause", "paragraph", "article")

    def __init__(self, retriever: Retriever):
        self.r = retriever

    def survey(self, q: Query) -> Draft | None:
        return None

    def answer(self, q: Query, best: Hit, hits: list[Hit]) -> Draft:
        for h in hits[:3]:
            roster = self._roster(q, h.chunk)
            if roster is not None:
                return roster
        if self._is_list_question(q, best.chunk):
            return self._whole_list(q, best.chunk)
        parallel = self._parallel(q, best.chunk)
        if parallel is not None:
            return parallel
        return self._clause(q, best, hits)

    def _parallel(self, q: Query, c: Chunk) -> Draft | None:
        """A list question answered by paragraphs printed one after another in the same shape
        (免去…；免去…；免去…): every paragraph of the section that opens with the same words."""
        if not q.wants("list") or c.kind != "paragraph" or len(c.text) > 120:
            return None
        head = c.text.strip()[:2]
        same = [
            x
            for x in self.r.by_section.get(c.section, [])
            if x.doc_id == c.doc_id
            and x.kind == "paragraph"
            and x.text.strip().startswith(head)
            and len(x.text) <= 120
        ]
        if not 2 <= len(same) <= 20:
            return None
        lines = [trim(x.text.strip()) for x in same]
        return Draft("；".join(lines) + "。", [Piece(x, line) for x, line in zip(same, lines, strict=True)])

    def article(self, q: Query, doc_ids: list[str]) -> Draft | None:
        """The article the question names (第二十条) of a document it names, whole."""
        for doc_id in doc_ids:
            for label in q.articles:
                found = [c for c in self.r.by_doc.get(doc_id, []) if c.text.lstrip().startswith(label)]
                if found:
                    c = found[0]
                    parts = [c, *self.r.children(c)]
                    text = "\n".join(x.text.strip() for x in parts)
                    return Draft(text, [Piece(x, x.text.strip()) for x in parts])
        return None

    def _is_list_question(self, q: Query, c: Chunk) -> bool:
        if not q.wants("list"):
            return False
        return bool(self.r.children(c)) or self._list_parent(c) is not None

    def _list_parent(self, c: Chunk) -> Chunk | None:
        parent = self.r.parent_of(c)
        if parent is not None and parent.chunk_id != c.chunk_id and self.r.children(parent):
            return parent
        return None

    def _whole_list(self, q: Query, c: Chunk) -> Draft:
        head = c if self.r.children(c) else self._list_parent(c)
        assert head is not None
        depth = head.section.count(" › ") + 1
        items = [x for x in self.r.children(head) if x.section.count(" › ") == depth]
        intro = sentences(head.text)
        whole = head.text.strip()
        if whole.endswith(("：", ":")) and len(whole) <= 200:
            lead = whole.rstrip("：:")  # the list's own introduction, all of it (…下列情形之一的，…：)
        else:
            lead = trim(next((s for s in intro if len(s) > 8), head.text)).rstrip("：:")
        # one enumerating sentence, as the gazette's own list reads: intro：(1)…；(2)…。
        rows = [x for x in items if x.kind == "table_row"]
        if rows and len(rows) == len(items):  # a table printed under the introduction: row by row
            cells = [[cell.strip() for cell in x.text.split("\t") if cell.strip()] for x in rows]
            body = "；".join("：".join(row) for row in cells) + "。"
            pieces = [Piece(head, lead)] + [
                Piece(x, cell) for x, row in zip(rows, cells, strict=True) for cell in row
            ]
            return Draft(f"{lead}：{body}", pieces)
        body = "".join(x.text.strip() for x in items)
        body = body[:-1].replace("。", "；") + body[-1:] if body else body
        pieces = [Piece(head, lead)] + [Piece(x, trim(x.text)) for x in items]
        return Draft(f"{lead}：{body}", pieces)

    def _clause(self, q: Query, best: Hit, hits: list[Hit]) -> Draft:
        """Rank sentences across the best chunk's whole clause, its items, and the other top
        passages: a retrieval prior plus rare-word overlap plus fit to the kind of answer asked."""
        c = best.chunk
        prior: dict[str, float] = {}
        for u in self.r.by_section.get(c.section, [c]) + self.r.children(c):
            prior[u.chunk_id] = 1.0
        top_score = max(best.score, 1e-9)
        for h in hits[:5]:
            if h.chunk.kind in ("clause", "paragraph", "article") and not h.chunk.section.endswith("落款"):
                prior.setdefault(h.chunk.chunk_id, max(0.0, h.score / top_score))
        candidates: list[tuple[Chunk, str, float]] = []
        for cid, p in prior.items():
            u = self.r.by_id[cid]
            if u.kind == "preamble":
                continue
            sents = join_tiers(sentences(u.text, keep_enumerations=q.wants("list")))
            sents = [x for x in sents if not (len(x) < 40 and x.endswith((":", "：")))]  # 各县、区人民政府…:
            if u.kind == "clause" and len(sents) > 1 and len(sents[0]) <= 24 and u.text.startswith(sents[0]):
                sents = sents[1:]  # "8. 建立长期照护保障制度。" is the heading, not an answer
            candidates.extend((u, s, p) for s in sents)
        if not candidates:
            return Draft(c.text, [Piece(c, c.text)])
        base = rank_by_overlap(
            q.text, [s for _, s, _ in candidates], [u.doc_title + u.section for u, _, _ in candidates]
        )

        def score(i: int) -> float:
            _, s, p = candidates[i]
            v = base[i] + 0.35 * p
            if any(k.strict and k.name in q.intents and holds(k.name, s) for k in KINDS):
                v += 0.4  # holds what is asked: the amount, the date, the phone number…
            if q.wants("who") and AGENCY.search(s):
                v += 0.15
            if q.ages and any(age_fits(s, a) for a in q.ages):
                v += 0.3
            if q.wants("list") and (s.count("、") >= 3 or s.count("(") >= 3):
                v += 0.2  # an enumeration answers "哪些/哪六个"
            if len(s) <= 10:
                v -= 0.5  # a fragment says nothing by itself
            return v

        order = sorted(range(len(candidates)), key=lambda i: -score(i))
        top = order[0]
        lead_chunk, lead, _ = candidates[top]
        lead = _with_antecedent(lead_chunk.text, lead)
        # a second sentence comes from the lead's own document, unless two are asked about
        across = q.wants("comparison") or len(q.doc_numbers) > 1
        seconds = [i for i in order[1:] if across or candidates[i][0].doc_id == lead_chunk.doc_id]
        second = seconds[0] if seconds and score(seconds[0]) >= 0.6 * score(top) else None
        pieces = [Piece(lead_chunk, trim(lead))]
        head = self._list_parent(lead_chunk)
        if (
            head is not None
            and lead_chunk.kind == "clause"
            and re.match(r"^[(（]\d+[)）]", lead_chunk.text)
            and re.search(r"以下情况|以下情形|下列", head.text)
        ):
            # an item of a list clause: say which list ("2. 引导退出") it belongs to
            label = head.section.rsplit(" › ", 1)[-1]
            lead = f"属于“{label}”的情形：{lead}"
        if second is not None and asks_two_things(q):
            # a two-part question gets both parts in its first sentence
            u2, s2, _ = candidates[second]
            pieces.append(Piece(u2, trim(s2)))
            return Draft(f"{trim(lead)}；{trim(s2)}。", pieces)
        text = trim(lead) + "。"
        if second is not None:
            u2, s2, _ = candidates[second]
            text += "\n" + s2
            pieces.append(Piece(u2, trim(s2)))
        return Draft(text, pieces)

    ROLE = re.compile(r"^([\u4e00-\u9fff ]{1,8})[:：]")

    def _roster(self, q: Query, c: Chunk) -> Draft | None:
        """A member list (组长:… / 副组长:… / 成员:…): the lines under the role the question
        names, or the line of the office it names (市某局是谁 -> 张三 市某局局长)."""
        lines = [ln.strip() for ln in c.text.split("\n") if ln.strip()]
        roles = [
            (i, re.sub(r"\s+", "", m.group(1))) for i, ln in enumerate(lines) if (m := self.ROLE.match(ln))
        ]
        if len(roles) < 2:
            return None
        asked = [(i, r) for i, r in roles if r in q.text.replace(" ", "")]
        if asked:
            i, role = max(asked, key=lambda t: len(t[1]))  # 副组长 before 组长
            nxt = next((j for j, _ in roles if j > i), len(lines))
            chosen = lines[i:nxt]
            body = "；".join(
                self.ROLE.sub("", ln, count=1).strip() if k == 0 else ln for k, ln in enumerate(chosen)
            )
            return Draft(f"{role}：{body}。", [Piece(c, ln) for ln in chosen])
        offices = [t for t in tokenize(q.text) if len(t) >= 3]
        named = [ln for ln in lines if any(t in ln.replace(" ", "") for t in offices)]
        if offices and 1 <= len(named) <= 3:
            return Draft("；".join(named) + "。", [Piece(c, ln) for ln in named])
        return None


def _with_antecedent(text: str, lead: str) -> str:
    """A sentence that points back ("…同时废止", "同日起…") read with the sentence before it
    in the same passage, which says when: "本方案自2025年3月1日起施行。《…》同时废止。"."""
    if not re.search(r"同时(?:废止|失效|停止执行)|同日起|届时", lead):
        return lead
    sents = sentences(text)
    i = sents.index(lead) if lead in sents else -1
    if i <= 0 or len(sents[i - 1]) + len(lead) > 200:
        return lead
    return sents[i - 1] + lead
