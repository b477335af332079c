"""A real Streamlit server and Debian's Chromium driven by Playwright (its own browser download is unreachable).

Without Chromium (or Playwright) every browser test is skipped with the reason and the install command; with
``NLPSUITE_REQUIRE_BROWSER=1`` (set by ``.ci/run``, which installs Chromium) a missing browser fails them instead,
so CI cannot pass with the browser tests silently skipped.

The server reads models from ``$NLPSUITE_MODELS_DIR`` (default ``saved_models/``), like the app itself;
screenshots, ``timings.json`` and the server's log go to ``tests/browser/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("NLPSUITE_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("NLPSUITE_SCREENSHOTS", ROOT / "tests" / "browser" / "screenshots"))
MODELS_DIR = Path(os.environ.get("NLPSUITE_MODELS_DIR", ROOT / "saved_models"))
# Chromium as root in a closed network: no sandbox, and no background connections that would be refused.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}; see {SHOTS / 'server.log'}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url}/_stcore/health did not answer in {timeout:.0f} s")


def _require_model(*names: str) -> str:
    """The first of ``names`` saved in the models folder; skips the test (naming the folder and the make
    target) when there is none, so a checkout without models cannot fail here."""
    found = next((name for name in names if (MODELS_DIR / name / "config.json").exists()), None)
    if found is None:
        pytest.skip(f"no {' or '.join(names)} model in {MODELS_DIR} (make train-{names[0].split('-')[0]})")
    return found


def _require_browser() -> None:
    """Skips (or, under ``NLPSUITE_REQUIRE_BROWSER=1``, fails) when Chromium or Playwright is missing."""
    missing = None
    if not Path(CHROMIUM).exists():
        missing = (f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium fonts-noto-cjk "
                   "fonts-noto-color-emoji (or set NLPSUITE_CHROMIUM to its path)")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "Playwright is not installed: pip install -e '.[dev]'"
    if missing is None:
        return
    if os.environ.get("NLPSUITE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"NLPSUITE_REQUIRE_BROWSER=1 but {missing}", pytrace=False)
    pytest.skip(missing)


@pytest.fixture(scope="session")
def require_model():
    return _require_model


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture(scope="session")
def server_url():
    _require_browser()
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    with open(SHOTS / "server.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "apps" / "Home.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "NLPSUITE_MODELS_DIR": str(MODELS_DIR)},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, timeout=180)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser():
    _require_browser()  # before launching, so a machine without Chromium skips rather than errors
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    # The first action on a page loads its model, maybe on a busy CPU.
    page.set_default_timeout(1000 * float(os.environ.get("NLPSUITE_BROWSER_TIMEOUT", 300)))
    yield page
    context.close()


@pytest.fixture(scope="session")
def timings():
    """Click-to-result seconds per page (first click, and the timed click after warm-up), written to
    ``timings.json`` beside the screenshots and printed at the end."""
    results: dict[str, dict[str, float]] = {}
    yield results
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / "timings.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    pages = {**previous.get("pages", {}), **results}  # a run of some tests keeps the others' figures
    path.write_text(json.dumps({"models_dir": str(MODELS_DIR), "cpus": os.cpu_count(),
                                "load_average": os.getloadavg(), "pages": pages}, indent=2) + "\n")
    print("\nclick-to-result seconds:", json.dumps(results))
