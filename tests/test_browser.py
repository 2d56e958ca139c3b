"""End to end: `streamlit run app.py` on loopback, driven by Debian Chromium through Playwright."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.settings import REPO_ROOT
from tests.conftest import require
from tests.test_app import FAMILY_Q, prepared_data_dir

pytestmark = [pytest.mark.browser, pytest.mark.server]

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env: dict, log) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free loopback port, in its own process group; waits for health."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
    ]
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_app(proc)
            raise RuntimeError(f"streamlit did not become healthy (exit code {proc.poll()})")
        time.sleep(0.3)


def stop_app(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app served on a free loopback port; stopped (its process group) in teardown."""
    require(CHROMIUM.exists(), "Debian chromium (apt-get install chromium chromium-driver)")
    data_dir = prepared_data_dir(tmp_path_factory.mktemp("browser-index"))
    env = {**os.environ, "GAZETTE_DATA_DIR": str(data_dir), "GAZETTE_ANSWER_MODE": "extractive"}
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    log = (tmp_path_factory.mktemp("server") / "streamlit.log").open("w")
    started = time.perf_counter()
    try:
        proc, url = start_app(env, log)
    except RuntimeError as e:
        pytest.fail(f"{e}; see {log.name}")
    try:
        yield {"url": url, "started": started}
    finally:
        stop_app(proc)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield b
        finally:
            b.close()


def ask(page, question: str, timeout_ms: int = 120_000) -> float:
    """Type a question, wait for its citation card; seconds from Enter to the card on screen."""
    cards = page.locator(".ga-clause").count()
    rated = page.get_by_test_id("stFeedback").count()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    t = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('.ga-clause').length > {cards}", timeout=timeout_ms, polling=50
    )
    took = time.perf_counter() - t
    # the run is over once the answer's 👍/👎 is drawn (the last element of an answer)
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=stFeedback]').length > {rated}",
        timeout=timeout_ms,
        polling=100,
    )
    return took


def test_chat_answers_with_a_citation_card(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(server["url"], wait_until="domcontentloaded")
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=120_000)
    cold = ask(page, FAMILY_Q)
    cold_total = time.perf_counter() - server["started"]
    card = page.locator(".ga-clause").first
    assert "150元" in card.inner_text()
    assert page.get_by_text("长政办发〔2024〕28号", exact=False).first.is_visible()
    assert page.locator("mark", has_text="不低于150元").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

    other = ask(page, "生活不能自理的老人护理补贴有多少？")
    assert page.locator("mark", has_text="100元").first.is_visible()
    warm = ask(page, FAMILY_Q)
    print(
        f"\ncold start (server start -> first answer on screen): {cold_total:.1f} s (first answer {cold:.1f} s);"
        f" next question {other:.2f} s; repeated question (warm) {warm:.2f} s"
    )
    assert page.locator("text=Traceback").count() == 0
    page.close()


def test_chat_fits_a_phone(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page.goto(server["url"], wait_until="domcontentloaded")
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=120_000)
    ask(page, FAMILY_Q)
    # nothing wider than the screen: no horizontal scrolling on a phone
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "chat-phone.png"), full_page=True)
    assert overflow <= 1, f"page is {overflow}px wider than a 390px phone"
    page.close()
