"""Column roles of a table, from its header words and its cells together.

A gazette's tables change headers from issue to issue (补助项目 / 项目名称 / 事项 …), and
some have none. What a column *does* shows in its cells as well: organisation names, amounts
with units, ages and conditions, dates, article numbers, short unique names. Each column gets
one role:

    seq       a sequence number                     item      what the row is about
    who       who it is for (ages, conditions)      standard  the standard or amount
    lead      the responsible party                 partner   a cooperating party
    basis     the legal basis or clause             deadline  a deadline or date
    kind      a category shared by many rows        content   free description

Header words and cell shapes are the general vocabulary of official tables; none is taken
from one issue. A per-issue override (``<issue>.roles.toml``) corrects a misread column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.schema import ROLES

# header words (general vocabulary of official tables), most specific first
HEADER_CUES: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序列"),
    "partner": ("配合", "协办", "协助", "参与", "协同", "共同"),
    "lead": ("牵头", "责任", "负责", "承办", "经办", "主办", "主管", "职责", "部门", "单位", "机构", "机关"),
    "basis": ("依据", "条款", "法律", "法规", "条例", "文件", "出处"),
    "deadline": ("时限", "期限", "时间", "日期", "截止", "完成时"),
    "standard": ("标准", "金额", "比例", "额度", "封顶", "数额", "费用", "价格", "补贴额", "待遇"),
    "who": ("对象", "人群", "范围", "条件", "适用", "享受", "资格"),
    "kind": ("类型", "性质", "分类"),
    "item": ("项目", "名称", "事项", "任务", "类别", "品种", "内容名称"),
    "content": ("内容", "说明", "措施", "要求", "描述", "备注", "工作"),
}

_ORG = re.compile(
    r"(?:局|委员会|委|办公室|办公厅|办事处|厅|中心|人民政府|政府|法院|检察院|院|残联|妇联|工会|公司|街道|部门|站|所)"
    r"(?=$|[、，,；;\s(（])"
)
_AMOUNT = re.compile(
    r"\d+(?:\.\d+)?\s*(?:万|千)?(?:元|%|％|倍)|[一二三四五六七八九十百千万]+元|免费|减免|全额|半价"
)
# any organisation named in running text (由市X局负责, …部门确定)
_ORG_ANY = re.compile(r"[\u4e00-\u9fff]{1,8}(?:局|委员会|部门|办公室|人民政府|中心|办事处)")
# quantities and their qualifiers: what a standard column states
_MEASURE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:元|%|％|倍|次|天|日|个月|小时|人)|不低于|不高于|不超过|不少于|最高|最低|封顶|"
    r"免费|减免|优惠|半价|每(?:人|户|月|年|次|天)"
)
_WHO = re.compile(
    r"\d{1,3}\s*周?岁|老年人|老人|低保|特困|失能|残疾|困难|儿童|学生|人员|居民|患者|家庭|职工|群众|对象"
)
_BASIS = re.compile(r"《[^》]+》|第[零一二三四五六七八九十百千\d]+条|〔\d{4}〕\d+号|\[\d{4}\]\d+号")
_DATE = re.compile(r"\d{4}\s*年|\d{1,2}\s*月(?:底|末|\d{1,2}日)?|年底|年末|月底|长期|持续|前完成|之前|以前")
_SEQ = re.compile(r"^\s*[(（]?\d{1,3}[)）.、]?\s*$")


@dataclass
class ColumnRole:
    header: str
    role: str
    confidence: float  # 0..1: how clearly header and cells agree on the role
    overridden: bool = False


@dataclass
class TableRoles:
    columns: list[ColumnRole] = field(default_factory=list)

    def mapping(self) -> dict[str, str]:
        """header -> role, for storing with every row."""
        return {c.header: c.role for c in self.columns}

    def unplaced(self) -> list[str]:
        """Columns read with little confidence: worth a look in the ingest report."""
        return [c.header for c in self.columns if c.confidence < 0.35 and not c.overridden]


def _share(pattern: re.Pattern[str], cells: list[str]) -> float:
    return sum(1 for c in cells if pattern.search(c)) / len(cells) if cells else 0.0


def _cue(header: str, role: str) -> float:
    return 1.0 if any(w in header for w in HEADER_CUES[role]) else 0.0


def _features(cells: list[str]) -> dict[str, float]:
    filled = [c for c in cells if c.strip()]
    n = len(filled) or 1
    lengths = [len(c) for c in filled] or [0]
    distinct = len(set(filled)) / n
    avg = sum(lengths) / len(lengths)
    return {
        "seq": sum(1 for c in filled if _SEQ.match(c)) / n,
        "org": _share(_ORG, filled),
        "org_any": _share(_ORG_ANY, filled),
        "measure": _share(_MEASURE, filled),
        "amount": _share(_AMOUNT, filled),
        "who": _share(_WHO, filled),
        "basis": _share(_BASIS, filled),
        "date": _share(_DATE, filled),
        "distinct": distinct,
        "avg_len": avg,
        "short": 1.0 if avg <= 16 else max(0.0, 1 - (avg - 16) / 40),
    }


def _scores(header: str, f: dict[str, float], position: int) -> dict[str, float]:
    """How well each role fits one column (header cue weighs 1.5, cells up to ~1)."""
    s = {r: 1.5 * _cue(header, r) for r in ROLES}
    if _cue(header, "partner"):
        s["lead"] -= 1.5  # 配合单位: the more specific cue decides
    s["seq"] += 1.2 * f["seq"]
    s["lead"] += max(f["org"], 0.8 * f["org_any"])
    s["partner"] += 0.6 * f["org"]
    s["standard"] += 0.7 * f["amount"] + 0.5 * f["measure"]
    s["who"] += 0.8 * f["who"] * (1 - 0.5 * f["amount"])
    s["basis"] += f["basis"]
    s["deadline"] += f["date"] * (1 - f["amount"]) * (1 - f["basis"])
    s["kind"] += 0.6 * (1 - f["distinct"]) * f["short"]
    distinctive = 1 - max(f["org"], f["org_any"], f["amount"], f["basis"], f["date"], f["seq"])
    s["item"] += (
        0.5 * f["distinct"] + 0.4 * f["short"] + (0.3 if position == 0 else 0.2 if position == 1 else 0.0)
    ) * distinctive
    s["content"] += 0.3 + 0.4 * min(f["avg_len"] / 40, 1.0) * distinctive
    if s["item"] > 0 and _cue(header, "content") and not _cue(header, "item"):
        s["item"] -= 0.5  # a 内容 column describes the item; it does not name it
    return s


def infer_roles(
    header: list[str], rows: list[list[str]], overrides: dict[str, str] | None = None
) -> TableRoles:
    """Roles of the table's columns (``rows`` are the data rows, cells in header order)."""
    columns = [[(r[i] if i < len(r) else "") for r in rows] for i in range(len(header))]
    feats = [_features(cells) for cells in columns]
    scores = [_scores(h, f, i) for i, (h, f) in enumerate(zip(header, feats, strict=True))]
    chosen: dict[int, str] = {}

    # one item column: the best item fit among columns no other role claims more strongly
    def best_other(i: int) -> float:
        return max(v for r, v in scores[i].items() if r not in ("item", "content", "kind"))

    item_fit = [(s["item"] - max(best_other(i) - 0.3, 0), i) for i, s in enumerate(scores)]
    fit, item_col = max(item_fit) if item_fit else (0.0, -1)
    if fit > 0.3:
        chosen[item_col] = "item"
    for i, s in enumerate(scores):
        if i in chosen:
            continue
        ranked = sorted(((v, r) for r, v in s.items() if r != "item"), reverse=True)
        chosen[i] = ranked[0][1]
    # a table that states amounts has a standard column: the one with the most quantities
    if "standard" not in chosen.values():
        measured = [
            (feats[i]["amount"] + feats[i]["measure"], i) for i in chosen if chosen[i] in ("content", "who")
        ]
        best, col = max(measured, default=(0.0, -1))
        if best >= 0.4:
            chosen[col] = "standard"
    # parties: a second party column without a cue of its own cooperates with the first
    parties = [i for i in sorted(chosen) if chosen[i] in ("lead", "partner")]
    if parties and not any(chosen[i] == "lead" for i in parties):
        chosen[parties[0]] = "lead"
    leads = [i for i in parties if chosen[i] == "lead"]
    for i in leads[1:]:
        if not _cue(header[i], "lead"):
            chosen[i] = "partner"
    out = TableRoles()
    for i, h in enumerate(header):
        role = chosen[i]
        ranked = sorted(scores[i].values(), reverse=True)
        margin = scores[i][role] - (ranked[1] if scores[i][role] == ranked[0] else ranked[0])
        confidence = max(0.0, min(1.0, 0.5 * scores[i][role] + margin))
        forced = (overrides or {}).get(h)
        if forced in ROLES:
            out.columns.append(ColumnRole(h, forced, 1.0, overridden=True))
        else:
            out.columns.append(ColumnRole(h, role, round(confidence, 2)))
    return out


POSITIONAL = re.compile(r"(?:列|栏|第)\s*\d{1,2}\s*(?:列|栏)?|[A-Z]")
# words that only headers use, beyond the role cues (a first row with none of them is data)
HEADER_WORDS = (
    "姓名",
    "职务",
    "地点",
    "区域",
    "地址",
    "电话",
    "备注",
    "数量",
    "面积",
    "级别",
    "时段",
    "类别",
)


def looks_like_data(row: list[str]) -> bool:
    """A first row that is data, not a header: no header word in any cell, or cells holding
    amounts, ages, dates, clauses or numbers."""
    cells = [c for c in row if c.strip()]
    if not cells:
        return False
    if all(POSITIONAL.fullmatch(c.strip()) for c in cells):
        return False  # 列1 | 列2 …: headers that only number the columns
    if not any(w in c for c in cells for w in (*HEADER_WORDS, *(x for v in HEADER_CUES.values() for x in v))):
        return True
    shaped = sum(1 for c in cells if _AMOUNT.search(c) or _BASIS.search(c) or re.search(r"\d", c))
    long = sum(1 for c in cells if len(c) > 14)
    return shaped >= max(1, len(cells) // 2) or long >= max(1, len(cells) // 2)


def row_label(fields: dict[str, str], roles: dict[str, str]) -> str:
    """A row's name in its section path: its item cell (with the sequence number in front when
    the table has one), else its sequence number and clause, else its first cell."""
    by_role = {}
    for col, role in roles.items():
        by_role.setdefault(role, fields.get(col, ""))
    seq = by_role.get("seq", "").strip()
    item = re.sub(r"^\s*\d{1,3}\s+", "", by_role.get("item", "")).strip().split("\n")[0][:30]
    if item:
        return f"{seq} {item}".strip() if seq else item
    basis = by_role.get("basis", "")
    m = re.match(r"^(第[零一二三四五六七八九十百]+条(?:\s*第[一二三四五六七八九十]+款)?)", basis)
    if m:
        return f"{seq} {m.group(1)}".strip()
    cells = [v for v in fields.values() if v]
    return (seq or (cells[0] if cells else "")).split("\n")[0][:30]
