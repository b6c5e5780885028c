"""The topic graph: pages joined by their declared prerequisites, laid out in layers and drawn as a
clickable SVG at build time; and learning paths (everything a page needs, in a readable order)."""

from __future__ import annotations

import html
from dataclasses import dataclass

import networkx as nx

from .model import Page, Site
from .validate import prerequisite_graph

COLLECTION_COLOURS = ["#3b82f6", "#f97316", "#10b981", "#e11d48", "#8b5cf6", "#eab308", "#06b6d4", "#64748b"]
OTHER = {"exploration": "#0ea5e9", "lab": "#d946ef"}


def _sort_key(site: Site):
    corder = {c.id: i for i, c in enumerate(site.collections())}
    kinds = {"chapter": 0, "exploration": 1, "lab": 2}
    ids = site.by_id()

    def key(pid: str):
        p = ids[pid]
        return (kinds.get(p.kind, 3), corder.get(p.collection or "", 99), p.order, p.title)

    return key


class Paths:
    """Learning paths and "leads to" lists for one site (the graph and sort order computed once)."""

    def __init__(self, site: Site):
        self.site = site
        self.graph = prerequisite_graph(site)
        self.ids = site.by_id()
        self.key = _sort_key(site)
        try:
            order = list(nx.lexicographical_topological_sort(self.graph, key=self.key))
        except nx.NetworkXUnfeasible:  # a cycle: reported by validation; fall back to a stable order
            order = sorted(self.graph.nodes, key=self.key)
        self.rank = {n: i for i, n in enumerate(order)}
        self._paths: dict[str, list[Page]] = {}

    def learning_path(self, page_id: str) -> list[Page]:
        """Every page `page_id` needs (transitively), each after its own prerequisites, then the page."""
        if page_id not in self.graph:
            return []
        if page_id not in self._paths:
            needed = nx.ancestors(self.graph, page_id) | {page_id}
            # The site-wide topological order restricted to the pages needed is a reading order for them.
            self._paths[page_id] = [self.ids[i] for i in sorted(needed, key=self.rank.__getitem__)]
        return self._paths[page_id]

    def leads_to(self, page_id: str) -> list[Page]:
        if page_id not in self.graph:
            return []
        return [self.ids[i] for i in sorted(self.graph.successors(page_id), key=self.key)]


def learning_path(site: Site, page_id: str) -> list[Page]:
    return Paths(site).learning_path(page_id)


@dataclass(frozen=True)
class Layout:
    positions: dict[str, tuple[float, float]]
    widths: dict[str, float]
    width: float
    height: float


def short_label(title: str) -> str:
    """The graph shows the head of a title ('FlashAttention — tiled attention…' → 'FlashAttention')."""
    for sep in (" — ", " – ", ": ", " ("):
        head = title.split(sep, 1)[0]
        if len(head) >= 3:
            title = head
    return title


NODE_H = 22
ROW_GAP = 8
COL_GAP = 44
CHAR_W = 6.6


def layout(site: Site) -> Layout:
    """Layers by longest prerequisite chain (left → right); order within a layer by the barycentre of
    each node's prerequisites, a few sweeps (a small Sugiyama-style layout)."""
    graph = prerequisite_graph(site)
    if graph.number_of_nodes() == 0:
        return Layout({}, {}, 0, 0)
    key = _sort_key(site)
    try:
        topo = list(nx.lexicographical_topological_sort(graph, key=key))
    except nx.NetworkXUnfeasible:
        topo = sorted(graph.nodes, key=key)
    depth: dict[str, int] = {}
    for n in topo:
        preds = [depth[p] for p in graph.predecessors(n) if p in depth]
        depth[n] = 1 + max(preds) if preds else 0
    layers: dict[int, list[str]] = {}
    for n in topo:
        layers.setdefault(depth[n], []).append(n)
    for d in layers:
        layers[d].sort(key=key)
    pos_index = {n: i for d in layers for i, n in enumerate(layers[d])}
    for _ in range(4):
        for d in sorted(layers)[1:]:

            def bary(n):
                preds = list(graph.predecessors(n))
                return sum(pos_index[p] for p in preds) / len(preds) if preds else pos_index[n]

            layers[d].sort(key=lambda n: (bary(n), key(n)))
            pos_index.update({n: i for i, n in enumerate(layers[d])})
    ids = site.by_id()
    widths = {n: 16 + CHAR_W * len(short_label(ids[n].title)) for n in graph.nodes}
    positions: dict[str, tuple[float, float]] = {}
    x = 10.0
    tallest = max(len(v) for v in layers.values())
    height = tallest * (NODE_H + ROW_GAP) + 20
    for d in sorted(layers):
        col = layers[d]
        col_w = max(widths[n] for n in col)
        offset = (height - len(col) * (NODE_H + ROW_GAP)) / 2
        for i, n in enumerate(col):
            positions[n] = (x, offset + i * (NODE_H + ROW_GAP))
        x += col_w + COL_GAP
    return Layout(positions, widths, x - COL_GAP + 10, height)


def collection_colour(site: Site, collection_id: str | None) -> str:
    order = [c.id for c in site.collections()]
    i = order.index(collection_id) if collection_id in order else len(COLLECTION_COLOURS) - 1
    return COLLECTION_COLOURS[i % len(COLLECTION_COLOURS)]


def colour_of(site: Site, page: Page) -> str:
    return OTHER[page.kind] if page.kind in OTHER else collection_colour(site, page.collection)


def graph_svg(site: Site, prefix: str, highlight: set[str] | None = None) -> str:
    """The whole topic graph as inline SVG; each node links to its page (relative to `prefix`)."""
    lay = layout(site)
    if not lay.positions:
        return ""
    graph = prerequisite_graph(site)
    ids = site.by_id()
    out = [
        f'<svg class="topic-graph" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        f'width="{lay.width:.0f}" height="{lay.height:.0f}" role="img" '
        f'aria-label="Topic graph: {graph.number_of_nodes()} pages joined by prerequisites">'
    ]
    out.append('<g class="edges">')
    for u, v in graph.edges:
        x1, y1 = lay.positions[u]
        x2, y2 = lay.positions[v]
        x1 += lay.widths[u]
        y1 += NODE_H / 2
        y2 += NODE_H / 2
        mid = (x1 + x2) / 2
        cls = ' class="hl"' if highlight and u in highlight and v in highlight else ""
        out.append(
            f'<path{cls} data-from="{u}" data-to="{v}" '
            f'd="M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"/>'
        )
    out.append('</g><g class="nodes">')
    for n, (x, y) in lay.positions.items():
        page = ids[n]
        colour = colour_of(site, page)
        cls = "node hl" if highlight and n in highlight else "node"
        title = html.escape(page.title)
        out.append(
            f'<a class="{cls}" href="{prefix}{page.url}" data-id="{n}">'
            f"<title>{title} — {html.escape(page.summary)}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{lay.widths[n]:.1f}" height="{NODE_H}" rx="6" '
            f'style="--c:{colour}"/>'
            f'<text x="{x + 8:.1f}" y="{y + NODE_H / 2 + 4:.1f}">'
            f"{html.escape(short_label(page.title))}</text></a>"
        )
    out.append("</g></svg>")
    return "".join(out)
