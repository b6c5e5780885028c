"""The topic map on the home page: two levels, laid out at build time by ELK's layered algorithm.

Level one shows the areas (books, series, explorations, labs) joined where a page of one builds on a
page of another; level two opens one area: its pages, clustered, with the pages of other areas they
need (left) or lead to (right) as small linked stubs. Each level is a static SVG of links inside a
`<details>` (readable and navigable without JavaScript); `site.js` adds zoom, pan and the highlight of
what a page needs and leads to.

Layout: ELK (`elkjs`, layered, orthogonal edges) runs under Node in one process for every graph of
the site, like KaTeX, and its result is cached by a hash of the graphs. Where Node or elkjs is
missing, a small longest-path layering in Python draws the same graphs.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import shutil
import subprocess
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .graph import short_label
from .mathrender import KATEX_DIR
from .model import Page, Site
from .validate import prerequisite_graph

# Distinct hues, each with >= 3:1 contrast against both themes' backgrounds (as node borders).
AREA_COLOURS = [
    "#2f6fde",  # blue
    "#d9480f",  # orange
    "#12905c",  # green
    "#d6336c",  # rose
    "#7c4ddb",  # violet
    "#a87a00",  # ochre
    "#0b8a8a",  # teal
    "#b83fb0",  # magenta
    "#8a6238",  # brown
    "#5c7a0a",  # olive
    "#4d5fd6",  # indigo
    "#c2410c",  # rust
]
EXPLORATION_COLOUR = "#64748b"  # slate, drawn dashed
LAB_COLOUR = "#9333ea"  # purple, drawn as a pill

PAGE_H = 26
AREA_H = 46
CHAR_W = 6.9  # px per character of 12px system-ui, generous
LAYOUT_VERSION = "1"


@dataclass
class Node:
    id: str
    label: str
    width: float
    height: float
    href: str
    name: str  # accessible name
    colour: str
    kind: str  # "area" | "page" | "ext"
    sub: str = ""  # second line (areas)
    needs: list[str] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)
    shape: str = "box"  # "box" | "dashed" | "pill"


@dataclass
class Graph:
    id: str
    direction: str  # "RIGHT" | "DOWN"
    nodes: list[Node]
    edges: list[tuple[str, str, int]]  # (from, to, weight)


def area_of(page: Page) -> str:
    if page.kind == "chapter":
        return page.collection or ""
    return "explorations" if page.kind == "exploration" else "labs"


def area_colours(site: Site) -> dict[str, str]:
    out = {c.id: AREA_COLOURS[i % len(AREA_COLOURS)] for i, c in enumerate(site.collections())}
    out["explorations"] = EXPLORATION_COLOUR
    out["labs"] = LAB_COLOUR
    return out


def _page_node(page: Page, prefix: str, colour: str, kind: str, area_title: str) -> Node:
    label = short_label(page.title)
    shape = "dashed" if page.kind == "exploration" else "pill" if page.kind == "lab" else "box"
    name = page.title if kind == "page" else f"{page.title} ({area_title})"
    return Node(
        id=page.id,
        label=label,
        width=round(18 + CHAR_W * len(label)),
        height=PAGE_H,
        href=prefix + page.url,
        name=name,
        colour=colour,
        kind=kind,
        shape=shape,
    )


def build_graphs(site: Site, prefix: str) -> tuple[Graph, list[tuple[str, str, str, Graph]]]:
    """The areas graph and, per area, (area id, title, url of its start page or "", graph)."""
    graph = prerequisite_graph(site)
    ids = site.by_id()
    colours = area_colours(site)
    areas: list[tuple[str, str, str]] = [
        (c.id, c.title, prefix + c.url) for c in site.collections() if site.chapters_of(c.id)
    ]
    if site.of_kind("exploration"):
        areas.append(("explorations", "Explorations", prefix + "explorations/"))
    if site.of_kind("lab"):
        areas.append(("labs", "Labs", prefix + "labs/"))
    titles = {a: t for a, t, _ in areas}
    order = {a: i for i, (a, _, _) in enumerate(areas)}
    members: dict[str, list[Page]] = defaultdict(list)
    for pid in graph.nodes:
        members[area_of(ids[pid])].append(ids[pid])
    for pages in members.values():
        pages.sort(key=lambda p: (p.order, p.title))

    between: Counter[tuple[str, str]] = Counter()
    for u, v in graph.edges:
        a, b = area_of(ids[u]), area_of(ids[v])
        if a != b:
            between[(a, b)] += 1
    area_nodes = []
    for a, title, _ in areas:
        n = len(members.get(a, []))
        area_nodes.append(
            Node(
                id=f"area-{a}",
                label=title,
                width=round(max(24 + 7.6 * len(title), 110)),
                height=AREA_H,
                href=f"#area-{a}",
                name=f"{title} {n} {'page' if n == 1 else 'pages'}",
                colour=colours.get(a, AREA_COLOURS[-1]),
                kind="area",
                sub=f"{n} {'page' if n == 1 else 'pages'}",
                shape="dashed" if a == "explorations" else "pill" if a == "labs" else "box",
            )
        )
    known = {a for a, _, _ in areas}
    overview = Graph(
        "areas",
        "DOWN",
        area_nodes,
        [(f"area-{a}", f"area-{b}", w) for (a, b), w in sorted(between.items()) if a in known and b in known],
    )

    details = []
    for a, title, url in areas:
        pages = members.get(a, [])
        inside = {p.id for p in pages}
        nodes: dict[str, Node] = {}
        edges: list[tuple[str, str, int]] = []
        leads_out: dict[str, set[str]] = defaultdict(set)
        edges_out: set[tuple[str, str]] = set()
        for p in pages:
            node = _page_node(p, prefix, colours[a], "page", title)
            node.needs = sorted(graph.predecessors(p.id))
            node.leads = sorted(graph.successors(p.id))
            nodes[p.id] = node
        for p in pages:
            for pre in sorted(graph.predecessors(p.id)):
                if pre not in inside and f"in:{pre}" not in nodes:
                    q = ids[pre]
                    nodes[f"in:{pre}"] = _page_node(
                        q, prefix, colours[area_of(q)], "ext", titles.get(area_of(q), "")
                    )
                    nodes[f"in:{pre}"].id = f"in:{pre}"
                edges.append((pre if pre in inside else f"in:{pre}", p.id, 1))
            for nxt in sorted(graph.successors(p.id)):
                if nxt not in inside:  # leads out of the area: one stub per area it leads into
                    b = area_of(ids[nxt])
                    leads_out[b].add(nxt)
                    edges_out.add((p.id, f"out:{b}"))
        for b, targets in sorted(leads_out.items(), key=lambda kv: order.get(kv[0], 99)):
            label = f"→ {titles.get(b, b)} ({len(targets)})"
            nodes[f"out:{b}"] = Node(
                id=f"out:{b}",
                label=label,
                width=round(18 + CHAR_W * len(label)),
                height=PAGE_H,
                href=f"#area-{b}",
                name=f"{titles.get(b, b)} ({len(targets)}): leads to {len(targets)} "
                f"{'page' if len(targets) == 1 else 'pages'} there",
                colour=colours.get(b, AREA_COLOURS[-1]),
                kind="ext",
                shape="dashed" if b == "explorations" else "pill" if b == "labs" else "box",
            )
        edges.extend((u, v, 1) for u, v in sorted(edges_out))
        details.append((a, title, url, Graph(f"area-{a}", "RIGHT", list(nodes.values()), edges)))
    return overview, details


# --- layout -------------------------------------------------------------------------------------


def _elk_input(g: Graph) -> dict:
    return {
        "id": g.id,
        "layoutOptions": {
            "elk.algorithm": "layered",
            "elk.direction": g.direction,
            "elk.edgeRouting": "ORTHOGONAL",
            "elk.spacing.nodeNode": "10" if g.direction == "RIGHT" else "18",
            "elk.layered.spacing.nodeNodeBetweenLayers": "34" if g.direction == "RIGHT" else "30",
            "elk.layered.spacing.edgeNodeBetweenLayers": "12",
            "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
            "elk.padding": "[top=8,left=8,bottom=8,right=8]",
        },
        "children": [{"id": n.id, "width": n.width, "height": n.height} for n in g.nodes],
        "edges": [{"id": f"e{i}", "sources": [u], "targets": [v]} for i, (u, v, _) in enumerate(g.edges)],
    }


@dataclass
class Placed:
    positions: dict[str, tuple[float, float]]
    routes: list[list[tuple[float, float]]]  # one polyline per edge, in the graph's edge order
    width: float
    height: float


def _from_elk(g: Graph, out: dict) -> Placed:
    positions = {c["id"]: (c["x"], c["y"]) for c in out["children"]}
    routes = []
    for e in out["edges"]:
        pts: list[tuple[float, float]] = []
        for s in e.get("sections", []):
            pts.append((s["startPoint"]["x"], s["startPoint"]["y"]))
            pts.extend((b["x"], b["y"]) for b in s.get("bendPoints", []))
            pts.append((s["endPoint"]["x"], s["endPoint"]["y"]))
        routes.append(pts)
    return Placed(positions, routes, out["width"], out["height"])


def _fallback(g: Graph) -> Placed:
    """Longest-path layers, in model order: used where Node or elkjs is not installed."""
    preds: dict[str, list[str]] = defaultdict(list)
    for u, v, _ in g.edges:
        preds[v].append(u)
    depth: dict[str, int] = {}

    def d(n: str, seen: frozenset = frozenset()) -> int:
        if n not in depth:
            depth[n] = 1 + max((d(p, seen | {n}) for p in preds[n] if p not in seen), default=-1)
        return depth[n]

    for n in g.nodes:
        d(n.id)
    layers: dict[int, list[Node]] = defaultdict(list)
    for n in g.nodes:
        layers[depth[n.id]].append(n)
    positions = {}
    along = 8.0
    size = {n.id: (n.width, n.height) for n in g.nodes}
    across_max = 0.0
    for k in sorted(layers):
        across = 8.0
        thick = 0.0
        for n in layers[k]:
            if g.direction == "RIGHT":
                positions[n.id] = (along, across)
                across += n.height + 10
                thick = max(thick, n.width)
            else:
                positions[n.id] = (across, along)
                across += n.width + 18
                thick = max(thick, n.height)
        across_max = max(across_max, across)
        along += thick + 34
    routes = []
    for u, v, _ in g.edges:
        (x1, y1), (x2, y2) = positions[u], positions[v]
        (w1, h1), (w2, h2) = size[u], size[v]
        if g.direction == "RIGHT":
            routes.append([(x1 + w1, y1 + h1 / 2), (x2, y2 + h2 / 2)])
        else:
            routes.append([(x1 + w1 / 2, y1 + h1), (x2 + w2 / 2, y2)])
    w, h = (along, across_max) if g.direction == "RIGHT" else (across_max, along)
    return Placed(positions, routes, w, h)


def _all_graphs(overview: Graph, details: list[tuple[str, str, str, Graph]]) -> list[Graph]:
    """The graphs the home page lays out in one ELK run: the areas, then each area's pages."""
    return [overview] + [g for *_, g in details]


_LAID_OUT: dict[str, list[dict]] = {}  # ELK's output by input key, for the life of the process


def prepare(site: Site, cache_dir: Path | None) -> threading.Thread:
    """Start laying out the home page's topic map in a background thread (ELK in node takes about a
    second on the atlas): the map depends only on the pages' titles and links, not on their bodies,
    so it can run while the pages render. Join the thread before rendering the home page."""

    def run() -> None:
        try:
            overview, details = build_graphs(site, "")  # the home page's prefix, as atlas_map gets it
            if details:
                layout_graphs(_all_graphs(overview, details), cache_dir)
        except Exception:  # noqa: BLE001 — a site with problems: the build itself reports them
            return

    thread = threading.Thread(target=run, name="topic-map-layout", daemon=True)
    thread.start()
    return thread


def layout_graphs(graphs: list[Graph], cache_dir: Path | None) -> list[Placed]:
    """Every graph laid out by ELK in one node process (cached), or by the fallback."""
    inputs = [_elk_input(g) for g in graphs]
    blob = json.dumps(inputs, sort_keys=True)
    key = hashlib.sha1(f"{LAYOUT_VERSION}|{blob}".encode()).hexdigest()[:20]
    cached = cache_dir / f"layout-{key}.json" if cache_dir else None
    result = _LAID_OUT.get(key)
    if result is None and cached is not None and cached.exists():
        try:
            result = json.loads(cached.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = None
    if result is None:
        result = _run_elk(blob)
        if result is not None and cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(result), encoding="utf-8")
            tmp.replace(cached)
    if result is not None:
        if len(_LAID_OUT) > 8:  # a long serve session: keep only recent layouts
            _LAID_OUT.clear()
        _LAID_OUT[key] = result
    placed = []
    for i, g in enumerate(graphs):
        out = result[i] if result is not None else None
        placed.append(_from_elk(g, out) if out and "error" not in out else _fallback(g))
    return placed


def _run_elk(blob: str) -> list[dict] | None:
    node = shutil.which("node")
    script = KATEX_DIR / "layout.mjs"
    if node is None or not (KATEX_DIR / "node_modules" / "elkjs").is_dir():
        return None
    proc = subprocess.run([node, str(script)], input=blob, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout)


# --- drawing ------------------------------------------------------------------------------------


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def draw(g: Graph, p: Placed, label: str) -> str:
    """One graph as an SVG of links (no role="img": its links stay reachable)."""
    w, h = p.width, p.height
    out = [
        f'<svg class="topic-graph {"areas" if g.id == "areas" else "area"}" id="svg-{g.id}" '
        f'viewBox="0 0 {_fmt(w)} {_fmt(h)}" data-w="{_fmt(w)}" data-h="{_fmt(h)}" '
        f'style="max-width:{_fmt(w)}px;--w:{_fmt(w)}px" role="group" aria-label="{html.escape(label)}">'
        f'<defs><marker id="arrow-{g.id}" viewBox="0 0 8 8" refX="7.5" refY="4" markerWidth="8" '
        f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0.5 L8,4 L0,7.5 z"/></marker></defs>'
        '<g class="edges">'
    ]
    for (u, v, weight), route in zip(g.edges, p.routes, strict=True):
        if len(route) < 2:
            continue
        d = "M" + " L".join(f"{_fmt(x)},{_fmt(y)}" for x, y in route)
        sw = f' style="stroke-width:{min(1.2 + weight * 0.5, 5):.1f}px"' if weight > 1 else ""
        out.append(
            f'<path data-from="{html.escape(u)}" data-to="{html.escape(v)}" d="{d}"{sw} '
            f'marker-end="url(#arrow-{g.id})"/>'
        )
    out.append('</g><g class="nodes">')
    for n in g.nodes:
        x, y = p.positions[n.id]
        pid = n.id.split(":", 1)[-1] if not n.id.startswith("out:") else f"area-{n.id[4:]}"
        attrs = (
            f' data-needs="{" ".join(n.needs)}" data-leads="{" ".join(n.leads)}"' if n.kind == "page" else ""
        )
        rx = n.height / 2 if n.shape == "pill" else 6
        title = f"<title>{html.escape(n.name)}</title>"
        text_y = y + (n.height / 2 + 4 if not n.sub else 19)
        sub = (
            f'<text class="sub" x="{_fmt(x + n.width / 2)}" y="{_fmt(y + 36)}">{html.escape(n.sub)}</text>'
            if n.sub
            else ""
        )
        anchor = ' text-anchor="middle"' if n.kind == "area" else ""
        tx = x + n.width / 2 if n.kind == "area" else x + 9
        out.append(
            f'<a class="node {n.kind} {n.shape}" href="{html.escape(n.href)}" data-id="{html.escape(pid)}"'
            f'{attrs} style="--c:{n.colour}">{title}'  # <title> names the link (SVG-AAM)
            f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(n.width)}" height="{_fmt(n.height)}"'
            f' rx="{_fmt(rx)}"/>'
            f'<text x="{_fmt(tx)}" y="{_fmt(text_y)}"{anchor}>{html.escape(n.label)}</text>{sub}</a>'
        )
    out.append("</g></svg>")
    return "".join(out)


TOOLS = (
    '<div class="map-tools" hidden>'
    '<button type="button" data-zoom="in" aria-label="Zoom in">+</button>'
    '<button type="button" data-zoom="out" aria-label="Zoom out">−</button>'
    '<button type="button" data-zoom="fit">Fit</button></div>'
)


def atlas_map(site: Site, prefix: str, cache_dir: Path | None = None) -> str:
    """The home page's topic map (HTML): the areas, then one collapsible map per area."""
    overview, details = build_graphs(site, prefix)
    if not details:
        return ""
    placed = layout_graphs(_all_graphs(overview, details), cache_dir)
    colours = area_colours(site)
    pages = sum(len([n for n in g.nodes if n.kind == "page"]) for *_, g in details)
    parts = [
        '<div class="atlas-map">',
        '<div class="map-view">',
        TOOLS,
        '<div class="map-canvas" tabindex="0" role="region" '
        'aria-label="Map of the areas; + and − zoom, arrows pan">',
        draw(overview, placed[0], f"The {len(details)} areas of the atlas and how they build on each other"),
        "</div></div>",
        f'<p class="muted map-hint">{pages} pages in {len(details)} areas. Open an area to see its pages; '
        "an arrow points from a page to one that builds on it.</p>",
    ]
    for (a, title, url, g), pl in zip(details, placed[1:], strict=True):
        n = sum(1 for x in g.nodes if x.kind == "page")
        start = f' · <a href="{html.escape(url)}">start here</a>' if url else ""
        parts.append(
            f'<details class="area-map" data-area="{html.escape(a)}" style="--c:{colours.get(a, "")}">'
            f'<summary><span class="swatch" aria-hidden="true"></span>{html.escape(title)} '
            f'<span class="muted">· {n} {"page" if n == 1 else "pages"}</span></summary>'
            f'<div class="map-view" id="area-{html.escape(a)}">{TOOLS}'
            f'<div class="map-canvas" tabindex="0" role="region" '
            f'aria-label="Map of {html.escape(title)}; + and − zoom, arrows pan">'
            + draw(g, pl, f"{title}: {n} pages, with the pages of other areas they need and lead to")
            + '</div><p class="muted map-hint">Faded boxes are pages of other areas this one needs, '
            + "and the areas it leads to"
            + f"{start}.</p></div></details>"
        )
    parts.append("</div>")
    return "".join(parts)
