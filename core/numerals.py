"""Chinese numerals and number formats written one way, so that facts compare across texts:
一百五十 -> 150, 二〇二四 -> 2024, 百分之五 -> 5%, 1,000 -> 1000, 2024-10-14 -> 2024年10月14日."""

from __future__ import annotations

import re

_CN_DIGIT = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千]+")
_PERCENT = re.compile(r"百分之([零〇一二两三四五六七八九十百千]+|\d+(?:\.\d+)?)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
# A lone numeral is a number only before a measure word (三个月, 一年) or after 第; elsewhere
# 一 is a word (统一, 一律) or the conversion's filler (谢一斌, 60(含)一65).
_MEASURE = set("个元岁周年月日天人次项条款倍%号名家位期批轮层类种件户所座台辆吨米亩")


def cn_to_int(run: str) -> int | None:
    """Value of a Chinese numeral with units (一百五十 -> 150); None when malformed."""
    total, num, last_digit = 0, None, False
    for ch in run:
        if ch in _CN_DIGIT:
            if last_digit and num not in (None, 0) and _CN_DIGIT[ch] != 0:
                # 一二 without a unit between: digit by digit, handled by the caller.
                return None
            num = _CN_DIGIT[ch]
            last_digit = True
        else:
            total += (num if num else 1) * _CN_UNIT[ch]
            num, last_digit = None, False
    return total + (num or 0)


def _convert_run(m: re.Match[str]) -> str:
    run, text = m.group(0), m.string
    nxt = text[m.end()] if m.end() < len(text) else ""
    prev = text[m.start() - 1] if m.start() > 0 else ""
    has_unit = any(ch in _CN_UNIT for ch in run)
    if has_unit:
        if len(run) == 1 and (run != "十" or nxt not in _MEASURE):
            return run  # 百姓, 千万, 十分
        if run[0] in "百千":
            return run
        value = cn_to_int(run)
        return run if value is None else str(value)
    if len(run) >= 2 and "两" not in run:
        return "".join(str(_CN_DIGIT[ch]) for ch in run)  # 二〇二四 -> 2024
    if len(run) == 1 and (nxt in _MEASURE or prev == "第"):
        return str(_CN_DIGIT[run])
    return run


def normalize_numbers(text: str) -> str:
    """Chinese numerals to Arabic, 百分之N to N%, 1,000 to 1000 (on already folded text)."""
    text = _PERCENT.sub(lambda m: f"{m.group(1)}%", text)
    text = _CN_RUN.sub(_convert_run, text)
    text = _THOUSANDS.sub("", text)
    return _ISO_DATE.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", text)
