"""No words of one issue in the product: every shipped file outside data/ and tests/ (code,
prompts, configs, UI) is scanned, after NFKC folding, for the bundled issue's table header
cells, place names, department names, amounts and 文号 prefixes — derived from the issue's
text, not listed by hand. Moving such strings into a data file of the product does not help:
every file of the product is scanned, whatever its kind."""

from __future__ import annotations

import re
import unicodedata

import jieba.posseg

from ingest import parse_source
from tests.conftest import GAZETTE, REPO_ROOT

SHIPPED = ["core", "store", "ingest", "assistant", "eval", "ui", "cli", "prompts", ".streamlit"]
SHIPPED_FILES = ["app.py", "pyproject.toml", "Makefile"]
SKIP_SUFFIXES = (".jsonl",)  # evaluation datasets are test data about the bundled issue

# at most 15 entries, each with its reason
ALLOWED = {
    "序号": "general vocabulary of official tables (a sequence-number column)",
    "对象": "general vocabulary of official tables and of the answer kinds (who a rule is for)",
}
# the perturbation tool's pool of replacement words: it rewrites the bundled issue, so its
# synonym pools hold that issue's header words among others; an import contract keeps it out
# of assistant/ and ingest/, and it is not read at answer time
EXEMPT_FILES = {"eval/perturb_pool.py", "eval/perturb.py"}
PLACE_SUFFIX = re.compile(r"[市区县省]$")
GENERIC_PLACES = {
    "全市",
    "本市",
    "各县",
    "市区",
    "城区",
    "县区",
    "各区",
    "全省",
    "本省",
    "省市",
    "市县",
    "县市",
    "城市",
}


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def issue_words() -> dict[str, set[str]]:
    text = GAZETTE.read_text(encoding="utf-8")
    src = parse_source(GAZETTE)
    headers = {h for c in src.chunks if c.kind == "table_row" for h in c.fields}
    places = {
        w
        for w, flag in jieba.posseg.lcut(text)
        if flag.startswith("ns") and len(w) >= 2 and PLACE_SUFFIX.search(w) and w not in GENERIC_PLACES
    }
    places |= {p[:-1] for p in places if len(p) >= 3}  # 长治市 -> 长治
    places -= GENERIC_PLACES
    departments = set(re.findall(r"市[\u4e00-\u9fff]{1,10}?(?:局|委|办|厅|院|会|联)", text))
    amounts = set(re.findall(r"\d+(?:\.\d+)?元", fold(text)))
    prefixes = {d.info.doc_number.split("〔")[0] for d in src.docs if d.info.doc_number}
    return {
        "header": headers,
        "place": places,
        "department": departments,
        "amount": amounts,
        "文号 prefix": prefixes,
    }


def shipped_files() -> list:
    files = [REPO_ROOT / f for f in SHIPPED_FILES]
    for folder in SHIPPED:
        files += [p for p in (REPO_ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [p for p in files if p.exists() and not p.name.endswith(SKIP_SUFFIXES)]


def test_the_words_are_derived_from_the_issue():
    words = issue_words()
    assert {"服务标准", "牵头落实部门"} <= words["header"]
    assert "长治市" in words["place"] and "市民政局" in words["department"]
    assert "150元" in words["amount"] and "长政办发" in words["文号 prefix"]


def test_allow_list_is_short_and_reasoned():
    assert len(ALLOWED) + len(EXEMPT_FILES) <= 15 and all(len(reason) > 20 for reason in ALLOWED.values())


def test_no_shipped_file_holds_a_word_of_the_bundled_issue():
    words = issue_words()
    found = []
    for path in shipped_files():
        try:
            text = fold(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
        rel = path.relative_to(REPO_ROOT)
        if str(rel) in EXEMPT_FILES:
            continue
        allowed_here = set(ALLOWED)
        for kind, ws in words.items():
            for w in sorted(ws):
                if w in allowed_here or w not in text:
                    continue
                line = next(i for i, ln in enumerate(text.splitlines(), 1) if w in ln)
                found.append(f"{rel}:{line} {kind} {w!r}")
    assert not found, f"{len(found)} words of the bundled issue in shipped files:\n" + "\n".join(found)
