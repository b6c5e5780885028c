"""The pipeline, top to bottom: load → validate → render → write.

    site, problems = load_site(folder)               # read sources, front matter checked
    problems += validate_site(site, declarations)    # ids, prerequisites, cycles, verification claims
    bodies, problems = render_bodies(site, ...)      # markdown, math, figures, links, anchors
    files = render_site(site, bodies, ...)           # templates, index pages, feed, sitemap
    write_site(site, files, ..., out)                # staged, indexed, swapped in

Every stage collects problems; the build stops before writing if there is any error, reporting all
of them, so the previous output stays untouched.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import topicmap
from .load import load_site
from .markdown import Draft
from .problems import BuildError, Problem
from .render import ENGINE_VERSION, render_bodies, render_site
from .validate import validate_site
from .verifications import scan_tests
from .write import write_site


@dataclass
class BuildState:
    """What a long-running process (the dev server) keeps between builds."""

    drafts: dict[str, Draft] = field(default_factory=dict)
    sources: dict = field(default_factory=dict)  # parsed front matter by (path, mtime, size, ...)
    layout: dict = field(default_factory=dict)  # the last build's output files, reused by the next


@dataclass(frozen=True)
class BuildResult:
    pages: int
    files_changed: int
    seconds: float
    warnings: tuple[Problem, ...]


def default_cache_dir(site_dir: Path) -> Path:
    return Path(site_dir) / ".mlatlas-cache"


def _load_drafts(cache_dir: Path | None) -> dict[str, Draft]:
    if cache_dir is None:
        return {}
    path = cache_dir / f"drafts-v{ENGINE_VERSION}.pickle"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        return {}


def _save_drafts(cache_dir: Path | None, drafts: dict[str, Draft]) -> None:
    if cache_dir is None:
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f"drafts.{os.getpid()}.tmp"  # two builds may share one cache
    with tmp.open("wb") as f:
        pickle.dump(drafts, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache_dir / f"drafts-v{ENGINE_VERSION}.pickle")


def build_site(
    site_dir: Path,
    out_dir: Path | None = None,
    *,
    cache_dir: Path | None = None,
    check_only: bool = False,
    search: bool = True,
    state: BuildState | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build (or, with check_only, just check) the site in `site_dir`. Raises BuildError listing
    every problem when there is any error; warnings are returned."""
    t0 = time.perf_counter()
    site_dir = Path(site_dir)
    say = progress or (lambda _msg: None)
    if not site_dir.is_dir():
        raise BuildError(
            [Problem(str(site_dir), 0, "no such folder; give the path of a site folder (one with site.toml)")]
        )
    say("loading")
    if state is None:
        state = BuildState(drafts=_load_drafts(cache_dir))
    site, problems = load_site(site_dir, state.sources)
    # The topic map laid out beside the pages, on a process's first build (a long-running server's
    # later builds reuse the last layout unless the site's structure changed: not worth a thread).
    map_layout = None if check_only or state.layout else topicmap.prepare(site, cache_dir)
    declared, scan_problems = scan_tests(site.config.tests)
    problems += scan_problems
    problems += validate_site(site, declared)

    say(f"rendering {len(site.pages)} pages")

    def fig_progress(target: str, done: int, total: int) -> None:
        say(f"figure {done}/{total}: {target}")

    # Rendering replaces the draft cache with the drafts this build used (stale ones drop out).
    bodies, render_problems = render_bodies(site, state.drafts, cache_dir, fig_progress)
    problems += render_problems
    _save_drafts(cache_dir, state.drafts)

    errors = [p for p in problems if p.severity == "error"]
    warnings = tuple(sorted(p for p in problems if p.severity != "error"))
    if errors:
        raise BuildError(problems)
    if check_only:
        return BuildResult(len(site.pages), 0, time.perf_counter() - t0, warnings)

    say("writing")
    if map_layout is not None:
        map_layout.join()
    files = render_site(site, bodies, declared, cache_dir, memo=state.layout)
    media = {m for b in bodies.values() for m in b.media}
    changed = write_site(site, files, media, Path(out_dir or "_site"), cache_dir, search=search)
    return BuildResult(len(site.pages), changed, time.perf_counter() - t0, warnings)
