"""Parse one gazette issue: its documents, their metadata, hierarchy, tables and lists.

Where documents begin is `ingest/starts.py`; the masthead and the contents table, which every
listed document is checked against, are `ingest/front.py`.

The hierarchy comes from the numbering (一、 → (一) → 1. → (1)), not from the `#` marks,
which the conversion applied inconsistently.

Why one long module: the document parser is one pass over a document's blocks whose state
(open headings, an open table continuing across 续表, a list printed column by column) every
step reads; split into files, that state would travel through every call.
"""

from __future__ import annotations

import re

from core.schema import DocInfo
from core.textnorm import DOC_NUMBER_RE, canonical_doc_number
from ingest.blocks import Block, clean_cell, split_blocks
from ingest.front import compact, contents_entries, contents_span, issue_identity, match_contents, title_key
from ingest.roles import infer_roles, looks_like_data, row_label
from ingest.starts import Start, find_starts
from ingest.units import IngestError, ParsedDoc, Unit

CN_NUM = "一二三四五六七八九十"
ARTICLE_LEVEL = -1
LEVELS: list[tuple[int, re.Pattern[str]]] = [
    # an article-style text (办法, 细则, 条例): 第X章 › 第X节 › 第X条 › (一) › 1.
    (-3, re.compile(rf"^第[{CN_NUM}百零〇]+章")),
    (-2, re.compile(rf"^第[{CN_NUM}百零〇]+节")),
    (ARTICLE_LEVEL, re.compile(rf"^第[{CN_NUM}百零〇]+条(?:之[{CN_NUM}]+)?(?=[\s\u3000　]|$)")),
    (1, re.compile(rf"^[{CN_NUM}]+、")),
    (2, re.compile(rf"^[(（][{CN_NUM}]+[)）]")),
    (3, re.compile(r"^\d{1,2}[\.．](?!\d)")),
    (4, re.compile(r"^[(（]\d{1,2}[)）]")),
]
DATE_LINE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
PUBLICATION = re.compile(r"^[(（]此件.*[)）]$")
ANNEX_MARK = re.compile(r"^附件\s*(\d*)$")
BACK_MATTER = ("内部资料", "编印单位", "承印单位", "发送对象", "印刷册数")
ENTRY_START = re.compile(r"^(\d{1,3})[\.．]\s*")
# how the title of an official document ends (通知, 决定, 办法…): a list of documents names them
DOC_TITLE_END = re.compile(
    r"(?:通知|决定|办法|规定|意见|方案|细则|通告|公告|批复|函|规则|规划|条例|纲要|制度|报告)》?\s*$"
)
LEAD_MAX = 24  # a numbered clause's lead phrase longer than this is not a heading


def numbering_level(text: str) -> tuple[int, str] | None:
    """(level, marker) when ``text`` starts with hierarchy numbering."""
    for level, pat in LEVELS:
        m = pat.match(text)
        if m:
            return level, m.group(0)
    return None


def _label(text: str, level: int, marker: str) -> str:
    """How a numbered heading appears in a section path: `3. 升级改造`, `(二)工作标准和方式`, `(2)`."""
    if level in (4, ARTICLE_LEVEL):
        return marker  # (1), 第五条: cited by the number alone
    lead = re.split(r"[。；;:：]", text, maxsplit=1)[0].strip()
    if len(lead) > LEAD_MAX:
        return marker.strip()
    return lead


def _is_heading_only(block: Block, text: str) -> bool:
    """A numbered line with no body of its own (a section title, not a clause)."""
    if block.kind == "heading":
        return True
    body = re.split(r"[。；;]", text, maxsplit=1)
    return len(body) == 1 and len(text) <= LEAD_MAX and not text.endswith(("；", ";", "。"))


class _DocParser:
    """Walks one document's blocks, keeping the numbering stack, annex and table state."""

    def __init__(self, blocks: list[Block]):
        self.blocks = blocks
        self.units: list[Unit] = []
        self.stack: list[tuple[int, str]] = []
        self.annex: str | None = None  # "附件 1" until its title arrives, then "附件 1 title"
        self.annex_pending = False
        self.caption: str | None = None
        self.table_header: list[str] | None = None
        self.last_table_units: list[Unit] = []
        self.tables: list[tuple[list[str], list[Unit]]] = []  # each table's header and rows
        self.pending_continuation = False
        self.entries: list[dict] | None = None  # list-of-documents entries being rebuilt
        self.date: str | None = None
        self.office: str | None = None
        self.publication: str | None = None

    # -- paths ---------------------------------------------------------------------------
    def prefix(self) -> list[str]:
        return [self.annex] if self.annex and not self.annex_pending else []

    def path(self) -> list[str]:
        return self.prefix() + [label for _, label in self.stack]

    # -- walking -------------------------------------------------------------------------
    def run(self) -> None:
        for k, b in enumerate(self.blocks):
            if b.kind == "table":
                self.table(b)
                continue
            text = b.text.strip()
            if self.entries is not None and b.kind in ("para", "list") and self._entry_like(text):
                self.entry_tokens([(line, b.start, b.end) for line in text.split("\n")])
                continue
            self.flush_entries()
            if text == "续表":
                self.pending_continuation = True
                continue
            self.pending_continuation = False
            if b.kind != "heading" and DATE_LINE.match(text.split("\n")[-1]) and self.date is None:
                self.signature(k, b)
                continue
            if PUBLICATION.match(text):
                self.publication = self.publication or text
                continue
            if m := ANNEX_MARK.match(text):
                self.annex = f"附件 {m.group(1)}".strip() if m.group(1) else "附件"
                self.annex_pending = True
                self.stack, self.caption, self.table_header = [], None, None
                continue
            if text.startswith("附件") and self.units and b.kind == "para":
                self.units.append(Unit("paragraph", text, self.path(), b.start, b.end))
                continue
            if self._annex_list_continuation(text):
                continue
            numbered = numbering_level(text)
            if numbered:
                self.numbered(b, text, *numbered)
            elif b.kind == "heading":
                self.heading(text)
            else:
                if any(level == ARTICLE_LEVEL for level, _ in self.stack):
                    # an unnumbered paragraph after an article's items is the article's next 款
                    while self.stack[-1][0] > ARTICLE_LEVEL:
                        self.stack.pop()
                self.units.append(Unit("paragraph", text, self.path(), b.start, b.end))
        self.flush_entries()

    def _annex_list_continuation(self, text: str) -> bool:
        """`附件:1.…` followed by `2.…` on its own line: the second item belongs to the first."""
        if not self.units or not ENTRY_START.match(text):
            return False
        last = self.units[-1]
        if last.kind == "paragraph" and re.match(r"^附件\s*[:：]", last.text):
            last.text += "\n" + text
            return True
        return False

    def signature(self, k: int, b: Block) -> None:
        lines = b.text.strip().split("\n")
        m = DATE_LINE.match(lines[-1])
        assert m
        self.date = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        prev = self.blocks[k - 1] if k else None
        start = b.start
        if len(lines) > 1:
            # 落款 printed as one block: "某市人民政府  \n2025年3月10日"
            self.office = lines[-2].strip()
            text = b.text.strip()
        elif (
            prev is not None
            and prev.kind == "para"
            and len(prev.text) <= 20
            and not numbering_level(prev.text)
        ):
            self.office = prev.text.strip()
            if self.units and self.units[-1].text == self.office:
                self.units.pop()
            start = prev.start
            text = f"{self.office}\n{b.text.strip()}"
        else:
            text = b.text.strip()
        self.units.append(Unit("paragraph", text, ["落款"], start, b.end))

    def heading(self, text: str) -> None:
        title = compact(text)
        if self.annex_pending:
            self.annex = f"{self.annex} {title}"
            self.annex_pending = False
            self.caption = title
        else:
            self.caption = title
            self.stack = []
        self.table_header = None
        if "目录" in title and self.annex:
            self.entries = []

    def numbered(self, b: Block, text: str, level: int, marker: str) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, _label(text, level, marker)))
        article_text = level == ARTICLE_LEVEL and text.strip() != marker  # 第五条 …下列条件：
        if article_text or not _is_heading_only(b, text):
            self.units.append(Unit("clause", text, self.path(), b.start, b.end))

    # -- tables --------------------------------------------------------------------------
    def table(self, b: Block) -> None:
        if self._headed_document_list(b):
            return
        if self.entries is not None or (b.pipe and self._is_document_list(b.rows)):
            if self.entries is None:
                self.entries = []
            self.document_list_table(b)
            return
        rows = [[clean_cell(c) for c in row] for row in b.rows]
        header = rows[0]
        if self.table_header and header == self.table_header:
            rows = rows[1:]  # a 续表 (or a page's) repeated header: the same table goes on
        elif b.headed is False or looks_like_data(header):
            # no header row: the table before goes on (after 续表 or a page break, same width),
            # or a table without one, whose columns are named by position
            if not (self.table_header and len(header) == len(self.table_header)):
                self._new_table([f"列{i + 1}" for i in range(len(header))])
        else:
            self._new_table(header)
            rows = rows[1:]
        self.pending_continuation = False
        header = self.table_header
        # a table printed inside a numbered section (一、禁猎区 … 下列区域为禁猎区：) belongs to it;
        # otherwise to the heading above it
        caption = [label for _, label in self.stack] or (
            [] if self.annex else ([self.caption] if self.caption else [])
        )
        for row in rows:
            cells = (row + [""] * len(header))[: len(header)]
            fields = dict(zip(header, cells, strict=True))
            self._inherit_merged_cells(fields, header)
            text = "\t".join(cells)
            # the row's name (last path element) is set by finish_tables once the roles are known
            unit = Unit("table_row", text, self.prefix() + caption + [""], b.start, b.end, fields=fields)
            self.units.append(unit)
            self.last_table_units.append(unit)

    def _new_table(self, header: list[str]) -> None:
        self.table_header = header
        self.last_table_units = []
        self.tables.append((header, self.last_table_units))

    def finish_tables(self, overrides: dict[str, dict[str, str]]) -> None:
        """Give every table its column roles (from all its rows) and name each row by them.

        ``overrides`` maps a text found in a table's section path to {column: role}."""
        for header, units in self.tables:
            if not units:
                continue
            where = " › ".join(units[0].path[:-1])
            forced = next((cols for key, cols in overrides.items() if key in where), None)
            roles = infer_roles(header, [[u.fields[h] for h in header] for u in units], forced).mapping()
            items = [col for col, role in roles.items() if role == "item"]
            for prev, u in zip([None, *units], units, strict=False):
                for col in items:  # a merged item cell belongs to every row it spans
                    if prev is not None and not u.fields.get(col) and prev.fields.get(col):
                        u.fields[col] = prev.fields[col]
                u.roles = roles
                u.path[-1] = row_label(u.fields, roles)

    def _inherit_merged_cells(self, fields: dict[str, str], header: list[str]) -> None:
        """An empty first-column cell was a merged cell: it belongs to the rows it spans."""
        first = header[0]
        if not fields[first] and self.last_table_units:
            fields[first] = self.last_table_units[-1].fields.get(first, "")

    # -- lists of documents (printed as two-column tables read column by column) ---------------
    @staticmethod
    def _is_document_list(rows: list[list[str]]) -> bool:
        cells = [c for row in rows for c in row if c.strip()]
        with_numbers = sum(1 for c in cells if DOC_NUMBER_RE.search(c.replace("[", "〔").replace("]", "〕")))
        return bool(cells) and with_numbers >= len(cells) / 2

    def _headed_document_list(self, b: Block) -> bool:
        """A list of documents printed as a table with a header row (序号 | 名称 | 文号 | 结果):
        one list entry a row, its status from a cell that says 废止/失效/有效, else from the
        annex title. False (nothing read) when the table is not one."""
        rows = [[clean_cell(c) for c in row] for row in b.rows if any(c.strip() for c in row)]
        if len(rows) < 2 or looks_like_data(rows[0]):
            return False
        header, data = rows[0], rows[1:]
        width = len(header)

        def is_number(cell: str) -> bool:
            return bool(DOC_NUMBER_RE.fullmatch(cell.replace("[", "〔").replace("]", "〕").strip()))

        cols = [i for i in range(width) if sum(is_number(r[i]) for r in data if i < len(r)) >= len(data) / 2]
        if not cols:
            return False
        num_col = cols[0]
        others = [i for i in range(width) if i != num_col]
        title_col = max(others, key=lambda i: sum(len(r[i]) for r in data if i < len(r)), default=None)
        if title_col is None:
            return False
        numbers = [r[num_col] for r in data if num_col < len(r) and r[num_col]]
        titles = [r[title_col] for r in data if title_col < len(r)]
        if (
            len(set(numbers)) < 0.8 * len(numbers)
            or sum(bool(DOC_TITLE_END.search(t)) for t in titles) < len(titles) / 2
        ):
            return False  # a column citing the same basis on every row, not one document a row
        annex = self.annex or ""
        default = "repealed" if ("废止" in annex or "失效" in annex) else "valid" if "有效" in annex else None
        for k, row in enumerate(data, 1):
            cells = (row + [""] * width)[:width]
            rest = " ".join(c for i, c in enumerate(cells) if i not in (num_col, title_col))
            status = (
                "repealed"
                if re.search(r"废止|失效", rest)
                else "valid"
                if re.search(r"有效|保留", rest)
                else default
            )
            number = canonical_doc_number(cells[num_col]) or ""
            seq = next((c for c in cells if re.fullmatch(r"\d{1,3}", c)), str(k))
            fields = {
                "序号": seq,
                "标题": cells[title_col],
                "文号": number,
                "状态": {"valid": "继续有效", "repealed": "废止或失效"}.get(status or "", ""),
            }
            text = "\t".join(cells)
            path = self.prefix() + ([] if self.annex else [self.caption] if self.caption else [])
            self.units.append(
                Unit(
                    "list_entry",
                    text,
                    path + [f"{seq}. {number or cells[title_col][:20]}"],
                    b.start,
                    b.end,
                    fields=fields,
                    status=status,
                )
            )
        self.entries = None
        return True

    @staticmethod
    def _entry_like(text: str) -> bool:
        first = text.split("\n")[0].strip()
        return bool(ENTRY_START.match(first) or DOC_NUMBER_RE.fullmatch(first))

    def document_list_table(self, b: Block) -> None:
        """Read the cells column by column: the printing fills the left column, then the right."""
        rows = [r for r in b.rows if any(c.strip() for c in r)]
        width = max(len(r) for r in rows)
        tokens = []
        for col in range(width):
            for row in rows:
                cell = row[col] if col < len(row) else ""
                for piece in re.split(r"<br\s*/?>", cell, flags=re.IGNORECASE):
                    if piece.strip():
                        tokens.append((piece.strip(), b.start, b.end))
        self.entry_tokens(tokens)

    def entry_tokens(self, tokens: list[tuple[str, int, int]]) -> None:
        assert self.entries is not None
        for piece, start, end in tokens:
            piece = piece.strip()
            if not piece:
                continue
            m = ENTRY_START.match(piece)
            if m:
                self.entries.append({"no": m.group(1), "pieces": [piece], "start": start, "end": end})
            elif self.entries:
                self.entries[-1]["pieces"].append(piece)
                self.entries[-1]["end"] = max(self.entries[-1]["end"], end)

    def flush_entries(self) -> None:
        if self.entries is None:
            return
        entries, self.entries = self.entries, None
        annex_title = self.annex or ""
        status = (
            "repealed"
            if ("废止" in annex_title or "失效" in annex_title)
            else "valid"
            if "有效" in annex_title
            else None
        )
        for e in entries:
            words = " ".join(e["pieces"]).split()
            numbers = [w for w in words if DOC_NUMBER_RE.fullmatch(w.replace("[", "〔").replace("]", "〕"))]
            number = canonical_doc_number(numbers[-1]) if numbers else None
            kept = [" ".join(w for w in piece.split() if w not in numbers) for piece in e["pieces"]]
            title = ENTRY_START.sub("", "".join(kept)).strip()
            fields = {
                "序号": e["no"],
                "标题": title,
                "文号": number or "",
                "状态": {"valid": "继续有效", "repealed": "废止或失效"}.get(status or "", ""),
            }
            text = "\n".join(e["pieces"])
            self.units.append(
                Unit(
                    "list_entry",
                    text,
                    self.prefix() + [f"{e['no']}. {number or title[:20]}"],
                    e["start"],
                    e["end"],
                    fields=fields,
                    status=status,
                )
            )


def parse_gazette(
    text: str, source: str, role_overrides: dict[str, dict[str, str]] | None = None
) -> list[ParsedDoc]:
    """Every official document in one gazette issue. Raises IngestError when there is none, or
    when a document the contents table lists is not found as a document of its own.

    ``role_overrides``: {text in a table's section path: {column: role}} from the issue's
    ``.roles.toml``, correcting a column role the cells misled."""
    blocks = split_blocks(text)
    span = contents_span(blocks)
    entries = contents_entries(blocks, span) if span else []
    starts = find_starts(blocks, span[1] + 1 if span else 0, {title_key(e.title) for e in entries})
    if not starts:
        raise IngestError(
            f"{source}: no official document found (expected a title followed by a 文号 line or by its body)"
        )
    issue = issue_identity(blocks[: starts[0].index]).display(source)
    docs = []
    for n, s in enumerate(starts):
        end = starts[n + 1].index if n + 1 < len(starts) else len(blocks)
        docs.append(_document(blocks[s.index : end], s, n + 1 == len(starts), source, issue, role_overrides))
    match_contents(entries, docs, source)
    _give_ids(docs, source)
    return docs


def _document(
    doc_blocks: list[Block],
    start: Start,
    last: bool,
    source: str,
    issue: str,
    role_overrides: dict[str, dict[str, str]] | None,
) -> ParsedDoc:
    if last:  # the last document stops where the back matter begins
        for k, b in enumerate(doc_blocks):
            if b.kind == "para" and b.text.strip().startswith(BACK_MATTER):
                doc_blocks = doc_blocks[:k]
                break
    head_end = start.span + (1 if start.numbered else 0)
    number_line = doc_blocks[start.span].text.strip() if start.numbered else None
    number = canonical_doc_number(number_line) if number_line else None
    parser = _DocParser(doc_blocks[head_end:])
    # the title (and 文号) as one unit: questions about the document itself land here
    head_text = f"{start.title}\n{number_line}" if number_line else start.title
    parser.units.append(Unit("preamble", head_text, [], doc_blocks[0].start, doc_blocks[head_end - 1].end))
    parser.run()
    parser.finish_tables(role_overrides or {})
    info = DocInfo(
        id=number or start.title,
        doc_number=number,
        title=start.title,
        date=parser.date,
        source=source,
        status="valid",
        office=parser.office,
        issue=issue,
        page=None,
        publication=parser.publication,
        kind="gazette",
    )
    return ParsedDoc(info=info, units=parser.units, start=doc_blocks[0].start, end=doc_blocks[-1].end)


def _give_ids(docs: list[ParsedDoc], source: str) -> None:
    """A document's id is its 文号; one without a 文号 is named by its title, signing date and
    source issue (two 任免名单 share a title across issues, and may within one)."""
    seen: dict[str, ParsedDoc] = {}
    for d in docs:
        info = d.info
        if info.doc_number:
            info.id = info.doc_number
            if info.id in seen:
                raise IngestError(
                    f"{source}: the 文号 {info.id} heads two documents, 《{seen[info.id].info.title}》 and "
                    f"《{info.title}》 (a misprinted 文号 line?)"
                )
        else:
            base = f"{info.title}({info.date + ', ' if info.date else ''}{source})"
            info.id, n = base, 1
            while info.id in seen:
                n += 1
                info.id = f"{base}#{n}"
        seen[info.id] = d
