"""Stage 1 — load: read a site folder into a `Site`, collecting every problem with its location.

site.toml · about.md · collections/<id>/index.md · collections/<id>/<page>.md
explorations/<id>.md · labs/<id>.md (+ labs/<id>/ scripts)
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .model import Link, Page, Reference, Site, SiteConfig, TimelineEntry
from .problems import Problem, did_you_mean, display_path

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# --- front-matter schemas -------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReferenceMeta(_Strict):
    title: str
    authors: str
    year: int
    arxiv: str | None = None
    url: str | None = None
    venue: str | None = None


class PageMeta(_Strict):
    title: str
    summary: str
    order: int | None = None
    prerequisites: list[str] = []
    tags: list[str] = []
    date: dt.date | None = None
    references: list[ReferenceMeta | str] = []
    verified: list[str] = []
    demo: str | None = None
    exercises: list[str] = []
    series: list[str] = []


class ChapterMeta(PageMeta):
    order: int


class LabMeta(PageMeta):
    script: str


class CollectionMeta(_Strict):
    title: str
    kind: Literal["book", "series"]
    summary: str
    order: int


class AboutMeta(_Strict):
    title: str
    summary: str = ""


class SiteToml(_Strict):
    title: str
    tagline: str = ""
    author: str = ""
    description: str = ""
    base_url: str = "http://127.0.0.1:8000/"
    tests: str | None = None
    python_path: list[str] | None = None
    links: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []


# --- front matter -----------------------------------------------------------------------------


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(yaml text or None, body, 1-based line of the body's first line)."""
    if not text.startswith("---"):
        return None, text, 1
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    return "\n".join(lines[1:]), "", len(lines) + 1


_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.M)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster


def _key_lines(yaml_text: str) -> dict[str, int]:
    """Line (in the file) of each top-level key; front matter starts on file line 2."""
    lines: dict[str, int] = {}
    for m in _TOP_KEY.finditer(yaml_text):
        lines.setdefault(m.group(1), yaml_text.count("\n", 0, m.start()) + 2)
    return lines


def _pydantic_problems(err: ValidationError, model: type[BaseModel], where: str, lines: dict[str, int]):
    known = list(model.model_fields)
    for e in err.errors():
        loc = [str(x) for x in e["loc"]]
        key = loc[0] if loc else ""
        line = lines.get(key, 1)
        if e["type"] == "extra_forbidden":
            yield Problem(
                where,
                line,
                f"unknown front-matter key `{key}`{did_you_mean(key, known)}; known keys: {', '.join(known)}",
            )
        elif e["type"] == "missing":
            what = "`" + ".".join(loc) + "`"
            yield Problem(where, line, f"missing required front-matter key {what}")
        elif key == "references":
            # A union error: report once, plainly.
            yield Problem(
                where,
                line,
                "each reference must be a string or a mapping with title, authors, "
                f"year (and optionally arxiv, url, venue): {e['msg']} at {'.'.join(loc)}",
            )
        else:
            got = e.get("input")
            yield Problem(where, line, f"front-matter key `{'.'.join(loc)}`: {e['msg']} (got {got!r})")


def _format_reference(ref: ReferenceMeta | str) -> Reference:
    if isinstance(ref, str):
        return Reference(text=ref)
    text = f"{ref.authors} ({ref.year}). {ref.title}."
    if ref.venue:
        text += f" {ref.venue}."
    url = ref.url
    if ref.arxiv:
        text += f" arXiv:{ref.arxiv}."
        url = url or f"https://arxiv.org/abs/{ref.arxiv}"
    return Reference(text=text, url=url)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if (p.path, p.line, p.message) not in seen:
            seen.add((p.path, p.line, p.message))
            out.append(p)
    return out


def load_page(
    path: Path, kind: str, root: Path, collection: str | None = None, page_id: str | None = None
) -> tuple[Page | None, list[Problem]]:
    """Parse one markdown source: front matter checked against the schema for its kind."""
    return _load_page(path, kind, root, collection, page_id)


def _load_page(
    path: Path, kind: str, root: Path, collection: str | None = None, page_id: str | None = None
) -> tuple[Page | None, list[Problem]]:
    where = display_path(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [
            Problem(where, 1, f"not valid UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8")
        ]
    yaml_text, body, body_line = split_front_matter(text)
    if yaml_text is None:
        return None, [
            Problem(
                where,
                1,
                "no front matter: start the file with a `---` line, the YAML keys "
                "(title, summary, ...) and a closing `---` line",
            )
        ]
    try:
        data = yaml.load(yaml_text, Loader=_Loader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        msg = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context_mark", None)
        if context is not None and context.line + 2 != line:
            msg += f" ({getattr(exc, 'context', 'started')} on line {context.line + 2})"
        return None, [
            Problem(
                where,
                line,
                f"front matter is not valid YAML: {msg}; "
                "quote values that contain ':' or start with a special character",
            )
        ]
    if not isinstance(data, dict):
        return None, [Problem(where, 2, "front matter must be a YAML mapping of `key: value` lines")]
    lines = _key_lines(yaml_text)
    model = {
        "chapter": ChapterMeta,
        "exploration": PageMeta,
        "lab": LabMeta,
        "collection": CollectionMeta,
        "about": AboutMeta,
    }[kind]
    try:
        meta = model.model_validate(data)
    except ValidationError as err:
        return None, _dedupe(list(_pydantic_problems(err, model, where, lines)))

    pid = page_id or path.stem
    problems: list[Problem] = []
    if not ID_PATTERN.match(pid):
        problems.append(
            Problem(
                where,
                1,
                f"page id `{pid}` (from the file name) must be lowercase words "
                "joined by hyphens, e.g. `graph-laplacian.md`",
            )
        )
    common = dict(
        id=pid,
        kind=kind,
        path=path,
        title=meta.title,
        body=body,
        body_line=body_line,
        summary=getattr(meta, "summary", ""),
        key_lines=lines,
        collection=collection,
    )
    if isinstance(meta, CollectionMeta):
        page = Page(**common, order=meta.order, collection_kind=meta.kind)
    elif isinstance(meta, AboutMeta):
        page = Page(**common)
    else:
        tags = tuple(t.strip().lower() for t in meta.tags)
        for t in tags:
            if not re.match(r"^[a-z0-9][a-z0-9 +#.-]*$", t):
                problems.append(
                    Problem(
                        where,
                        lines.get("tags", 1),
                        f"tag `{t}`: use lowercase letters, digits, spaces or hyphens",
                    )
                )
        page = Page(
            **common,
            order=meta.order or 0,
            prerequisites=tuple(meta.prerequisites),
            tags=tags,
            date=meta.date,
            references=tuple(_format_reference(r) for r in meta.references),
            verified=tuple(meta.verified),
            demo=meta.demo,
            exercises=tuple(meta.exercises),
            series=tuple(meta.series),
            script=getattr(meta, "script", None),
        )
    return page, problems


def load_config(root: Path) -> tuple[SiteConfig, list[Problem]]:
    path = root / "site.toml"
    where = display_path(path, root)
    fallback = SiteConfig(root=root, title=root.name)
    if not path.exists():
        return fallback, [
            Problem(
                where,
                0,
                'missing site.toml: create it with at least `title = "..."` '
                "(see `mlatlas new site` or docs/authoring.md)",
            )
        ]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        return fallback, [Problem(where, int(m.group(1)) if m else 1, f"not valid TOML: {exc}")]
    try:
        meta = SiteToml.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            key = str(e["loc"][0]) if e["loc"] else ""
            if e["type"] == "extra_forbidden":
                msg = f"unknown key `{key}`{did_you_mean(key, SiteToml.model_fields)}"
            else:
                msg = f"`{'.'.join(map(str, e['loc']))}`: {e['msg']}"
            problems.append(Problem(where, _toml_line(path, key), msg))
        return fallback, problems
    problems: list[Problem] = []
    links, timeline = [], []
    for item in meta.links:
        if not {"title", "url"} <= item.keys():
            problems.append(
                Problem(where, _toml_line(path, "links"), "each [[links]] needs `title` and `url`")
            )
        else:
            links.append(Link(item["title"], item["url"]))
    for item in meta.timeline:
        if not {"stage", "title", "text"} <= item.keys():
            problems.append(
                Problem(
                    where,
                    _toml_line(path, "timeline"),
                    "each [[timeline]] entry needs `stage`, `title` and `text`",
                )
            )
        else:
            timeline.append(TimelineEntry(item["stage"], item["title"], item["text"]))
    tests = (root / meta.tests).resolve() if meta.tests else None
    if tests is None and (root / "tests").is_dir():  # a site folder's own tests give its badges
        tests = (root / "tests").resolve()
    # Where `{code}`, `{figure}`, `{value}` and demos import from: by default the folder's src/ and
    # the folder itself, so an author's own modules work without being packaged and installed.
    wanted = meta.python_path if meta.python_path is not None else ["src", "."]
    python_path = tuple((root / d).resolve() for d in wanted if (root / d).is_dir())
    base = meta.base_url if meta.base_url.endswith("/") else meta.base_url + "/"
    config = SiteConfig(
        root=root,
        title=meta.title,
        tagline=meta.tagline,
        author=meta.author,
        description=meta.description,
        base_url=base,
        tests=tests,
        python_path=python_path,
        links=tuple(links),
        timeline=tuple(timeline),
    )
    return config, problems


def _toml_line(path: Path, key: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if re.match(rf"^\s*(\[\[)?{re.escape(key)}\b", line):
            return i
    return 1


def activate_python_path(folders: tuple[Path, ...]) -> None:
    """Put a site's import folders at the end of sys.path (installed packages are never shadowed);
    figure workers inherit it."""
    import importlib
    import sys

    added = False
    for folder in folders:
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
            added = True
    if added:
        importlib.invalidate_caches()


def load_site(root: Path, cache: dict | None = None) -> tuple[Site, list[Problem]]:
    """Read every source of the site folder. Returns the site and all problems found.

    `cache` (kept by a long-running process) maps a file's (path, mtime, size, kind) to its parse."""
    root = Path(root)
    config, problems = load_config(root)
    activate_python_path(config.python_path)
    pages: list[Page] = []
    seen_keys = set()

    def load_page(path, kind, root, collection=None, page_id=None):
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size, kind, collection, page_id)
        seen_keys.add(key)
        if cache is not None and key in cache:
            return cache[key]
        result = _load_page(path, kind, root, collection, page_id)
        if cache is not None:
            cache[key] = result
        return result

    def add(result):
        page, probs = result
        problems.extend(probs)
        if page is not None:
            pages.append(page)

    about = root / "about.md"
    if about.exists():
        add(load_page(about, "about", root, page_id="about"))
    collections_dir = root / "collections"
    if collections_dir.is_dir():
        for cdir in sorted(p for p in collections_dir.iterdir() if p.is_dir()):
            index = cdir / "index.md"
            if not index.exists():
                problems.append(
                    Problem(
                        display_path(cdir, root),
                        0,
                        f"collection `{cdir.name}` has no index.md: add one with front matter "
                        "title, kind (book or series), summary, order",
                    )
                )
            else:
                add(load_page(index, "collection", root, page_id=cdir.name))
            for md in sorted(cdir.glob("*.md")):
                if md.name != "index.md":
                    add(load_page(md, "chapter", root, collection=cdir.name))
    for folder, kind in (("explorations", "exploration"), ("labs", "lab")):
        d = root / folder
        if d.is_dir():
            for md in sorted(d.glob("*.md")):
                add(load_page(md, kind, root))
    for page in pages:
        if page.kind == "lab" and page.script:
            script = root / "labs" / page.script
            if not script.is_file():
                problems.append(
                    Problem(
                        display_path(page.path, root),
                        page.line_of("script"),
                        f"lab script `{page.script}` not found at {display_path(script, root)}",
                    )
                )
    if cache is not None:
        for stale in set(cache) - seen_keys:
            del cache[stale]
    return Site(config=config, pages=tuple(pages)), problems
