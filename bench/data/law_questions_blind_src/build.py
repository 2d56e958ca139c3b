"""Write questions.jsonl from sample.json (the seeded sample). Wording choices use their own
seeded Random so the set is reproducible: python3 inventory.py && python3 sample.py && python3 build.py"""
import json, os, random, re, collections

ROOT = "/work/shared/corpus/laws/"
rng = random.Random(20261204 + 1)
S = json.load(open("/work/briefs/lawq/sample.json"))
PRC = "中华人民共和国"

# Natural short names people really use (by sample index's title); only where one is natural.
SHORT = {
    "中华人民共和国节约能源法": "节能法",
    "中华人民共和国消费者权益保护法": "消保法",
    "中华人民共和国政府采购法": "政采法",
    "中华人民共和国企业国有资产法": "国资法",
    "中华人民共和国全国人民代表大会和地方各级人民代表大会选举法": "选举法",
    "中华人民共和国职业教育法": "职教法",
    "中华人民共和国未成年人保护法": "未保法",
    "中华人民共和国野生动物保护法": "野保法",
    "中华人民共和国海洋环境保护法": "海洋环保法",
    "不动产登记暂行条例": "不动产登记条例",
    "医疗保障基金使用监督管理条例": "医保基金监管条例",
    "中华人民共和国招标投标法实施条例": "招投标法实施条例",
    "互联网信息服务算法推荐管理规定": "算法推荐规定",
    "最高人民法院关于适用《中华人民共和国民事诉讼法》的解释": "民诉法解释",
    "最高人民法院关于限制被执行人高消费的若干规定": "限高规定",
    "最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释": "建筑物区分所有权司法解释",
    "最高人民法院关于审理涉及农村土地承包纠纷案件适用法律问题的解释": "农村土地承包纠纷司法解释",
    "最高人民法院关于适用《中华人民共和国物权法》若干问题的解释（一）": "物权法司法解释（一）",
    "最高人民法院关于适用《中华人民共和国涉外民事关系法律适用法》若干问题的解释（二）": "涉外民事关系法律适用法司法解释（二）",
    "最高人民法院、最高人民检察院关于办理拒不执行判决、裁定刑事案件适用法律若干问题的解释": "拒执罪司法解释",
    "最高人民法院关于适用《中华人民共和国婚姻法》若干问题的解释（二）": "婚姻法解释二",
    "最高人民法院、最高人民检察院关于办理袭警刑事案件适用法律若干问题的解释": "袭警罪司法解释",
    "最高人民法院、最高人民检察院关于办理危害药品安全刑事案件适用法律若干问题的解释": "危害药品安全刑事司法解释",
    "最高人民法院、最高人民检察院关于办理环境污染刑事案件适用法律若干问题的解释": "环境污染刑事司法解释",
    "最高人民法院关于适用《中华人民共和国担保法》若干问题的解释": "担保法解释",
    "最高人民法院关于设立国际商事法庭若干问题的规定": "国际商事法庭规定",
    "最高人民法院关于适用《中华人民共和国合同法》若干问题的解释（二）": "合同法解释二",
    "最高人民法院关于适用《中华人民共和国公司法》若干问题的规定（二）": "公司法司法解释二",
    "最高人民法院关于审理行政协议案件若干问题的规定": "行政协议司法解释",
    "最高人民法院关于审理涉彩礼纠纷案件适用法律若干问题的规定": "彩礼司法解释",
    "最高人民法院关于审理非法集资刑事案件具体应用法律若干问题的解释": "非法集资司法解释",
    "最高人民法院关于适用《中华人民共和国民法典》合同编通则若干问题的解释": "合同编通则解释",
    "最高人民法院、最高人民检察院关于办理寻衅滋事刑事案件适用法律若干问题的解释": "寻衅滋事司法解释",
    "人民检察院刑事诉讼规则": "高检规则",
    "最高人民法院关于人民法院办理执行异议和复议案件若干问题的规定": "执行异议复议规定",
    "最高人民法院、最高人民检察院关于办理非法采矿、破坏性采矿刑事案件适用法律若干问题的解释": "非法采矿司法解释",
    "最高人民法院 最高人民检察院关于办理操纵证券、期货市场刑事案件适用法律若干问题的解释": "操纵证券期货市场司法解释",
    "最高人民法院、最高人民检察院关于办理内幕交易、泄露内幕信息刑事案件具体应用法律若干问题的解释": "内幕交易司法解释",
    "最高人民法院关于审理融资租赁合同纠纷案件适用法律问题的解释": "融资租赁司法解释",
    "处方药与非处方药分类管理办法（试行）": "处方药与非处方药分类管理办法",
    "最高人民法院关于审理利用信息网络侵害人身权益民事纠纷案件适用法律若干问题的规定": "网络侵害人身权益规定",
}

CN = "零一二三四五六七八九"
def cn2int(s):
    total, num = 0, 0
    for ch in s:
        if ch in CN: num = CN.index(ch)
        elif ch == "十": total += (num or 1) * 10; num = 0
        elif ch == "百": total += num * 100; num = 0
        elif ch == "千": total += num * 1000; num = 0
    return total + num
def int2cn(n):
    if n == 0: return "零"
    parts, units, out, zero = [], ["千", "百", "十", ""], "", False
    digits = [n // 1000 % 10, n // 100 % 10, n // 10 % 10, n % 10]
    started = False
    for d, u in zip(digits, units):
        if d == 0:
            if started: zero = True
            continue
        if zero: out += "零"; zero = False
        out += ("" if (d == 1 and u == "十" and not started) else CN[d]) + u
        started = True
    return out
assert int2cn(43) == "四十三" and int2cn(110) == "一百一十" and int2cn(105) == "一百零五" and int2cn(10) == "十" and int2cn(12) == "十二"
assert cn2int("一百三十三") == 133 and cn2int("十") == 10 and cn2int("一百零五") == 105

def art_text(form, label, sub):
    m = re.match(r"第(.+?)条(之.+)?$", label)
    num, zhi = m.group(1), m.group(2) or ""
    n = cn2int(num)
    if form == "cn": return label
    if form == "arabic": return f"第{n}条"
    if form == "bare": return f"{n}条"
    if form == "kuan": return f"{label}第{int2cn(sub)}款"
    if form == "xiang": return f"{label}第{int2cn(sub)}项"
    if form == "zhi": return label
    raise ValueError(form)

PLAIN = ["{name}{art}是怎么规定的？", "《{name}》{art}", "{name}{art}的原文", "请提供{name}{art}的内容",
         "{name}的{art}", "查询{name}{art}", "{name}{art}讲的什么"]
SENT = ["我想查一下{name}里面{art}讲的是什么", "开会要用，麻烦把{name}{art}的原文发我一下",
        "最近在办一个案子，需要引用{name}的{art}，帮我找一下全文",
        "同事说{name}{art}有相关规定，能帮我看看这一条具体写了什么吗？",
        "帮我找找{name}里{art}的条文，我要核对一下文件里的引用",
        "领导让我把{name}{art}的内容整理出来，这条原文是什么？"]

def art_body(path, label):
    """Text of one article (label line to the next article label or heading), None if absent."""
    out = None
    for l in open(ROOT + path, encoding="utf-8"):
        l = l.strip()
        if out is not None and (re.match(r"^第[一二三四五六七八九十百零]+条", l) or l.startswith("#")):
            break
        if out is None and re.match(re.escape(label) + r"([\s　]|$)", l):
            out = []
        if out is not None and l:
            out.append(l)
    return "\n".join(out) if out is not None else None

def edition_phrase(path):
    f = os.path.basename(path)
    date = re.search(r"\((\d{4})-(\d\d)-(\d\d)\)", f)
    y = date.group(1)
    head = open(ROOT + path, encoding="utf-8").read().split("<!-- INFO END -->")[0]
    line = next((l for l in head.splitlines() if l.startswith(y + "年")), "")
    verb = "修正" if "修正" in line else "修订" if "修订" in line else None
    if verb and rng.random() < 0.5:
        return f"{y}年{verb}的", f"{y} {verb}"
    return f"{y}年版的", f"{y}年版"

INV = {r["path"]: r for r in json.load(open("/work/briefs/lawq/inventory.json"))}
LAST = {p: r["arts"][-1]["label"] for p, r in INV.items() if r["arts"]}
# Manual fix after reading the article text: 医疗机构制剂配制质量管理规范 第五十六条 is one
# paragraph with items whose item (二) runs over two lines, so there is no 第二款; ask 第二项.
for it in S:
    if it["title"].startswith("医疗机构制剂配制质量管理规范") and it["label"] == "第五十六条":
        it["form"], it["sub"] = "xiang", 2
out, n = [], 0
for it in S:
    title = it["title"]
    path = it["file"]
    has_prc = title.startswith(PRC)
    roll = it["name_roll"]
    if title in SHORT and roll < 0.8:
        nf, name = "short", SHORT[title]
    elif has_prc:
        nf, name = ("full_prc", title) if roll < 0.5 else ("noprefix", title[len(PRC):])
    else:
        nf, name = "full", title
    if it["stratum"] == "zhi":
        nf, name = ("noprefix", "刑法") if roll < 0.7 else ("full_prc", title)
    ed_note = "default (newest edition)" if len(it.get("editions", [])) > 1 else "single edition"
    if it["edition"] == "older":
        pre, ed_note = edition_phrase(path)
        ed_note = f"older edition asked explicitly ({ed_note})"
        name_q = pre + name
    else:
        name_q = name
    answerable = it.get("answerable", True)
    if answerable:
        label, sub = it["label"], it.get("sub")
        art = art_text(it["form"], label, sub)
    else:
        label = "第" + int2cn(it["beyond"]) + "条"; sub = None
        art = art_text(it["form"], label, None)
    tpl = rng.choice(SENT if it["sentence"] else PLAIN)
    if tpl.startswith("《") and (nf == "short" or "《" in name):
        tpl = "{name}{art}"
    if tpl.startswith("《") and it["edition"] == "older":
        q = pre + tpl.format(name=name, art=art)
    else:
        q = tpl.format(name=name_q, art=art)
    n += 1
    alts = [p for e in it.get("editions", []) for p in e if p in it["files"] and p != path]
    rec = {"id": f"LQ{n:03d}", "question": q, "law_file": os.path.basename(path),
           "article": label, "answerable": answerable,
           "notes": f"name form: {nf} ({name}); article form: {it['form']}"
                    + (f" ({art})" if it["form"] in ("kuan", "xiang") else "")
                    + f"; {ed_note}" + ("; phrased in a longer sentence" if it["sentence"] else "")
                    + ("" if answerable else f"; UNANSWERABLE: asks {label}, beyond the last article: the law has {it['n_arts']} articles, last is {LAST[path]}"),
           "category": it["cat"], "law_path": path, "name_form": nf, "article_form": it["form"],
           "sentence": it["sentence"], "edition": it["edition"], "stratum": it["stratum"],
           "n_articles": it["n_arts"]}
    if it["edition"] == "older":
        rec["differs_from_newest"] = art_body(path, label) != art_body(it["editions"][-1][0], label)
    if sub and answerable:
        rec["sub"] = f"第{int2cn(sub)}{'款' if it['form']=='kuan' else '项'}"
    if "民事诉讼法》的解释" in title and it["edition"] == "newest":
        alts.append("司法解释/最高人民法院关于适用《民事诉讼法》的解释(2022-04-01).md")  # same 2022 revision
    if alts:
        rec["alt_law_paths"] = alts
    out.append(rec)

NOT_IN = [  # real laws/regulations, none of them in the corpus (checked against every '# ' title)
    ("中华人民共和国合同法", "第五十二条", "cn", "full_prc", False),
    ("物权法", "第106条", "arabic", "noprefix", False),
    ("婚姻法", "第三十二条", "cn", "noprefix", True),
    ("中华人民共和国担保法", "第十八条", "cn", "full_prc", True),
    ("民法通则", "135条", "bare", "noprefix", False),
    ("侵权责任法", "第六条第二款", "kuan", "noprefix", True),
    ("民法总则", "第188条", "arabic", "noprefix", False),
    ("中华人民共和国民营经济促进法", "第十条", "cn", "full_prc", False),
    ("原子能法", "第20条", "arabic", "noprefix", True),
    ("消费者权益保护法实施条例", "第十五条", "cn", "full", False),
    ("城市房屋拆迁管理条例", "第二十二条", "cn", "full", True),
    ("继承法", "第十条第一项", "xiang", "noprefix", False),
]
for name, art, af, nf, sent in NOT_IN:
    n += 1
    tpl = rng.choice(SENT if sent else PLAIN)
    q = tpl.format(name=name, art=art)
    out.append({"id": f"LQ{n:03d}", "question": q, "law_file": None, "article": re.sub(r"(条).*$", r"\1", art) if art.startswith("第") else "第" + int2cn(int(art[:-1])) + "条",
                "answerable": False,
                "notes": f"name form: {nf} ({name}); article form: {af}; law NOT in corpus (no file has this title)",
                "category": "not_in_corpus", "law_path": None, "name_form": nf, "article_form": af,
                "sentence": sent, "edition": None, "stratum": "not_in_corpus", "n_articles": None})
for r in out:
    if r["article"] and r["article"][1:].rstrip("条").isdigit():
        r["article"] = "第" + int2cn(int(r["article"][1:-1])) + "条"
with open("/work/briefs/lawq/questions.jsonl", "w") as fh:
    for r in out:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")
print(len(out))
