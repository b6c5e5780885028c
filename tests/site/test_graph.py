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
