"""String in, string out: each markdown extension of the engine on its own."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.site.markdown import LinkContext, fill, make_parser, render_body, slugify

ROOT = Path("/tmp/site-root")


def render(text: str, pages=None, page="collections/c/here.md"):
    ctx = LinkContext(root=ROOT, page_path=ROOT / page, prefix="../../", pages_by_path=pages or {})
    return render_body(make_parser(), text, 0, ctx)


def test_inline_and_display_math_become_placeholders_with_lines():
    d = render("intro\n\nEnergy $E = mc^2$ here.\n\n$$\n\\sum_i x_i\n$$\n")
    assert [(f.tex, f.display, line) for f, line in d.formulas] == [
        ("E = mc^2", False, 3),
        ("\\sum_i x_i", True, 5),
    ]
    html = fill(d.html, ["<M0>", "<M1>"], [])
    assert "<M0>" in html and '<div class="math-display" tabindex="0"><M1></div>' in html
    assert "$" not in html


def test_dollar_amounts_are_not_math():
    d = render("It costs $5 and $10 today.")
    assert d.formulas == []
    assert "$5" in d.html


def test_admonition_with_title():
    d = render("::: warning Numerical trap\nOverflow.\n:::\n")
    assert '<aside class="admonition warning" role="note">' in d.html
    assert "Numerical trap" in d.html and "Overflow." in d.html


def test_tables_and_footnotes():
    d = render("| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^n].\n\n[^n]: The note.\n")
    assert "<table>" in d.html and "<td>1</td>" in d.html
    assert 'class="footnote-ref"' in d.html and "The note." in d.html


def test_heading_anchors_and_toc():
    d = render("## The Layer, explained\n\n### Sub part\n")
    assert ("the-layer-explained" in d.anchors) and ("sub-part" in d.anchors)
    assert d.toc == [(2, "the-layer-explained", "The Layer, explained"), (3, "sub-part", "Sub part")]


def test_code_directive_shows_source_of_symbol():
    d = render("```{code} mlatlas.verification:verifies\n```\n")
    assert d.problems == []
    assert "mlatlas.<wbr>verification:<wbr>verifies" in d.html  # the label may wrap on a phone
    assert "__mlatlas_verifies__" in d.html  # the real body, read from the file


def test_code_directive_unknown_symbol_suggests():
    d = render("x\n\n```{code} mlatlas.verification:verifiez\n```\n")
    assert d.problems == [
        (3, "code directive: `mlatlas.verification` has no `verifiez` (did you mean `verifies`?)")
    ]


def test_code_directive_unknown_module():
    d = render("```{code} mlatlas.nowhere_at_all:thing\n```\n")
    assert len(d.problems) == 1 and "no Python module `mlatlas.nowhere_at_all`" in d.problems[0][1]


def test_code_directive_rejects_pasted_code():
    d = render("```{code} mlatlas.verification:verifies\ndef f(): pass\n```\n")
    assert any("must be empty" in m for _, m in d.problems)


def test_figure_directive_records_target_alt_and_caption():
    d = render("```{figure} fixture_figures:line\n:alt: A parabola\nThe curve $y=x^2$.\n```\n")
    assert d.problems == []
    assert d.figures == [("fixture_figures:line", "A parabola", 1)]
    assert "<figcaption>The curve" in d.html and len(d.formulas) == 1


def test_figure_directive_needs_alt():
    d = render("```{figure} fixture_figures:line\n```\n")
    assert any(":alt:" in m for _, m in d.problems)


def test_unknown_directive():
    d = render("```{widget} x\n```\n")
    assert d.problems and "unknown directive `{widget}`" in d.problems[0][1]


def test_plain_fences_are_highlighted():
    d = render("```python\nx = 1\n```\n")
    assert '<span class="n">x</span>' in d.html


def test_links_to_pages_are_rewritten_and_anchors_recorded():
    pages = {
        (ROOT / "collections/c/other.md"): ("other", "c/other/"),
        (ROOT / "labs/lab.md"): ("lab", "labs/lab/"),
    }
    d = render("[o](other.md#part-two) [l](../../labs/lab.md) [x](https://example.org) [s](#top)", pages)
    assert 'href="../../c/other/#part-two"' in d.html
    assert 'href="../../labs/lab/"' in d.html
    assert 'href="https://example.org"' in d.html
    assert ("other", "part-two", 1) in d.links and ("", "top", 1) in d.links
    assert d.problems == []


def test_broken_and_server_absolute_links_are_problems():
    d = render("[a](missing.md)\n\n[b](/abs/path)")
    msgs = [m for _, m in d.problems]
    assert any("broken link `missing.md`" in m for m in msgs)
    assert any("absolute to the server" in m for m in msgs)


def test_slugify():
    assert slugify("Why $O(T)$ memory?") == "why-ot-memory"
    assert slugify("") == "section"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_render_never_crashes(text):
    d = render(text)
    assert isinstance(d.html, str)
    for line, msg in d.problems:
        assert line >= 1 and msg


def test_value_role_becomes_a_placeholder_with_target_key_and_format():
    d = render(
        "A {value}`fixture_figures:numbers[pi]:.3f` and {value}`fixture_figures:scalar`.\n\n"
        "`{value}` stays code."
    )
    assert d.problems == []
    assert d.values == [("fixture_figures:numbers", "pi", ".3f", 1), ("fixture_figures:scalar", None, "", 1)]
    assert fill(d.html, [], [], ["3.142", "0.3"]).startswith("<p>A 3.142 and 0.3.</p>")
    assert "<code>{value}</code>" in d.html


def test_value_role_problems():
    d = render("{value}`not a target` and {value}`fixture_figures:absent`")
    assert [m.split(":")[0] for _, m in d.problems] == ["value `not a target`", "value"]


def test_format_value():
    from mlatlas.site.figures import format_value

    assert format_value(1.23456e-5, None, "") == "1.235×10⁻⁵"
    assert format_value(1e-10, None, ".0e") == "10⁻¹⁰"
    assert format_value(0.5, None, ".1%") == "50.0%"
    assert format_value(-3.25, None, "") == "−3.25"
    assert format_value([4, 5], "1", "d") == "5"
    assert format_value(float("inf"), None, "") == "∞"


def test_inline_math_spanning_lines_is_not_split_by_block_syntax():
    text = (
        "The divergence $S = W(a, b) - \\frac12 W(a, a)\n- \\frac12 W(b, b)$ is zero.\n\n"
        "- It costs $5\n- and $10\n"
    )
    d = render(text)
    assert [f.tex.split()[0] for f, _ in d.formulas] == ["S"]
    assert "\\frac12 W(b, b)" in d.formulas[0][0].tex
    assert d.html.count("<li>") == 2 and "$5" in d.html  # a real list with dollar amounts is left alone


def test_figure_caption_links_are_rewritten_and_checked():
    pages = {(ROOT / "collections/c/there.md").resolve(): ("there", "c/there/")}
    d = render(
        "```{figure} fixture_figures:line\n:alt: A line\nSee [there](there.md) and [gone](gone.md).\n```\n",
        pages,
    )
    assert 'href="../../c/there/"' in d.html
    assert [(line, m.split(":")[0]) for line, m in d.problems] == [(3, "broken link `gone.md`")]
