"""Article questions for the lookup self-check, written from the independent splitter's gold
articles (tests/law_splitter.py) by rules of their own (nothing here comes from ingest/ or
assistant/): four name forms per article, rotating article-number forms, the edition year when
the article's text is not the newest edition of its title, and a seeded sample stratified by
category."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tests.law_splitter import GoldArticle, GoldLaw

STATE = "中华人民共和国"
CATEGORIES = ("法律", "行政法规", "司法解释", "部门规章")
CN = "零一二三四五六七八九"


def category(law: GoldLaw, root: Path) -> str:
    top = law.path.relative_to(root).parts[0]
    return top if top in CATEGORIES[1:] else "案例" if top == "案例" else "法律"


def chinese(n: int) -> str:
    """Article numbers as laws print them (一百一十, 一千零四十)."""
    out, pending_zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        d, n = divmod(n, value)
        if d:
            out += (
                ("零" if pending_zero else "") + ("" if value == 10 and d == 1 and not out else CN[d]) + unit
            )
            pending_zero = False
        elif out:
            pending_zero = True
    return out + (("零" if pending_zero else "") + CN[n] if n else "")


def ref_forms(a: GoldArticle) -> list[str]:
    """第四十三条, 第43条, 43条 (之一 kept as written)."""
    main, sub = a.key
    tail = f"之{chinese(sub)}" if sub else ""
    return [f"第{chinese(main)}条{tail}", f"第{main}条{tail}", f"{main}条{tail}"]


def plain_name(title: str) -> str:
    """The title without 中华人民共和国 and without 《》 (issuer kept)."""
    return title.replace(STATE, "").replace("《", "").replace("》", "")


def common_name(title: str) -> str:
    """What people call it: X法 for 中华人民共和国X法; for an interpretation the subject it is
    about (关于审理X案件…的解释 -> X解释, 关于适用《X》的解释 -> X解释), the series mark kept."""
    name = plain_name(title)
    name = re.sub(r"[（(]\d{4}年?[^）)]*[）)]$", "", name)
    m = re.search(
        r"关于(?:适用)?(?:审理|办理)?(.+?)(?:案件)?(?:具体)?(?:适用|应用)?(?:法律)?(?:若干)?(?:问题)?的(解释|规定)((?:[（(][一二三四五六七八九十]+[）)])?)$",
        name,
    )
    if m and "关于" in name:
        return f"{m.group(1)}{m.group(2)}{m.group(3)}"
    return name


@dataclass
class Question:
    text: str
    form: str  # full, plain, common, sentence
    gold_title: str
    gold_edition: str | None
    gold: GoldArticle


def editions_by_title(laws: list[GoldLaw]) -> dict[str, list[str | None]]:
    out: dict[str, set[str | None]] = defaultdict(set)
    for law in laws:
        out[law.title].add(law.edition)
    return {t: sorted(e, key=lambda d: d or "") for t, e in out.items()}


def questions_for(law: GoldLaw, a: GoldArticle, editions: list[str | None], turn: int) -> list[Question]:
    """Four questions for one article, one per name form; number forms rotate with ``turn``."""
    refs = ref_forms(a)
    ed = ""
    if law.edition and law.edition != editions[-1]:
        y, m, d = (int(x) for x in law.edition.split("-"))
        same_year = [e for e in editions if e and e[:4] == law.edition[:4]]
        ed = f"{y}年{m}月{d}日版" if len(same_year) > 1 else f"{y}年版"
    plain = plain_name(law.title)
    forms = {
        "full": f"{ed}《{law.title}》{refs[turn % 2]}",
        "plain": f"{ed}{plain}{refs[(turn + 1) % 3]}",
        "common": f"{ed}{common_name(law.title)}{refs[turn % 3]}",
        "sentence": f"请问{ed}{common_name(law.title) if turn % 2 else plain}里面{refs[turn % 2]}是怎么规定的？",
    }
    return [Question(q, form, law.title, law.edition, a) for form, q in forms.items()]


def stratified_sample(laws: list[GoldLaw], root: Path, per_category: dict[str, int], seed: int = 14):
    """(law, article) pairs: a seeded uniform sample of articles within each category."""
    rng = random.Random(seed)
    pools: dict[str, list[tuple[GoldLaw, GoldArticle]]] = defaultdict(list)
    for law in sorted(laws, key=lambda x: str(x.path)):
        for a in law.articles:
            pools[category(law, root)].append((law, a))
    out = []
    for cat in CATEGORIES:
        pool = pools.get(cat, [])
        out.extend((cat, law, a) for law, a in rng.sample(pool, min(per_category.get(cat, 0), len(pool))))
    return out
