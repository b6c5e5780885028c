"""Front matter, site.toml and whole-site validation: every mistake is found, with its location."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlatlas.site.load import load_page, load_site, split_front_matter
from mlatlas.site.validate import validate_site
from mlatlas.site.verifications import scan_tests

FIXTURES = Path(__file__).parent / "fixtures"


def write(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_split_front_matter_reports_body_line():
    meta, body, line = split_front_matter("---\ntitle: T\n---\nBody\n")
    assert meta == "title: T" and body == "Body\n" and line == 4


def test_valid_chapter_loads(tmp_path):
    p = write(
        tmp_path,
        "---\ntitle: T\nsummary: S\norder: 2\nprerequisites: [a]\ntags: [Math]\n"
        "date: 2026-01-02\nreferences:\n  - {authors: X, year: 2017, title: Y, arxiv: '1706.03762'}\n"
        "---\nHello\n",
    )
    page, problems = load_page(p, "chapter", tmp_path, collection="c")
    assert problems == []
    assert page.order == 2 and page.tags == ("math",) and page.prerequisites == ("a",)
    assert page.references[0].url == "https://arxiv.org/abs/1706.03762"
    assert page.body_line == 11 and page.line_of("prerequisites") == 5


def test_unknown_key_suggests_near_name_with_line(tmp_path):
    p = write(tmp_path, "---\ntitle: T\nsummary: S\norder: 1\nprerequisits: [a]\n---\n")
    _, problems = load_page(p, "chapter", tmp_path)
    assert len(problems) == 1
    assert problems[0].line == 5 and "did you mean `prerequisites`" in problems[0].message


def test_missing_and_mistyped_keys(tmp_path):
    p = write(tmp_path, "---\ntitle: T\norder: first\n---\n")
    _, problems = load_page(p, "chapter", tmp_path)
    msgs = sorted(pr.message for pr in problems)
    assert any("missing required front-matter key `summary`" in m for m in msgs)
    assert any("`order`" in m and "first" in m for m in msgs)


def test_yaml_error_has_line(tmp_path):
    p = write(tmp_path, "---\ntitle: T\nsummary: [oops\norder: 1\n---\n")
    _, problems = load_page(p, "chapter", tmp_path)
    assert problems[0].line in (3, 4) and "not valid YAML" in problems[0].message


def test_no_front_matter(tmp_path):
    p = write(tmp_path, "# Just markdown\n")
    _, problems = load_page(p, "chapter", tmp_path)
    assert "no front matter" in problems[0].message


def test_bad_page_id(tmp_path):
    p = write(tmp_path, "---\ntitle: T\nsummary: S\norder: 1\n---\n", name="Bad_Name.md")
    _, problems = load_page(p, "chapter", tmp_path)
    assert "lowercase words joined by hyphens" in problems[0].message


def test_site_toml_problems(tmp_path):
    (tmp_path / "site.toml").write_text('title = "x"\ntagline = "y"\nbase_ulr = "z"\n')
    _, problems = load_site(tmp_path)
    assert any(p.line == 3 and "did you mean `base_url`" in p.message for p in problems)
    (tmp_path / "site.toml").write_text('title = "x\n')
    _, problems = load_site(tmp_path)
    assert "not valid TOML" in problems[0].message


keys = st.sampled_from(
    [
        "title",
        "summary",
        "order",
        "prerequisites",
        "tags",
        "date",
        "references",
        "verified",
        "demo",
        "sumary",
        "x",
        "orderr",
    ]
)
values = st.one_of(
    st.text(max_size=20),
    st.integers(),
    st.lists(st.text(max_size=8), max_size=3),
    st.none(),
    st.dates().map(str),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(keys, values, max_size=8), st.text(max_size=200))
def test_front_matter_never_crashes(tmp_path, meta, body):
    import yaml

    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body
    p = write(tmp_path, text, name="fuzz.md")
    page, problems = load_page(p, "chapter", tmp_path, collection="c")
    # Either the page loads, or there is at least one located, non-empty problem (never an exception).
    assert page is not None or problems
    required_ok = {"title", "summary", "order"} <= meta.keys()
    if not required_ok:
        assert page is None and any("missing required" in pr.message for pr in problems)
    for pr in problems:
        assert pr.line >= 1 and pr.message and pr.path.endswith("fuzz.md")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_arbitrary_front_matter_text_gives_located_errors(tmp_path, junk):
    p = write(tmp_path, "---\n" + junk.replace("---", "- - -") + "\n---\nbody\n", name="junk.md")
    page, problems = load_page(p, "chapter", tmp_path)
    assert page is not None or problems
    for pr in problems:
        assert pr.line >= 1


def test_whole_site_validation_on_the_broken_fixture():
    site, problems = load_site(FIXTURES / "broken")
    declared, scan_problems = scan_tests(site.config.tests)
    problems += scan_problems + validate_site(site, declared)
    text = "\n".join(str(p) for p in problems)
    assert "duplicate page id `twin`" in text
    assert "unknown prerequisite `circle-on` (did you mean `circle-one`?)" in text
    assert "prerequisite cycle: circle-one → circle-two → circle-one" in text
    assert "claims verification against `numpy.linalg.eigh` but no test declares it" in text
    assert "@verifies names page `body-eror`, which does not exist (did you mean `body-errors`?)" in text


def test_verifications_are_read_statically(tmp_path):
    (tmp_path / "test_x.py").write_text(
        "from mlatlas.verification import verifies\nTOL = 1e-10\nimport not_installed_anywhere\n\n"
        "@verifies('p', against='ref.lib', tol=TOL, note='float64')\ndef test_a():\n    pass\n\n"
        "@verifies('p', against=some_call())\ndef test_b():\n    pass\n"
    )
    found, problems = scan_tests(tmp_path)
    assert [(d.page, d.against, d.tol, d.note) for d in found] == [("p", "ref.lib", 1e-10, "float64")]
    assert found[0].describe() == "ref.lib, tolerance 1e-10 (float64)"
    assert (
        len(problems) == 1
        and problems[0].line == 9
        and "literals or module-level constants" in problems[0].message
    )
