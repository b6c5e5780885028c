"""Math at build time: TeX → HTML + MathML by KaTeX, run by node once per build for every new formula.

Rendered formulas are cached on disk by a hash of (KaTeX version, display mode, TeX), so a rebuild
only sends node what it has never seen. No math JavaScript reaches the reader's browser.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

KATEX_DIR = Path(__file__).parent / "katex"


class MathSetupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Formula:
    tex: str
    display: bool

    @property
    def key(self) -> str:
        return hashlib.sha1(f"{katex_version()}|{int(self.display)}|{self.tex}".encode()).hexdigest()


def katex_dist() -> Path:
    """Folder with katex.min.css and fonts/ (copied into the site)."""
    dist = KATEX_DIR / "node_modules" / "katex" / "dist"
    if not (dist / "katex.min.css").exists():
        raise MathSetupError(
            f"KaTeX is not installed: run `npm ci --prefix {KATEX_DIR}` (needs Node >= 18), "
            "or `./atlas setup` from the repository"
        )
    return dist


_VERSION: str | None = None


def katex_version() -> str:
    global _VERSION
    if _VERSION is None:
        pkg = KATEX_DIR / "node_modules" / "katex" / "package.json"
        _VERSION = json.loads(pkg.read_text())["version"] if pkg.exists() else "missing"
    return _VERSION


class MathCache:
    """Persistent map formula key → rendered HTML (one JSON file)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[str, str] = {}
        if path is not None and path.exists():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}
        self.dirty = False

    def save(self) -> None:
        if self.path is not None and self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries), encoding="utf-8")
            tmp.replace(self.path)
            self.dirty = False


def render_formulas(formulas: list[Formula], cache: MathCache) -> dict[str, str | Exception]:
    """Render every formula; returns key → HTML, or key → ValueError(message) for TeX KaTeX rejects."""
    out: dict[str, str | Exception] = {}
    todo: dict[str, Formula] = {}
    for f in formulas:
        key = f.key
        if key in cache.entries:
            out[key] = cache.entries[key]
        else:
            todo[key] = f
    if not todo:
        return out
    node = shutil.which("node")
    if node is None:
        raise MathSetupError("node is not on PATH: math is rendered at build time by KaTeX under Node >= 18")
    katex_dist()  # raises a clear error when KaTeX is missing
    items = [{"tex": f.tex, "display": f.display} for f in todo.values()]
    proc = subprocess.run(
        [node, str(KATEX_DIR / "render.mjs")],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise MathSetupError(f"KaTeX renderer failed: {proc.stderr.strip()[:2000]}")
    results = json.loads(proc.stdout)
    for (key, _), res in zip(todo.items(), results, strict=True):
        if "html" in res:
            out[key] = res["html"]
            cache.entries[key] = res["html"]
            cache.dirty = True
        else:
            out[key] = ValueError(res["error"])
    return out
