"""The built atlas in a real browser (Debian chromium via Playwright): graph, search, dark mode,
no console errors, no request to any other host."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("atlas")]


def open_page(page, url):
    page.goto(url, wait_until="networkidle")
    return page


def test_home_renders_graph_and_a_click_opens_the_page(page_watch, atlas_url, screenshot):
    page = open_page(page_watch, atlas_url)
    assert page.locator(".topic-graph").count() == 1
    nodes = page.locator(".topic-graph a.node")
    assert nodes.count() >= 20
    screenshot(page, "home")
    node = page.locator('.topic-graph a.node[data-id="softmax"]')
    node.scroll_into_view_if_needed()
    node.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/foundations/softmax/")
    assert (
        page.locator("h1").inner_text().strip().lower().startswith("the softmax")
        or "softmax" in page.locator("h1").inner_text().lower()
    )
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
    page.locator('.topic-graph a.node[data-id="cross-entropy"]').click()
    assert page.url.endswith("/foundations/cross-entropy/")
    ctx.close()


@pytest.mark.parametrize("path", ["", "stochastic/sinkhorn/", "essays/"])
def test_phone_width_has_no_sideways_scroll(browser, atlas_url, path):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = ctx.new_page()
    page.goto(atlas_url + path, wait_until="networkidle")
    # Wide content (code, the graph, tables) scrolls inside its own box; the page itself must not.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ctx.close()
