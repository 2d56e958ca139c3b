"""Seeded, stratified sample for the law-article lookup question set.

Run: python3 inventory.py && python3 sample.py   (writes sample.json)
Population = works (files grouped by their '# title'), category by corpus folder:
  法律 = 宪法/宪法相关法/刑法/民法典/民法商法/社会法/经济法/行政法/诉讼与非诉讼程序法
  行政法规, 司法解释, 部门规章 = the folders of those names; 案例 and 其他 are left out.
Works with fewer than 3 article labels (decisions, 批复 without 第X条, amendments) are left out.
Everything random below comes from one random.Random(20261204), drawn in a fixed order,
before any question text was written.
"""
import collections, json, random, re

SEED = 20261204
N = {"法律": 50, "行政法规": 92, "司法解释": 62, "部门规章": 6}   # ~proportional (23/47/28/2 %), laws slightly up
N_EDITION_SUPPLEMENT = 10   # extra multi-edition works, asked for an older edition
N_ZHI_SUPPLEMENT = 5        # extra 第X条之一 questions (only 刑法 has such labels)
N_BEYOND = 12               # sampled works turned into "article beyond the last" questions
ART_FORMS = ["cn"] * 35 + ["arabic"] * 25 + ["bare"] * 15 + ["kuan"] * 12 + ["xiang"] * 13

rows = [r for r in json.load(open("/work/briefs/lawq/inventory.json")) if len(r["arts"]) >= 3]
works = collections.defaultdict(list)
for r in rows:
    works[(r["cat"], r["title"])].append(r)

def editions(files):
    """Distinct editions, oldest first; files with the same date (or an undated twin of a
    dated file with the same article count) are one edition."""
    by = collections.OrderedDict()
    for f in sorted(files, key=lambda f: (f["date"] or "9999", f["path"])):
        key = f["date"]
        if key is None and any(g["date"] and len(g["arts"]) == len(f["arts"]) for g in files):
            continue
        by.setdefault(key, []).append(f)
    return list(by.values())

def complete(f):
    text = open("/work/shared/corpus/laws/" + f["path"], encoding="utf-8").read()
    tail = text.strip().splitlines()[-1]
    return "施行" in tail or "生效" in tail

rng = random.Random(SEED)
keys = sorted(works)
by_cat = collections.defaultdict(list)
for k in keys:
    by_cat[k[0]].append(k)
picked = []
for cat in ["法律", "行政法规", "司法解释", "部门规章"]:
    picked += [(k, "main") for k in rng.sample(by_cat[cat], N[cat])]
chosen = {k for k, _ in picked}
multi = [k for k in keys if len(editions(works[k])) > 1 and k not in chosen and k[1] != "中华人民共和国民法典"]
picked += [(k, "edition") for k in rng.sample(multi, N_EDITION_SUPPLEMENT)]

out = []
for k, stratum in picked:
    eds = editions(works[k])
    item = {"cat": k[0], "title": k[1], "stratum": stratum,
            "editions": [[f["path"] for f in e] for e in eds]}
    old = stratum == "edition" or (len(eds) > 1 and rng.random() < 0.5)
    ed = rng.choice(eds[:-1]) if old else eds[-1]
    item["edition"] = "older" if old else "newest"
    item["files"] = [f["path"] for f in ed]
    arts = [(f["path"], a) for f in (ed if k[1] != "中华人民共和国民法典" else [x for e in eds for x in e]) for a in f["arts"]]
    form = rng.choice(ART_FORMS)
    if form == "kuan":
        cand = [x for x in arts if x[1]["paras"] >= 2]
    elif form == "xiang":
        cand = [x for x in arts if x[1]["items"] >= 1]
    else:
        cand = [x for x in arts if "之" not in x[1]["label"]]
    if not cand:
        form, cand = "cn", [x for x in arts if "之" not in x[1]["label"]]
    path, a = rng.choice(cand)
    item.update(form=form, file=path, label=a["label"], n_arts=len(arts),
                sub=(rng.randint(2, min(a["paras"], 4)) if form == "kuan" else
                     rng.randint(1, min(a["items"], 4)) if form == "xiang" else None),
                complete=complete(next(f for f in rows if f["path"] == path)))
    item["sentence"] = rng.random() < 0.28
    item["name_roll"] = rng.random()
    out.append(item)

# beyond-the-last questions: seeded among main-stratum works whose file ends with a 施行 clause
cands = [i for i, it in enumerate(out) if it["stratum"] == "main" and it["complete"]
         and it["title"] != "中华人民共和国民法典"]
for i in rng.sample(cands, N_BEYOND):
    it = out[i]
    it["answerable"] = False
    it["beyond"] = it["n_arts"] + rng.choice([1, 2, 3, 5, 8, 12, 20, 37])
    it["form"] = rng.choice(["cn", "arabic", "bare"])
# 之一 supplement
xf = [r for r in rows if r["path"] == "刑法/刑法.md"][0]
zhi = [a["label"] for a in xf["arts"] if "之" in a["label"]]
for lab in rng.sample(zhi, N_ZHI_SUPPLEMENT):
    out.append({"cat": "法律", "title": xf["title"], "stratum": "zhi", "edition": "newest",
                "files": [xf["path"]], "form": "zhi", "file": xf["path"], "label": lab,
                "n_arts": len(xf["arts"]), "sub": None, "sentence": rng.random() < 0.28,
                "name_roll": rng.random()})
json.dump(out, open("/work/briefs/lawq/sample.json", "w"), ensure_ascii=False, indent=0)
print(collections.Counter((o["cat"], o["stratum"]) for o in out))
print(collections.Counter(o["form"] for o in out), sum(1 for o in out if o.get("answerable") is False),
      collections.Counter(o["edition"] for o in out))
