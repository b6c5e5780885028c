"""Read the `verifies(...)` declarations out of test files, without importing them.

Tests import heavy reference libraries; the site only needs the declarations, so it parses the files
with `ast` (milliseconds) and resolves arguments that are literals or module-level constants.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from .problems import Problem, display_path


@dataclass(frozen=True)
class Declared:
    page: str
    against: str
    tol: float | str | None
    note: str | None
    path: Path
    line: int
    test: str

    def describe(self) -> str:
        """'torch.softmax, tolerance 1e-12 (float64)'"""
        text = self.against
        if self.tol is not None:
            tol = f"{self.tol:g}" if isinstance(self.tol, float | int) else str(self.tol)
            text += f", tolerance {tol}"
        if self.note:
            text += f" ({self.note})"
        return text


def _constants(tree: ast.Module) -> dict[str, object]:
    out: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            try:
                out[node.target.id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def _is_verifies(call: ast.expr) -> bool:
    if not isinstance(call, ast.Call):
        return False
    f = call.func
    return (isinstance(f, ast.Name) and f.id == "verifies") or (
        isinstance(f, ast.Attribute) and f.attr == "verifies"
    )


_MISSING = object()


def _value(node: ast.expr, constants: dict[str, object]):
    if isinstance(node, ast.Name):
        return constants.get(node.id, _MISSING)
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _MISSING


def _inside_other_site(path: Path, folder: Path) -> bool:
    """Test files of a site folder nested in the tests (e.g. the engine's fixture sites) belong to it."""
    for parent in path.parents:
        if parent == folder:
            return False
        if (parent / "site.toml").exists():
            return True
    return False


def scan_tests(folder: Path | None) -> tuple[list[Declared], list[Problem]]:
    """Every `@verifies(...)` in `folder/**/test_*.py`."""
    if folder is None or not folder.is_dir():
        return [], []
    found: list[Declared] = []
    problems: list[Problem] = []
    for path in sorted(folder.rglob("test_*.py")):
        if _inside_other_site(path, folder):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as exc:
            problems.append(
                Problem(display_path(path), exc.lineno or 1, f"cannot parse test file: {exc.msg}")
            )
            continue
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for dec in node.decorator_list:
                if not _is_verifies(dec):
                    continue
                args = {"page": dec.args[0]} if dec.args else {}
                args.update({kw.arg: kw.value for kw in dec.keywords if kw.arg})
                values = {k: _value(v, constants) for k, v in args.items()}
                bad = [k for k, v in values.items() if v is _MISSING]
                if bad or "page" not in values or "against" not in values:
                    problems.append(
                        Problem(
                            display_path(path),
                            dec.lineno,
                            f"@verifies in {node.name}: arguments must be literals or module-level constants "
                            "(page, against=..., tol=..., note=...); "
                            f"could not read: {', '.join(bad) or 'page/against'}",
                        )
                    )
                    continue
                found.append(
                    Declared(
                        page=str(values["page"]),
                        against=str(values["against"]),
                        tol=values.get("tol"),
                        note=values.get("note"),
                        path=path,
                        line=dec.lineno,
                        test=node.name,
                    )
                )
    return found, problems
