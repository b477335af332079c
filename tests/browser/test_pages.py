"""End to end: every page opens, does its main action, shows the result, and never shows a traceback."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import SHOTS

pytestmark = pytest.mark.browser

EXCEPTION = '[data-testid="stException"]'
RUNNING = '[data-testid="stStatusWidget"]'


def settle(page, timeout: float = 120) -> None:
    """Waits until Streamlit has finished the current script run."""
    page.wait_for_load_state("networkidle")
    deadline = time.monotonic() + timeout
    time.sleep(0.3)
    while page.locator(RUNNING).count() and time.monotonic() < deadline:
        time.sleep(0.1)


def open_page(page, url: str, path: str) -> None:
    page.goto(f"{url}/{path}")
    page.locator('[data-testid="stApp"]').wait_for()
    settle(page)
    assert page.locator(EXCEPTION).count() == 0


def no_traceback(page) -> None:
    settle(page)
    assert page.locator(EXCEPTION).count() == 0
    assert "Traceback" not in page.content()


def timed_click(page, button: str, result, timings: dict, key: str) -> None:
    """Clicks twice (the first loads and warms up the model); times the second from click to result."""
    for _ in range(2):
        page.get_by_role("button", name=button).first.click()
        start = time.perf_counter()
        result.first.wait_for(state="visible")
        settle(page)
        elapsed = time.perf_counter() - start
    timings[key] = round(elapsed, 3)


def fill_text(page, label: str, text: str) -> None:
    box = page.get_by_label(label).first
    box.fill(text)
    box.press("Control+Enter")  # Streamlit commits a text area's value on Ctrl+Enter or blur
    settle(page)


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_home_lists_the_apps(page, server_url):
    open_page(page, server_url, "")
    for title in ("Named entities", "Sentiment", "Translation", "Poetry", "Stock forecast"):
        assert page.get_by_text(title).count() > 0
    screenshot(page, "home")
