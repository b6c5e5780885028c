"""Site build speed: cold build, no-change rebuild and one-page-edit rebuild on generated chapters.

    .venv/bin/python benchmarks/site_build.py [--pages 100 500] [--no-math]
    .venv/bin/python benchmarks/site_build.py --atlas [--runs 3]

Prints seconds, ms per page and page weight (heaviest page, pages over 300 KB, the home page with
its topic map laid out by ELK). Targets on a 2-core machine: 100 math-heavy pages cold ≤ 3 s
(figures cached), ≤ 3 ms per page without math on a 500-page run, one edited page rebuilt ≤ 0.3 s.
The reference point measured in the same run is markdown-it + Jinja2 alone on the same pages.

--atlas builds the bundled atlas from scratch, as on a fresh clone: a copy of src/, content/ and
tests/ without any cache (no figure, math or page cache, no compiled numba kernels), in a fresh process.
Target: under a minute on the 2-core machine. Prints the wall time, the CPU time of the build and
its workers, and the slowest figure and value jobs.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from jinja2 import Template
from markdown_it import MarkdownIt

from mlatlas.site.build import BuildState, build_site

PARAGRAPH = (
    "Gradient descent moves the parameters against the gradient of the loss, one small step at a "
    "time, and the learning rate sets how small. Too large and the iterates overshoot; too small and "
    "they crawl. Momentum keeps a running average of past gradients so that consistent directions "
    "accumulate speed while oscillating ones cancel out. "
)
MATH = [
    "$\\theta_{t+1} = \\theta_t - \\eta \\nabla_\\theta L(\\theta_t)$",
    "$$\nm_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t, \\quad \\hat m_t = \\frac{m_t}{1-\\beta_1^t}\n$$",
    "$p_i = \\frac{e^{z_i / \\tau}}{\\sum_j e^{z_j / \\tau}}$",
    "$$\n\\mathrm{KL}(p \\,\\|\\, q) = \\sum_i p_i \\log \\frac{p_i}{q_i}\n$$",
]


def generate(root: Path, n: int, math: bool, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    (root / "collections").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Bench"\nbase_url = "https://example.org/"\n')
    (root / "about.md").write_text("---\ntitle: About\n---\nA generated site.\n")
    collections = [f"c{i}" for i in range(5)]
    for i, c in enumerate(collections):
        d = root / "collections" / c
        d.mkdir()
        (d / "index.md").write_text(
            f"---\ntitle: Collection {i}\nkind: book\nsummary: Generated.\norder: {i}\n---\nStart.\n"
        )
    files, ids = [], []
    for k in range(n):
        pid = f"page-{k}"
        c = collections[k % len(collections)]
        prereqs = rng.sample(ids, k=min(len(ids), rng.randint(0, 3)))
        body = [f"## Part {j}\n\n{PARAGRAPH * 2}\n" for j in range(3)]
        if math:
            body.insert(1, "\n\n".join(MATH) + f"\n\nAnd a unique one: $x_{{{k}}}^2 + {k}$.\n")
        body.append("```python\nfor step in range(100):\n    theta -= lr * grad(theta)\n```\n")
        if ids:
            other = rng.choice(ids)
            oc = collections[int(other.split("-")[1]) % len(collections)]
            body.append(f"See [{other}](../{oc}/{other}.md#part-1).\n")
        text = (
            f"---\ntitle: Page {k}\nsummary: Generated page {k}.\norder: {k}\n"
            f"prerequisites: [{', '.join(prereqs)}]\ntags: [t{k % 7}, bench]\ndate: 2026-01-01\n---\n\n"
            + "\n".join(body)
        )
        path = root / "collections" / c / f"{pid}.md"
        path.write_text(text)
        files.append(path)
        ids.append(pid)
    return files


def baseline(files: list[Path]) -> float:
    """markdown-it + Jinja2 alone, on the same sources (ms per page)."""
    md = MarkdownIt("commonmark").enable("table")
    tpl = Template("<html><head><title>{{ t }}</title></head><body><main>{{ b }}</main></body></html>")
    t0 = time.perf_counter()
    for f in files:
        text = f.read_text()
        tpl.render(t=f.stem, b=md.render(text.split("---", 2)[2]))
    return (time.perf_counter() - t0) * 1000 / len(files)


def run(n: int, math: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="mlatlas-bench-"))
    try:
        src, out, cache = tmp / "src", tmp / "out", tmp / "cache"
        files = generate(src, n, math)
        t0 = time.perf_counter()
        build_site(src, out, cache_dir=cache)
        cold = time.perf_counter() - t0
        pages = out.rglob("index.html")
        sizes = sorted((p.stat().st_size, str(p.parent.relative_to(out)).replace(".", "home")) for p in pages)
        heaviest, heaviest_page = sizes[-1]
        over = sum(1 for size, _ in sizes if size > 300_000)
        home_kb = (out / "index.html").stat().st_size / 1000
        # Warm process, caches on disk: the dev server's situation.
        state = BuildState()
        build_site(src, out, cache_dir=cache, state=state)
        t0 = time.perf_counter()
        r = build_site(src, out, cache_dir=cache, state=state)
        nochange = time.perf_counter() - t0
        assert r.files_changed == 0
        target = files[len(files) // 2]
        target.write_text(target.read_text().replace("Part 2", "Part two, edited"))
        t0 = time.perf_counter()
        build_site(src, out, cache_dir=cache, state=state, search=False)
        edit = time.perf_counter() - t0
        target.write_text(target.read_text().replace("Part two, edited", "Part two, edited again"))
        t0 = time.perf_counter()
        build_site(src, out, cache_dir=cache, state=state, search=True)
        edit_indexed = time.perf_counter() - t0
        # Cold without the search index, to separate our pipeline from pagefind.
        shutil.rmtree(out)
        shutil.rmtree(cache / "figures", ignore_errors=True)
        for manifest in cache.glob("manifest-*.json"):
            manifest.unlink()
        state2 = BuildState()
        t0 = time.perf_counter()
        build_site(src, out, cache_dir=cache, state=state2, search=False)
        warm_math_no_search = time.perf_counter() - t0
        base = baseline(files)
        kind = "with math" if math else "no math"
        print(f"{n} pages ({kind}):")
        print(f"  cold build (empty caches, search index)  {cold:6.2f} s   {cold * 1000 / n:6.2f} ms/page")
        print(
            f"  full build, math cached, no search index {warm_math_no_search:6.2f} s   "
            f"{warm_math_no_search * 1000 / n:6.2f} ms/page"
        )
        print(f"  no-change rebuild                        {nochange:6.2f} s")
        print(f"  one page edited (search index deferred)  {edit:6.2f} s")
        print(f"  one page edited (search re-indexed)      {edit_indexed:6.2f} s")
        print(
            f"  page weight: heaviest {heaviest / 1000:.0f} KB ({heaviest_page}), {over} over 300 KB; "
            f"home page with the topic map {home_kb:.0f} KB"
        )
        print(
            f"  reference: markdown-it + Jinja2 alone    {base:6.2f} ms/page  "
            f"(ratio full/reference {warm_math_no_search * 1000 / n / base:4.1f}x)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def atlas_cold(runs: int) -> None:
    import resource
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    skip = shutil.ignore_patterns("__pycache__", ".mlatlas-cache", "node_modules")
    for i in range(runs):
        tmp = Path(tempfile.mkdtemp(prefix="mlatlas-atlas-"))
        try:
            shutil.copytree(repo / "src", tmp / "src", ignore=skip)
            shutil.copytree(repo / "content", tmp / "content", ignore=skip)
            shutil.copytree(repo / "tests", tmp / "tests", ignore=skip)  # read for the badges, not run
            katex = "src/mlatlas/site/katex/node_modules"
            (tmp / katex).symlink_to(repo / katex)
            code = (
                "import sys; from pathlib import Path; from mlatlas.site.build import build_site\n"
                "if __name__ == '__main__':\n"
                "    r = build_site(Path('content'), Path('out'), cache_dir=Path('cache'))\n"
                "    print(r.pages)"
            )
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", code],
                cwd=tmp,
                env={**os.environ, "PYTHONPATH": str(tmp / "src")},
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                raise SystemExit(f"the build failed:\n{out.stderr[-3000:]}")
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            timings = (tmp / "cache/figures/seconds.txt").read_text().splitlines()
            jobs = [line.split(" ", 1) for line in timings]
            jobs.sort(key=lambda j: -float(j[0]))
            print(
                f"atlas cold build {i + 1}/{runs}: {wall:5.1f} s wall, {cpu:5.1f} s CPU, "
                f"{out.stdout.strip()} pages, {len(jobs)} figure and value jobs "
                f"({sum(float(j[0]) for j in jobs):.1f} s in workers)"
            )
            print("  slowest: " + ", ".join(f"{j[1].split(':', 1)[1]} {float(j[0]):.1f} s" for j in jobs[:4]))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, nargs="*", default=None)
    ap.add_argument("--no-math", action="store_true")
    ap.add_argument("--atlas", action="store_true", help="build the bundled atlas from scratch")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    if args.atlas:
        atlas_cold(args.runs)
    elif args.pages:
        for n in args.pages:
            run(n, math=not args.no_math)
    else:
        run(100, math=True)
        run(500, math=False)


if __name__ == "__main__":
    main()
