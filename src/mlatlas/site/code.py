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


def module_file(module: str) -> Path:
    """The .py file of `module`, found without executing it (parents may be imported)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        raise SymbolError(f"cannot find module `{module}`: {exc}") from None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        parent = module.rsplit(".", 1)[0] if "." in module else None
        hint = ""
        if parent:
            try:
                pspec = importlib.util.find_spec(parent)
                if pspec and pspec.submodule_search_locations:
                    names = [
                        p.stem for loc in pspec.submodule_search_locations for p in Path(loc).glob("*.py")
                    ]
                    hint = did_you_mean(module.rsplit(".", 1)[1], names)
            except (ImportError, ValueError):
                pass
        raise SymbolError(f"no Python module `{module}`{hint}")
    return Path(spec.origin)


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
