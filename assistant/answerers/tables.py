"""Table rows: a benefit row (the asker's band, the amount, the department), a duty row
(who does what under which clause), or the whole table."""

from __future__ import annotations

import re

from assistant.answerers.base import Draft, Piece
from assistant.answerers.text import asks_two_things, rank_by_overlap, sentences, trim
from assistant.asks import holds
from assistant.query import Query, age_fits, age_ranges
from assistant.retrieval import Hit, Retriever, key_name
from core.schema import Chunk, issue_series
from core.textnorm import fold


class TableRowAnswerer:
    """Answers from rows of a table."""

    kinds = ("table_row",)

    def __init__(self, retriever: Retriever):
        self.r = retriever

    def survey(self, q: Query) -> Draft | None:
        return None

    def answer(self, q: Query, best: Hit, hits: list[Hit]) -> Draft:
        c = best.chunk
        if self._asks_for_table(q, hits):
            return self._whole_table(c)
        if c.cells("standard"):
            return self._benefit_rows(q, c, hits)
        if not (c.column("lead") or c.column("partner") or c.column("basis")):
            return self._plain_row(c)
        return self._duty_row(q, c)

    def _plain_row(self, c: Chunk) -> Draft:
        """A row of a table that assigns no one and states no amount (a list of places, items
        and their extent): the whole row, under the section or caption the table is printed in."""
        cells = [cell.strip() for cell in c.text.split("\t") if cell.strip()]
        where = c.parent.rsplit(" › ", 1)[-1] if c.parent and " › " in c.parent else ""
        text = (f"“{where}”列有：" if where else "") + "：".join(cells) + "。"
        return Draft(text, [Piece(c, cell) for cell in cells])

    def _asks_for_table(self, q: Query, hits: list[Hit]) -> bool:
        """ "清单涉及哪些条款/项目": a list over the table itself, not one of its rows."""
        if q.ages or not q.wants("list") or not any(w in q.text for w in ("条款", "项目", "哪几项", "几项")):
            return False
        return not any(len(key_name(h.chunk)) >= 2 and key_name(h.chunk) in q.text for h in hits[:5])

    def _whole_table(self, c: Chunk) -> Draft:
        rows = [x for x in self.r.by_doc[c.doc_id] if x.kind == "table_row" and x.parent == c.parent]
        labels = [x.section.rsplit(" › ", 1)[-1] for x in rows]
        table = c.parent.rsplit(" › ", 1)[-1]
        text = f"“{table}”列出的是：" + "；".join(labels) + "。"
        pieces = []
        for x in rows:
            law = x.cell("basis")
            key = law[:20] if law else (x.cell("item") or next(iter(x.fields.values()), ""))
            pieces.append(Piece(x, key))  # the cell that names the row, as printed
        return Draft(text, pieces)

    def _newest(self, q: Query, c: Chunk) -> tuple[Chunk, Chunk | None]:
        """The same benefit for the same people in the newest issue of the same gazette, and the
        latest earlier row it superseded (None when no issue changed it). A question naming a
        year or a document, or asking what it used to be, is answered from the row it found."""
        if re.search(r"20\d{2}\s*年", q.text) or q.doc_numbers:
            return c, None
        same = sorted(
            (x for x in self.r.chunks if x.chunk_id == c.chunk_id or self._same_benefit(q, c, x)),
            key=lambda x: self.r.docs[x.doc_id].date or "",
        )
        newest = same[-1]
        earlier = [
            x for x in same if (self.r.docs[x.doc_id].date or "") < (self.r.docs[newest.doc_id].date or "")
        ]
        if earlier and q.wants("earlier"):
            return earlier[-1], None  # "调整前/原来是多少": the standard before the change
        return newest, (earlier[-1] if earlier else None)

    def _same_benefit(self, q: Query, c: Chunk, x: Chunk) -> bool:
        """``x`` is ``c``'s benefit, for the same people (the asker's age, or the same who-cell),
        in another document of the same gazette."""
        return (
            x.kind == "table_row"
            and bool(x.cells("standard"))
            and x.doc_id != c.doc_id
            and key_name(x) == key_name(c)
            and issue_series(x.issue) == issue_series(c.issue)
            and (
                any(age_fits(x.text, a) for a in q.ages)
                if q.ages and age_ranges(x.text)
                else fold(x.cell("who")) == fold(c.cell("who"))
            )
        )

    def _benefit_rows(self, q: Query, c: Chunk, hits: list[Hit]) -> Draft:
        """The best row (the newest issue's, when a later issue changed it), plus other rows
        the question names by their item (护理补贴和养老服务补贴…): the first sentence gives each
        row's answer, the details follow."""
        c, older = self._newest(q, c)
        rows = [c]
        for h in hits[1:5]:
            x = h.chunk
            name = key_name(x)
            if (
                x.kind == "table_row"
                and x.cells("standard")
                and x.chunk_id != c.chunk_id
                and (older is None or x.chunk_id != older.chunk_id)
                and key_name(x) != key_name(c)
                and issue_series(x.issue) == issue_series(c.issue)
                and len(name) >= 2
                and name in q.text
            ):
                rows.append(x)
        drafts = [self._benefit_row(q, x) for x in rows]
        if older is not None:
            drafts[0] = self._superseding(drafts[0], c, older)
        if len(drafts) == 1:
            return drafts[0]
        firsts, details, pieces = [], [], []
        for d in drafts:
            head, _, rest = d.text.partition("\n")
            firsts.append(head.rstrip("。"))
            if rest:
                details.append(rest)
            pieces.extend(d.pieces)
        return Draft("；".join(firsts) + "。\n" + "\n".join(details), pieces)

    def _benefit_row(self, q: Query, c: Chunk) -> Draft:
        """One benefit: the part of the row that answers (the asker's age band, the eligibility,
        the amount), with the department that handles it, in the first sentence."""
        item = re.sub(r"^\d+\s*", "", c.cell("item")).strip()
        standard = "；".join(c.cells("standard"))
        content = c.cell("content")
        dept = c.cell("lead")
        partners = "、".join(c.cells("partner"))
        segments = [trim(x) for x in re.split(r"[；;]", standard) if x.strip()]
        parts = segments + ([trim(content)] if content else [])
        pieces: list[Piece] = []
        fitting = [x for x in segments if any(age_fits(x, a) for a in q.ages)] if q.ages else []
        if q.age_floor is not None:  # "90岁以上": every band from there up
            fitting = [
                x for x in segments if any(hi >= q.age_floor for _, _, _, hi in age_ranges(x))
            ] or fitting
        outside = bool(q.ages) and not fitting and any(age_ranges(x) for x in parts)
        if fitting:
            lead = fitting
        elif outside and content:
            # who qualifies: 为80周岁及以上老年人发放高龄津贴 and the bands the standard prints
            lead = [trim(content)] + [x for x in segments if age_ranges(x)]
        else:
            scores = rank_by_overlap(q.text, parts, [item] * len(parts))
            for i, x in enumerate(parts):
                if i < len(segments):
                    scores[i] += 0.1  # the standard is the substance; the content describes it
                if q.ages and any(age_fits(x, a) for a in q.ages):
                    scores[i] += 0.5
                if q.wants("money") and holds("money", x):
                    scores[i] += 0.3
            lead = [parts[max(range(len(parts)), key=scores.__getitem__)]] if parts else []
        pieces.extend(Piece(c, x) for x in lead)
        by = f"由{dept}负责" + (f"，{partners}配合" if partners else "") if dept else ""
        if dept and q.wants("who") and not q.wants("money"):
            first = f"{item}{by}" + (f"；{'；'.join(lead)}" if lead else "")
        else:
            first = f"{item}：{'；'.join(lead)}" if lead else item
            if dept:
                first += f"，{by}"
        if dept:
            pieces.append(Piece(c, dept))
        if partners:
            pieces.extend(Piece(c, x) for x in c.cells("partner"))
        first += "。"
        if outside:
            first += "（公报列出的年龄档不包含您说的年龄。）"
        # the rest of the row for context; the row is already cited, and only what answers is quoted
        details = []  # labelled with the table's own column names
        for role in ("standard", "content", "who", "basis", "deadline"):
            for cell, col in zip(c.cells(role), _columns(c, role), strict=True):
                if trim(cell) not in lead:
                    details.append(f"{col}：{trim(cell)}")
        text = first + ("\n" + "。\n".join(details) + "。" if details else "")
        return Draft(text, pieces)

    def _superseding(self, draft: Draft, newest: Chunk, older: Chunk) -> Draft:
        """Say where the answer comes from, and the earlier standard it replaced (cited)."""
        old = "；".join(older.cells("standard"))
        head, _, rest = draft.text.partition("\n")
        where = newest.doc_number or newest.doc_title
        since = self._effective(newest)
        note = (
            f"（{newest.issue}，{where}{'，' + since[1] if since else ''}；此前{older.issue}的标准为{trim(old)}"
            f"（{older.doc_number or older.doc_title}），已被调整。）"
        )
        pieces = draft.pieces + [Piece(older, x) for x in older.cells("standard")]
        pieces += [Piece(since[0], since[1])] if since else []
        return Draft(head + note + ("\n" + rest if rest else ""), pieces, draft.notes + ["superseded row"])

    def _effective(self, row: Chunk) -> tuple[Chunk, str] | None:
        """Where the row's document says from when it applies (自2025年7月1日起…), verbatim."""
        for c in self.r.by_doc.get(row.doc_id, []):
            if c.kind in ("clause", "paragraph"):
                m = EFFECTIVE.search(c.text)
                if m:
                    return c, m.group(0)
        return None

    def _duty_row(self, q: Query, c: Chunk) -> Draft:
        """A row of a responsibilities table: lead with the cell part that answers (who / how much)."""
        cols = list(c.fields)
        duty_col = c.column("lead") or c.column("partner") or cols[-1]
        law_col = c.column("basis")
        duty = c.fields.get(duty_col, "")
        clauses = [s for s in re.split(r"[；;\n]", duty) if s.strip()]
        # "…农村区域：交通工程由交通运输局出具、水利工程由水利局出具": each part names its own office
        parts, contexts = [], []
        for cl in clauses:
            head, _, tail = cl.partition("：") if "：" in cl else ("", "", cl)
            split = [x for x in tail.split("、") if x.strip()]
            if len(split) > 1 and all("由" in x for x in split):
                parts.extend(split)
                contexts.extend(f"{head}{x}" for x in split)
            else:
                parts.append(cl)
                contexts.append(cl)
        law_sents = sentences(c.fields[law_col]) if law_col else []
        weights = rank_by_overlap(q.text, contexts + law_sents)
        weight_of = dict(zip(parts + law_sents, weights, strict=True))

        def score(s: str, col: str) -> float:
            v = weight_of.get(s, 0.0)
            if q.wants("money") and re.search(r"\d+元|[一二三四五六七八九十百千万]+元", s):
                v += 0.5
            if q.wants("who") and col == duty_col:
                v += 0.5
            return v

        candidates = [(s, duty_col) for s in parts] + [(s, law_col) for s in law_sents if law_col]
        ranked = sorted(candidates, key=lambda t: -score(*t)) or [(duty, duty_col)]
        lead, lead_col = ranked[0]
        pieces = [Piece(c, trim(lead))]
        text = f"{trim(lead)}。"
        if lead_col != duty_col:
            best_duty = next((x for x, col in ranked if col == duty_col), duty)
            text = f"{trim(lead)}；{trim(best_duty)}。"
            pieces.append(Piece(c, trim(best_duty)))
        elif asks_two_things(q) and len(ranked) > 1 and ranked[1][1] == lead_col:
            pieces.append(Piece(c, trim(ranked[1][0])))
            text = f"{trim(lead)}；{trim(ranked[1][0])}。"
        if lead_col != duty_col:
            if len(parts) > 1:
                text += f"\n该条款的完整分工：{trim(duty)}。"
                pieces.append(Piece(c, trim(duty)))
        elif law_col:
            article = c.fields[law_col]
            first = sentences(article)[0] if sentences(article) else article
            text += f"\n{law_col}：{trim(first)}。"
            pieces.append(Piece(c, trim(first)))
            if len(clauses) > 1:
                text += f"\n该条款的完整分工：{trim(duty)}。"
        return self._with_task_cells(q, c, duty_col, Draft(text, pieces))

    def _with_task_cells(self, q: Query, c: Chunk, duty_col: str, draft: Draft) -> Draft:
        """A task row's partner and deadline cells, labelled by their columns: in the first
        sentence when asked (配合 / 什么时候完成), else as a line of details."""
        asked, details = [], []
        for role, wanted in (
            ("partner", bool(re.search(r"配合|协助|协同|参与|哪些单位|哪些部门", q.text))),
            ("deadline", q.wants("date") or q.wants("when") or bool(re.search(r"时限|完成|期限", q.text))),
        ):
            col = c.column(role)
            value = c.fields.get(col or "", "").strip()
            if col and value and col != duty_col:
                (asked if wanted else details).append((col, value))
        if not asked and not details:
            return draft
        head, _, rest = draft.text.partition("\n")
        if asked:
            head = head.rstrip("。") + "；" + "；".join(f"{col}：{v}" for col, v in asked) + "。"
        if details:
            rest = "；".join(f"{col}：{v}" for col, v in details) + "。" + ("\n" + rest if rest else "")
        pieces = draft.pieces + [Piece(c, v) for _, v in asked + details]
        return Draft(head + ("\n" + rest if rest else ""), pieces, draft.notes)


EFFECTIVE = re.compile(r"自\d{4}年\d{1,2}月\d{1,2}日起[^，。；;\n]{0,40}")


def _columns(c: Chunk, role: str) -> list[str]:
    """Names of the row's non-empty columns with this role, in column order."""
    return [col for col, r in c.roles.items() if r == role and c.fields.get(col)]
