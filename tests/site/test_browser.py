"""The built atlas in a real browser (Debian chromium via Playwright): graph, search, dark mode,
no console errors, no request to any other host."""

import os
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("atlas")]


def open_page(page, url):
    page.goto(url, wait_until="networkidle")
    return page


def test_home_renders_graph_and_a_click_opens_the_page(page_watch, atlas_url, screenshot):
    page = open_page(page_watch, atlas_url)
    areas = page.locator("#svg-areas a.node.area")
    assert areas.count() >= 5
    assert page.locator(".topic-graph a.node.page").count() >= 20
    screenshot(page, "home")
    # an area opens its map; hovering a page lights up what it needs and leads to
    page.locator('#svg-areas a.node.area[data-id="area-foundations"]').click()
    node = page.locator('.topic-graph a.node.page[data-id="softmax"]')
    node.scroll_into_view_if_needed()
    node.hover()
    assert page.locator(".topic-graph.dim a.node.need, .topic-graph.dim a.node.lead").count() >= 1
    # zoom buttons enlarge the map
    view = page.locator("#area-foundations")
    before = view.locator("svg").bounding_box()["width"]
    view.locator('button[data-zoom="in"]').click()
    assert view.locator("svg").bounding_box()["width"] > before
    view.locator('button[data-zoom="fit"]').click()
    node.scroll_into_view_if_needed()
    node.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/foundations/softmax/")
    assert "softmax" in page.locator("h1").inner_text().lower()
    screenshot(page, "chapter-softmax", full_page=True)
    assert page.console_errors == [] and page.foreign_requests == []


def test_search_finds_a_chapter_by_a_word_in_its_body(page_watch, atlas_url, screenshot):
    page = open_page(page_watch, atlas_url + "search/")
    page.fill(".pagefind-ui__search-input", "backpropagation")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
    titles = page.locator(".pagefind-ui__result-link").all_inner_texts()
    screenshot(page, "search")
    assert any("neural network" in t.lower() for t in titles), titles
    # math is indexed as the reader sees it, not as TeX source
    assert "\\" not in page.locator(".pagefind-ui__results").inner_text()
    assert page.console_errors == [] and page.foreign_requests == []


def test_dark_mode_toggle_follows_os_and_persists(browser, atlas_url, screenshot):
    ctx = browser.new_context(color_scheme="dark")
    page = ctx.new_page()
    page.goto(atlas_url + "foundations/softmax/", wait_until="networkidle")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"  # follows the OS
    dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    screenshot(page, "chapter-softmax-dark")
    page.click(".theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_bg != light_bg
    page.reload(wait_until="networkidle")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"  # the choice persists
    ctx.close()


@pytest.mark.parametrize(
    "path",
    [
        "",
        "library/",
        "series/",
        "essays/",
        "tags/",
        "about/",
        "labs/",
        "explorations/",
        "foundations/",
        "foundations/cross-entropy/",
        "paths/cross-entropy/",
    ],
)
def test_pages_load_cleanly(page_watch, atlas_url, path):
    page = open_page(page_watch, atlas_url + path)
    assert page.locator("main h1").count() >= 1
    assert page.locator("header nav").count() == 1 and page.locator("main#main").count() == 1
    # every image/figure is labelled
    unlabeled = page.evaluate("""[...document.querySelectorAll('main svg[role=img], main img')]
        .filter(e => !(e.getAttribute('aria-label') || e.getAttribute('alt'))).length""")
    assert unlabeled == 0
    assert page.console_errors == [], page.console_errors
    assert page.foreign_requests == [], page.foreign_requests


def test_essays_filter_by_tag(page_watch, atlas_url):
    page = open_page(page_watch, atlas_url + "essays/")
    total = page.locator("#cards .card").count()
    buttons = page.locator(".tag-filter button[data-tag]:not([data-tag=''])")
    assert buttons.count() > 0
    tag = buttons.first.get_attribute("data-tag")
    buttons.first.click()
    visible = page.locator("#cards .card:not([hidden])")
    assert 0 < visible.count() < total
    for card in visible.all():
        assert tag in card.get_attribute("data-tags").split(",")
    assert re.search(r"tag=", page.url)


def test_pages_work_without_javascript(browser, atlas_url):
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(atlas_url + "foundations/softmax/")
    assert page.locator(".katex").count() > 0  # math was rendered at build time
    assert page.locator(".figure-svg svg").count() > 0
    page.goto(atlas_url)
    page.locator('details[data-area="foundations"] > summary').click()  # <details> opens without JS
    page.locator('.topic-graph a.node.page[data-id="cross-entropy"]').click()
    assert page.url.endswith("/foundations/cross-entropy/")
    ctx.close()


def built_pages(site: Path) -> list[str]:
    """Every page of a built site, as URL paths relative to its root."""
    return sorted(
        str(p.parent.relative_to(site)) + "/" if p.parent != site else ""
        for p in site.rglob("index.html")
        if "pagefind" not in p.parts
    )


def test_phone_width_has_no_sideways_scroll_on_any_page(browser, atlas_build, atlas_url):
    """Every page at 390 px: wide content (code, equations, the graph, tables, figures) scrolls inside
    its own box; the page itself must not."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = ctx.new_page()
    wide = {}
    for path in built_pages(atlas_build):
        page.goto(atlas_url + path, wait_until="load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            culprit = page.evaluate("""(() => {
                const out = [...document.querySelectorAll('main *')].filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.right > 391 && r.width > 0 && !e.closest('.katex-mathml');
                });
                const e = out.find(x => ![...x.children].some(c => out.includes(c))) || out[0];
                return e ? e.tagName.toLowerCase() + '.' + (e.getAttribute('class') || '') : '?';
            })()""")
            wide[path] = (width, culprit)
    ctx.close()
    assert wide == {}, f"{len(wide)} pages scroll sideways at 390 px: {wide}"


AXE = Path(__file__).resolve().parents[2] / "src/mlatlas/site/katex/node_modules/axe-core/axe.min.js"


def axe_pages(site: Path) -> list[str]:
    labs = sorted(p.parent.name for p in (site / "labs").glob("*/index.html"))
    return ["", "foundations/softmax/", "explorations/wasserstein-visual-guide/", "search/"] + [
        f"labs/{lab}/" for lab in labs
    ]


@pytest.mark.parametrize("width,scheme", [(1280, "light"), (390, "dark")])
def test_axe_finds_no_serious_violations(browser, atlas_build, atlas_url, width, scheme):
    """axe-core (from npm, in the engine's node packages) on the home page, a chapter, an
    exploration, search and every lab, in both themes; serious or critical violations fail."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core missing: run ./atlas setup (npm ci installs it)")
        pytest.skip("axe-core not installed (./atlas setup installs it)")
    ctx = browser.new_context(viewport={"width": width, "height": 844}, color_scheme=scheme)
    page = ctx.new_page()
    found = []
    for path in axe_pages(atlas_build):
        if not (atlas_build / path / "index.html").exists():
            continue
        page.goto(atlas_url + path, wait_until="networkidle")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        for v in result["violations"]:
            if v["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in v["nodes"][:3]]
                found.append(f"{path or 'home'}: {v['id']} ({v['impact']}) at {targets}")
    ctx.close()
    assert found == [], "\n".join(found)
