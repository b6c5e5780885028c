"""`mlatlas new`: start a site, a chapter, a lab or an exploration from a small template."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .load import ID_PATTERN


def _front(title: str, summary: str, extra: str = "") -> str:
    today = dt.date.today().isoformat()
    return (
        f"---\ntitle: {title}\nsummary: {summary}\n{extra}prerequisites: []\ntags: []\n"
        f"date: {today}\nreferences: []\n---\n\n"
    )


def _title(page_id: str) -> str:
    return page_id.replace("-", " ").capitalize()


def _package_name(folder: Path) -> str:
    import importlib.util

    name = re.sub(r"\W+", "_", folder.name.lower()).strip("_") or "lab"
    if name[0].isdigit():
        name = "lab_" + name
    try:
        taken = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        taken = True
    return name + "_lab" if taken else name


def new_site(folder: Path) -> list[Path]:
    """A site folder with its own code: one module, one figure, one verified test, one chapter."""
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"{folder} exists and is not empty; choose a new folder")
    pkg = _package_name(folder)
    made = []
    files = {
        "site.toml": f'title = "{_title(folder.name)}"\ntagline = "Notes, built and verified"\nauthor = ""\n'
        'description = "A learning lab published with ML Atlas."\n'
        'base_url = "http://127.0.0.1:8000/"\n'
        "# Code, figure and value directives import from these folders (default: src/ and this folder);\n"
        "# @verifies in tests/ gives the pages their badges.\n"
        'python_path = ["src", "."]\ntests = "tests"\n\n[[timeline]]\nstage = "Start"\n'
        'title = "Basics"\ntext = "Where to start."\n',
        "about.md": "---\ntitle: About\n---\n\nWhat this site is and who writes it.\n",
        "collections/basics/index.md": "---\ntitle: Basics\nkind: book\nsummary: Where to start.\norder: 1\n"
        "---\n\nRead the chapters in order: start with [the first](first-chapter.md).\n",
        "collections/basics/first-chapter.md": _front(
            "First chapter",
            "What this chapter explains.",
            f"order: 1\nverified: [math.fsum]\nexercises: [{pkg}.softmax:softmax]\n",
        )
        + "## The idea\n\nIntuition first, then the math: $p_i = e^{z_i} / \\sum_j e^{z_j}$.\n\n"
        "## The code\n\n"
        f"```{{code}} {pkg}.softmax:softmax\n```\n\n"
        f"```{{figure}} {pkg}.figures:temperature\n:alt: Softmax of three scores at three temperatures\n"
        "Lower temperature sharpens the distribution.\n```\n\n"
        f"The largest weight at temperature 1 is {{value}}`{pkg}.figures:largest_weight:.3f`.\n",
        f"src/{pkg}/__init__.py": f'"""{_title(folder.name)}: the code behind the pages."""\n',
        f"src/{pkg}/softmax.py": '"""Softmax, written out."""\n\nimport math\n\n\n'
        "def softmax(scores: list[float], temperature: float = 1.0) -> list[float]:\n"
        '    """exp(s_i / T) / sum_j exp(s_j / T), shifted by the maximum so nothing overflows."""\n'
        "    m = max(s / temperature for s in scores)\n"
        "    e = [math.exp(s / temperature - m) for s in scores]\n"
        "    total = math.fsum(e)\n"
        "    return [x / total for x in e]\n",
        f"src/{pkg}/figures.py": '"""Figures and values drawn at build time."""\n\n'
        "from mlatlas.plotting import new_figure\n\n"
        f"from {pkg}.softmax import softmax\n\nSCORES = [2.0, 1.0, 0.1]\n\n\n"
        "def temperature():\n"
        "    fig, ax = new_figure(width=5, height=3)\n"
        "    for t in (0.5, 1.0, 2.0):\n"
        '        ax.plot(range(3), softmax(SCORES, t), marker="o", label=f"T = {t}")\n'
        '    ax.set_xlabel("score index")\n    ax.set_ylabel("probability")\n    ax.legend()\n'
        "    return fig\n\n\n"
        "def largest_weight():\n    return max(softmax(SCORES))\n",
        "tests/test_softmax.py": "import math\n\n"
        f"from {pkg}.softmax import softmax\n"
        "from mlatlas.verification import verifies\n\nTOL = 1e-12\n\n\n"
        '@verifies("first-chapter", against="math.fsum", tol=TOL, note="probabilities sum to one")\n'
        "def test_softmax_sums_to_one():\n"
        "    p = softmax([2.0, 1.0, 0.1, -3.0])\n"
        "    assert abs(math.fsum(p) - 1) < TOL\n"
        "    assert p == sorted(p, reverse=True)\n",
    }
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        made.append(path)
    return made


def new_page(kind: str, path: Path) -> Path:
    """Create a chapter (collections/<c>/<id>.md), exploration or lab at `path`."""
    page_id = path.stem
    if not ID_PATTERN.match(page_id):
        raise ValueError(f"`{page_id}`: page ids are lowercase words joined by hyphens, e.g. graph-laplacian")
    if path.suffix != ".md":
        raise ValueError(f"{path}: give the markdown file's path, ending in .md")
    if path.exists():
        raise ValueError(f"{path} already exists")
    title = _title(page_id)
    if kind == "chapter":
        text = (
            _front(title, "One or two sentences on what this chapter explains.", "order: 99\n")
            + "## Intuition\n\n## The math\n\n## The code\n\n<!-- ```{code} package.module:function -->\n\n"
            "## Where it leads\n"
        )
    elif kind == "exploration":
        text = _front(title, "One or two sentences on what this exploration shows.") + "## Part one\n"
    elif kind == "lab":
        text = (
            _front(title, "What the reader does in this lab.", f"script: {page_id}/main.js\n")
            + "What to try, and what to notice.\n"
        )
        script = path.parent / page_id / "main.js"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(
            '// The lab mounts into <div id="lab">.\nconst root = document.getElementById("lab");\n'
            'root.textContent = "Hello from the lab.";\n',
            encoding="utf-8",
        )
    else:
        raise ValueError(f"unknown kind `{kind}`: use chapter, exploration, lab or site")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "chapter" and path.parent.parent.name == "collections":
        index = path.parent / "index.md"
        if not index.exists():  # a chapter into a new collection: give the collection its overview
            index.write_text(
                f"---\ntitle: {_title(path.parent.name)}\nkind: book\n"
                f"summary: What this collection covers.\norder: 99\n---\n\n"
                f"Start with [{title}]({path.name}).\n",
                encoding="utf-8",
            )
    path.write_text(text, encoding="utf-8")
    return path
