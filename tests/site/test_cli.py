"""The `mlatlas` command as a user types it."""

import shutil
from pathlib import Path

from typer.testing import CliRunner

from mlatlas.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def test_check_reports_every_problem_as_file_line_message_and_exits_1(tmp_path):
    result = runner.invoke(app, ["check", str(FIXTURES / "broken")])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ".md:" in ln or ".py:" in ln]
    assert len(lines) >= 19
    assert any(ln.endswith("unknown prerequisite `circle-on` (did you mean `circle-one`?)") for ln in lines)
    assert "problems found; nothing was written" in result.output


def test_build_and_check_the_good_fixture(tmp_path):
    site = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", site)
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(site), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists() and "built 6 pages" in result.output
    result = runner.invoke(app, ["check", str(site)])
    assert result.exit_code == 0 and "no problems" in result.output


def test_path_and_list(tmp_path):
    result = runner.invoke(app, ["path", "long-read", str(FIXTURES / "good")])
    assert result.exit_code == 0
    order = [ln.split()[1] for ln in result.output.strip().splitlines()]
    assert order == ["first", "second", "long-read"]
    result = runner.invoke(app, ["path", "secnd", str(FIXTURES / "good")])
    assert result.exit_code == 2 and "did you mean `second`" in result.output
    result = runner.invoke(app, ["list", str(FIXTURES / "good")])
    assert "Basics (book, id basics)" in result.output and "first" in result.output


def test_new_site_then_chapter_lab_exploration_all_build(tmp_path):
    site = tmp_path / "my-notes"
    assert runner.invoke(app, ["new", "site", str(site)]).exit_code == 0
    for kind, rel in [
        ("chapter", "collections/basics/entropy.md"),
        ("lab", "labs/dice.md"),
        ("exploration", "explorations/a-long-look.md"),
    ]:
        r = runner.invoke(app, ["new", kind, str(site / rel)])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["build", str(site), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out/basics/entropy/index.html").exists()
    assert (tmp_path / "out/labs/dice/main.js").exists()
    r = runner.invoke(app, ["new", "chapter", str(site / "collections/basics/Bad Name.md")])
    assert r.exit_code == 2 and "lowercase words" in r.output
    r = runner.invoke(app, ["new", "site", str(site)])
    assert r.exit_code == 2 and "not empty" in r.output


def test_run_explains_unknown_pages_and_pages_without_demo():
    r = runner.invoke(app, ["run", "secnd", "--site", str(FIXTURES / "good")])
    assert r.exit_code == 2 and "did you mean `second`" in r.output
    r = runner.invoke(app, ["run", "second", "--site", str(FIXTURES / "good")])
    assert r.exit_code == 2 and "has no demo" in r.output and "first" in r.output


def test_missing_folder_is_a_clear_error(tmp_path):
    r = runner.invoke(app, ["check", str(tmp_path / "nope")])
    assert r.exit_code == 1 and "no such folder" in r.output


def test_run_passes_nproc_to_a_demo_that_takes_it(tmp_path):
    import shutil

    site = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", site)
    first = site / "collections/basics/first.md"
    first.write_text(first.read_text().replace("mlatlas.verification:verifies", "fixture_figures:demo_nproc"))
    r = runner.invoke(app, ["run", "first", "--site", str(site), "--nproc", "3"])
    assert r.exit_code == 0, r.output
    assert "demo ran with nproc=3" in r.output
    first.write_text(first.read_text().replace("fixture_figures:demo_nproc", "fixture_figures:line"))
    r = runner.invoke(app, ["run", "first", "--site", str(site), "--nproc", "2"])
    assert r.exit_code == 2 and "takes no `nproc` argument" in r.output
