"""Topic graph and learning paths, built from prerequisites."""

from pathlib import Path

from mlatlas.site.graph import Paths, graph_svg, layout
from mlatlas.site.model import Page, Site, SiteConfig


def site_of(edges: dict[str, list[str]]) -> Site:
    pages = [
        Page(
            id="c",
            kind="collection",
            path=Path("c/index.md"),
            title="C",
            body="",
            body_line=1,
            order=1,
            collection_kind="book",
        )
    ]
    for i, (pid, pre) in enumerate(edges.items()):
        pages.append(
            Page(
                id=pid,
                kind="chapter",
                path=Path(f"c/{pid}.md"),
                title=pid.upper(),
                body="",
                body_line=1,
                collection="c",
                order=i,
                prerequisites=tuple(pre),
            )
        )
    return Site(SiteConfig(root=Path("."), title="t"), tuple(pages))


DIAMOND = {"a": [], "b": ["a"], "c2": ["a"], "d": ["b", "c2"], "e": ["d"], "lonely": []}


def test_learning_path_is_ancestors_in_dependency_order():
    paths = Paths(site_of(DIAMOND))
    order = [p.id for p in paths.learning_path("e")]
    assert order == ["a", "b", "c2", "d", "e"]
    assert [p.id for p in paths.learning_path("lonely")] == ["lonely"]
    assert [p.id for p in paths.leads_to("a")] == ["b", "c2"]


def test_path_respects_every_edge_on_a_random_dag():
    import random

    rng = random.Random(3)
    edges = {}
    for k in range(60):
        edges[f"p{k}"] = rng.sample(list(edges), k=min(len(edges), rng.randint(0, 3)))
    site = site_of(edges)
    paths = Paths(site)
    for target in edges:
        order = [p.id for p in paths.learning_path(target)]
        pos = {pid: i for i, pid in enumerate(order)}
        assert order[-1] == target
        for pid in order:
            for pre in edges[pid]:
                assert pos[pre] < pos[pid]


def test_layout_places_prerequisites_left_of_dependants():
    lay = layout(site_of(DIAMOND))
    x = {k: v[0] for k, v in lay.positions.items()}
    assert x["a"] < x["b"] < x["d"] < x["e"] and x["b"] == x["c2"]


def test_svg_links_every_node_and_draws_every_edge():
    svg = graph_svg(site_of(DIAMOND), "../")
    for pid in DIAMOND:
        assert f'href="../c/{pid}/" data-id="{pid}"' in svg
    assert svg.count("<path") == sum(len(v) for v in DIAMOND.values())


def test_topic_map_has_two_levels_and_every_page_is_a_named_link(tmp_path):
    import re

    from mlatlas.site.topicmap import atlas_map, build_graphs, layout_graphs

    site = site_of(DIAMOND)
    html = atlas_map(site, "../", tmp_path)
    assert 'role="img"' not in html  # links inside role=img are unreachable by screen readers
    for pid in DIAMOND:
        link = rf'<a class="node page [a-z]+" href="\.\./c/{pid}/" data-id="{pid}" '
        assert re.search(link + r'data-needs="[^"]*" data-leads="[^"]*" style="--c:[^"]+"><title>', html)
    assert 'href="#area-c"' in html and 'id="area-c"' in html and "<details" in html
    overview, details = build_graphs(site, "../")
    assert [n.id for n in overview.nodes] == ["area-c"]
    ((_, _, _, g),) = details
    needs = {n.id: n.needs for n in g.nodes}
    assert needs["d"] == ["b", "c2"] and len(g.edges) == sum(len(v) for v in DIAMOND.values())
    # ELK (or the fallback where Node/elkjs is missing) places prerequisites left of dependants
    (placed,) = layout_graphs([g], tmp_path)
    x = {k: v[0] for k, v in placed.positions.items()}
    assert x["a"] < x["b"] < x["d"] < x["e"]
    assert len(placed.routes) == len(g.edges) and all(len(r) >= 2 for r in placed.routes)
    assert list(tmp_path.glob("layout-*.json"))  # cached for the next build


def test_topic_map_fallback_layout_without_elk():
    from mlatlas.site.topicmap import _fallback, build_graphs

    _, details = build_graphs(site_of(DIAMOND), "")
    g = details[0][3]
    placed = _fallback(g)
    x = {k: v[0] for k, v in placed.positions.items()}
    assert x["a"] < x["b"] < x["d"] < x["e"] and x["b"] == x["c2"]


def test_topic_map_laid_out_beside_the_pages_is_not_laid_out_again(tmp_path, monkeypatch):
    from mlatlas.site import topicmap

    site = site_of(DIAMOND)
    monkeypatch.setattr(topicmap, "_LAID_OUT", {})
    topicmap.prepare(site, None).join()  # what a build starts right after loading the site
    runs = []
    monkeypatch.setattr(topicmap, "_run_elk", lambda blob: runs.append(blob))
    html = topicmap.atlas_map(site, "", None)
    assert runs == [] and 'href="c/d/"' in html  # the home page's map used the layout made early
