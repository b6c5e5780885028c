"""Stage 3 — render: markdown bodies (with math and figures filled in) and templates → output files.

`render_bodies` turns every page's markdown into HTML, batching math through KaTeX and figures through
worker processes, and collects the problems only rendering can find (links, anchors, code symbols,
figures, TeX). `render_site` lays the pages into templates and writes the index pages, feed and sitemap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import figures as figures_mod
from .code import source_digest
from .graph import Paths
from .markdown import Draft, LinkContext, fill, make_parser, render_body, slugify
from .mathrender import Formula, MathCache, render_formulas
from .model import Page, Site
from .problems import Problem, did_you_mean, display_path
from .topicmap import area_colours, atlas_map
from .verifications import Declared

ENGINE_VERSION = "2"
WORDS_PER_MINUTE = 220


@dataclass(frozen=True)
class Body:
    html: str
    toc: tuple[tuple[int, str, str], ...]
    minutes: int
    has_math: bool
    media: tuple[tuple[Path, str], ...]


def structure_signature(site: Site) -> str:
    """Changes when anything a page's links could depend on changes (ids, paths, urls)."""
    h = hashlib.sha1(ENGINE_VERSION.encode())
    for p in sorted(site.pages, key=lambda p: str(p.path)):
        h.update(f"{p.id}|{p.path}|{p.url}\n".encode())
    return h.hexdigest()


_DIRECTIVE = re.compile(r"^\s*```+\s*\{(code|figure)\}\s*(\S+)", re.M)


def draft_key(page: Page, signature: str) -> str:
    h = hashlib.sha1(f"{signature}|{page.path}|{page.body_line}|".encode())
    h.update(page.body.encode())
    for kind, target in _DIRECTIVE.findall(page.body):
        h.update(f"{kind}:{target}:{source_digest(target)}".encode())
    return h.hexdigest()


def prefix_for(url: str) -> str:
    """Relative path from a page directory (e.g. 'gnn/gcn/') back to the site root."""
    return "../" * url.count("/")


def render_bodies(
    site: Site,
    draft_cache: dict[str, Draft],
    cache_dir: Path | None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[dict[str, Body], list[Problem]]:
    md = make_parser()
    root = site.config.root.resolve()
    pages_by_path = {p.path.resolve(): (p.id, p.url) for p in site.pages}
    signature = structure_signature(site)
    package_root = Path(__file__).resolve().parents[2]  # .../src
    problems: list[Problem] = []
    drafts: dict[str, Draft] = {}
    used: dict[str, Draft] = {}
    for page in site.pages:
        key = draft_key(page, signature)
        draft = draft_cache.get(key)
        if draft is None:
            ctx = LinkContext(
                root=root,
                page_path=page.path.resolve(),
                prefix=prefix_for(page.url),
                pages_by_path=pages_by_path,
                package_root=package_root,
            )
            draft = render_body(md, page.body, page.body_line - 1, ctx)
        if not draft.problems:  # a page with problems is re-read next time (e.g. a missing file appears)
            used[key] = draft
        drafts[page.id] = draft
    draft_cache.clear()
    draft_cache.update(used)
    where = {p.id: display_path(p.path, root) for p in site.pages}

    # Figures and values: one worker pool (cached by the hash of the code they depend on), started
    # now if some must be drawn, so that its start-up overlaps the math.
    targets = [t for d in drafts.values() for t, _, _ in d.figures]
    value_targets = [t for d in drafts.values() for t, _, _, _ in d.values]
    figure_cache = cache_dir / "figures" if cache_dir else None
    pool = figures_mod.early_pool(targets, value_targets, figure_cache)

    # Math: every formula of every page in one KaTeX run, in a thread: KaTeX runs in node, so the
    # figures' cache keys are computed and their jobs started meanwhile.
    math_cache = MathCache(cache_dir / "math.json" if cache_dir else None)
    all_formulas = [f for d in drafts.values() for f, _ in d.formulas]
    typeset: dict[str, Any] = {}

    def run_katex() -> None:
        try:
            typeset["math"] = render_formulas(all_formulas, math_cache)
            math_cache.save()
        except BaseException as exc:  # noqa: BLE001 — raised again in the building thread
            typeset["error"] = exc

    katex = threading.Thread(target=run_katex, name="katex")
    katex.start()
    done = [0]

    def fig_progress(target: str) -> None:
        done[0] += 1
        if progress:
            progress(target, done[0], len(set(targets)) + len(set(value_targets)))

    try:
        rendered_figs, computed = figures_mod.render_all(
            targets, value_targets, figure_cache, fig_progress, pool
        )
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        katex.join()
    if "error" in typeset:
        raise typeset["error"]
    rendered_math = typeset["math"]

    bodies: dict[str, Body] = {}
    for page in site.pages:
        d = drafts[page.id]
        for line, msg in d.problems:
            problems.append(Problem(where[page.id], line, msg))
        maths = []
        for formula, line in d.formulas:
            res = rendered_math.get(formula.key)
            if isinstance(res, Exception) or res is None:
                res = re.sub(r"^KaTeX parse error: ", "", str(res))
                res = re.sub(r" at position \d+:.*$", "", res, flags=re.S)
                problems.append(
                    Problem(where[page.id], line, f"math: KaTeX cannot render `{formula.tex[:80]}`: {res}")
                )
                maths.append(f'<code class="math-error">{html.escape(formula.tex)}</code>')
            else:
                maths.append(res)
        figs = []
        for target, alt, line in d.figures:
            svg, err = rendered_figs.get(target, ("", "not drawn"))
            if err:
                problems.append(Problem(where[page.id], line, f"figure `{target}` failed: {err}"))
                figs.append("")
            else:
                figs.append(figures_mod.clean_svg(svg, alt))
        values = []
        for target, key, fmt, line in d.values:
            values.append(_value_text(target, key, fmt, computed, where[page.id], line, problems))
        minutes = max(1, math.ceil(d.words / WORDS_PER_MINUTE))
        bodies[page.id] = Body(
            html=fill(d.html, maths, figs, values),
            toc=tuple(d.toc),
            minutes=minutes,
            has_math=bool(d.formulas),
            media=tuple(d.media),
        )

    # Anchors: a link's #fragment must name a heading (or other id) on the target page.
    for page in site.pages:
        for target_id, anchor, line in drafts[page.id].links:
            tid = target_id or page.id
            if tid in drafts and anchor not in drafts[tid].anchors:
                known = sorted(a for a in drafts[tid].anchors if not a.startswith("fn"))
                problems.append(
                    Problem(
                        where[page.id],
                        line,
                        f"broken anchor `#{anchor}` on page `{tid}`{did_you_mean(anchor, known)}",
                    )
                )
    return bodies, problems


def _value_text(
    target: str,
    key: str | None,
    fmt: str,
    computed: dict[str, tuple[str, str | None]],
    where: str,
    line: int,
    problems: list[Problem],
) -> str:
    data, err = computed.get(target, ("", "not computed"))
    shown = f"{target}[{key}]" if key is not None else target
    if err:
        problems.append(Problem(where, line, f"value `{target}` failed: {err}"))
        return ""
    try:
        text = figures_mod.format_value(json.loads(data), key, fmt)
    except ValueError as exc:
        problems.append(Problem(where, line, f"value `{shown}` {exc}"))
        return ""
    return f'<span class="value" title="computed by {html.escape(shown)}">{html.escape(text)}</span>'


# --- templates ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("mlatlas.site", "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["slug"] = slugify
    return env


_NOTE_MATH = re.compile(r"(?<!\\)\$([^$]+?)(?<!\\)\$")


def _note_html(text: str, rendered: dict[str, str | Exception]) -> Markup:
    """A badge note as HTML: escaped text with its `$…$` math typeset (TeX shown if KaTeX refused)."""
    out, last = [], 0
    for m in _NOTE_MATH.finditer(text):
        out.append(html.escape(text[last : m.start()]))
        res = rendered.get(Formula(m.group(1).strip(), False).key)
        out.append(res if isinstance(res, str) else f"<code>{html.escape(m.group(1))}</code>")
        last = m.end()
    out.append(html.escape(text[last:]))
    return Markup("".join(out))


def note_formulas(declared: list[Declared]) -> list[Formula]:
    return [Formula(m.group(1).strip(), False) for d in declared for m in _NOTE_MATH.finditer(d.describe())]


def _verified_rows(
    declared: list[Declared], root: Path, rendered: dict[str, str | Exception] | None = None
) -> list[dict]:
    groups: dict[tuple[str, str], list[Declared]] = defaultdict(list)
    for d in declared:
        groups[(d.against, d.describe())].append(d)
    rows = []
    for (against, text), ds in groups.items():
        rest = text[len(against) :].lstrip(", ")
        files = sorted({display_path(d.path, root) for d in ds})
        rows.append(
            {
                "against": against,
                "rest": _note_html(rest, rendered or {}),
                "count": len(ds),
                "files": ", ".join(files),
            }
        )
    return sorted(rows, key=lambda r: r["against"])


@dataclass
class _Layout:
    """What every template of one site needs, computed once: the site, its pages' reading times and
    verification badges, series and learning paths, and the nav sections the site has."""

    site: Site
    env: Environment
    minutes: dict[str, int]
    collections: list[Page]
    paths: Paths
    series_of: dict[str, list[Page]]
    by_page: dict[str, list[Declared]]
    readable: list[Page]
    references: list[dict]
    sections: dict[str, bool]
    note_math: dict[str, str | Exception]
    cache_dir: Path | None
    neighbours: dict[str, tuple[Page | None, Page | None]]  # a chapter's previous and next in its book
    ids: dict[str, Page]

    @classmethod
    def of(cls, site: Site, bodies: dict[str, Body], declared: list[Declared], cache_dir: Path | None):
        note_math: dict[str, str | Exception] = {}
        if formulas := note_formulas(declared):  # math in badge notes, typeset like the pages' math
            cache = MathCache(cache_dir / "math.json" if cache_dir else None)
            note_math = render_formulas(formulas, cache)
            cache.save()
        collections = site.collections()
        paths = Paths(site)
        # A series lists its own chapters, then the pages of other books that joined it, in reading order.
        series_of = {
            c.id: site.chapters_of(c.id)
            + sorted(site.series_members(c.id), key=lambda p: paths.rank.get(p.id, 0))
            for c in collections
        }
        by_page: dict[str, list[Declared]] = defaultdict(list)
        for d in declared:
            by_page[d.page].append(d)
        neighbours: dict[str, tuple[Page | None, Page | None]] = {}
        for c in collections:
            chapters = site.chapters_of(c.id)
            for i, page in enumerate(chapters):
                neighbours[page.id] = (
                    chapters[i - 1] if i else None,
                    chapters[i + 1] if i + 1 < len(chapters) else None,
                )
        references = _references(site)
        sections = {  # nav items only for the sections this site has
            "library": any(c.collection_kind == "book" for c in collections),
            "series": any(c.collection_kind == "series" for c in collections),
            "labs": bool(site.of_kind("lab")),
            "explorations": bool(site.of_kind("exploration")),
            "references": bool(references),
            "about": any(p.kind == "about" for p in site.pages),
        }
        return cls(
            site=site,
            env=_env(),
            minutes={pid: b.minutes for pid, b in bodies.items()},
            collections=collections,
            paths=paths,
            series_of=series_of,
            by_page=by_page,
            readable=[p for p in site.pages if p.kind in ("chapter", "exploration", "lab")],
            references=references,
            sections=sections,
            note_math=note_math,
            cache_dir=cache_dir,
            neighbours=neighbours,
            ids=site.by_id(),
        )

    @property
    def repo_root(self) -> Path:
        cfg = self.site.config
        return cfg.tests.parent if cfg.tests else cfg.root

    @property
    def counts(self) -> dict[str, int]:
        return {cid: len(pages) for cid, pages in self.series_of.items()}

    def common(self, url: str, title: str, description: str = "", has_math: bool = False) -> dict:
        """The context every template shares: nav, site settings, the relative root, the title."""
        return {
            "sections": self.sections,
            "site": self.site.config,
            "root": prefix_for(url),
            "title": title,
            "description": description or self.site.config.description,
            "has_math": has_math,
            "has_code": False,  # highlighted code needs pygments.css; only pages with code load it
        }

    def by_order(self, kind: str) -> list[Page]:
        return sorted(self.site.of_kind(kind), key=lambda p: (p.order, p.title))

    def listing(self, url: str, title: str, intro: str, **content) -> str:
        """An index page (list.html): collections, pages, a tag cloud or a learning path."""
        fields = dict(collections=[], pages=[], tags_filter=[], tag_cloud=[], path=[])
        return self.env.get_template("list.html").render(
            **self.common(url, title),
            **{**fields, **content},
            counts=self.counts,
            minutes=self.minutes,
            intro=intro,
        )


def render_site(
    site: Site,
    bodies: dict[str, Body],
    declared: list[Declared],
    cache_dir: Path | None = None,
    memo: dict | None = None,
) -> dict[str, str]:
    """Every output file of the site as {relative path: text} (assets are copied by the writer).

    `memo` (kept by a long-running process between builds) makes an edit cheap: when nothing but
    page bodies changed since the last build (same front matter, reading times, verifications and
    settings), only the pages whose body changed are laid out again; every index page is reused."""
    signature = _layout_signature(site, bodies, declared)
    if memo is not None and memo.get("signature") == signature:
        files = dict(memo["files"])
        changed = [p for p in site.pages if memo["bodies"].get(p.id) != bodies[p.id]]
        if changed:
            layout = _Layout.of(site, bodies, declared, cache_dir)
            for page in changed:
                files[page.url + "index.html"] = _page_html(layout, page, bodies[page.id])
    else:
        layout = _Layout.of(site, bodies, declared, cache_dir)
        files = {}
        for page in site.pages:
            files[page.url + "index.html"] = _page_html(layout, page, bodies[page.id])
        dated = sorted((p for p in layout.readable if p.date), key=lambda p: (p.date, p.title), reverse=True)
        files["index.html"] = _home_html(layout, dated)
        files.update(_shelves(layout))
        files.update(_tags_and_paths(layout))
        files.update(_site_files(layout, dated, list(files)))
    if memo is not None:
        memo.update(signature=signature, files=files, bodies=dict(bodies))
    return files


def _layout_signature(site: Site, bodies: dict[str, Body], declared: list[Declared]) -> str:
    """Everything a page's neighbours and the index pages show of it: all but its body."""
    h = hashlib.sha1(ENGINE_VERSION.encode())
    h.update(repr(site.config).encode())
    for p in site.pages:
        meta = {k: v for k, v in vars(p).items() if k not in ("body", "body_line", "key_lines")}
        h.update(f"{meta!r}|{bodies[p.id].minutes}\n".encode())
    for d in declared:
        h.update(f"{d.page}|{d.path}|{d.describe()}\n".encode())
    return h.hexdigest()


def _page_html(layout: _Layout, page: Page, body: Body) -> str:
    """A chapter, exploration, lab or about page, or a collection's index with its chapter list."""
    ids = layout.ids
    verified = _verified_rows(layout.by_page.get(page.id, []), layout.repo_root, layout.note_math)
    note_has_math = any("katex" in str(v["rest"]) for v in verified)
    ctx = layout.common(page.url, page.title, page.summary, body.has_math or note_has_math)
    ctx["has_code"] = '<pre class="code"' in body.html
    if page.kind == "collection":
        chapters = layout.series_of[page.id]
        return layout.env.get_template("collection.html").render(
            **ctx,
            page=page,
            body=body.html,
            chapters=chapters,
            minutes=layout.minutes,
            total_minutes=sum(layout.minutes[c.id] for c in chapters),
            verified_ids=set(layout.by_page),
        )
    crumbs, prev, nxt = [], None, None
    if page.kind == "chapter":
        coll = ids.get(page.collection or "")
        shelf = ("Library", "library/") if coll and coll.collection_kind == "book" else ("Series", "series/")
        crumbs = [(shelf[0], ctx["root"] + shelf[1])]
        if coll:
            crumbs.append((coll.title, ctx["root"] + coll.url))
        prev, nxt = layout.neighbours.get(page.id, (None, None))
    elif page.kind == "exploration":
        crumbs = [("Explorations", ctx["root"] + "explorations/")]
    elif page.kind == "lab":
        crumbs = [("Labs", ctx["root"] + "labs/")]
    text = layout.env.get_template("page.html").render(
        **ctx,
        page=page,
        body=body.html,
        toc=body.toc if page.kind != "lab" else (),
        minutes=body.minutes if page.kind in ("chapter", "exploration") else None,
        crumbs=crumbs,
        prev=prev,
        next=nxt,
        prereqs=[ids[p] for p in page.prerequisites if p in ids],
        leads=layout.paths.leads_to(page.id),
        in_series=[ids[sid] for sid in page.series if sid in ids],
        path_len=len(layout.paths.learning_path(page.id)),  # the page itself included, as on the path page
        verified=verified,
        test_files=sorted({display_path(d.path, layout.repo_root) for d in layout.by_page.get(page.id, [])}),
    )
    return text.replace("<body>", '<body class="lab-page">', 1) if page.kind == "lab" else text


def _home_html(layout: _Layout, dated: list[Page]) -> str:
    return layout.env.get_template("home.html").render(
        **layout.common("", layout.site.config.title),
        collections=layout.collections,
        colours=area_colours(layout.site),
        counts=layout.counts,
        graph=atlas_map(layout.site, "", layout.cache_dir),
        labs=layout.by_order("lab"),
        explorations=layout.by_order("exploration"),
        latest=dated[:6],
        minutes=layout.minutes,
    )


def _shelves(layout: _Layout) -> dict[str, str]:
    """The four section indexes: library (books), series, labs and explorations."""
    kinds = lambda k: [c for c in layout.collections if c.collection_kind == k]  # noqa: E731
    return {
        "library/index.html": layout.listing(
            "library/", "Library", "Books: chapters meant to be read in order.", collections=kinds("book")
        ),
        "series/index.html": layout.listing(
            "series/", "Series", "Series: standalone pieces on a shared theme.", collections=kinds("series")
        ),
        "labs/index.html": layout.listing(
            "labs/", "Labs", "Interactive labs that run in your browser.", pages=layout.by_order("lab")
        ),
        "explorations/index.html": layout.listing(
            "explorations/", "Explorations", "Long-form guided reads.", pages=layout.by_order("exploration")
        ),
    }


def _tags_and_paths(layout: _Layout) -> dict[str, str]:
    """Every essay (filterable by tag), the tag cloud, one page per tag and one learning path per page."""
    files: dict[str, str] = {}
    minutes = layout.minutes
    corder = {c.id: i for i, c in enumerate(layout.collections)}
    essays = sorted(
        layout.readable,
        key=lambda p: (
            {"chapter": 0, "exploration": 1, "lab": 2}[p.kind],
            corder.get(p.collection or "", 99),
            p.order,
            p.title,
        ),
    )
    tag_counts = Counter(t for p in layout.readable for t in p.tags)
    tags_sorted = sorted(tag_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(minutes[p.id] for p in essays if p.kind != "lab")
    files["essays/index.html"] = layout.listing(
        "essays/",
        "Every essay",
        f"All {len(essays)} pages, about {total} minutes of reading. Filter by tag.",
        pages=essays,
        tags_filter=tags_sorted,
    )
    files["tags/index.html"] = layout.listing("tags/", "Tags", "", tag_cloud=tags_sorted)
    for tag, n in tag_counts.items():
        url = f"tags/{slugify(tag)}/"
        files[url + "index.html"] = layout.listing(
            url,
            f"Tagged “{tag}”",
            f"{n} {'page' if n == 1 else 'pages'} tagged {tag}.",
            pages=[p for p in essays if tag in p.tags],
        )
    for page in layout.readable:
        path = layout.paths.learning_path(page.id)
        url = f"paths/{page.id}/"
        files[url + "index.html"] = layout.listing(
            url,
            f"Learning path to {page.title}",
            f"Everything {page.title} builds on, in reading order, ending with the page "
            f"itself: {len(path)} pages, about {sum(minutes.get(p.id, 1) for p in path)} minutes.",
            path=path,
        )
    return files


def _site_files(layout: _Layout, dated: list[Page], written: list[str]) -> dict[str, str]:
    """References, search, 404, feed, sitemap, code colours and robots.txt."""
    cfg, env = layout.site.config, layout.env
    files: dict[str, str] = {}
    if layout.references:
        files["references/index.html"] = env.get_template("references.html").render(
            **layout.common("references/", "References"),
            references=layout.references,
            intro=f"Every paper the atlas cites: {len(layout.references)} references, each with the pages "
            "that cite it.",
        )
    files["search/index.html"] = env.get_template("search.html").render(**layout.common("search/", "Search"))
    base_path = urlsplit(cfg.base_url).path or "/"
    files["404.html"] = env.get_template("notfound.html").render(
        **{**layout.common("", "Not found"), "root": base_path}
    )
    files["feed.xml"] = atom_feed(layout.site, dated)
    files["sitemap.xml"] = sitemap(layout.site, written + list(files))
    files["assets/pygments.css"] = pygments_css()
    files["robots.txt"] = f"User-agent: *\nAllow: /\nSitemap: {cfg.base_url}sitemap.xml\n"
    return files


def _references(site: Site) -> list[dict]:
    """Every reference of every page, deduplicated (by link, else by text), with the citing pages."""
    merged: dict[str, dict] = {}
    for page in site.pages:
        for ref in page.references:
            key = ref.url or re.sub(r"\W+", " ", ref.text.lower()).strip()
            entry = merged.setdefault(key, {"text": ref.text, "url": ref.url, "pages": []})
            if page not in entry["pages"]:
                entry["pages"].append(page)
    return sorted(merged.values(), key=lambda e: e["text"].lower())


@lru_cache(maxsize=1)
def pygments_css() -> str:
    """Code colours for both themes, from Pygments' own styles."""
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style="default").get_style_defs(":root:not([data-theme=dark]) pre.code")
    dark = HtmlFormatter(style="monokai").get_style_defs(":root[data-theme=dark] pre.code")
    strip = lambda css: "\n".join(
        ln for ln in css.splitlines() if "background" not in ln.split("{")[-1] or " .hll " in ln
    )
    light = _readable(strip(light), CODE_BG_LIGHT)
    dark = _readable(strip(dark), CODE_BG_DARK)
    return (
        "/* Pygments: default (light) and monokai (dark), colours adjusted to >= 4.6:1 */\n"
        + light
        + "\n"
        + dark
        + "\n"
    )


CODE_BG_LIGHT, CODE_BG_DARK = "#f3f4f7", "#161c26"  # --code-bg in style.css


def _luminance(rgb: tuple[float, float, float]) -> float:
    f = lambda c: c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (f(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return tuple(int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))


def contrast(a: str, b: str) -> float:
    la, lb = _luminance(_rgb(a)), _luminance(_rgb(b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _readable(css: str, background: str, target: float = 4.6) -> str:
    """Darken (light theme) or lighten (dark theme) each token colour until it meets WCAG AA."""
    towards = 0.0 if _luminance(_rgb(background)) > 0.5 else 1.0

    def fix(m: re.Match) -> str:
        base = _rgb(m.group(1))
        hexed = m.group(1)
        for step in range(21):  # move 5% of the way to black (or white) per step
            rgb = tuple(c + (towards - c) * 0.05 * step for c in base)
            hexed = "#" + "".join(f"{round(c * 255):02x}" for c in rgb)
            if contrast(hexed, background) >= target:
                break
        return f"color: {hexed}"

    return re.sub(r"(?<![-\w])color: (#[0-9A-Fa-f]{3,6})\b", fix, css)


def _xml(text: str) -> str:
    return html.escape(text, quote=True)


def atom_feed(site: Site, dated: list[Page]) -> str:
    cfg = site.config
    updated = (dated[0].date if dated else dt.date(2026, 1, 1)).isoformat() + "T00:00:00Z"
    entries = []
    for p in dated[:30]:
        link = cfg.base_url + p.url
        entries.append(
            f'<entry><title>{_xml(p.title)}</title><link href="{_xml(link)}"/><id>{_xml(link)}</id>'
            f"<updated>{p.date.isoformat()}T00:00:00Z</updated><summary>{_xml(p.summary)}</summary></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{_xml(cfg.title)}</title><subtitle>{_xml(cfg.tagline)}</subtitle>"
        f'<link href="{_xml(cfg.base_url)}"/><link rel="self" href="{_xml(cfg.base_url)}feed.xml"/>'
        f"<id>{_xml(cfg.base_url)}</id><updated>{updated}</updated>"
        f"<author><name>{_xml(cfg.author or cfg.title)}</name></author>" + "".join(entries) + "</feed>\n"
    )


def sitemap(site: Site, paths: list[str]) -> str:
    urls = sorted(p[: -len("index.html")] for p in paths if p.endswith("index.html"))
    body = "".join(f"<url><loc>{_xml(site.config.base_url + u)}</loc></url>" for u in urls)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>\n'
    )
