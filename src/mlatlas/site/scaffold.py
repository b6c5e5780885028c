"""`mlatlas new`: start a site, a chapter, a lab or an exploration from a small template."""

from __future__ import annotations

import datetime as dt
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


def new_site(folder: Path) -> list[Path]:
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"{folder} exists and is not empty; choose a new folder")
    made = []
    files = {
        "site.toml": f'title = "{_title(folder.name)}"\ntagline = "Notes, built and verified"\nauthor = ""\n'
        'description = "A learning lab published with ML Atlas."\n'
        'base_url = "http://127.0.0.1:8000/"\n\n[[timeline]]\nstage = "1"\n'
        'title = "Basics"\ntext = "Where to start."\n',
        "about.md": "---\ntitle: About\n---\n\nWhat this site is and who writes it.\n",
        "collections/basics/index.md": "---\ntitle: Basics\nkind: book\nsummary: Where to start.\norder: 1\n"
        "---\n\nRead the chapters in order: start with [the first](first-chapter.md).\n",
        "collections/basics/first-chapter.md": _front(
            "First chapter", "What this chapter explains.", "order: 1\n"
        )
        + "## The idea\n\nIntuition first, then the math: $p_i = e^{z_i} / \\sum_j e^{z_j}$.\n",
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
    path.write_text(text, encoding="utf-8")
    return path
