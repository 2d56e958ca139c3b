"""Article-lookup self-check over the law corpus (parsing only, no embeddings: cheap).

Gold articles come from tests/law_splitter.py, written apart from ingest/laws.py; questions from
tests/law_questions.py (four name forms each: full title, without 中华人民共和国, common short
name, in a sentence). The product side is what ingest writes to the article catalogue
(ingest/catalogue.py over ingest/laws.py) read by the assistant's ArticleDesk.

Two measures:

* splitter agreement: every article of the corpus, gold text against catalogue text (folded)
* lookup: questions -> ArticleDesk.lookup -> right article of the right text (and edition),
  whole article; a name that several titles share by the gold's own rules must be asked back

    nice -n 19 .venv/bin/python bench/bench_articles.py            # seeded stratified sample
    nice -n 19 .venv/bin/python bench/bench_articles.py --all      # every article, 4 forms each
    nice -n 19 .venv/bin/python bench/bench_articles.py --questions blind.jsonl

``--questions``: questions written blind by someone else, one JSON object a line::

    {"question": "…", "title": "中华人民共和国劳动法", "article": "第四十三条",
     "edition": "2018-12-29", "expect": "article"}

``title`` is the text's full title as its file's ``# `` line prints it; ``article`` the label as
printed (or a number); ``edition`` (optional) the edition's ISO date, the newest when absent;
``expect`` (optional) "article" (default), "ask" (the name fits several texts), "missing"
(the text has no such article) or "absent" (the text is not in the corpus: nothing quoted). Each is scored against the gold splitter's article.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.articles import ArticleDesk  # noqa: E402
from assistant.lawrefs import label_key  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.textnorm import fold  # noqa: E402
from ingest.catalogue import catalogue_entries  # noqa: E402
from ingest.sources import parse_source  # noqa: E402
from tests.law_questions import (  # noqa: E402
    CATEGORIES,
    category,
    common_name,
    editions_by_title,
    plain_name,
    questions_for,
    stratified_sample,
)
from tests.law_splitter import split_law  # noqa: E402

PER_CATEGORY = {"法律": 400, "行政法规": 300, "司法解释": 200, "部门规章": 100}


def load(root: Path):
    files = sorted(root.rglob("*.md"))
    gold = [split_law(f) for f in files]
    t = time.perf_counter()
    texts = [t for p in map(parse_source, files) for ts in catalogue_entries([p]).values() for t in ts]
    parse_s = time.perf_counter() - t
    return gold, texts, parse_s


def agreement(gold, texts) -> dict:
    by_source = defaultdict(dict)
    for t in texts:
        for label, body in t.articles:
            by_source[t.source][label_key(label)] = body
    total = same = missing = 0
    for law in gold:
        source = f"{law.path.parent.name}/{law.path.name}"
        have = by_source.get(source, {})
        for a in law.articles:
            total += 1
            if a.key not in have:
                missing += 1
            elif fold(have[a.key]) == fold(a.text):
                same += 1
    return {"articles": total, "same_text": same, "missing": missing}


def shared_names(gold) -> dict[str, set[str]]:
    """Each plain and common name -> the titles it is the plain or common name of."""
    out: dict[str, set[str]] = defaultdict(set)
    for law in gold:
        for name in (plain_name(law.title), common_name(law.title)):
            out[name].add(law.title)
    return out


def run(gold, desk: ArticleDesk, pairs, root: Path) -> dict:
    editions = editions_by_title(gold)
    names = shared_names(gold)
    score: dict[str, Counter] = defaultdict(Counter)
    misses = []
    t = time.perf_counter()
    n = 0
    for turn, (cat, law, a) in enumerate(pairs):
        for q in questions_for(law, a, editions[law.title], turn):
            n += 1
            form_name = plain_name(law.title) if q.form == "plain" else common_name(law.title)
            ambiguous = q.form != "full" and len(names[form_name]) > 1
            look = desk.lookup(q.text)
            s = score[f"{cat}/{q.form}"]
            s["questions"] += 1
            f = look.found[0] if look and look.found else None
            right = (
                f is not None
                and f.edition.title == q.gold_title
                and f.edition.date == q.gold_edition
                and label_key(f.label) == a.key
            )
            if ambiguous:  # asking back is right; so is the exact text when a longer name fits it alone
                s["ambiguous"] += 1
                s["asked_back"] += bool(look and not look.found and "哪一部" in look.text)
                s["ambiguous_resolved_right"] += right
                continue
            s["right"] += right
            s["wrong"] += f is not None and not right  # answered another article or text: the costly miss
            s["asked_back_unneeded"] += bool(look and not look.found and "哪一部" in look.text)
            s["whole"] += right and fold(f.text) == fold(a.text)
            if not right and len(misses) < 40:
                misses.append(
                    {
                        "q": q.text,
                        "got": (f.edition.name + f.label) if f else (look.text[:80] if look else None),
                    }
                )
    secs = time.perf_counter() - t
    total = Counter()
    for s in score.values():
        total.update(s)
    by_cat = {c: Counter() for c in CATEGORIES}
    by_form = defaultdict(Counter)
    for key, s in score.items():
        c, form = key.split("/")
        by_cat[c].update(s)
        by_form[form].update(s)
    return {
        "questions": n,
        "lookup_ms_mean": round(secs / max(n, 1) * 1000, 3),
        "total": dict(total),
        "by_category": {c: dict(s) for c, s in by_cat.items()},
        "by_form": {f: dict(s) for f, s in by_form.items()},
        "misses": misses,
    }


def blind(gold, desk: ArticleDesk, path: Path) -> dict:
    """Score blind questions (see the module docstring) against the gold articles."""
    laws: dict[str, list] = defaultdict(list)
    for law in gold:
        laws[law.title].append(law)
    score, misses = Counter(), []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        expect = item.get("expect", "article")
        look = desk.lookup(item["question"])
        score["questions"] += 1
        if expect == "ask":
            ok = bool(look and not look.found and "哪一部" in look.text)
        elif expect == "missing":
            ok = bool(look and not look.found and "没有" in look.text)
        elif expect == "absent":  # the text is not in the corpus: no article may be quoted
            ok = not (look and look.found)
        else:
            label = item["article"]
            key = (int(label), 0) if str(label).isdigit() else label_key(str(label))
            editions = sorted({law.edition or "" for law in laws[item["title"]]})
            edition = item.get("edition") or (editions[-1] if editions else None)
            arts = [a for law in laws[item["title"]] if (law.edition or "") == edition for a in law.articles]
            want = next((a for a in arts if a.key == key), None)
            f = look.found[0] if look and look.found else None
            ok = bool(
                want
                and f
                and f.edition.title == item["title"]
                and (f.edition.date or "") == edition
                and label_key(f.label) == key
            )
            score["article_questions"] += 1
            score["whole"] += ok and fold(f.text) == fold(want.text)
            score["wrong"] += bool(f) and not ok
        score["right"] += ok
        score["article_right"] += ok and expect == "article"
        if not ok:
            misses.append({"q": item["question"], "got": look.text[:80] if look else None})
    return {"blind": dict(score), "misses": misses}


def rate(s: dict, key: str) -> str:
    judged = s.get("questions", 0) - s.get("ambiguous", 0)
    return f"{s.get(key, 0)}/{judged} = {100 * s.get(key, 0) / max(judged, 1):.2f}%"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--all", action="store_true", help="every article of the corpus, not the sample")
    ap.add_argument("--json", type=Path, help="write the full result here")
    ap.add_argument("--questions", type=Path, help="score these blind questions instead (JSONL)")
    args = ap.parse_args()
    root = Settings(_env_file=None).laws_dir
    t0 = time.perf_counter()
    gold, texts, parse_s = load(root)
    desk = ArticleDesk(texts)
    if args.questions:
        result = blind(gold, desk, args.questions)
        b = result["blind"]
        print(
            f"blind questions {b.get('questions', 0)}: right {b.get('right', 0)} (of these, asked back, "
            f"said missing or quoted nothing as expected: {b.get('right', 0) - b.get('article_right', 0)}); "
            f"article questions {b.get('article_questions', 0)}: right {b.get('article_right', 0)}, "
            f"whole {b.get('whole', 0)}; another article or text quoted {b.get('wrong', 0)}"
        )
        for m in result["misses"][:30]:
            print("  miss:", m)
        if args.json:
            args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        return
    agree = agreement(gold, texts)
    if args.all:
        pairs = [
            (category(law, root), law, a)
            for law in gold
            for a in law.articles
            if category(law, root) != "案例"
        ]
    else:
        pairs = stratified_sample(gold, root, PER_CATEGORY)
    result = {
        "files": len(gold),
        "parse_s": round(parse_s, 1),
        "agreement": agree,
        **run(gold, desk, pairs, root),
    }
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    t = result["total"]
    print(f"files {result['files']}, parsed in {result['parse_s']} s; splitter agreement {agree}")
    print(f"questions {result['questions']} ({result['lookup_ms_mean']} ms each)")
    print(f"right article of the right text: {rate(t, 'right')}; whole article: {rate(t, 'whole')}")
    print(
        f"misses: another article or text quoted {t.get('wrong', 0)}, asked which text "
        f"{t.get('asked_back_unneeded', 0)}, no lookup (left to retrieval) or said missing: "
        f"{t.get('questions', 0) - t.get('ambiguous', 0) - t.get('right', 0) - t.get('wrong', 0) - t.get('asked_back_unneeded', 0)}"
    )
    print(
        f"ambiguous by the gold's rules: {t.get('ambiguous', 0)}, asked back: {t.get('asked_back', 0)}, "
        f"answered with the exact text a longer name fits: {t.get('ambiguous_resolved_right', 0)}"
    )
    for c, s in result["by_category"].items():
        print(f"  {c}: right {rate(s, 'right')}, whole {rate(s, 'whole')}, ambiguous {s.get('ambiguous', 0)}")
    for f, s in result["by_form"].items():
        print(
            f"  form {f}: right {rate(s, 'right')}, whole {rate(s, 'whole')}, ambiguous {s.get('ambiguous', 0)}"
        )
    for m in result["misses"][:15]:
        print("  miss:", m)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
