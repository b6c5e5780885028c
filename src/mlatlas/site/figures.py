"""The figure directive: call a function that returns a matplotlib figure (or SVG text), at build time.

```{figure} mlatlas.foundations.figures.softmax:temperature_sweep
:alt: what the figure shows, for readers who cannot see it
Caption in markdown.
```

Output is cached by a hash of the code the function depends on: its module and every `mlatlas`
module it imports (transitively), plus data files beside them. An unchanged figure costs nothing on
rebuild; changed ones are drawn in fresh worker processes, so edits to the code are always picked up.
"""

from __future__ import annotations

import ast
import atexit
import hashlib
import importlib.util
import io
import json
import math
import multiprocessing
import os
import re
import sysconfig
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from pathlib import Path

from .code import SymbolError, find_symbol, module_file

INK = "#010203"  # mlatlas.plotting.INK
FIGURE_FORMAT_VERSION = "1"


def _imports(path: Path, module: str) -> set[str]:
    """Names of modules imported by the file (absolute names; relative imports resolved)."""
    return _imports_cached(path, module, path.stat().st_mtime_ns)


@lru_cache(maxsize=2048)
def _imports_cached(path: Path, module: str, mtime_ns: int) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base)
                name = f"{prefix}.{node.module}" if node.module else prefix
            else:
                name = node.module or ""
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)  # `from pkg import submodule`
    return out


def _file_of(module: str) -> Path | None:
    try:
        return module_file(module)
    except SymbolError:
        return None


_INSTALLED = {Path(sysconfig.get_paths()[k]).resolve() for k in ("stdlib", "purelib", "platlib")}


@lru_cache(maxsize=1024)
def _own_code(top: str) -> bool:
    """Whether modules of the top-level package `top` are hashed into figure keys: mlatlas and an
    author's own packages are; installed libraries and the standard library are not."""
    if top == "mlatlas":
        return True
    path = _file_of(top)
    if path is None:  # built in, frozen, compiled, or not found
        return False
    path = path.resolve()
    return not any(part in ("site-packages", "dist-packages") for part in path.parts) and not any(
        path.is_relative_to(p) for p in _INSTALLED
    )


def dependency_files(module: str) -> list[Path]:
    """The module's file and every file of our own code it reaches by imports: mlatlas (not the site
    engine) and the site's own packages, so that an author's edit to a figure's code redraws it."""
    seen: dict[str, Path] = {}
    stack = [module]
    while stack:
        name = stack.pop()
        if name in seen or name.startswith("mlatlas.site") or not _own_code(name.partition(".")[0]):
            continue
        path = _file_of(name)
        if path is None:
            continue
        seen[name] = path
        stack.extend(_imports(path, name))
    files = set(seen.values())
    for path in list(files):  # data the code may read (measurements, exported runs)
        files.update(p for p in path.parent.glob("data/*") if p.is_file())
        files.update(p for p in path.parent.glob("*.json") if p.is_file())
    return sorted(files)


def figure_key(target: str) -> str:
    module = target.partition(":")[0]
    h = hashlib.sha256(f"{FIGURE_FORMAT_VERSION}|{target}".encode())
    for path in dependency_files(module):
        h.update(str(path.name).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:24]


def check_target(target: str) -> None:
    """Raise SymbolError when the function does not exist (without importing anything)."""
    if ":" not in target:
        raise SymbolError("a figure names a function as `package.module:function`")
    find_symbol(target)


def draw(target: str) -> tuple[str, str | None]:
    """Run in a worker: returns (svg, None) or ("", error text)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        module, _, qualname = target.partition(":")
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        result = obj()
        if isinstance(result, str):
            return result, None
        if hasattr(result, "savefig"):
            buf = io.StringIO()
            result.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
            return buf.getvalue(), None
        return "", f"{target} returned {type(result).__name__}; return a matplotlib Figure or SVG text"
    except Exception as exc:  # noqa: BLE001 — reported to the author with the chapter location
        tb = traceback.extract_tb(exc.__traceback__)
        last = tb[-1] if tb else None
        where = f" (at {Path(last.filename).name}:{last.lineno})" if last else ""
        return "", f"{type(exc).__name__}: {exc}{where}"


def _plain(value, depth: int = 0):
    """A computed value as JSON data: numbers (numpy/torch scalars too), strings, lists and dicts."""
    if depth > 4:
        raise TypeError("nested too deeply")
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    raise TypeError(f"cannot show a {type(value).__name__}")


def _new_pool(workers: int) -> ProcessPoolExecutor:
    cores = multiprocessing.cpu_count()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(max(1, cores // workers),),
    )


def _workers_for(tasks: int) -> int:
    return max(1, min(tasks, multiprocessing.cpu_count(), 4))


def early_pool(
    figure_targets: list[str], value_targets: list[str], cache_dir: Path | None
) -> ProcessPoolExecutor | None:
    """Worker processes started before the math is typeset and the cache keys are computed, when some
    jobs must miss the cache (it holds fewer results than there are jobs, as on a first build): the
    workers' start-up (Python, matplotlib) then overlaps the main process's own work. None when every
    job may be cached. Pass the pool to `render_all`, which shuts it down."""
    jobs = len(set(figure_targets)) + len(set(value_targets))
    cached = 0
    if cache_dir is not None and cache_dir.is_dir():
        cached = sum(1 for p in cache_dir.iterdir() if p.suffix in (".svg", ".json"))
    if jobs == 0 or cached >= jobs:
        return None
    modules = {t.partition(":")[0] for t in [*figure_targets, *value_targets]}
    workers = _workers_for(len(modules))
    pool = _new_pool(workers)
    for _ in range(workers):  # spawn them now (a pool starts its processes on demand)
        pool.submit(_ready)
    return pool


def _ready() -> None:
    """A no-op task: submitting one per worker makes an early pool start its processes."""


def _run_in_pool(
    groups: list[list[tuple[str, str]]], finish: Callable, pool: ProcessPoolExecutor | None = None
) -> list[tuple[str, str]]:
    """Run each group of jobs in turn in one worker of a spawned pool (`pool`, or a new one), calling
    `finish(job, text, error, seconds)` as results come; returns the jobs lost to a worker that died.
    The pool is shut down on return without waiting for its processes to exit: a worker that has
    imported torch takes about a second to finish, which the build spends writing the site instead."""
    lost: list[tuple[str, str]] = []
    running = pool or _new_pool(_workers_for(len(groups)))
    try:
        futures = [(jobs, running.submit(run_group, jobs)) for jobs in groups]
        for jobs, fut in futures:
            try:
                outcomes = fut.result()
            except BrokenProcessPool:
                lost += jobs
                continue
            for job, (text, err, seconds) in zip(jobs, outcomes, strict=True):
                finish(job, text, err, seconds)
    finally:
        running.shutdown(wait=False, cancel_futures=True)
    return lost


def _init_worker(threads: int) -> None:
    """A worker's numerical libraries get `threads` threads, so that workers × threads = cores:
    oversubscribed OpenMP threads spin while they wait and doubled the atlas's cold build. Then it
    imports matplotlib with the figure style, which nearly every job needs."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    # When the pool shuts down, end at once: results are already sent, and tearing down an
    # interpreter that holds torch, numba and matplotlib took about a second per worker.
    atexit.register(os._exit, 0)
    import matplotlib

    matplotlib.use("Agg")
    import mlatlas.plotting  # noqa: F401


def run_group(jobs: list[tuple[str, str]]) -> list[tuple[str, str | None, float]]:
    """Run in a worker: ("svg", target) figures and ("json", target) values, in order; each result
    comes with the seconds it took."""
    out = []
    for kind, target in jobs:
        start = time.perf_counter()
        text, err = draw(target) if kind == "svg" else compute(target)
        out.append((text, err, time.perf_counter() - start))
    return out


# Guesses for jobs never timed: a value is usually an experiment (models trained over seeds), a
# figure usually a drawing. Measured seconds replace them once a job has run with this cache.
GUESS_SECONDS = {"svg": 0.5, "json": 2.0}


def job_groups(
    jobs: list[tuple[str, str]], seconds: dict[str, float] | None = None
) -> list[list[tuple[str, str]]]:
    """The jobs as tasks for the pool, longest first.

    One task per module, and modules that import one another in one task: a model that a figure
    module and a value module both use (trained once and cached in the module that defines it) is
    then trained once. Longest first (by `seconds`, "kind:target" → time measured last build, else
    GUESS_SECONDS), so that short drawings fill the end and no worker is left with a long tail."""
    by_module: dict[str, list[tuple[str, str]]] = {}
    for job in jobs:
        by_module.setdefault(job[1].partition(":")[0], []).append(job)
    parent = {m: m for m in by_module}

    def root(m: str) -> str:
        while parent[m] != m:
            m = parent[m]
        return m

    files = {m: _file_of(m) for m in by_module}
    for a in by_module:
        try:
            reached = set(dependency_files(a))
        except (OSError, SyntaxError):
            continue
        for b, path in files.items():
            if b != a and path is not None and path in reached:
                parent[root(a)] = root(b)
    merged: dict[str, list[tuple[str, str]]] = {}
    for m, group in by_module.items():
        merged.setdefault(root(m), []).extend(group)
    known = seconds or {}

    def cost(group: list[tuple[str, str]]) -> float:
        return sum(known.get(f"{k}:{t}", GUESS_SECONDS[k]) for k, t in group)

    return sorted(merged.values(), key=cost, reverse=True)


def compute(target: str) -> tuple[str, str | None]:
    """Run in a worker: a value function's result as JSON text, or ("", error text)."""
    try:
        module, _, qualname = target.partition(":")
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        result = _plain(obj())
        return json.dumps(result, allow_nan=True), None
    except TypeError as exc:
        if "cannot show" in str(exc) or "nested" in str(exc):
            return "", (
                f"{target} returned a value the page cannot show ({exc}); "
                "return a number, a string, or a dict/list of them"
            )
        return "", _describe(exc)
    except Exception as exc:  # noqa: BLE001 — reported to the author with the chapter location
        return "", _describe(exc)


def _describe(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    last = tb[-1] if tb else None
    where = f" (at {Path(last.filename).name}:{last.lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_value(value, key: str | None, fmt: str) -> str:
    """The text of a computed value: `key` picks from a dict or list, `fmt` is a Python format spec
    (default: 4 significant digits for floats). Exponents are written 1.2×10⁻⁵, minus signs as −.
    Raises ValueError with a message for the author."""
    if key is not None:
        if isinstance(value, dict):
            if key not in value:
                raise ValueError(f"has no key `{key}`; it has {', '.join(sorted(value)) or 'none'}")
            value = value[key]
        elif isinstance(value, list):
            try:
                value = value[int(key)]
            except (ValueError, IndexError):
                raise ValueError(f"has no item [{key}]; it is a list of {len(value)}") from None
        else:
            raise ValueError(f"is a {type(value).__name__}, not a dict or list; drop the [{key}]")
    elif isinstance(value, (dict, list)):
        raise ValueError("is a dict or list; pick one item with [key], e.g. {value}`module:function[key]`")
    if fmt == "" and isinstance(value, float):
        fmt = ".4g"
    try:
        text = format(value, fmt)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot be formatted with `{fmt}` ({exc})") from None
    if isinstance(value, float) and not math.isfinite(value):
        return {"inf": "∞", "-inf": "−∞"}.get(text, text)
    m = re.fullmatch(r"(-?[\d.,]+)e([+-]\d+)(%?)", text)
    if m:
        exp = int(m.group(2))
        mant = m.group(1)
        text = (
            f"{mant}×10{str(exp).translate(_SUPERSCRIPT)}"
            if mant not in ("1", "1.0")
            else f"10{str(exp).translate(_SUPERSCRIPT)}"
        ) + m.group(3)
    if text.startswith("-"):
        text = "−" + text[1:]
    return text


_POLYLINE = re.compile(r"^\s*M\s*(-?[\d.]+)\s+(-?[\d.]+)((?:\s*L\s*-?[\d.]+\s+-?[\d.]+)*)\s*$")
_NUM = re.compile(r"-?\d+(?:\.\d+)?")


def _r(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") or "0"


def thin_path(d: str, dense: int = 400, column: float = 0.5) -> str:
    """A polyline's path data, lighter and drawn the same: coordinates to 0.1 unit (a fraction of a
    pixel) and, for dense lines, per column of `column` units only the first, lowest, highest and
    last point (the M4 reduction: the drawn pixels do not change). Other paths keep their data,
    rounded."""
    m = _POLYLINE.match(d)
    if m is None:
        return _NUM.sub(lambda n: _r(float(n.group())), d)
    nums = [float(x) for x in _NUM.findall(d)]
    pts = list(zip(nums[0::2], nums[1::2], strict=True))
    if len(pts) > dense:
        kept: list[tuple[float, float]] = []
        bucket: list[tuple[float, float]] = []
        key = None
        for pt in pts + [(float("inf"), 0.0)]:
            k = pt[0] // column
            if bucket and k != key:
                lo = min(bucket, key=lambda q: q[1])
                hi = max(bucket, key=lambda q: q[1])
                picks = [bucket[0], lo, hi, bucket[-1]]
                picks.sort(key=bucket.index)
                for q in picks:
                    if not kept or kept[-1] != q:
                        kept.append(q)
                bucket = []
            key = k
            bucket.append(pt)
        pts = kept
    # Relative moves in whole tenths: "l.5-1.2" instead of "L123.4 56.7" (a third shorter), with
    # the absolute position kept exact in integers, so rounding never drifts along the line.
    tenths = [(round(x * 10), round(y * 10)) for x, y in pts]
    out = [f"M{_tenths(tenths[0][0])} {_tenths(tenths[0][1])}"]
    moves = []
    for (x0, y0), (x1, y1) in zip(tenths, tenths[1:]):
        if (x1, y1) != (x0, y0):
            moves.append((x1 - x0, y1 - y0))
    if moves:
        body = []
        for dx, dy in moves:
            for v in (dx, dy):
                text = _tenths(v)
                body.append(text if text.startswith("-") or not body else " " + text)
        out.append("l" + "".join(body))
    elif len(tenths) > 1:
        out.append("l0 0")  # a line of zero length still draws its cap
    return "".join(out)


def _tenths(t: int) -> str:
    """An integer number of tenths as the shortest SVG number: 12 → "1.2", 5 → ".5", -30 → "-3"."""
    sign, t = ("-" if t < 0 else ""), abs(t)
    if t % 10 == 0:
        return f"{sign}{t // 10}"
    return f"{sign}{t // 10 if t >= 10 else ''}.{t % 10}"


COMPACT_MARK = "<!--mlatlas:compact v5-->"
_FONT_LIST = re.compile(r"font-family: 'DejaVu Sans', [^;\"]*")


def compact_svg(svg: str) -> str:
    """A drawn figure made lighter once, before it is cached: thinned paths (`thin_path`) and one
    short font list instead of matplotlib's long one on every label."""
    if svg.startswith(COMPACT_MARK) or "<svg" not in svg:
        return svg
    svg = re.sub(r"^<!--mlatlas:compact[^>]*-->", "", svg)  # compacted by an older engine: again
    svg = re.sub(r' d="([^"]*)"', lambda m: f' d="{thin_path(m.group(1))}"', svg)
    svg = _FONT_LIST.sub("font-family: 'DejaVu Sans', sans-serif", svg)
    svg = _USE_RUN.sub(_hoist_uses, svg)
    svg = _PNG_IMAGE.sub(_photo_as_jpeg, svg)
    # Markup matplotlib writes for its own bookkeeping: comments, indentation between tags (text
    # spans carry their own x, so no space is lost), ids on groups nothing references, no-op
    # rotations, and positions to six decimals (0.1 unit is a fraction of a pixel).
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r">\s+<", "><", svg)
    svg = re.sub(r'<g id="[^"]*"', "<g", svg)
    svg = re.sub(r' transform="rotate\(-?0 -?[\d.]+ -?[\d.]+\)"', "", svg)
    svg = re.sub(
        r'\b(x|y|width|height)="(-?\d+\.\d{2,})"', lambda m: f'{m.group(1)}="{_r(float(m.group(2)))}"', svg
    )
    return COMPACT_MARK + svg


_PNG_IMAGE = re.compile(r'(xlink:href|href)="data:image/png;base64,([A-Za-z0-9+/=\s]+)"')
PHOTO_COLOURS = 4096  # an embedded image with more distinct colours than this is a photograph


def _photo_as_jpeg(m: re.Match) -> str:
    """An embedded photograph re-encoded as JPEG (quality 85) when that at least halves it.

    Matplotlib embeds every image as PNG, which suits heatmaps and other flat-coloured plots (they
    keep PNG: few distinct colours, and JPEG would smear their cell edges) but makes a photograph
    several times larger than it needs to be."""
    import base64

    from PIL import Image

    raw = base64.b64decode(re.sub(r"\s+", "", m.group(2)))
    image = Image.open(io.BytesIO(raw))
    if image.mode not in ("RGB", "RGBA", "L") or (image.mode == "RGBA" and image.getextrema()[3][0] < 255):
        return m.group(0)  # transparent pixels: JPEG has no alpha
    colours = image.convert("RGB").getcolors(maxcolors=PHOTO_COLOURS)
    if colours is not None:
        return m.group(0)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    if out.tell() > len(raw) / 2:
        return m.group(0)
    return f'{m.group(1)}="data:image/jpeg;base64,{base64.b64encode(out.getvalue()).decode()}"'


_USE = r'<use xlink:href="(#[\w-]+)" x="(-?[\d.]+)" y="(-?[\d.]+)"(?: style="([^"]*)")?/>'
_USE_RUN = re.compile(rf"(?:\s*{_USE}){{8,}}")
_USE_ONE = re.compile(_USE)


def _hoist_uses(m: re.Match) -> str:
    """A run of scatter markers: coordinates rounded, a style shared by all of them said once."""
    uses = _USE_ONE.findall(m.group(0))
    styles = {u[3] for u in uses}
    shared = styles.pop() if len(styles) == 1 else None
    body = "".join(
        f'<use xlink:href="{h}" x="{_r(float(x))}" y="{_r(float(y))}"'
        + (f' style="{st}"' if shared is None and st else "")
        + "/>"
        for h, x, y, st in uses
    )
    return f'<g style="{shared}">{body}</g>' if shared else body


def clean_svg(svg: str, alt: str) -> str:
    """Make a matplotlib SVG inline-able: no XML prologue, theme-following ink, scalable, labelled."""
    svg = re.sub(r"^.*?(<svg\b)", r"\1", svg, flags=re.S)
    svg = svg.replace(INK, "currentColor").replace(INK.upper(), "currentColor")
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # Scale down to the column, never up past the drawn size (text stays the size it was drawn at).
    m = re.search(r'<svg\b[^>]*?\swidth="([\d.]+)(pt|px)?"', svg)
    svg = re.sub(r'(<svg\b[^>]*?)\swidth="[^"]*"', r"\1", svg, count=1)
    svg = re.sub(r'(<svg\b[^>]*?)\sheight="[^"]*"', r"\1", svg, count=1)
    if m:
        px = float(m.group(1)) * (4 / 3 if m.group(2) == "pt" else 1)
        svg = svg.replace("<svg", f'<svg data-w style="max-width:{px:.0f}px;--fig-w:{px:.0f}px"', 1)
    alt_attr = alt.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{alt_attr}"', 1)
    return svg.strip()


def render_figures(
    targets: list[str], cache_dir: Path | None, progress: Callable[[str], None] | None = None
) -> dict[str, tuple[str, str | None]]:
    """target → (svg, error). Cached by `figure_key`; misses are drawn in parallel worker processes."""
    return render_all(targets, [], cache_dir, progress)[0]


def render_all(
    figure_targets: list[str],
    value_targets: list[str],
    cache_dir: Path | None,
    progress: Callable[[str], None] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> tuple[dict[str, tuple[str, str | None]], dict[str, tuple[str, str | None]]]:
    """Figures (target → (svg, error)) and values (target → (json, error)), both cached by
    `figure_key` (the hash of the code they depend on); misses run in one pool of worker processes
    (`pool`, from `early_pool`, if given; it is shut down before this returns)."""
    results: dict[tuple[str, str], tuple[str, str | None]] = {}
    todo: dict[tuple[str, str], str] = {}
    jobs = [("svg", t) for t in dict.fromkeys(figure_targets)]
    jobs += [("json", t) for t in dict.fromkeys(value_targets)]
    for suffix, target in jobs:
        try:
            key = figure_key(target)
        except (OSError, SyntaxError) as exc:
            results[(suffix, target)] = ("", f"cannot read the code: {exc}")
            continue
        cached = cache_dir / f"{key}.{suffix}" if cache_dir else None
        if cached is not None and cached.exists():
            text = cached.read_text(encoding="utf-8")
            if suffix == "svg" and not text.startswith(COMPACT_MARK):  # cached before compaction
                text = compact_svg(text)
                tmp = cached.with_name(f"{key}.{os.getpid()}.tmp")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(cached)
            results[(suffix, target)] = (text, None)
        else:
            todo[(suffix, target)] = key

    # Tasks as job_groups makes them (a module's jobs, and the modules it imports, in one worker;
    # longest first). A worker that dies (a crash in native code, the OOM killer) breaks every
    # pending task of its pool: the jobs left are retried each in a fresh process of its own, so one
    # bad figure names itself and spares the rest. Each job's time is kept for the next build's order.
    timings_file = cache_dir / "seconds.txt" if cache_dir else None  # lines "seconds kind:target"
    seconds: dict[str, float] = {}
    if timings_file is not None and timings_file.exists():
        for line in timings_file.read_text(encoding="utf-8").splitlines():
            took, _, job = line.partition(" ")
            try:
                seconds[job] = float(took)
            except ValueError:  # a damaged line only loses its job's place in the order
                continue

    def finish(job: tuple[str, str], text: str, err: str | None, took: float | None = None) -> None:
        if took is not None:
            seconds[f"{job[0]}:{job[1]}"] = round(took, 3)
        if err is None and job[0] == "svg":
            text = compact_svg(text)
        results[job] = (text, err)
        if err is None and cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = cache_dir / f"{todo[job]}.{os.getpid()}.tmp"  # atomic: builds may share a cache
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(cache_dir / f"{todo[job]}.{job[0]}")
        if progress:
            progress(job[1])

    if not todo and pool is not None:
        pool.shutdown(cancel_futures=True)
    if todo:
        broken = _run_in_pool(job_groups(list(todo), seconds), finish, pool)
        for job in broken:
            if _run_in_pool([[job]], finish):
                results[job] = ("", "the worker process died (out of memory, or a crash in native code)")
        if timings_file is not None:
            timings_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = timings_file.with_name(f"seconds.{os.getpid()}.tmp")
            tmp.write_text("".join(f"{v:g} {k}\n" for k, v in sorted(seconds.items())), encoding="utf-8")
            tmp.replace(timings_file)
    figs = {t: r for (suffix, t), r in results.items() if suffix == "svg"}
    values = {t: r for (suffix, t), r in results.items() if suffix == "json"}
    return figs, values
