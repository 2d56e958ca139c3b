"""Inventory of the law corpus: category, title, edition date, article labels."""
import json, os, re
ROOT = "/work/shared/corpus/laws"
LAW_DIRS = {"宪法", "宪法相关法", "刑法", "民法典", "民法商法", "社会法", "经济法", "行政法", "诉讼与非诉讼程序法"}
CAT = {"行政法规": "行政法规", "司法解释": "司法解释", "部门规章": "部门规章"}
ART = re.compile(r"^第([一二三四五六七八九十百千零〇]+)条(之[一二三四五六七八九十]+)?(?=[\s　]|$)")
DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)\.md$")

def scan(path):
    text = open(path, encoding="utf-8").read()
    lines = text.splitlines()
    title = next((l[2:].strip() for l in lines if l.startswith("# ")), None)
    arts, cur = [], None
    for l in lines:
        s = l.strip()
        m = ART.match(s)
        if m:
            cur = {"label": m.group(0), "paras": 1, "items": 0}
            arts.append(cur)
            continue
        if s.startswith("#") or s.startswith("<!--"):
            cur = None if s.startswith("## ") or s.startswith("# ") else cur
            continue
        if cur and s:
            if re.match(r"^[（(][一二三四五六七八九十]+[）)]", s):
                cur["items"] += 1
            else:
                cur["paras"] += 1
    return title, arts

rows = []
for d, _, fs in os.walk(ROOT):
    for f in fs:
        if not f.endswith(".md"):
            continue
        p = os.path.join(d, f)
        rel = os.path.relpath(p, ROOT)
        top = rel.split("/")[0]
        cat = "法律" if top in LAW_DIRS else CAT.get(top)
        if cat is None:
            continue
        title, arts = scan(p)
        m = DATE.search(f)
        rows.append({"path": rel, "file": f, "cat": cat, "title": title,
                     "date": m.group(1) if m else None,
                     "work": DATE.sub("", f).removesuffix(".md"),
                     "arts": arts})
rows.sort(key=lambda r: r["path"])
json.dump(rows, open("/work/briefs/lawq/inventory.json", "w"), ensure_ascii=False)
