"""Exercises: a learner re-implements a chapter's functions and checks them with the chapter's tests.

A chapter declares its exercised symbols in its front matter (`exercises: [pkg.module:function]`).

    mlatlas exercise softmax                     # writes softmax_exercise.py: signatures, docstrings,
                                                 # bodies raising NotImplementedError
    mlatlas exercise softmax --check FILE        # the chapter's own tests, run against FILE

`--check` runs pytest on the test files that declare `@verifies("<page>", ...)`, with this module as a
plugin: before the tests are imported it replaces each exercised symbol in its package module by the
learner's version, so `from pkg.module import function` in a test gets the learner's. When a test
fails, the first call it made to a learner's function is repeated with the reference, and both
results are printed side by side.
"""

from __future__ import annotations

import ast
import copy
import importlib
import importlib.util
import json
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from .code import SymbolError, find_symbol, module_file

ENV = "MLATLAS_EXERCISE"  # JSON {"file": learner file, "symbols": ["pkg.module:name", ...]}


@dataclass(frozen=True)
class Starter:
    path: Path
    symbols: tuple[str, ...]


def _stub(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, source: str) -> str:
    """The definition with its signature and docstring and a body raising NotImplementedError."""
    if isinstance(node, ast.ClassDef):
        head = ast.get_source_segment(source, node).split("\n", 1)[0]
        doc = ast.get_docstring(node, clean=False)
        parts = [head]
        if doc:
            parts.append(textwrap.indent(f'"""{doc}"""', "    "))
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                parts.append(textwrap.indent(_stub(item, source), "    "))
        if len(parts) == 1:
            parts.append("    pass")
        return "\n\n".join(parts) if len(parts) > 2 else "\n".join(parts)
    decorators = "".join(f"@{ast.get_source_segment(source, d)}\n" for d in node.decorator_list)
    first_body = node.body[0]
    lines = source.splitlines()
    # the signature: from `def` to the line before the first statement of the body
    sig_lines = lines[node.lineno - 1 : first_body.lineno - 1]
    doc = ast.get_docstring(node, clean=False)
    if doc is not None and isinstance(first_body, ast.Expr):
        end = first_body.end_lineno
        sig_lines = lines[node.lineno - 1 : end]
    indent = " " * (node.col_offset + 4)
    signature = "\n".join(line[node.col_offset :] for line in sig_lines)
    body = f'{indent[node.col_offset :]}raise NotImplementedError("write {node.name} here")'
    return decorators + signature + "\n" + body


def starter_text(symbols: list[str], page_id: str) -> str:
    """The starter file for these `module:name` symbols (all from one or more package modules)."""
    imports: dict[str, None] = {}
    stubs = []
    for target in symbols:
        module, _, qualname = target.partition(":")
        path = module_file(module)
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        package = module.rsplit(".", 1)[0]
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                if isinstance(node, ast.ImportFrom) and node.level:  # make relative imports absolute
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    name = ".".join(base + ([node.module] if node.module else []))
                    names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
                    imports[f"from {name} import {names}"] = None
                else:
                    imports[ast.get_source_segment(source, node)] = None
        node = next(
            (
                n
                for n in tree.body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == qualname
            ),
            None,
        )
        if node is None:
            raise SymbolError(f"`{target}`: exercises name top-level functions or classes of a module")
        stubs.append(_stub(node, source))
    head = (
        f'"""Exercise for the chapter `{page_id}`: write the bodies below.\n\n'
        f"Check them with the chapter's own tests:  mlatlas exercise {page_id} --check THIS_FILE\n"
        '"""\n\n'
    )
    future = "from __future__ import annotations"
    lines = [future] + [i for i in imports if i != future]
    return head + "\n".join(lines) + "\n\n\n" + "\n\n\n".join(stubs) + "\n"


def write_starter(page_id: str, symbols: list[str], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{page_id.replace('-', '_')}_exercise.py"
    if path.exists():
        raise FileExistsError(f"{path} exists; it may hold your work. Delete it or pass --out another folder")
    path.write_text(starter_text(symbols, page_id), encoding="utf-8")
    return path


def check_symbols(symbols: list[str]) -> list[str]:
    """Messages for exercise symbols that do not exist."""
    out = []
    for target in symbols:
        if ":" not in target:
            out.append(f"exercise `{target}`: name a function as `package.module:function`")
            continue
        try:
            find_symbol(target)
        except SymbolError as exc:
            out.append(f"exercise `{target}`: {exc}")
    return out


def load_learner(file: Path):
    spec = importlib.util.spec_from_file_location("mlatlas_learner_exercise", file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --- the pytest plugin (-p mlatlas.site.exercises) ------------------------------------------------

_CALLS: list[tuple[str, object, tuple, dict, object]] = []  # (target, reference, args, kwargs, theirs)


def _recording(target: str, theirs, reference):
    def wrapper(*args, **kwargs):
        saved = (copy.deepcopy(args), copy.deepcopy(kwargs))
        result = theirs(*args, **kwargs)
        if len(_CALLS) < 1:
            _CALLS.append((target, reference, saved[0], saved[1], result))
        return result

    wrapper.__name__ = getattr(theirs, "__name__", "learner")
    wrapper.__doc__ = getattr(theirs, "__doc__", None)
    wrapper.__wrapped__ = theirs
    return wrapper


def pytest_configure(config) -> None:  # noqa: ARG001 — pytest hook signature
    spec = os.environ.get(ENV)
    if not spec:
        return
    data = json.loads(spec)
    learner = load_learner(Path(data["file"]))
    for target in data["symbols"]:
        module_name, _, name = target.partition(":")
        module = importlib.import_module(module_name)
        if not hasattr(learner, name):
            raise SystemExit(f"{data['file']} has no `{name}`; keep the names of the starter file")
        reference = getattr(module, name)
        theirs = getattr(learner, name)
        if callable(theirs) and not isinstance(theirs, type):
            theirs = _recording(target, theirs, reference)
        setattr(module, name, theirs)


def pytest_runtest_setup(item) -> None:  # noqa: ARG001
    _CALLS.clear()


def _show(value) -> str:
    try:
        import numpy as np

        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        if isinstance(value, np.ndarray):
            return np.array2string(value, precision=6, threshold=12, edgeitems=3)
    except Exception:  # noqa: BLE001 — best effort display
        pass
    text = repr(value)
    return text if len(text) < 400 else text[:400] + " …"


def pytest_runtest_makereport(item, call):  # noqa: ARG001
    if call.when != "call" or call.excinfo is None or not _CALLS:
        return
    target, reference, args, kwargs, theirs = _CALLS[0]
    try:
        expected = reference(*args, **kwargs)
        ref = _show(expected)
    except Exception as exc:  # noqa: BLE001 — the reference refuses these inputs too
        ref = f"raises {type(exc).__name__}: {exc}"
    shown_args = ", ".join([_show(a) for a in args] + [f"{k}={_show(v)}" for k, v in kwargs.items()])
    item.add_report_section(
        "call",
        "reference vs yours",
        f"first call: {target.split(':')[1]}({shown_args[:600]})\n"
        f"reference: {ref}\nyours:     {_show(theirs)}",
    )
