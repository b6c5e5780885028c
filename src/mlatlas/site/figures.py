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
import hashlib
import importlib.util
import io
import multiprocessing
import os
import re
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
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


def dependency_files(module: str) -> list[Path]:
    """The module's file and every mlatlas module file it reaches by imports (not the site engine)."""
    seen: dict[str, Path] = {}
    stack = [module]
    while stack:
        name = stack.pop()
        if name in seen or not name.startswith("mlatlas") or name.startswith("mlatlas.site"):
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
        svg = svg.replace("<svg", f'<svg style="max-width:{px:.0f}px"', 1)
    alt_attr = alt.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{alt_attr}"', 1)
    return svg.strip()


def render_figures(
    targets: list[str], cache_dir: Path | None, progress: Callable[[str], None] | None = None
) -> dict[str, tuple[str, str | None]]:
    """target → (svg, error). Cached by `figure_key`; misses are drawn in parallel worker processes."""
    out: dict[str, tuple[str, str | None]] = {}
    todo: dict[str, str] = {}
    for target in dict.fromkeys(targets):
        try:
            key = figure_key(target)
        except (OSError, SyntaxError) as exc:
            out[target] = ("", f"cannot read the figure's code: {exc}")
            continue
        cached = cache_dir / f"{key}.svg" if cache_dir else None
        if cached is not None and cached.exists():
            out[target] = (cached.read_text(encoding="utf-8"), None)
        else:
            todo[target] = key
    if not todo:
        return out
    workers = max(1, min(len(todo), multiprocessing.cpu_count(), 4))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {target: pool.submit(draw, target) for target in todo}
        for target, fut in futures.items():
            svg, err = fut.result()
            out[target] = (svg, err)
            if err is None and cache_dir is not None:
                cache_dir.mkdir(parents=True, exist_ok=True)
                tmp = cache_dir / f"{todo[target]}.{os.getpid()}.tmp"  # atomic: builds may share a cache
                tmp.write_text(svg, encoding="utf-8")
                tmp.replace(cache_dir / f"{todo[target]}.svg")
            if progress:
                progress(target)
    return out
