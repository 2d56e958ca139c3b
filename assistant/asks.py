"""What a question asks for — its answer kinds — and what evidence can hold each kind.

The one place for these cues. Each kind pairs the general ways of asking for it with the
general shape of text that states it (a number with a unit, a date, an office, a phone
number…), and the words a refusal uses when the gazette's relevant passage lacks it
("公报相关内容没有写办理材料"). Every cue carries a one-line reason; none is copied from an
eval question. A *strict* kind must be present in the evidence or the assistant declines;
the others only steer which sentence leads.

Why one long module: the issue asks for the cues of answer kinds and refusals in one place,
each with its reason; splitting the table would scatter it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN = "零一二三四五六七八九十百千万两"


@dataclass(frozen=True)
class Cue:
    """A way of asking (a regular expression) and why it means this kind."""

    pattern: str
    why: str


@dataclass(frozen=True)
class AskKind:
    name: str
    what: str  # the thing, as a refusal names it: 公报相关内容没有写{what}
    cues: tuple[Cue, ...]
    evidence: str | None  # what text holding this kind looks like; None: any text may
    evidence_why: str
    strict: bool  # asked and absent from the evidence -> the gazette does not answer
    echo: bool = False  # the evidence must name the very thing asked (工资 is not 房租)

    def asked_in(self, text: str) -> bool:
        return any(re.search(c.pattern, text, re.IGNORECASE) for c in self.cues)

    def held_by(self, text: str, question: str = "") -> bool:
        if self.evidence is None:
            return True
        if self.echo and question:
            asked = [m.group(0) for c in self.cues for m in re.finditer(c.pattern, question, re.IGNORECASE)]
            return all(re.search(a[:2], text) for a in asked)
        return bool(re.search(self.evidence, text))


MEASURE = "个|家|座|所|处|项|条|名|户|人|件|种|类|张|台|辆|套|间|批|场|块|只|头|棵|株"  # counted things
MONEY_SHAPE = rf"\d+(?:\.\d+)?\s*万?元|[{_CN}]+元|免费|半价|免收|不收费|减免|减半|优惠|退费|罚款|[{_CN}\d]折"
DATE_SHAPE = r"\d{4}年|\d{1,2}月|\d{1,2}日|年底|年末|月底|之日起|每月|每年|每季|每两年|适时|不定期|定期|期间|小时|工作日|个月内|日内|天内|次月|次年|下月|当月|当年"
ORG_SHAPE = r"[\u4e00-\u9fff]{1,10}(?:局|厅|委员会|委|办公室|办|部门|政府|中心|公司|机关|法院|检察院|街道|乡镇|社区|站|所|院|队|处|科|组|会)"

KINDS: tuple[AskKind, ...] = (
    AskKind(
        "money",
        "金额",
        (
            Cue(r"多少钱|多少元|几块钱?|几元|多少块", "asks a sum of money outright"),
            Cue(
                r"金额|额度|费用|收费|价格|罚款|罚多少|花钱|要钱|付钱|交钱|how much",
                "names a payment or its size",
            ),
            Cue(r"(?:补|给|领|发|奖|罚|赔|交|缴|付|收|退)多少", "a verb of paying followed by 多少"),
        ),
        MONEY_SHAPE,
        "an amount with 元, %, 折, or a statement that it is free / reduced",
        True,
    ),
    AskKind(
        "amount",
        "标准",
        (Cue(r"多少|标准|补贴|津贴|钱|amount|money", "a quantity or a benefit standard, not only money"),),
        None,
        "soft: steers to the sentence with the number",
        False,
    ),
    AskKind(
        "date",
        "时间",
        (
            Cue(r"什么时候|何时|哪天|哪一天|几号|几月|哪一?年|when\b", "asks for a point in time"),
            Cue(r"截止|期限|到什么时候|之前要|多久(?:前|内)|deadline", "asks for a deadline"),
        ),
        DATE_SHAPE,
        "a year/month/day, a period word (年底, 之日起, 每月) or a time limit (日内, 工作日)",
        True,
    ),
    AskKind(
        "when",
        "时间",
        (Cue(r"日期|时间|期限|之前|date", "mentions time without asking for a point in it"),),
        None,
        "soft",
        False,
    ),
    AskKind(
        "clock_time",
        "具体钟点",
        (Cue(r"几点|几时几分|什么时段|哪个时段|what time", "asks for a time of day"),),
        r"\d{1,2}\s*(?:点|时|:\d{2})|[" + _CN + r"]{1,3}(?:点|时)",
        "an hour: 22时, 6:00, 十点",
        True,
    ),
    AskKind(
        "duration",
        "时长",
        (
            Cue(
                r"多长时间|多久(?!一次)|几年|几个月|几天|多少天|多少年|有效期|多少小时|几个小时",
                "asks how long",
            ),
        ),
        rf"(?<!\d)[\d{_CN}]{{1,3}}\s*(?:个)?(?:年|月|日|天|周|小时|分钟|工作日)|长期|当年有效",
        "a number with a time unit (a four-digit year is a date, not a length)",
        True,
    ),
    AskKind(
        "frequency",
        "频次",
        (Cue(r"几次|多少次|(?:多久|多长时间)一次|频次|频率|每隔", "asks how often"),),
        rf"每.{{0,6}}(?:次|回)|[\d{_CN}]+\s*次|每(?:年|月|季|周|日|天)|定期|不定期",
        "a count of times, or a period word (每年, 每月)",
        True,
    ),
    AskKind(
        "count",
        "这个数量",
        (
            Cue(r"一共有?多少|总共有?多少|共有多少|共有几", "asks for a total"),
            Cue(rf"(?:有|是)?多少(?:{MEASURE})", "多少 with a measure word"),
            Cue(rf"有几(?:{MEASURE})", "几 with a measure word"),
            Cue(
                r"多少[\u4e00-\u9fff]{0,3}?(?:人|户|家)(?![民均次])",
                "多少 before counted people or households",
            ),
        ),
        rf"[\d{_CN}]+\s*(?:{MEASURE})|\n\s*[(（]?[\d{_CN}]+[)）.、]",
        "a number with a measure word, or a numbered enumeration that can be counted",
        True,
    ),
    AskKind(
        "place",
        "地点",
        (Cue(r"在哪里?(?:办|交|领|申请|报名)?$|什么地方|在哪儿|地点在|具体地址|位置在", "asks where"),),
        r"地址|路\d|街|号楼|大厦|大楼|大厅|窗口|服务中心|便民|所在地|户籍地|居住地|[\u4e00-\u9fff]{2,}(?:村|社区|街道|乡镇)",
        "an address, a hall or window, or a place named by its level (户籍地, 街道)",
        True,
    ),
    AskKind(
        "who",
        "负责的部门",
        (
            Cue(
                r"哪个部门|什么部门|哪些部门|哪个单位|哪家单位|找谁|谁(?:来|负责|管|批|发|审)",
                "asks for an office",
            ),
            Cue(r"谁|负责|牵头|主管|处罚|管|who|department", "asks who acts"),
        ),
        None,
        "answered from who-columns and office names; absence is judged by relevance",
        False,
    ),
    AskKind(
        "person",
        "姓名",
        (
            Cue(r"叫什么名字|姓名|名字是|叫什么", "asks a person's name"),
            Cue(
                r"(?:局长|主任|书记|主席|市长|县长|区长|召集人|代表人|负责人)(?:是谁|是哪位)",
                "asks who holds a post",
            ),
        ),
        r"任命|免去|[：:]\s*[\u4e00-\u9fff]{1,2}[ 　]?[\u4e00-\u9fff]{1,2}[ 　\t]|[\u4e00-\u9fff]{2,3}(?:同志|先生|女士)"
        r"|(?:^|\n)\s*[-·•]?\s*[\u4e00-\u9fff]{1,2}[ 　]?[\u4e00-\u9fff]{1,2}[ 　\t]+[\u4e00-\u9fff]",
        "a name: an appointment (任命/免去), a roster line (召集人：某某 / 某某 某局局长), or 某某同志",
        True,
    ),
    AskKind(
        "entity",
        "具体名称",
        (
            Cue(
                r"哪家(?:企业|公司|单位|医院|机构|商家|商户|门店|药店)|哪些(?:企业|公司|机构|商家|商户|门店|药店|医院|定点)"
                r"|企业名[字称]|公司名|具体(?:企业|公司|名单)",
                "asks for named organisations or shops",
            ),
        ),
        r"有限公司|股份公司|集团|[\u4e00-\u9fff]{2,}(?:公司|厂|医院|学校|合作社|超市|药店|商店|门店)|定点(?:机构|单位|医院|药店)",
        "a proper organisation name: …有限公司, …厂, …医院",
        True,
    ),
    AskKind(
        "procedure",
        "办理流程",
        (
            Cue(
                r"(?:怎么|如何|怎样|去哪|哪里|在哪)(?:申请|办理|报名|申报|领取|登记)|(?:去哪|哪里|在哪)办|apply|application|how do i",
                "asks how to apply",
            ),
            Cue(r"流程|手续|程序怎么", "names a procedure"),
        ),
        r"申请|办理|流程|手续|提交|受理|窗口|申报|报名|登记|审核|审批|认定|评估",
        "a procedural verb: 申请, 提交, 受理, 审核",
        True,
    ),
    AskKind(
        "materials",
        "所需材料",
        (
            Cue(
                r"什么材料|哪些材料|要带什么|带什么|需要提供|提交什么|准备什么|证明材料|什么证件",
                "asks what to bring",
            ),
        ),
        r"(?:下列|以下|如下|相关|申请|证明|备案)材料|材料[：:]|证件|证明|身份证|户口|复印件|照片|申请表|审批表|凭证|原件|执照|证书",
        "a document to bring: 证明, 身份证, 申请表, or 下列材料 (审核材料 alone names none)",
        True,
    ),
    AskKind(
        "contact",
        "联系电话或网址",
        (
            Cue(
                r"电话|热线|网址|网站|邮箱|联系方式|怎么联系|公众号|phone|website|e-?mail",
                "asks how to reach someone",
            ),
        ),
        r"\d{3,4}[-)）]?\d{7,8}|\d{5,}|http|www\.|@[a-z0-9]|电话|热线",
        "a phone-number or URL shape",
        True,
    ),
    AskKind(
        "pay",
        "具体数额",
        (
            Cue(
                r"工资|薪[水酬]|收入多少|学费|房租|租金|经费|预算",
                "names a kind of money a rule may not set",
            ),
        ),
        r"工资|薪[水酬]|收入|学费|房租|租金|经费|预算",
        "the same kind of money named in the text",
        True,
        echo=True,
    ),
    AskKind(
        "products",
        "生产或经营的内容",
        (
            Cue(
                r"生产什么|产什么|经营什么|主营|什么产品|经营范围|做什么生意",
                "asks what an organisation makes or sells",
            ),
        ),
        r"产品|经营范围|主营|生产[\u4e00-\u9fff]{1,8}(?:的|为|等)",
        "a product or a business scope",
        True,
    ),
    AskKind(
        "successor",
        "由哪个文件代替",
        (
            Cue(
                r"代替|替代|取代|接替|新文件|被什么.{0,4}(?:文件|办法)",
                "asks which document replaced another",
            ),
        ),
        r"代替|替代|取代|同时废止|以本.{0,6}为准|不再执行",
        "a statement that one document replaces another",
        True,
    ),
    AskKind(
        "validity",
        "",
        (
            Cue(
                r"还有效|仍然?有效|继续有效|有效吗|是否有效|废止|失效|作废|还能用|还适用|还执行|现行",
                "asks whether a document is in force",
            ),
        ),
        None,
        "answered from the printed lists of valid and repealed documents",
        False,
    ),
    AskKind(
        "earlier",
        "",
        (Cue(r"原来|以前|之前|调整前|提高前|提标前|原标准|过去", "asks what applied before a later change"),),
        None,
        "soft: answered from the earlier issue's row, not the newest",
        False,
    ),
    AskKind(
        "yesno",
        "",
        (Cue(r"吗|是否|能不能|可不可以|可以|有没有|是不是|对吧|对不对|行不行|算不算", "a yes/no question"),),
        None,
        "soft",
        False,
    ),
    AskKind(
        "list",
        "",
        (
            Cue(
                r"哪些|有几|几种|几类|包括|情形|列出|都有|哪几|哪(?:两|[三四五]|[六七八]|[九十])(?:[件个项条]|[份类种家])|what are|\blist\b|which",
                "asks for every member of a set",
            ),
        ),
        None,
        "soft: answered from the list's own structure",
        False,
    ),
    AskKind(
        "definition",
        "",
        (Cue(r"什么是|是什么意思|指什么|是指|含义|定义|what is", "asks what a term means"),),
        None,
        "soft",
        False,
    ),
    AskKind(
        "comparison",
        "",
        (
            Cue(
                r"分别|区别|不同|相比|哪个(?:多|高|早|晚|大)|比.{1,6}(?:多|高|少|低)",
                "asks two things side by side",
            ),
        ),
        None,
        "soft",
        False,
    ),
    AskKind(
        "docmeta",
        "",
        (
            Cue(
                r"(?:哪天|什么时候|何时)(?:印|下)?发(?:的|布|出|文)|哪天签发|印发日期|发文日期|签发|落款",
                "asks the document's date (每月什么时候发 asks when money is paid)",
            ),
            Cue(
                r"(?:文件|通知|方案|办法|意见|决定|通告|公告|规定|文号).{0,8}(?:哪天|什么时候|何时)(?:印|下)?发",
                "asks when a named kind of document was issued",
            ),
            Cue(
                r"哪个文件|哪份文件|什么文件|哪个文号|文号是|谁发的|哪个单位发|发文机关|发的文",
                "asks which document or its issuer",
            ),
        ),
        None,
        "answered from the document's title and 落款",
        False,
    ),
)
BY_NAME = {k.name: k for k in KINDS}

# asks for a document's number itself (通告, 任免 and 解读 are often printed without one)
ASKS_NUMBER = re.compile(r"文号(?:是|为)?(?:多少|什么|几号)|(?:哪个|什么)文号|发文字号|发文号")

# Words that say what is asked, not what about: a follow-up made only of these and of numbers
# ("那100岁呢？", "谁负责？", "要交什么材料？") has no topic of its own.
ASKING_WORDS = frozenset(
    {
        "还有", "如果", "那么", "另外", "要交", "需要", "开始", "结束", "办理", "申请", "时候", "怎么",
        "可以", "多少", "什么", "哪些", "哪个", "负责", "材料", "电话", "标准", "时间", "流程", "手续",
    }
)  # fmt: skip


def asked_kinds(text: str) -> set[str]:
    """Names of every kind the question asks for."""
    low = text.lower()
    return {k.name for k in KINDS if k.asked_in(low)}


def missing_kind(kinds: set[str], evidence: str, question: str = "") -> AskKind | None:
    """The first strict kind asked for that the evidence does not hold."""
    if "docmeta" in kinds:
        kinds = kinds - {"date"}  # a document's date is in its 落款, not in the passage found
    if re.search(r"比例|百分|%|报销", question):
        kinds = kinds - {"money"}  # a share is answered by a percentage, not a sum of money
    if "frequency" in kinds:
        kinds = kinds - {"duration"}  # 多长时间一次 asks how often
    for k in KINDS:
        if k.strict and k.name in kinds and not k.held_by(evidence, question):
            return k
    return None


def holds(kind: str, text: str) -> bool:
    """Does ``text`` hold an answer of this kind (by its evidence shape)?"""
    k = BY_NAME[kind]
    return k.evidence is not None and k.held_by(text)


# Split a question into its asks: "…是什么？由谁负责？" -> two asks; the second borrows the
# first's topic (the words before its ask cue).
ASK_SPLIT = re.compile(
    r"[？?]\s*(?=\S)|[；;]\s*(?=\S)|，(?=(?:由谁|谁|哪个|哪些|什么时候|多少|怎么|如何|在哪|要不要|需不需要|是否))"
)


# The words that make a clause a question, whatever it asks for (the kinds above steer the
# answer; these only tell where an ask starts and that a clause asks at all).
QUESTION_WORD = re.compile(
    r"什么|多少|几(?=[^乎]|$)|谁|哪|怎么|怎样|如何|吗|是否|能否|能不能|可不可以|有没有|是不是|要不要|"
    r"需不需要|算不算|多久|多长|多大|多高|多远|了没|没有$"
)
# "X呢？" after a question: the same ask again, about X ("…怎么分担？提标后增加的部分呢？")
ELLIPTIC = re.compile(r"^(?:那|那么)?(.{2,}?)(?:又)?呢$")
# a document the first ask names (文号 or 《title》): later asks are about it too
DOC_REF = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[]\d{4}[〕\]]\d+号|《[^》]{2,}》")


def topic_of(text: str) -> str:
    """The words before the first question word: "高龄津贴是多少" -> "高龄津贴"."""
    m = QUESTION_WORD.search(text)
    head = text[: m.start()] if m else text
    head = re.sub(r"(?:是|由|的|要|需要|在|从|到|有|为)$", "", head)
    return head.strip(" ，,")


def _asks_in_series(part: str) -> list[str]:
    """``part`` split at 、 when every piece asks (a question word in each); else ``[part]``."""
    pieces = [x.strip() for x in part.split("、")]
    if len(pieces) > 1 and all(len(x) >= 3 and QUESTION_WORD.search(x) for x in pieces):
        return pieces
    return [part]


def split_asks(text: str) -> list[str]:
    """Two or three asks in one question, each as a standalone question; [] for one ask.

    Each part must ask (an answer kind, a question word, or "X呢" repeating the first ask about
    X). A later part borrows what it leaves out: the document the first part names, the first
    part's topic when it has none of its own, the first part's ask when it is "X呢"."""
    parts = [p.strip(" ，,？?；;。") for p in ASK_SPLIT.split(text) if p.strip(" ，,？?；;。")]
    # "…什么时候发、通过什么方式发": a 、 between two clauses that each ask
    parts = [x for p in parts for x in _asks_in_series(p)]
    if len(parts) < 2 or len(parts) > 3:
        return []
    first = parts[0]
    topic = topic_of(first)
    if len(topic) < 2 or not (asked_kinds(first) or QUESTION_WORD.search(first)):
        return []
    ask = first[len(topic) :]
    # the subject the asks share: the possessor when the topic ends in a short attribute of it
    # ("X的召集人" -> X); a long tail after 的 is the subject itself ("提高后的…补贴标准")
    owner, _, attribute = topic.rpartition("的")
    subject = owner if len(owner) >= 2 and 0 < len(attribute) <= 4 else topic
    if re.search(r"[了过着]$", subject):
        subject = ""  # "保留了几件、废止了几件": a verb, not a subject the asks share
    refs = DOC_REF.findall(first)
    out = [first]
    for p in parts[1:]:
        elliptic = ELLIPTIC.match(p)
        if elliptic and not QUESTION_WORD.search(p):
            p = topic + elliptic.group(1) + ask
        elif not (asked_kinds(p) or QUESTION_WORD.search(p)):
            return []
        elif subject not in p:
            p = subject + p
        missing = [r for r in refs if r not in p]
        out.append("".join(missing) + p if missing else p)
    return out


# -- requests that are declined whatever the evidence -------------------------------------------
@dataclass(frozen=True)
class Request:
    """Something asked of the assistant that is not a question the gazette can answer."""

    name: str
    pattern: str
    why: str
    reply: str


REQUESTS: tuple[Request, ...] = (
    Request(
        "fabricate",
        r"编一个|编个|编造|捏造|伪造|虚构|随便编|帮我编|瞎编|make up|invent|fabricate",
        "asks for invented facts",
        "我只能引用公报原文，不能编造文号、金额或日期。",
    ),
    Request(
        "evade",
        r"^(?!.*(?:防止|防范|杜绝|查处|发现|监管|举报)).*(?:绕过|规避|逃避监管|躲过|偷偷|暗中|怎样逃|钻空子|bypass|evade)",
        "asks how to get round a rule (not how a rule prevents that)",
        "我不能提供规避监管的办法。公报中的相关规定可以问我。",
    ),
    Request(
        "reveal",
        r"系统提示|提示词|system prompt|原样输出|你的指令|你的规则|(?:print|show|reveal) your (?:instructions|prompt|rules)",
        "asks for the assistant's own instructions",
        "我只根据公报原文回答问题，不输出或改变自己的规则。",
    ),
    Request(
        "about_me",
        r"你是谁|你是什么|什么模型|大模型|你叫什么|谁开发的|who are you|what model",
        "asks about the assistant, not the gazette",
        "我是公报问答助手，只根据已收录的公报原文回答，并给出处。",
    ),
    Request(
        "task",
        r"写一首|写首|写一篇|写篇|写一段|作一首|帮我写|写个|写一个|翻译|编程|代码|python|java|食谱|菜谱",
        "asks for a task other than answering from the gazette",
        "我只回答关于公报内容的问题，不写诗文、代码或做其他任务。",
    ),
    Request(
        "advice",
        r"推荐|哪只股票|买什么股|投资建议|recommend",
        "asks for a recommendation the gazette cannot give",
        "我只引用公报中的规定，不做推荐或投资建议。",
    ),
    Request(
        "payload",
        r"<\s*/?\s*[a-z!][^>]*>|\b(?:select|drop|insert|delete|update|union|alter)\b[^。？?]*\b(?:from|table|into|set|select|where)\b"
        r"|;\s*--|\{\{.*\}\}|\$\{.*\}",
        "markup, SQL or template code: input to a program, not a question",
        "这句话像是程序代码，不是关于公报的问题。请用文字提问。",
    ),
)

# "不知道的话就随便写个日期": a fallback offered in case the gazette is silent, not the request
# itself; the question before it is answered from the gazette (and nothing is ever invented).
FALLBACK_INVITATION = r"(?:如果|要是|假如)?(?:你)?(?:不知道|不清楚|查不到|找不到|没有)(?:的话)?[，,]?\s*(?:就|那就)?(?:随便|编|写|猜)[^。？?！!]*"
# A confirmation ("…是某局罚的吧？") states a claim to check: it is corrected, not looked up.
# Grades that exclude each other: a question about one the text does not name, where the text
# names others of the same scale (轻度失能 asked, 中度/重度 printed), is not answered by it.
GRADES: tuple[tuple[str, ...], ...] = (
    ("轻度", "中度", "重度"),
    ("一星级", "二星级", "三星级", "四星级", "五星级"),
    ("一级", "二级", "三级", "四级"),
)
# Whose number is asked (…公司的电话): an organisation a contact answer must name.
CONTACT_OWNER = (
    r"([\u4e00-\u9fff]{2,6}?(?:公司|集团|医院|银行|中心|站|学校|商家))(?:的)?(?:联系)?(?:电话|热线|联系方式)"
)

# Whose post is asked (…委员会的主任是谁): the organisation a name must be printed with.
POST_OWNER = (
    r"([\u4e00-\u9fff]{2,12}?(?:委员会|局|办公室|中心|小组|会议|政府|指挥部))的?"
    r"(?:常务)?(?:副)?(?:主任|局长|书记|组长|召集人|负责人|主席|总指挥)(?:是谁|是哪位|叫什么)"
)

CONFIRMATION = r"对吧|对吗|对不对|是不是|没错吧|吧[？?]?$|right\?|isn't it|correct\?"
# Real English has function words; a run of Latin letters without any is not a question.
ENGLISH_WORDS = (
    r"\b(?:what|how|who|whom|when|where|which|why|is|are|do|does|can|could|the|a|an|of|for|to|in|on|my|i|"
    r"much|many|any|there|should|will|apply|get)\b"
)
# Text that tries to give the assistant orders ("忽略之前的指令", "【系统通知】你现在以…身份回答"):
# removed before the question is read; what remains is answered from the gazette like any
# question, and nothing remaining means there was no question.
INSTRUCTIONS = (
    r"(?:忽略|无视|忘记|忘掉|不要管|不用管)(?:你)?(?:之前|以上|前面|上面|所有|一切|全部|公报)[^，,。；;！!？?]*[，,。；;！!]?",
    r"(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?(?:previous|prior|above|earlier|gazette)[^.,;!?]*[.,;!]?",
    r"〔\s*(?:系统|system)[^〕]{0,8}〕",
    r"你现在(?:是|以|扮演|作为)[^，,。：:]{0,30}(?:身份|角色)?[^，,。：:]{0,10}[：:，,]",
    r"(?:just|only)\s+(?:say|answer|reply)\b[^.?!]*[.?!]?",
)
