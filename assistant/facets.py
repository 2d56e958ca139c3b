"""Does the evidence hold the *kind* of answer the question asks for?

Retrieval finds the right topic for a near-miss question (高龄津贴怎么申请？ lands on the
高龄津贴 row), so relevance alone cannot tell that the gazette is silent on what is asked.
Each facet below pairs a way of asking with what an answer would have to contain; when the
question asks it and the evidence lacks it, the assistant says so instead of answering
something else. Requests to fabricate or to evade a rule are declined the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.query import Query
from core.textnorm import find_doc_numbers


@dataclass(frozen=True)
class Facet:
    name: str
    asked: re.Pattern[str]
    evidence: re.Pattern[str]
    message: str


FACETS = [
    Facet(
        "procedure",
        re.compile(
            r"怎么申请|如何申请|怎样申请|怎么办理|如何办理|去哪办|哪里办|怎么报名|如何报名|要带什么|什么材料|流程|手续|apply|application"
        ),
        re.compile(r"申请|办理|材料|流程|手续|提交|受理|窗口"),
        "公报相关内容没有写办理流程或所需材料。",
    ),
    Facet(
        "contact",
        re.compile(r"电话|热线|网址|邮箱|地址在|联系方式|phone|website"),
        re.compile(r"\d{3,4}[-)）]?\d{7,8}|http|www\.|电话|热线"),
        "公报没有写联系电话或网址。",
    ),
    Facet(
        "clock_time",
        re.compile(r"几点|几时几分|什么时段|夜间.{0,4}指|what time"),
        re.compile(r"\d{1,2}\s*(?:点|时|:\d{2})"),
        "公报没有写具体钟点。",
    ),
    Facet(
        "day_of_month",
        re.compile(r"几号(?:发|到|打|领)|哪天(?:发|到|打)钱|每月.{0,3}几号"),
        re.compile(r"\d{1,2}\s*[日号]"),
        "公报没有写发放日期。",
    ),
    Facet(
        "count",
        re.compile(r"一共有多少|总共有多少|有多少(?:座|家|个|所|处)|共有几(?:座|家|个|所|处)"),
        re.compile(r"\d+\s*(?:座|家|个|所|处)"),
        "公报没有给出这个数量。",
    ),
    Facet(
        "company_names",
        re.compile(r"企业名字|企业名称|哪些企业|哪家企业|哪几家|公司名|具体企业|哪些公司"),
        re.compile(r"有限公司|股份公司|集团|[\u4e00-\u9fff]{2,}公司|[\u4e00-\u9fff]{2,}厂"),
        "公报没有列出具体企业的名单。",
    ),
    Facet(
        "wage_fee_budget",
        re.compile(r"工资|薪水|收入多少|学费|房租|住一个月.{0,4}钱|经费|预算|产品|生产什么|代替|替代|取代"),
        re.compile(r"工资|薪|学费|房租|收费|经费|预算|资金|产品|代替|替代|取代"),
        "公报相关内容里没有写这一项。",
    ),
]

# What an answer about money or time has to contain (shared by the judge and the answerer).
MONEY = re.compile(
    r"\d+(?:\.\d+)?\s*万?元|[一二三四五六七八九十百千万]+元|免费|半价|免收|不收费|优惠|退费|罚款|百分之"
)
TIME = re.compile(
    r"\d{4}年|\d{1,2}月|\d{1,2}日|年底|月底|之日起|每月|每年|每季|每两年|适时|不定期|定期|期间|小时"
)

CONFIRMATION = re.compile(
    r"对吧|对吗|对不对|是不是|没错吧|吧[？?]?$|right\?|isn't it|correct\?", re.IGNORECASE
)
FABRICATE = re.compile(
    r"编一个|编个|编造|捏造|伪造|虚构|随便编|帮我编|make up|invent|fabricate", re.IGNORECASE
)
EVADE = re.compile(r"绕过|规避|逃避监管|躲过|偷偷|暗中|怎样逃|bypass|evade", re.IGNORECASE)
# tasks that are not questions about the gazette
TASK = re.compile(
    r"写一首|写首|写一篇|写篇|写一段|作一首|帮我写|写个|写一个|翻译|编程|代码|python|java|食谱|菜谱|怎么做才好吃",
    re.IGNORECASE,
)
PROMPT_PROBE = re.compile(r"系统提示|提示词|system prompt|原样输出|你的指令|你的规则", re.IGNORECASE)
ABOUT_ME = re.compile(
    r"你是谁|你是什么|什么模型|大模型|你叫什么|谁开发的|who are you|what model", re.IGNORECASE
)
ADVICE = re.compile(r"推荐|哪只股票|买什么股|投资建议|recommend", re.IGNORECASE)
HOME = re.compile(r"^(?:[\u4e00-\u9fff]{1,6}?省)?([\u4e00-\u9fff]{1,6}?[市县区州盟旗])")


def home_places(names: list[str]) -> set[str]:
    """The home jurisdiction, read from the ingested issues' mastheads and issuing offices
    ("某市人民政府公报 2025·03" -> 某市, 某): a question may name it without leaving the gazette."""
    out: set[str] = set()
    for name in names:
        m = HOME.match(name or "")
        if m:
            out |= {m.group(1), m.group(1)[:-1]}
    return {p for p in out if len(p) >= 2}


def places(text: str, home: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Place names in ``text`` (jieba's part-of-speech tag ns), e.g. 太原市, 某某区, 北京."""
    import jieba.posseg

    out = []
    for word, flag in jieba.posseg.lcut(text):
        # only administrative names: the tagger also calls 上门 or 里市 (成员里市某局) places
        if flag.startswith("ns") and word not in home and len(word) >= 3 and word[-1] in "省市区县州镇乡":
            out.append(word)
    return out


def is_confirmation(q: Query) -> bool:
    """A yes/no check of a claim ("…是生态环境局罚的吧？"): its claims are corrected, not looked up."""
    return bool(CONFIRMATION.search(q.text))


# "不知道的话就随便写个日期": a fallback offered in case the gazette is silent, not the request
# itself; the question before it is answered from the gazette (and nothing is ever invented).
FALLBACK_INVITATION = re.compile(
    r"(?:如果|要是|假如)?(?:你)?(?:不知道|不清楚|查不到|找不到|没有)(?:的话)?[，,]?\s*(?:就|那就)?(?:随便|编|写|猜)[^。？?！!]*"
)


def unsupported_request(q: Query) -> str | None:
    """A request the assistant must decline whatever the evidence: fabricate a 文号/date, evade a rule.

    Checked before anything else, whatever document the question names."""
    text = FALLBACK_INVITATION.sub("", q.text)
    if FABRICATE.search(text):
        return "我只能引用公报原文，不能编造文号、金额或日期。"
    if EVADE.search(text):
        return "我不能提供规避监管的办法。公报中的相关规定可以问我。"
    if PROMPT_PROBE.search(text):
        return "我只根据公报原文回答问题，不输出或改变自己的规则。"
    if ABOUT_ME.search(text):
        return "我是公报问答助手，只根据已收录的公报原文回答，并给出处。"
    if TASK.search(text):
        return "我只回答关于公报内容的问题，不写诗文、代码或做其他任务。"
    if ADVICE.search(text):
        return "我只引用公报中的规定，不做推荐或投资建议。"
    return None


def missing_facet(
    q: Query,
    evidence: str,
    indexed_numbers: set[str],
    listed_numbers: set[str],
    home: set[str] | frozenset[str] = frozenset(),
) -> str | None:
    """Why the evidence cannot answer what is asked, or None."""
    text = q.text
    for f in FACETS:
        if f.asked.search(text) and not f.evidence.search(evidence):
            return f.message
    if is_confirmation(q):
        return None
    for number in find_doc_numbers(text):
        if number not in indexed_numbers and number not in listed_numbers:
            return f"这期公报没有收录{number}的正文。"
    for year in re.findall(r"(20\d{2})\s*年", text):
        if year not in evidence:
            return f"公报相关内容里没有{year}年的规定。"
    for place in places(text, home):
        if place not in evidence:
            return f"公报相关内容没有提到{place}。"
    return None
