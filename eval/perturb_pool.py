"""Replacement words for the perturbation evaluation (:mod:`eval.perturb`), and only for it.

These words live in eval/ so that the product can never learn them: an import contract in
pyproject.toml forbids ``core``, ``store``, ``ingest`` and ``assistant`` from importing this
module or :mod:`eval.perturb`. A transformation draws from here with a seeded RNG each run.

Every group lists words of one meaning; the issue's own word is looked up among them and
replaced by another member of the same group.
"""

from __future__ import annotations

# Table header cells by role. A header cell found in a group becomes another word of it.
HEADER_KINDS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序", "顺序号", "项次", "行次", "条目号"),
    "item": (
        "服务项目",
        "项目名称",
        "补助项目",
        "服务事项",
        "事项名称",
        "保障项目",
        "重点任务",
        "救助类别",
        "福利项目",
        "项目",
    ),
    "target": ("对象", "服务对象", "适用对象", "适用人群", "享受对象", "保障对象", "受益对象", "救助对象"),
    "content": ("服务内容", "具体内容", "内容", "项目内容", "保障内容", "事项内容", "内容说明"),
    "standard": (
        "服务标准",
        "标准",
        "补助标准",
        "保障标准",
        "执行标准",
        "实施标准",
        "发放标准",
        "救助比例或金额",
    ),
    "type": ("服务类型", "类型", "类别", "服务类别", "项目类型", "保障类型", "服务性质"),
    "dept": (
        "牵头落实部门",
        "职责部门",
        "责任部门",
        "责任单位",
        "牵头部门",
        "牵头单位",
        "主管部门",
        "负责部门",
        "经办机构",
        "经办部门",
        "落实部门",
        "承办单位",
    ),
    "co_dept": ("配合单位", "配合部门", "协办单位", "参与部门", "协同部门", "协作单位"),
    "clause": ("法律条款", "条款", "法条", "法律条文", "相关条款", "涉及条款", "条文内容"),
    "basis": ("依据", "政策依据", "法规依据", "文件依据", "制定依据", "依据文件"),
    "deadline": ("完成时限", "完成时间", "时限", "办结时限", "时间节点", "时限要求"),
    "doc_title": ("文件名称", "标题", "文件标题", "名称", "文件题目"),
    "doc_number": ("文号", "发文字号", "文件编号", "发文编号", "字号"),
    "result": ("清理结果", "处理结果", "清理意见", "审查结果", "处理意见"),
    "cap": ("年度封顶线", "封顶线", "年度限额", "最高限额", "年度上限"),
    "range": ("范围", "划定范围", "区域范围", "具体范围", "涉及范围"),
}

# A header cell in no group is given one by the words it contains (first match wins).
HEADER_HINTS: tuple[tuple[str, str], ...] = (
    ("序", "seq"),
    ("编号", "seq"),
    ("配合", "co_dept"),
    ("协办", "co_dept"),
    ("部门", "dept"),
    ("单位", "dept"),
    ("机构", "dept"),
    ("项目", "item"),
    ("任务", "item"),
    ("事项", "item"),
    ("对象", "target"),
    ("人群", "target"),
    ("内容", "content"),
    ("标准", "standard"),
    ("金额", "standard"),
    ("类型", "type"),
    ("类别", "type"),
    ("条款", "clause"),
    ("法条", "clause"),
    ("依据", "basis"),
    ("时限", "deadline"),
    ("时间", "deadline"),
    ("名称", "doc_title"),
    ("文号", "doc_number"),
    ("结果", "result"),
    ("范围", "range"),
)

# Prefecture-level cities: (name, 文号 series abbreviation, pinyin). A city named anywhere in
# the issue or the dataset is never drawn, nor one whose abbreviation already starts a 文号.
CITIES: tuple[tuple[str, str, str], ...] = (
    ("临汾", "临", "linfen"),
    ("运城", "运", "yuncheng"),
    ("忻州", "忻", "xinzhou"),
    ("吕梁", "吕", "lvliang"),
    ("阳泉", "阳", "yangquan"),
    ("朔州", "朔", "shuozhou"),
    ("大同", "同", "datong"),
    ("邯郸", "邯", "handan"),
    ("邢台", "邢", "xingtai"),
    ("安阳", "安", "anyang"),
    ("焦作", "焦", "jiaozuo"),
    ("鹤壁", "鹤", "hebi"),
    ("濮阳", "濮", "puyang"),
    ("洛阳", "洛", "luoyang"),
    ("榆林", "榆", "yulin"),
    ("宝鸡", "宝", "baoji"),
    ("德州", "德", "dezhou"),
    ("聊城", "聊", "liaocheng"),
    ("商丘", "商", "shangqiu"),
    ("宜春", "宜", "yichun"),
)

# Departments without the level prefix (市/县). A name whose stem (without 局/委/办) occurs
# anywhere in the issue or the dataset is never drawn, so no two departments merge.
DEPARTMENTS: tuple[str, ...] = (
    "审计局",
    "林业局",
    "气象局",
    "地震局",
    "档案局",
    "科技局",
    "信访局",
    "国资委",
    "乡村振兴局",
    "外事办",
    "侨务办",
    "金融办",
    "粮食和物资储备局",
    "人防办",
    "广播电视局",
    "知识产权局",
    "地方志办",
    "城市更新局",
    "水务局",
    "园林局",
    "畜牧兽医局",
    "煤炭工业局",
    "物价局",
    "文物局",
    "老龄办",
    "扶贫办",
    "林草局",
    "房管局",
    "住房保障局",
    "经信委",
    "科委",
    "农委",
    "旅游发展委",
    "民族宗教事务局",
    "外侨办",
    "口岸办",
    "招商局",
    "新闻出版局",
    "体改委",
    "农机局",
    "盐务局",
    "烟草专卖局",
    "邮政管理局",
    "机要局",
    "保密局",
    "编委办",
    "供销合作办",
    "海洋渔业局",
    "人口计生委",
    "防震减灾局",
    "营商环境局",
    "市政设施局",
    "河湖管理局",
    "会展办",
    "对外开放办",
    "开发区工委办",
    "重点工程办",
    "节能监察局",
)

# Amounts are multiplied by one of these; ages move by one of these years; years by these.
AMOUNT_FACTORS: tuple[float, ...] = (0.5, 1.5, 2.0, 2.5, 3.0, 4.0)
AGE_SHIFTS: tuple[int, ...] = (-5, -4, -3, -2, 2, 3, 4, 5)
YEAR_SHIFTS: tuple[int, ...] = (-9, -8, -7, -6, -5, -4, -3, -2, -1, 1, 2)
# Only ages in this range move (the elderly bands); 未满16周岁 stays as printed.
AGE_RANGE: tuple[int, int] = (50, 120)
