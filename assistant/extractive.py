"""The default answer mode: choose the evidence that answers *this* question and compose it, verbatim.

It may reorder and connect printed words ("：", "；", labels such as 牵头落实部门) but every
fact it states is a quote from a chunk, and every quote becomes a citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.facets import MONEY, TIME
from assistant.query import Query, age_fits, age_ranges
from assistant.retrieval import Hit, Retriever, key_name
from assistant.schema import Chunk

AGENCY = re.compile(r"[\u4e00-\u9fff]{1,8}(?:局|部门|委员会|委|办公室|政府|中心|公司|机关|法院)")
FULL_STOP = re.compile(r"(?<=[。！？!?])|\n")
SENT_SPLIT = re.compile(r"(?<=[。；;！？!?])|\n")


@dataclass
class Piece:
    """A verbatim quote from one chunk."""

    chunk: Chunk
    quote: str


@dataclass
class Draft:
    """An answer before it becomes an Answer: text, the pieces it quotes, and notes."""

    text: str
    pieces: list[Piece] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def sentences(text: str, keep_enumerations: bool = False) -> list[str]:
    """Sentences (split at 。；！？ and line ends); with ``keep_enumerations`` only at 。！？ and
    line ends, so "…决策部署;研究拟定…;制定实施…" stays one answer to "有哪些职责"."""
    splitter = FULL_STOP if keep_enumerations else SENT_SPLIT
    return [s.strip() for s in splitter.split(text) if s and s.strip()]


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[\s\W_]+", "", text)
    return {t[i : i + 2] for i in range(len(t) - 1)}


def overlap(question: str, text: str) -> float:
    """Share of the question's character bigrams found in ``text`` (robust to jieba's cuts)."""
    qb = _bigrams(question)
    return len(qb & _bigrams(text)) / len(qb) if qb else 0.0


def rank_by_overlap(question: str, texts: list[str], topics: list[str] | None = None) -> list[float]:
    """Overlap of each text with the question, each bigram weighted by how rare it is among
    ``texts``: what sets a sentence apart (人社, 兼任) counts more than the shared topic (矿山).

    ``topics[i]`` (a document title and section path) names what text i is about; question
    words found there say the passage is on topic, not that this sentence answers, so they
    count a third (retrieval already rewarded them)."""
    import math

    qb = _bigrams(question)
    sets = [_bigrams(t) for t in texts]
    n = len(texts)
    weight = {b: math.log(1 + n / (1 + sum(1 for st in sets if b in st))) for b in qb}
    total = sum(weight.values()) or 1.0
    topic_sets = [_bigrams(t) for t in topics] if topics else [set()] * n
    return [
        sum(w for b, w in weight.items() if b in st and b not in tb) / total
        for st, tb in zip(sets, topic_sets, strict=True)
    ]


ASK_WORDS = re.compile(r"几|多少|什么|谁|哪|怎么|如何|是否|吗")


PAIR = re.compile(r"^(?P<head>.+?)(?:，|,)?(?:分别|各自|哪个|哪一个)(?P<tail>.*)$")


def decompose(text: str) -> list[str]:
    """ "非煤矿山整治专班和绿电专班分别运行到什么时候？" -> the same question about each of the two.

    The head before 分别/哪个 is split at 和/与/跟/、; a shared tail after the last 的
    ("…和绿电专班的办公室") is given to each part."""
    m = PAIR.match(text.strip())
    if not m:
        return []
    head, tail = m.group("head").strip("，, "), m.group("tail").strip()
    names = [x for x in re.split(r"和|与|跟|、", head) if x.strip()]
    if len(names) != 2 or any(len(x) < 2 for x in names):
        return []
    if "的" in names[-1]:
        shared = names[-1][names[-1].rindex("的") :]
        names = [x if x.endswith(shared) else x + shared for x in names]
    return [f"{x}{tail}" for x in names]


def asks_two_things(q: Query) -> bool:
    """ "分别…", or two questions in one ("保留了几件、废止了几件？")."""
    return (
        "分别" in q.text
        or len(ASK_WORDS.findall(q.text)) >= 2
        and bool(re.search(r"[、，,？?和与及]", q.text))
    )


def _trim(s: str) -> str:
    return s.rstrip("；;。，, ")


class ExtractiveAnswerer:
    """Composes answers from retrieved chunks without a language model."""

    def __init__(self, retriever: Retriever):
        self.r = retriever

    # -- entry -----------------------------------------------------------------------------
    def compose(self, q: Query, hits: list[Hit]) -> Draft:
        listing = self._filtered_listing(q)
        if listing is not None:
            return listing
        parts = decompose(q.text)
        if parts:
            return self._compose_parts(parts)
        return self._compose_one(q, hits)

    def _compose_parts(self, parts: list[str]) -> Draft:
        """ "A和B分别…": answer "A…" and "B…" on their own, both answers in the first sentence."""
        from assistant.query import parse_query

        drafts = []
        for part in parts:
            sub = parse_query(part)
            drafts.append(self._compose_one(sub, self.r.search(sub)))
        first = "；".join(d.text.split("\n")[0].rstrip("。") for d in drafts) + "。"
        rest = [line for d in drafts for line in d.text.split("\n")[1:]]
        pieces = [p for d in drafts for p in d.pieces]
        return Draft(
            first + ("\n" + "\n".join(rest) if rest else ""),
            pieces,
            notes=["answered in parts: " + " / ".join(parts)],
        )

    def _compose_one(self, q: Query, hits: list[Hit]) -> Draft:
        routed = self.r.route(q)
        if len(routed) > 1 and not q.doc_numbers:
            return self._ambiguous_number(routed)
        best = self.pick(q, hits)
        c = best.chunk
        if (
            q.wants("docmeta")
            or (routed and self._asks_about_document(q))
            or (c.kind == "preamble" and self._asks_about_document(q))
        ):
            return self._about_document(q, c.doc_id)
        if c.kind == "preamble":
            # a title matched, but the question asks about the content: answer from the next passage
            rest = [h for h in hits if h.chunk.kind != "preamble"]
            if not rest:
                return self._about_document(q, c.doc_id)
            best, hits = rest[0], rest
            c = best.chunk
        if c.kind == "table_row" and self._asks_for_table(q, hits):
            return self._whole_table(c)
        if c.kind == "table_row" and "服务标准" in c.fields:
            return self._benefit_rows(q, c, hits)
        if c.kind == "table_row":
            return self._duty_row(q, c)
        if c.kind == "list_entry":
            return self._list_entries(q, [h.chunk for h in hits[:5] if h.chunk.kind == "list_entry"])
        for h in hits[:3]:
            roster = self._roster(q, h.chunk)
            if roster is not None:
                return roster
        if self._is_list_question(q, c):
            return self._whole_list(q, c)
        return self._clause(q, best, hits)

    def _filtered_listing(self, q: Query) -> Draft | None:
        """Complete lists by a condition the printed lists and documents carry:
        "继续有效的文件里哪些是2021年及以后发的" (status, year, issuer),
        "哪些文件是2024年10月14日签发的" (signing date)."""
        if not q.wants("list") and "哪些" not in q.text:
            return None
        date = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", q.text)
        if date and any(w in q.text for w in ("签发", "印发", "发布", "落款", "发的")):
            iso = f"{date.group(1)}-{int(date.group(2)):02d}-{int(date.group(3)):02d}"
            docs = [d for d in self.r.docs.values() if d.date == iso]
            if not docs:
                return None
            pieces, names = [], []
            for d in docs:
                sig = self._signature(d.id)
                if sig is not None:
                    pieces.append(Piece(sig, sig.text.split("\n")[-1]))
                head = self._title_chunk(d.id)
                if head is not None:
                    pieces.append(Piece(head, d.title))
                names.append(f"{d.display_name}《{d.title}》")
            return Draft(f"落款日期为{date.group(0)}的文件有：" + "；".join(names) + "。", pieces)
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
        if (
            not (year or before or office)
            or not chosen
            or len(chosen) == len(entries)
            and not re.search(r"全部|所有|都有", q.text)
        ):
            return None
        label = "继续有效" if status == "valid" else "废止或失效"
        names = [f"{c.fields.get('文号', '')}《{c.fields.get('标题', '')}》" for c in chosen]
        pieces = [Piece(c, p) for c in chosen for p in c.text.split("\n") if p.strip()]
        return Draft(f"符合条件的{label}文件共列有：" + "；".join(names) + "。", pieces)

    def pick(self, q: Query, hits: list[Hit]) -> Hit:
        """The hit to answer from: the top one, unless a close runner-up holds what is asked
        (an amount for a money question, a time for a when-question, the asker's age band)
        and the top one does not. A 落款 answers only questions about the document."""
        pool = [h for h in hits if q.wants("docmeta") or not h.chunk.section.endswith("落款")] or hits
        best = pool[0]
        name = key_name(best.chunk)
        if len(name) >= 3 and name in q.text:
            return best  # the question names this row or clause
        close = [h for h in pool[:3] if h.score >= 0.75 * best.score]
        wanted = []
        if q.wants("money"):
            wanted.append(MONEY)
        if q.wants("strict_when"):
            wanted.append(TIME)
        for pat in wanted:
            if not pat.search(best.chunk.text):
                for h in close:
                    if pat.search(h.chunk.text):
                        return h
        if q.ages:
            for h in close:
                if any(age_fits(h.chunk.text, a) for a in q.ages):
                    return h
        return best

    @staticmethod
    def _asks_about_document(q: Query) -> bool:
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
    def _signature(self, doc_id: str) -> Chunk | None:
        return next((c for c in self.r.by_doc.get(doc_id, []) if c.section.endswith("落款")), None)

    def _title_chunk(self, doc_id: str) -> Chunk | None:
        return next((c for c in self.r.by_doc.get(doc_id, []) if c.kind == "preamble"), None)

    def _about_document(self, q: Query, doc_id: str) -> Draft:
        head = self._title_chunk(doc_id)
        doc = self.r.docs[doc_id]
        pieces = [Piece(head, doc.title)] if head else []
        text = f"{doc.display_name}是《{doc.title}》"
        sig = self._signature(doc_id)
        if sig is not None:
            lines = sig.text.split("\n")
            text += f"，落款为{lines[0]}，{lines[-1]}" if len(lines) > 1 else f"，落款日期{lines[-1]}"
            pieces.append(Piece(sig, sig.text))
        text += "。"
        if doc.status == "repealed":
            text += "据已收录的目录，该文件已废止或失效。"
        return Draft(text, pieces)

    def _ambiguous_number(self, doc_ids: list[str]) -> Draft:
        parts, pieces = [], []
        for did in doc_ids:
            doc = self.r.docs[did]
            parts.append(f"{doc.display_name}《{doc.title}》")
            head = self._title_chunk(did)
            if head:
                pieces.append(Piece(head, doc.title))
        text = "您说的编号对应公报中的多份文件：" + "；".join(parts) + "。请说明是哪一份（发文字号不同）。"
        return Draft(text, pieces, notes=["ambiguous document number: several documents match"])

    # -- tables ----------------------------------------------------------------------------
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
            law = x.fields.get("法律条款", "")
            key = law[:20] if law else (x.fields.get("服务项目") or next(iter(x.fields.values()), ""))
            pieces.append(Piece(x, key))  # the cell that names the row, as printed
        return Draft(text, pieces)

    def _benefit_rows(self, q: Query, c: Chunk, hits: list[Hit]) -> Draft:
        """The best row, plus other rows the question names by their item (护理补贴和养老服务补贴…):
        the first sentence gives each row's answer, the details follow."""
        rows = [c]
        for h in hits[1:5]:
            x = h.chunk
            name = key_name(x)
            if (
                x.kind == "table_row"
                and "服务标准" in x.fields
                and x.chunk_id != c.chunk_id
                and len(name) >= 2
                and name in q.text
            ):
                rows.append(x)
        drafts = [self._benefit_row(q, x) for x in rows]
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
        f = c.fields
        item = re.sub(r"^\d+\s*", "", f.get("服务项目", "")).strip()
        standard = f.get("服务标准", "")
        content = f.get("服务内容", "")
        dept = f.get("牵头落实部门", "")
        segments = [_trim(x) for x in re.split(r"[；;]", standard) if x.strip()]
        parts = segments + ([_trim(content)] if content else [])
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
            lead = [_trim(content)] + [x for x in segments if age_ranges(x)]
        else:
            scores = rank_by_overlap(q.text, parts, [item] * len(parts))
            for i, x in enumerate(parts):
                if i < len(segments):
                    scores[i] += 0.1  # the standard is the substance; the content describes it
                if q.ages and any(age_fits(x, a) for a in q.ages):
                    scores[i] += 0.5
                if q.wants("money") and MONEY.search(x):
                    scores[i] += 0.3
            lead = [parts[max(range(len(parts)), key=scores.__getitem__)]] if parts else []
        pieces.extend(Piece(c, x) for x in lead)
        if dept and q.wants("who") and not q.wants("money"):
            first = f"{item}由{dept}牵头落实" + (f"；{'；'.join(lead)}" if lead else "")
        else:
            first = f"{item}：{'；'.join(lead)}" if lead else item
            if dept:
                first += f"，由{dept}牵头落实"
        if dept:
            pieces.append(Piece(c, dept))
        first += "。"
        if outside:
            first += "（公报列出的年龄档不包含您说的年龄。）"
        # the rest of the row for context; the row is already cited, and only what answers is quoted
        details = []
        if standard and _trim(standard) not in lead:
            details.append(f"服务标准：{_trim(standard)}")
        if content and _trim(content) not in lead:
            details.append(f"服务内容：{_trim(content)}")
        if f.get("对象"):
            details.append(f"对象：{f['对象']}")
        text = first + ("\n" + "。\n".join(details) + "。" if details else "")
        return Draft(text, pieces)

    def _duty_row(self, q: Query, c: Chunk) -> Draft:
        """A row of a responsibilities table: lead with the cell part that answers (who / how much)."""
        cols = list(c.fields)
        duty_col = next((k for k in cols if "部门" in k or "职责" in k), cols[-1])
        law_col = next((k for k in cols if "条款" in k), None)
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
        pieces = [Piece(c, _trim(lead))]
        text = f"{_trim(lead)}。"
        if lead_col != duty_col:
            best_duty = next((x for x, col in ranked if col == duty_col), duty)
            text = f"{_trim(lead)}；{_trim(best_duty)}。"
            pieces.append(Piece(c, _trim(best_duty)))
        elif asks_two_things(q) and len(ranked) > 1 and ranked[1][1] == lead_col:
            pieces.append(Piece(c, _trim(ranked[1][0])))
            text = f"{_trim(lead)}；{_trim(ranked[1][0])}。"
        if lead_col != duty_col:
            if len(parts) > 1:
                text += f"\n该条款的完整分工：{_trim(duty)}。"
                pieces.append(Piece(c, _trim(duty)))
        elif law_col:
            article = c.fields[law_col]
            first = sentences(article)[0] if sentences(article) else article
            text += f"\n对应条款：{_trim(first)}。"
            pieces.append(Piece(c, _trim(first)))
            if len(clauses) > 1:
                text += f"\n该条款的完整分工：{_trim(duty)}。"
        return Draft(text, pieces)

    def _list_entries(self, q: Query, entries: list[Chunk]) -> Draft:
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
            return drafts[0]
        heads = [d.text.split("：", 1)[0] for d in drafts]
        where = [d.text.split("：", 1)[1].rstrip("。") for d in drafts if "：" in d.text]
        return Draft("；".join(heads) + "。\n" + "\n".join(where), [p for d in drafts for p in d.pieces])

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
        lead = _trim(next((s for s in intro if len(s) > 8), head.text))
        # one enumerating sentence, as the gazette's own list reads: intro：(1)…；(2)…。
        body = "".join(x.text.strip() for x in items)
        body = body[:-1].replace("。", "；") + body[-1:] if body else body
        pieces = [Piece(head, lead)] + [Piece(x, _trim(x.text)) for x in items]
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
            sents = sentences(u.text, keep_enumerations=q.wants("list"))
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
            if q.wants("strict_when") and TIME.search(s):
                v += 0.4
            if q.wants("money") and MONEY.search(s):
                v += 0.4
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
        second = order[1] if len(order) > 1 and score(order[1]) >= 0.6 * score(top) else None
        lead_chunk, lead, _ = candidates[top]
        pieces = [Piece(lead_chunk, _trim(lead))]
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
            pieces.append(Piece(u2, _trim(s2)))
            return Draft(f"{_trim(lead)}；{_trim(s2)}。", pieces)
        text = _trim(lead) + "。"
        if second is not None:
            u2, s2, _ = candidates[second]
            text += "\n" + s2
            pieces.append(Piece(u2, _trim(s2)))
        return Draft(text, pieces)

    ROLE = re.compile(r"^([\u4e00-\u9fff ]{1,8})[:：]")

    def _roster(self, q: Query, c: Chunk) -> Draft | None:
        """A member list (组长:… / 副组长:… / 成员:…): the lines under the role the question
        names, or the line of the office it names (市公路局是谁 -> 韩洪泽 市公路局局长)."""
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
        from assistant.keywords import tokenize

        offices = [t for t in tokenize(q.text) if len(t) >= 3]
        named = [ln for ln in lines if any(t in ln.replace(" ", "") for t in offices)]
        if offices and 1 <= len(named) <= 3:
            return Draft("；".join(named) + "。", [Piece(c, ln) for ln in named])
        return None
