"""The code directive: show the source of a symbol of an installed package, read at build time.

```{code} mlatlas.foundations.softmax:softmax
```

The module's file is found without importing it and parsed with `ast`, so the page always shows the
code as it is on disk (edits show up on the next rebuild) and an unknown symbol is a clear error.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .problems import did_you_mean


@dataclass(frozen=True)
class Snippet:
    module: str
    qualname: str | None
    path: Path
    first_line: int
    last_line: int
    source: str


class SymbolError(ValueError):
    pass


_FOUND: dict[str, Path] = {}


def _locate(module: str) -> Path | None:
    """The file of `module`, found on disk without importing anything (not even its parents,
    which may import torch): the top-level package's locations, then one folder per dotted part."""
    if module in _FOUND and _FOUND[module].exists():
        return _FOUND[module]
    parts = module.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # a top-level name is located, not imported
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if len(parts) == 1:
        found = Path(spec.origin) if spec.origin and spec.origin.endswith(".py") else None
    else:
        found = None
        for location in spec.submodule_search_locations or []:
            base = Path(location).joinpath(*parts[1:])
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.is_file():
                    found = candidate
                    break
            if found:
                break
    if found is not None:
        _FOUND[module] = found
    return found


def module_file(module: str) -> Path:
    """The .py file of `module`, found without executing it."""
    path = _locate(module)
    if path is not None:
        return path
    parent, _, leaf = module.rpartition(".")
    hint = ""
    if parent:
        ppath = _locate(parent)
        if ppath is not None and ppath.name == "__init__.py":
            names = [p.stem for p in ppath.parent.glob("*.py")] + [
                d.name for d in ppath.parent.iterdir() if (d / "__init__.py").exists()
            ]
            hint = did_you_mean(leaf, names)
    raise SymbolError(f"no Python module `{module}`{hint}")


@lru_cache(maxsize=512)
def _parse(path: Path, mtime_ns: int) -> tuple[ast.Module, list[str]]:
    text = path.read_text(encoding="utf-8")
    return ast.parse(text), text.splitlines()


def _children(node: ast.AST) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = {}
    for child in getattr(node, "body", []):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out[child.name] = child
        elif isinstance(child, ast.Assign):
            for t in child.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = child
        elif isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
            out[child.target.id] = child
    return out


def find_symbol(target: str) -> Snippet:
    """`package.module:Qual.name` (or just `package.module`) → its source lines."""
    module, _, qualname = target.strip().partition(":")
    if not module:
        raise SymbolError(
            "write the symbol as `package.module:name`, e.g. `mlatlas.foundations.softmax:softmax`"
        )
    path = module_file(module)
    tree, lines = _parse(path, path.stat().st_mtime_ns)
    if not qualname:
        return Snippet(module, None, path, 1, len(lines), "\n".join(lines).rstrip() + "\n")
    node: ast.AST = tree
    for part in qualname.split("."):
        children = _children(node)
        if part not in children:
            raise SymbolError(f"`{module}` has no `{qualname}`{did_you_mean(part, children)}")
        node = children[part]
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    last = node.end_lineno or node.lineno
    body = lines[first - 1 : last]
    indent = min((len(s) - len(s.lstrip()) for s in body if s.strip()), default=0)
    source = "\n".join(s[indent:] for s in body).rstrip() + "\n"
    return Snippet(module, qualname, path, first, last, source)


def source_digest(target: str) -> str:
    """A cheap fingerprint of the file behind a code target (for render caching)."""
    module = target.strip().partition(":")[0]
    try:
        path = module_file(module)
        st = path.stat()
        return hashlib.sha1(f"{path}|{st.st_mtime_ns}|{st.st_size}".encode()).hexdigest()[:16]
    except (SymbolError, OSError):
        return "missing"
