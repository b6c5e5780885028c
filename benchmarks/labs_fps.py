"""Frames per second, time to first interaction and page weight of the labs, in headless chromium.

Usage:  .venv/bin/python benchmarks/labs_fps.py [--url http://127.0.0.1:8000/] [--seconds 3]

Without --url the atlas in content/ is built into a temporary folder and served locally. For each
lab the script loads the page, records the bytes transferred before the reader does anything
(navigation + every resource, from the Resource Timing API), the time at which the lab reported
itself ready (performance.now() since navigation start), then starts the lab's animation and
counts requestAnimationFrame timestamps for a few seconds. The reference, measured in the same
run and the same browser, is an empty requestAnimationFrame loop on the same page: the ratio
lab fps / empty-loop fps says how much of the frame budget the lab leaves unused (1.00 = none
lost). Targets from the issue: >= 50 fps and <= 150 KB per lab page.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

CLICK = "[...document.querySelectorAll('#lab button')].find(b => b.textContent === {!r}).click()"

# lab page path -> JavaScript that starts its animation (run in the page)
LABS = {
    "labs/neural-network/": CLICK.format("Train"),
    "labs/gradient-descent/": """(() => { const c = document.querySelector('#lab canvas');
        const r = c.getBoundingClientRect();
        c.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true, clientX: r.left + r.width * 0.2,
        clientY: r.top + r.height * 0.3})); })()""",
    "labs/distribution-morphing/": CLICK.format("Play morph"),
    "labs/attention-heatmap/": CLICK.format("Sweep τ"),
    "labs/brownian-motion-lab/": """(() => { const b = [...document.querySelectorAll('#lab button')]
        .find(b => b.textContent === 'Simulate'); b.click();
        window.__bmTimer = setInterval(() => b.click(), 1400); })()""",  # re-simulate: keep animating
    # both samplers computing and drawing; new noise every 2 s so the networks keep running
    "labs/noise-to-data/": """(() => { const b = [...document.querySelectorAll('#lab button')]
        .find(b => b.textContent === 'New noise'); b.click();
        window.__n2dTimer = setInterval(() => b.click(), 2000); })()""",
}

FRAME_PROBE = """(seconds) => new Promise((resolve) => {
  const ts = []; const t0 = performance.now();
  function f(t) { ts.push(t); if (t - t0 < seconds * 1000) requestAnimationFrame(f); else resolve(ts); }
  requestAnimationFrame(f);
})"""


def fps_of(ts: list[float]) -> tuple[float, float]:
    """Mean frames per second and the 95th-percentile frame time (ms) of rAF timestamps."""
    if len(ts) < 3:
        return 0.0, float("inf")
    gaps = sorted(b - a for a, b in zip(ts, ts[1:]))
    return 1000.0 * (len(ts) - 1) / (ts[-1] - ts[0]), gaps[int(0.95 * (len(gaps) - 1))]


@contextlib.contextmanager
def served_atlas(url: str | None):
    if url:
        yield url if url.endswith("/") else url + "/"
        return
    import sys

    sys.path.insert(0, str(REPO / "tests"))
    from conftest import serve_dir  # the same static server the browser tests use

    from mlatlas.site.build import build_site

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        build_site(REPO / "content", out)
        with serve_dir(out) as base:
            yield base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of an already served build")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with served_atlas(args.url) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for path, start in LABS.items():
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + path)
            page.wait_for_function("window.__lab && window.__lab.ready === true", timeout=30000)
            ready_ms = page.evaluate("window.__lab.firstInteractiveMs")
            kb = page.evaluate("""() => { const nav = performance.getEntriesByType('navigation')[0];
                let b = nav.transferSize || nav.encodedBodySize;
                for (const r of performance.getEntriesByType('resource')) {
                    b += r.transferSize || r.encodedBodySize; }
                return b / 1024; }""")
            idle_fps, _ = fps_of(page.evaluate(FRAME_PROBE, args.seconds))  # reference: empty rAF loop
            page.evaluate(start)
            page.wait_for_timeout(300)
            page.evaluate("window.__lab.frames.length = 0")
            page.wait_for_timeout(int(args.seconds * 1000))
            lab_fps, p95 = fps_of(page.evaluate("window.__lab.frames"))
            rows.append((path.split("/")[1], lab_fps, idle_fps, p95, ready_ms, kb))
            page.close()
        browser.close()
    widths = (6, 6, 6, 7, 9, 7)
    head = ("fps", "empty", "ratio", "p95 ms", "ready ms", "KB")
    print("lab".ljust(24) + "".join(" " + h.rjust(w) for h, w in zip(head, widths)) + "  verdict")
    for name, fps, idle, p95, ready, kb in rows:
        ok = "ok" if fps >= 50 and kb <= 150 else "BELOW TARGET"
        print(f"{name:24s} {fps:6.1f} {idle:6.1f} {fps / idle:6.2f} {p95:7.1f} {ready:9.0f} {kb:7.1f}  {ok}")
    print(f"median lab/empty fps ratio: {statistics.median(r[1] / r[2] for r in rows):.2f}")


if __name__ == "__main__":
    main()
