"""Stage 2 — validate: the site as a whole (ids, prerequisites, cycles, verification claims).

Per-page checks that need the markdown parsed (links, anchors, code symbols, figures, math) happen
while rendering; this stage checks what the front matter alone can tell.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from .model import Site
from .problems import Problem, did_you_mean, display_path
from .verifications import Declared


def prerequisite_graph(site: Site) -> nx.DiGraph:
    """Edge u → v means u is a prerequisite of v. Unknown ids are left out."""
    graph = nx.DiGraph()
    ids = site.by_id()
    for page in site.pages:
        if page.kind in ("chapter", "exploration", "lab"):
            graph.add_node(page.id)
    for page in site.pages:
        for pre in page.prerequisites:
            if pre in ids and pre != page.id:
                graph.add_edge(pre, page.id)
    return graph


def validate_site(site: Site, declared: list[Declared]) -> list[Problem]:
    problems: list[Problem] = []
    root = site.config.root
    where = {p.id: display_path(p.path, root) for p in site.pages}

    # Unique ids across the whole site.
    seen: dict[str, list] = defaultdict(list)
    for page in site.pages:
        seen[page.id].append(page)
    for pid, pages in seen.items():
        if len(pages) > 1:
            others = ", ".join(display_path(p.path, root) for p in pages)
            for p in pages:
                problems.append(
                    Problem(
                        display_path(p.path, root),
                        1,
                        f"duplicate page id `{pid}` (also used by: {others}); rename one of the files",
                    )
                )

    ids = set(seen)
    declared_pages = {d.page for d in declared}
    for page in site.pages:
        if page.exercises:
            from .exercises import check_symbols

            for msg in check_symbols(list(page.exercises)):
                problems.append(Problem(where[page.id], page.line_of("exercises"), msg))
            if page.id not in declared_pages:
                problems.append(
                    Problem(
                        where[page.id],
                        page.line_of("exercises"),
                        "exercises are checked by the chapter's own tests: no test declares "
                        f'@verifies("{page.id}", ...)',
                    )
                )
        for sid in page.series:
            target = seen.get(sid, [None])[0]
            if target is None or target.kind != "collection" or target.collection_kind != "series":
                series_ids = sorted(p.id for p in site.pages if p.collection_kind == "series")
                problems.append(
                    Problem(
                        where[page.id],
                        page.line_of("series"),
                        f"`series: {sid}` is not a series{did_you_mean(sid, series_ids)}; "
                        f"series of this site: {', '.join(series_ids) or 'none'}",
                    )
                )
    for page in site.pages:
        for pre in page.prerequisites:
            if pre == page.id:
                problems.append(
                    Problem(
                        where[page.id],
                        page.line_of("prerequisites"),
                        f"`{page.id}` lists itself as a prerequisite",
                    )
                )
            elif pre not in ids:
                problems.append(
                    Problem(
                        where[page.id],
                        page.line_of("prerequisites"),
                        f"unknown prerequisite `{pre}`{did_you_mean(pre, ids)}",
                    )
                )
            elif seen[pre][0].kind in ("collection", "about"):
                problems.append(
                    Problem(
                        where[page.id],
                        page.line_of("prerequisites"),
                        f"prerequisite `{pre}` is a {seen[pre][0].kind} page; "
                        "name a chapter, exploration or lab",
                    )
                )

    graph = prerequisite_graph(site)
    for cycle in nx.simple_cycles(graph):
        first = min(cycle)  # report each cycle once, starting from its smallest id
        i = cycle.index(first)
        ordered = cycle[i:] + cycle[:i]
        # the edge into `first` comes from the last node: report it where that prerequisite is declared
        shown = " → ".join(ordered + [first])
        problems.append(
            Problem(
                where[first],
                seen[first][0].line_of("prerequisites"),
                f"prerequisite cycle: {shown} (each page needs the next; remove one link)",
            )
        )

    # Chapters in a collection that does not exist are impossible by construction (folder = collection).
    # Verification claims must be backed by a test that declares them.
    by_page: dict[str, list[Declared]] = defaultdict(list)
    for d in declared:
        by_page[d.page].append(d)
        if d.page not in ids:
            problems.append(
                Problem(
                    display_path(d.path),
                    d.line,
                    f"@verifies names page `{d.page}`, which does not exist{did_you_mean(d.page, ids)}",
                )
            )
    for page in site.pages:
        for claim in page.verified:
            if site.config.tests is None:
                problems.append(
                    Problem(
                        where[page.id],
                        page.line_of("verified"),
                        f"claims verification against `{claim}` but site.toml names no `tests` "
                        "folder to read it from",
                    )
                )
            elif not any(d.against == claim for d in by_page[page.id]):
                have = sorted({d.against for d in by_page[page.id]})
                hint = (
                    f"; tests declare: {', '.join(have)}"
                    if have
                    else f'; add @verifies("{page.id}", against="{claim}", tol=...) '
                    "to the test that checks it"
                )
                problems.append(
                    Problem(
                        where[page.id],
                        page.line_of("verified"),
                        f"claims verification against `{claim}` but no test declares it{hint}",
                    )
                )
    return problems
