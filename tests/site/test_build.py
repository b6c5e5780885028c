"""End to end: build the fixture sites and check what comes out (and what must not)."""

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from mlatlas.site.build import BuildState, build_site
from mlatlas.site.problems import BuildError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture()
def good_site(tmp_path):
    src = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", src)
    return src


def build(src: Path, out: Path, cache: Path | None = None, **kw):
    return build_site(src, out, cache_dir=cache if cache is not None else src / ".cache", **kw)


def internal_links(out: Path):
    """(file, href) for every relative href/src in the built HTML."""
    for html in out.rglob("*.html"):
        if html.parts[-2:] == ("", "404.html"):
            continue
        text = html.read_text(encoding="utf-8")
        for href in re.findall(r'(?:href|src)="([^"]+)"', text):
            if urlsplit(href).scheme or href.startswith(("#", "//", "mailto:")):
                continue
            yield html, href


def test_fixture_builds_every_page_kind(good_site, tmp_path):
    out = tmp_path / "out"
    result = build(good_site, out)
    assert result.pages == 6 and result.warnings == ()
    for rel in [
        "index.html",
        "basics/index.html",
        "basics/first/index.html",
        "basics/second/index.html",
        "explorations/long-read/index.html",
        "labs/counter/index.html",
        "labs/counter/main.js",
        "labs/counter/core.js",
        "about/index.html",
        "library/index.html",
        "series/index.html",
        "essays/index.html",
        "tags/index.html",
        "tags/basics/index.html",
        "paths/second/index.html",
        "search/index.html",
        "404.html",
        "feed.xml",
        "sitemap.xml",
        "robots.txt",
        "assets/style.css",
        "assets/site.js",
        "assets/katex/katex.min.css",
        "pagefind/pagefind-ui.js",
    ]:
        assert (out / rel).is_file(), rel


def test_links_resolve_and_no_raw_tex(good_site, tmp_path):
    out = tmp_path / "out"
    build(good_site, out)
    for html, href in internal_links(out):
        if html.name == "404.html":
            continue
        target = urlsplit(urljoin("http://site/" + html.relative_to(out).as_posix(), href)).path.lstrip("/")
        path = out / target
        if target.endswith("/") or target == "":
            path = path / "index.html"
        assert path.exists(), f"{html.relative_to(out)} links to missing {href}"
    first = (out / "basics/first/index.html").read_text()
    text_only = re.sub(r'<annotation encoding="application/x-tex">.*?</annotation>', "", first, flags=re.S)
    assert "$" not in re.sub(r"<[^>]+>", "", text_only), "raw TeX left in the page"
    assert 'class="katex"' in first and "<math" in first  # HTML + MathML, rendered at build time
    assert "\x02" not in first


def test_chapter_page_parts(good_site, tmp_path):
    out = tmp_path / "out"
    build(good_site, out)
    first = (out / "basics/first/index.html").read_text()
    assert "Verified against <strong>python.builtins</strong>, tolerance 1e-12 (float64)" in first
    assert "mlatlas run first" in first  # the demo command
    assert "pytest checks/test_claims.py" in first or "test_claims.py" in first
    assert 'href="https://arxiv.org/abs/1706.03762"' in first
    assert 'aria-label="Breadcrumb"' in first and "Basics" in first
    assert 'class="next"' in first and "Second steps" in first  # previous / next in the collection
    assert "Leads to" in first and "min read" in first
    assert '<svg role="img" aria-label="A parabola through four points"' in first
    assert "currentColor" in first  # figure ink follows the theme
    assert "__mlatlas_verifies__" in first  # code shown by reference, from the package
    second = (out / "basics/second/index.html").read_text()
    assert "Builds on" in second and 'href="../../basics/first/#the-end"' not in second
    lab = (out / "labs/counter/index.html").read_text()
    assert '<div id="lab" class="lab-mount"' in lab and 'src="../../labs/counter/main.js"' in lab


def test_home_has_graph_timeline_and_lists(good_site, tmp_path):
    out = tmp_path / "out"
    build(good_site, out)
    home = (out / "index.html").read_text()
    assert '<svg class="topic-graph areas"' in home and '<svg class="topic-graph area"' in home
    for pid, url in [
        ("first", "basics/first/"),
        ("second", "basics/second/"),
        ("long-read", "explorations/long-read/"),
    ]:
        assert f'href="{url}" data-id="{pid}" data-needs=' in home
    assert "A learning timeline" in home and "Start with the basics." in home
    assert "Counter lab" in home and "A long read" in home


def test_feed_and_sitemap_are_valid_xml(good_site, tmp_path):
    out = tmp_path / "out"
    build(good_site, out)
    feed = ET.parse(out / "feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert titles == ["A long read", "Second steps", "First steps"]  # newest first
    urls = [
        u.text
        for u in ET.parse(out / "sitemap.xml")
        .getroot()
        .iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert "https://example.org/lab/basics/first/" in urls


def test_failed_build_leaves_previous_output_untouched(good_site, tmp_path):
    out = tmp_path / "out"
    build(good_site, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    chapter = good_site / "collections/basics/second.md"
    chapter.write_text(chapter.read_text().replace("Builds on", "See [nothing](nothing.md). Builds on"))
    with pytest.raises(BuildError) as err:
        build(good_site, out)
    assert "broken link `nothing.md`" in str(err.value)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not any(p.name.startswith(".out.") for p in tmp_path.iterdir())


def test_rebuilds_are_incremental(good_site, tmp_path):
    out = tmp_path / "out"
    state = BuildState()
    build(good_site, out, state=state)
    again = build(good_site, out, state=state)
    assert again.files_changed == 0
    chapter = good_site / "collections/basics/second.md"
    chapter.write_text(chapter.read_text().replace("Done.", "Done, and edited."))
    edited = build(good_site, out, state=state)
    assert 1 <= edited.files_changed <= 2  # the page (and nothing else whose content depends on its body)
    assert "edited" in (out / "basics/second/index.html").read_text()


def test_an_edit_reuses_the_last_layout_and_gives_what_a_fresh_build_gives(good_site, tmp_path):
    def tree(out: Path) -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    state = BuildState()
    build(good_site, tmp_path / "served", state=state, search=False)
    chapter = good_site / "collections/basics/second.md"
    edits = [
        ("Done.", "Done, and edited."),  # a body edit: only that page is laid out again
        ("title:", "title: Renamed"),  # front matter: every index page that lists it changes too
    ]
    for i, (old, new) in enumerate(edits):
        chapter.write_text(chapter.read_text().replace(old, new, 1))
        build(good_site, tmp_path / "served", state=state, search=False)
        fresh = tmp_path / f"fresh{i}"
        build(good_site, fresh, cache=tmp_path / f"cache{i}", search=False)
        assert tree(tmp_path / "served") == tree(fresh)
    assert "Renamed" in (tmp_path / "served/basics/index.html").read_text()


def test_a_dying_figure_worker_names_its_figure_and_spares_the_rest(tmp_path):
    from mlatlas.site.figures import render_all

    targets = ["fixture_figures:line", "fixture_figures:dies", "fixture_figures:svg_text"]
    figs, values = render_all(targets, ["fixture_figures:numbers"], tmp_path / "cache")
    assert figs["fixture_figures:dies"][1].startswith("the worker process died")
    for ok in ("fixture_figures:line", "fixture_figures:svg_text"):
        assert figs[ok][1] is None and "<svg" in figs[ok][0]
    assert values["fixture_figures:numbers"][1] is None  # same module, retried on its own


def test_jobs_of_modules_that_import_one_another_share_a_worker_longest_first():
    from mlatlas.site.figures import job_groups

    dt_figure = ("svg", "mlatlas.architectures.figures.decision_transformer:asked_vs_achieved")
    dt_value = ("json", "mlatlas.architectures.decision_transformer:small_run_table")  # trains small_run
    softmax = ("svg", "mlatlas.foundations.figures.softmax:temperature_sweep")
    groups = job_groups([softmax, dt_figure, dt_value])
    assert groups == [[dt_figure, dt_value], [softmax]]  # one training run; guessed longer first
    measured = {f"svg:{softmax[1]}": 9.0, f"json:{dt_value[1]}": 1.0}
    assert job_groups([softmax, dt_figure, dt_value], measured) == [[softmax], [dt_figure, dt_value]]


def test_an_early_pool_starts_only_when_something_must_be_drawn_and_gives_the_same_results(tmp_path):
    from mlatlas.site.figures import early_pool, render_all

    targets, values = ["fixture_figures:line", "fixture_figures:svg_text"], ["fixture_figures:numbers"]
    assert early_pool([], [], tmp_path / "cache") is None  # nothing to draw
    pool = early_pool(targets, values, tmp_path / "cache")  # a first build: no cache yet
    assert pool is not None
    first = render_all(targets, values, tmp_path / "cache", pool=pool)
    assert early_pool(targets, values, tmp_path / "cache") is None  # all three are cached now
    assert render_all(targets, values, tmp_path / "other") == first  # drawn again without the early pool
    assert all(err is None for results in first for _, err in results.values())


def test_figure_cache_is_keyed_by_code(good_site, tmp_path):
    from mlatlas.site.figures import dependency_files, figure_key

    files = (
        {p.name for p in dependency_files("mlatlas.foundations.figures.softmax")}
        if (Path(__file__).parents[2] / "src/mlatlas/foundations/figures/softmax.py").exists()
        else set()
    )
    if files:
        assert "softmax.py" in files and "plotting.py" in files
    key = figure_key("fixture_figures:line")
    assert key == figure_key("fixture_figures:line") and key != figure_key("fixture_figures:svg_text")
    cache = tmp_path / "cache"
    build(good_site, tmp_path / "out", cache)
    assert len(list((cache / "figures").glob("*.svg"))) == 2


def test_every_planted_mistake_is_reported(tmp_path):
    with pytest.raises(BuildError) as err:
        build(FIXTURES / "broken", tmp_path / "out", cache=tmp_path / "cache")
    got = {(p.path.split("fixtures/broken/")[-1], p.line) for p in err.value.problems}
    text = str(err.value)
    expected = [
        ("collections/alpha/bad-yaml.md", 4, "not valid YAML"),
        ("collections/alpha/typo-key.md", 3, "unknown front-matter key `sumary` (did you mean `summary`?)"),
        ("collections/alpha/typo-key.md", 1, "missing required front-matter key `summary`"),
        ("collections/alpha/no-title.md", 1, "missing required front-matter key `title`"),
        ("collections/alpha/twin.md", 1, "duplicate page id `twin`"),
        ("collections/beta/twin.md", 1, "duplicate page id `twin`"),
        (
            "collections/beta/needs-typo.md",
            5,
            "unknown prerequisite `circle-on` (did you mean `circle-one`?)",
        ),
        ("collections/beta/circle-one.md", 5, "prerequisite cycle: circle-one → circle-two → circle-one"),
        ("collections/beta/body-errors.md", 5, "claims verification against `numpy.linalg.eigh`"),
        ("collections/beta/body-errors.md", 10, "broken link `missing-page.md`"),
        ("collections/beta/body-errors.md", 10, "broken anchor `#nowhere` on page `circle-one`"),
        ("collections/beta/body-errors.md", 12, "has no `verifiez` (did you mean `verifies`?)"),
        (
            "collections/beta/body-errors.md",
            15,
            "figure `fixture_figures:broken` failed: RuntimeError: the data file is missing",
        ),
        ("collections/beta/body-errors.md", 19, "needs `:alt:"),
        ("collections/beta/body-errors.md", 23, "Undefined control sequence: \\notamacro"),
        ("collections/beta/body-errors.md", 25, "unknown directive `{widget}`"),
        ("collections/beta/body-errors.md", 28, "must be empty"),
        ("labs/no-script.md", 4, "lab script `no-script/main.js` not found"),
        (
            "checks/test_claims.py",
            4,
            "@verifies names page `body-eror`, which does not exist (did you mean `body-errors`?)",
        ),
    ]
    for path, line, fragment in expected:
        assert (path, line) in got, f"no problem reported at {path}:{line}"
        assert fragment in text, fragment
    assert len(err.value.problems) == len(expected)
    assert not (tmp_path / "out").exists()


def test_one_cache_serving_two_output_folders_never_leaves_a_stale_page(good_site, tmp_path):
    cache = tmp_path / "cache"
    a, b = tmp_path / "a", tmp_path / "b"
    build(good_site, a, cache)
    chapter = good_site / "collections/basics/second.md"
    chapter.write_text(chapter.read_text().replace("Done.", "Done, edited between builds."))
    build(good_site, b, cache)
    build(good_site, a, cache)
    assert "edited between builds" in (a / "basics/second/index.html").read_text()


def test_values_are_computed_formatted_and_cached(good_site, tmp_path):
    cache = tmp_path / "cache"
    out = tmp_path / "out"
    build(good_site, out, cache)
    page = (out / "basics/second/index.html").read_text()
    text = re.sub(r"<[^>]+>", "", page)
    assert "Pi is 3.142, a tolerance\n1.5×10⁻¹², a count 12,345 and a sum\n0.30." in text
    assert 'title="computed by fixture_figures:numbers[pi]"' in page
    assert len(list((cache / "figures").glob("*.json"))) == 2  # one per function, not per use


def test_value_problems_name_the_line(good_site, tmp_path):
    chapter = good_site / "collections/basics/second.md"
    chapter.write_text(
        chapter.read_text()
        + "\nA {value}`fixture_figures:numbers[nope]` and {value}`fixture_figures:numbers:.2f`"
        + " and {value}`fixture_figures:broken` and {value}`fixture_figures:nothere`.\n"
    )
    with pytest.raises(BuildError) as err:
        build(good_site, tmp_path / "out", tmp_path / "cache")
    text = str(err.value)
    assert "has no key `nope`; it has count, pi, tiny" in text
    assert "is a dict or list; pick one item with [key]" in text
    assert "value `fixture_figures:broken` failed: RuntimeError: the data file is missing" in text
    assert "has no `nothere`" in text
    assert {p.line for p in err.value.problems} == {18}


def test_series_across_books_references_page_and_nav_of_present_sections(good_site, tmp_path):
    series = good_site / "collections/threads"
    series.mkdir()
    (series / "index.md").write_text(
        "---\ntitle: Threads\nkind: series\nsummary: Pieces from several books.\norder: 2\n---\n\n"
        "Read across.\n"
    )
    second = good_site / "collections/basics/second.md"
    second.write_text(second.read_text().replace("tags:", "series: [threads]\ntags:"))
    out = tmp_path / "out"
    build(good_site, out)
    threads = (out / "threads/index.html").read_text()
    assert 'href="../basics/second/"' in threads  # listed without being copied
    assert not (out / "threads/second").exists()
    assert "Also in the series" in (out / "basics/second/index.html").read_text()
    assert "Threads" in (out / "series/index.html").read_text()
    refs = (out / "references/index.html").read_text()
    assert "A Paper" in refs and 'href="../basics/first/"' in refs
    home = (out / "index.html").read_text()
    assert 'href="references/"' in home and 'href="series/"' in home
    # a site without series or labs shows no empty nav items
    shutil.rmtree(series)
    second.write_text(second.read_text().replace("series: [threads]\n", ""))
    (good_site / "labs/counter.md").unlink()
    shutil.rmtree(good_site / "labs/counter")
    first = good_site / "collections/basics/first.md"
    first.write_text(first.read_text().replace("the [lab](../../labs/counter.md)", "the lab"))
    build(good_site, tmp_path / "out2")
    home = (tmp_path / "out2/index.html").read_text()
    assert 'href="series/"' not in home and 'href="labs/"' not in home and 'href="library/"' in home


def test_a_series_key_must_name_a_series(good_site, tmp_path):
    second = good_site / "collections/basics/second.md"
    second.write_text(second.read_text().replace("tags:", "series: [basics]\ntags:"))
    with pytest.raises(BuildError) as err:
        build(good_site, tmp_path / "out")
    assert "`series: basics` is not a series" in str(err.value)


def test_dense_figures_are_thinned_without_changing_what_is_drawn():
    import numpy as np

    from mlatlas.site.figures import compact_svg, thin_path

    rng = np.random.default_rng(0)
    xs = np.linspace(10, 410, 20_000)
    ys = 100 + np.cumsum(rng.standard_normal(xs.size))
    d = "M " + " \nL ".join(f"{x:.6f} {y:.6f}" for x, y in zip(xs, ys, strict=True))
    thin = thin_path(d)
    start, moves = thin[1:].split("l")
    nums = [float(v) for v in re.findall(r"-?(?:\d+\.?\d*|\.\d+)", moves)]
    steps = np.array([[float(v) for v in start.split()]] + list(zip(nums[0::2], nums[1::2], strict=True)))
    pts = np.cumsum(steps, axis=0)  # relative moves back to absolute points
    assert len(thin) < len(d) / 8
    # every 0.5-unit column keeps its lowest and highest point (to 0.1), and the ends are kept
    cols = (xs // 0.5).astype(int)
    for c in np.unique(cols)[::97]:
        sel = cols == c
        kept = pts[(pts[:, 0] >= c * 0.5 - 0.051) & (pts[:, 0] <= (c + 1) * 0.5 + 0.051)]  # x to 0.1
        # the widened window may include a neighbour's points: the column's extremes are within it
        assert kept[:, 1].min() <= ys[sel].min() + 0.051
        assert kept[:, 1].max() >= ys[sel].max() - 0.051
    assert tuple(pts[0]) == (10.0, round(ys[0], 1))
    np.testing.assert_allclose(pts[-1], (410.0, round(ys[-1], 1)), atol=1e-9)  # no drift along the line
    assert thin_path("M 1 2 L 1.55 2.04 L 1.55 2.04 L 3 0.5 L -1 -1") == "M1 2l.6 0 1.4-1.5-4-1.5"
    assert thin_path("M 10 10 L 10 10") == "M10 10l0 0"  # a dot keeps its cap
    uses = "".join(
        f'\n <use xlink:href="#m1" x="{i}.123456" y="2.654321" style="fill: #123456"/>' for i in range(20)
    )
    svg = compact_svg(f"<svg>{uses}</svg>")
    assert svg.count('style="fill: #123456"') == 1 and '<use xlink:href="#m1" x="3.1" y="2.7"/>' in svg
    assert compact_svg(svg) == svg  # once only
    raw = (
        '<svg>\n <g id="text_1">\n  <!-- $W_t$ -->\n  <text x="52.812363" y="9.195073" '
        'transform="rotate(-0 52.812363 9.195073)">0.0</text>\n </g>\n'
        ' <clipPath id="p1"><rect x="3.00024" width="411.101392"/></clipPath>\n</svg>'
    )
    assert compact_svg(raw).endswith(
        '<svg><g><text x="52.8" y="9.2">0.0</text></g>'
        '<clipPath id="p1"><rect x="3" width="411.1"/></clipPath></svg>'
    )  # bookkeeping gone, referenced ids kept, positions to 0.1


def test_embedded_photographs_become_jpeg_and_flat_images_stay_png():
    import base64
    import io

    import numpy as np
    from PIL import Image

    from mlatlas.site.figures import compact_svg

    def embedded(pixels: np.ndarray) -> str:
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, format="PNG")
        data = base64.b64encode(buf.getvalue()).decode()
        return f'<svg><image xlink:href="data:image/png;base64,{data}"/></svg>'

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:160, 0:160]
    smooth = np.stack([xx, yy, (xx + yy) // 2], axis=-1).astype(float)  # a photograph-like gradient + grain
    photo = np.clip(smooth + rng.normal(0, 12, smooth.shape), 0, 255).astype(np.uint8)
    heatmap = np.kron(rng.integers(0, 255, (8, 8, 1)), np.ones((20, 20, 3))).astype(np.uint8)  # 64 flat cells
    small_photo = compact_svg(embedded(photo))
    assert "data:image/jpeg;base64," in small_photo and len(small_photo) < len(embedded(photo)) / 2
    assert "data:image/png;base64," in compact_svg(embedded(heatmap))  # flat colours keep exact PNG
