"""App speed as a person sees it: cold start (server start -> first answer on screen, models and
index loaded) and warm extractive answers on screen, in headless Chromium. Goals: cold ≤ 20 s,
warm ≤ 1 s. Uses an existing index (default: the repo's var/; build it with `make index`).

    .venv/bin/python bench/bench_app.py [--data-dir var] [--runs 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # a script run from the repo: reuse the browser test's helpers
from tests.test_browser import CHROMIUM, FLAGS, ask, start_app, stop_app  # noqa: E402

QUESTIONS = [
    "我爸今年91了，高龄津贴一个月有多少？",
    "建筑施工噪声超标由哪个部门处罚？",
    "新建地下矿山原则上要用什么采矿方法？",
    "我妈68岁坐公交要钱吗",
    "长政发〔2011〕51号还有效吗？",
    "关闭取缔有哪些情形？",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=str(REPO / "var"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    env = {
        **os.environ,
        "GAZETTE_DATA_DIR": args.data_dir,
        "GAZETTE_ANSWER_MODE": "extractive",
        "HF_HUB_OFFLINE": "1",
    }
    t0 = time.perf_counter()
    proc, url = start_app(env, subprocess.DEVNULL)
    try:
        healthy = time.perf_counter() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_test_id("stChatInputTextArea").wait_for(timeout=120_000)
            first = ask(page, QUESTIONS[0])
            cold = time.perf_counter() - t0
            warm = [ask(page, QUESTIONS[1 + i % (len(QUESTIONS) - 1)]) for i in range(args.runs)]
            browser.close()
    finally:
        stop_app(proc)
    result = {
        "server_healthy_s": round(healthy, 2),
        "first_answer_s": round(first, 2),
        "cold_start_to_first_answer_s": round(cold, 2),
        "warm_answer_median_s": round(statistics.median(warm), 2),
        "warm_answer_max_s": round(max(warm), 2),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
