"""Shared test setup: headless matplotlib, no network, and session fixtures for built sites and a browser.

Fixtures that build the bundled atlas or drive chromium are used by tests marked
`@pytest.mark.xdist_group("atlas")`, so under `pytest -n 2 --dist loadgroup` one worker builds once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("MLATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

sys.path.insert(0, str(REPO / "tests" / "site"))  # fixture_figures for the engine's fixture sites
sys.path.insert(0, str(REPO / "tests"))  # helpers shared by several test folders (hf_gpt2)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve_dir(folder: Path):
    """Serve `folder` on 127.0.0.1 (a free port); yields the base URL ending in '/'."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def atlas_build(tmp_path_factory) -> Path:
    """The bundled atlas (content/), built once per test session."""
    from mlatlas.site.build import build_site, default_cache_dir

    out = tmp_path_factory.mktemp("atlas") / "site"
    build_site(CONTENT, out, cache_dir=default_cache_dir(CONTENT))
    return out


@pytest.fixture(scope="session")
def atlas_url(atlas_build):
    with serve_dir(atlas_build) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists() or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}; `./atlas test` installs it with apt-get")
        pytest.skip(f"chromium not found at {CHROMIUM} (run ./atlas test to install it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page_watch(browser):
    """A fresh page that records console errors and every request to a host other than 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.foreign_requests = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))

    def on_request(req):
        url = req.url
        if not (url.startswith("http://127.0.0.1") or url.startswith("data:") or url.startswith("blob:")):
            page.foreign_requests.append(url)

    page.on("request", on_request)
    yield page
    context.close()


@pytest.fixture()
def screenshot():
    """screenshot(page, name) saves test-artifacts/<name>.png (look at them)."""

    def take(page, name: str, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture(scope="session")
def serve():
    """serve(folder) → context manager yielding a base URL for a static folder."""
    return serve_dir
