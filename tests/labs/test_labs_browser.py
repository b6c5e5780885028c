"""The labs in headless chromium: they load cleanly, respond to their main interaction,
survive absurd input, stay on this host, and work in dark mode. Screenshots go to test-artifacts/.

Runs against the built atlas (the session fixtures of tests/conftest.py). To run these tests
against another served build (e.g. while the full atlas does not build yet), set
MLATLAS_LABS_URL to its base URL, e.g. ``http://127.0.0.1:8000/``.
"""

from __future__ import annotations

import math
import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("atlas")]

LABS = {  # page id -> URL path of the lab page
    "neural-network": "labs/neural-network/",
    "gradient-descent": "labs/gradient-descent/",
    "distribution-morphing": "labs/distribution-morphing/",
    "attention-heatmap": "labs/attention-heatmap/",
    "brownian-motion-lab": "labs/brownian-motion-lab/",
    "noise-to-data": "labs/noise-to-data/",
}


@pytest.fixture(scope="module")
def base_url(request):
    url = os.environ.get("MLATLAS_LABS_URL")
    if url:
        return url if url.endswith("/") else url + "/"
    return request.getfixturevalue("atlas_url")


def open_lab(page, base_url, lab, query=""):
    page.goto(base_url + LABS[lab] + query)
    page.wait_for_function("window.__lab && window.__lab.ready === true", timeout=20000)
    return page


def metrics(page):
    return page.evaluate("window.__lab.metrics")


def lab_text(page) -> str:
    return page.inner_text("#lab")


def assert_clean(page):
    assert page.console_errors == [], page.console_errors
    assert page.foreign_requests == [], page.foreign_requests


def set_range(page, label, value):
    """Move the range input labelled `label` to `value` (slider units) and fire its input event."""
    page.get_by_label(label, exact=True).evaluate(
        "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', {bubbles: true})); }", value)


@pytest.mark.parametrize("lab", list(LABS))
def test_lab_loads_clean_labelled_and_dark(page_watch, base_url, screenshot, lab):
    page = open_lab(page_watch, base_url, lab)
    page.wait_for_timeout(300)
    # every control is reachable by keyboard and has an accessible name
    unlabeled = page.evaluate("""() => [...document.querySelectorAll('#lab input, #lab select, #lab button')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                      && !el.textContent.trim())
        .map(el => el.outerHTML)""")
    assert unlabeled == []
    assert "NaN" not in lab_text(page)
    screenshot(page, f"lab-{lab}", full_page=True)
    # dark mode: the lab redraws its canvases with the page's dark colours
    page.evaluate("""() => { document.documentElement.dataset.theme = 'dark';
        document.dispatchEvent(new Event('themechange')); }""")
    page.wait_for_timeout(200)
    screenshot(page, f"lab-{lab}-dark", full_page=True)
    corner = page.evaluate("""() => { const c = document.querySelector('#lab canvas');
        const d = c.getContext('2d').getImageData(c.width - 3, c.height - 3, 1, 1).data; return [...d]; }""")
    assert not (corner[3] == 255 and min(corner[:3]) > 235), corner  # no light-mode fill left behind
    assert_clean(page)


def test_gradient_descent_click_places_start_and_trails_grow(page_watch, base_url, screenshot):
    page = open_lab(page_watch, base_url, "gradient-descent", "?s=quadratic")
    box = page.locator("#lab canvas").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.25)
    page.wait_for_function("window.__lab.metrics.steps > 30", timeout=10000)
    m = metrics(page)
    assert m["start"][0] < -1 and m["start"][1] > 0.5  # the click moved the start point up-left
    assert all(r["trail"] > 30 for r in m["runners"] if r["on"] and not r["diverged"])
    start_f = None
    for r in m["runners"]:
        assert math.isfinite(r["loss"]) or r["diverged"]
        start_f = start_f or r["loss"]
    screenshot(page, "lab-gradient-descent-race")
    assert_clean(page)


def test_neural_network_training_lowers_the_loss(page_watch, base_url, screenshot):
    page = open_lab(page_watch, base_url, "neural-network", "?ds=circle&layers=2&units=6&lr=0.3&batch=10")
    first = metrics(page)["train"]
    page.get_by_role("button", name="Train").click()
    page.wait_for_function("window.__lab.metrics.step > 300", timeout=20000)
    page.get_by_role("button", name="Pause").click()
    m = metrics(page)
    assert m["train"] < 0.6 * first, (first, m)
    assert m["accuracy"] > 0.8
    assert "step=" not in page.url and "lr=0.3" in page.url  # settings live in the URL
    screenshot(page, "lab-neural-network-trained", full_page=True)
    assert_clean(page)


def test_neural_network_caps_drawn_points(page_watch, base_url):
    page = open_lab(page_watch, base_url, "neural-network", "?ds=custom&layers=1&units=2")
    page.evaluate("""() => { const c = document.querySelector('#lab canvas');
        const r = c.getBoundingClientRect();
        for (let k = 0; k < 620; k++) c.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true,
            clientX: r.left + 5 + (k * 37) % (r.width - 10),
            clientY: r.top + 5 + (k * 53) % (r.height - 10)})); }""")
    assert metrics(page)["nTrain"] == 600
    assert "at most 600" in lab_text(page)
    assert_clean(page)


def test_distribution_morphing_eps_slider_changes_the_plan(page_watch, base_url, screenshot):
    query = "?pair=gaussians&n=30&solver=sinkhorn&eps=0.01"
    page = open_lab(page_watch, base_url, "distribution-morphing", query)
    page.wait_for_function("window.__lab.metrics.converged === true", timeout=20000)
    sharp = metrics(page)
    set_range(page, "ε (entropic blur)", math.log10(1.0))
    page.wait_for_function("window.__lab.metrics.converged === true", timeout=20000)
    blurred = metrics(page)
    assert blurred["support"] > 2 * sharp["support"]  # large eps spreads every point's mass
    assert blurred["sinkhornCost"] > sharp["sinkhornCost"] >= sharp["exactCost"] - 1e-9
    assert blurred["exactCost"] == sharp["exactCost"]
    screenshot(page, "lab-distribution-morphing-blurred")
    # tiny eps: log-domain iterations keep everything finite
    set_range(page, "ε (entropic blur)", math.log10(0.001))
    page.wait_for_timeout(800)
    assert metrics(page)["finite"] is True
    assert "NaN" not in lab_text(page)
    assert_clean(page)


def test_distribution_morphing_plays_the_morph(page_watch, base_url):
    page = open_lab(page_watch, base_url, "distribution-morphing", "?solver=exact&t=0")
    page.get_by_role("button", name="Play morph").click()
    page.wait_for_timeout(700)
    assert 0 < metrics(page)["t"] <= 1
    assert_clean(page)


def test_attention_typing_changes_the_heat_map(page_watch, base_url, screenshot):
    page = open_lab(page_watch, base_url, "attention-heatmap")
    page.fill("#attn-text", "hello")
    first = metrics(page)
    assert first["output"] == "olleh" and first["T"] == 5
    page.fill("#attn-text", "hello9")
    second = metrics(page)
    assert second["T"] == 6 and second["output"] == "9olleh"
    assert second["attention"] != first["attention"]
    # every row of every head is a distribution
    for layer in second["attention"]:
        for head in layer:
            for i in range(6):
                assert abs(sum(head[6 * i: 6 * i + 6]) - 1) < 1e-12
    page.get_by_label("Causal mask (hide later tokens)").check()
    causal = metrics(page)
    assert all(causal["attention"][0][0][6 * i + j] == 0 for i in range(6) for j in range(i + 1, 6))
    screenshot(page, "lab-attention-heatmap-causal", full_page=True)
    page.fill("#attn-text", "")
    assert "at least one" in lab_text(page)
    page.fill("#attn-text", "Hi!")
    assert "vocabulary" in lab_text(page)
    assert_clean(page)


def test_brownian_simulate_draws_new_paths(page_watch, base_url, screenshot):
    page = open_lab(page_watch, base_url, "brownian-motion-lab", "?seed=7&paths=300&steps=100")
    page.wait_for_function("window.__lab.metrics.reveal === 1", timeout=10000)
    before = metrics(page)
    page.get_by_role("button", name="New seed").click()
    page.wait_for_function("window.__lab.metrics.reveal === 1", timeout=10000)
    after = metrics(page)
    assert after["seed"] != before["seed"] and after["last"] != before["last"] and after["finite"]
    page.get_by_label("Process").select_option("geometric")
    page.wait_for_function("window.__lab.metrics.kind === 'geometric' && window.__lab.metrics.reveal === 1")
    screenshot(page, "lab-brownian-motion-geometric", full_page=True)
    assert_clean(page)


def test_noise_to_data_plays_both_samplers_to_the_target(page_watch, base_url, screenshot):
    page = open_lab(page_watch, base_url, "noise-to-data", "?target=moons&steps=10&n=300&seed=5")
    start = metrics(page)
    assert start["progress"] == 0 and start["flowStep"] == 0 and start["ddpmStep"] == 0
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("window.__lab.metrics.done === true", timeout=20000)
    m = metrics(page)
    assert m["flowStep"] == 10 and m["ddpmStep"] == 10 and m["finite"]
    assert m["nearest"][1] < 0.5 * m["nearest"][0] and m["nearest"][2] < m["nearest"][0]
    assert "Energy distance" in lab_text(page) and "steps=10" in page.url
    screenshot(page, "lab-noise-to-data-done", full_page=True)
    # OT pairs: a different network, straighter paths, from the same noise
    page.get_by_label("OT coupling (flow trained on minibatch-OT pairs)").check()
    assert metrics(page)["first"][:2] == start["first"][:2]  # the noise is the seed's, not the network's
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("window.__lab.metrics.done === true", timeout=20000)
    ot = metrics(page)
    assert ot["ot"] is True and ot["straightness"] < 0.5 * m["straightness"]
    assert "ot=1" in page.url
    # another target is fetched on demand and restarts the run; fewer steps via the slider
    page.get_by_label("Target").select_option("rings")
    page.wait_for_function("window.__lab.metrics.target === 'rings'")
    set_range(page, "Steps (network calls per sampler)", 0)  # index 0 of the step list: one step
    assert metrics(page)["steps"] == 1
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("window.__lab.metrics.done === true", timeout=20000)
    assert metrics(page)["finite"] and "NaN" not in lab_text(page)
    assert_clean(page)


@pytest.mark.parametrize("lab, query, expect", [
    ("gradient-descent", "?lr=1e9&x=NaN&y=Infinity&s=moon", "outside"),
    ("neural-network", "?layers=99&units=-4&lr=NaN&batch=1e12", "outside"),
    ("distribution-morphing", "?eps=0&n=100000&t=7", "outside"),
    ("attention-heatmap", "?tau=-1&text=", "at least one"),
    ("brownian-motion-lab", "?paths=1e9&steps=1e9&seed=-3&sigma=Infinity", "outside"),
    ("noise-to-data", "?steps=1e9&n=-4&seed=-3&target=cat&ot=maybe", "outside"),
])
def test_absurd_url_values_are_clamped_and_explained(page_watch, base_url, lab, query, expect):
    page = open_lab(page_watch, base_url, lab, query)
    page.wait_for_timeout(300)
    text = lab_text(page)
    assert expect in text
    assert "NaN" not in text and "Infinity" not in text
    assert_clean(page)
