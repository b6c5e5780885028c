"""The `mlatlas` command as a user types it."""

import shutil
import subprocess
import sys
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
    r = runner.invoke(app, ["new", "chapter", str(site / "collections/graphs/walks.md")])
    assert r.exit_code == 0 and (site / "collections/graphs/index.md").exists()  # the new collection's index
    r = runner.invoke(app, ["build", str(site), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out/basics/entropy/index.html").exists()
    assert (tmp_path / "out/graphs/walks/index.html").exists()
    assert (tmp_path / "out/labs/dice/main.js").exists()
    # the site's own code works out of the box: code, figure, value and the badge from its tests/
    first = (tmp_path / "out/basics/first-chapter/index.html").read_text()
    assert "my_notes.<wbr>softmax:<wbr>softmax" in first and '<svg role="img"' in first
    assert 'title="computed by my_notes.figures:largest_weight">0.659</span>' in first
    assert "Verified against <strong>math.fsum</strong>" in first
    assert "mlatlas exercise first-chapter" in first
    r = runner.invoke(app, ["new", "chapter", str(site / "collections/basics/Bad Name.md")])
    assert r.exit_code == 2 and "lowercase words" in r.output
    r = runner.invoke(app, ["new", "site", str(site)])
    assert r.exit_code == 2 and "not empty" in r.output


def test_an_authors_edit_to_their_own_code_redraws_its_figures_and_values(tmp_path):
    """The figure cache is keyed by the code a figure reaches, the site's own packages included
    (it once hashed only mlatlas modules, so an author's edit kept the stale number)."""
    site = tmp_path / "notes"
    assert runner.invoke(app, ["new", "site", str(site)]).exit_code == 0
    page = tmp_path / "out/basics/first-chapter/index.html"

    def shown() -> str:
        r = runner.invoke(app, ["build", str(site), "--out", str(tmp_path / "out")])
        assert r.exit_code == 0, r.output
        return page.read_text().split('title="computed by notes.figures:largest_weight">')[1][:5]

    assert shown() == "0.659"
    figures = site / "src/notes/figures.py"
    figures.write_text(figures.read_text().replace("[2.0, 1.0, 0.1]", "[3.0, 1.0, 0.1]"))
    assert shown() == "0.840"  # softmax([3, 1, 0.1])'s largest weight
    softmax = site / "src/notes/softmax.py"  # a module the figures import
    softmax.write_text(softmax.read_text() + "\n\ndef unused():\n    return None\n")
    before = {p.name for p in (site / ".mlatlas-cache/figures").glob("*.json")}
    assert shown() == "0.840"
    assert {p.name for p in (site / ".mlatlas-cache/figures").glob("*.json")} - before  # recomputed


def test_run_explains_unknown_pages_and_pages_without_demo():
    r = runner.invoke(app, ["run", "secnd", "--site", str(FIXTURES / "good")])
    assert r.exit_code == 2 and "did you mean `second`" in r.output
    r = runner.invoke(app, ["run", "second", "--site", str(FIXTURES / "good")])
    assert r.exit_code == 2 and "has no demo" in r.output and "first" in r.output


def test_missing_folder_is_a_clear_error(tmp_path):
    r = runner.invoke(app, ["check", str(tmp_path / "nope")])
    assert r.exit_code == 1 and "no such folder" in r.output


def test_run_passes_nproc_to_a_demo_that_takes_it(tmp_path):
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


EXERCISE_TEST = """
import torch

from mlatlas.foundations.softmax import softmax
from mlatlas.verification import verifies


@verifies("first", against="torch.softmax", tol=1e-12, note="float64")
def test_softmax_matches_torch():
    z = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]], dtype=torch.float64)
    torch.testing.assert_close(softmax(z), torch.softmax(z, -1), rtol=0, atol=1e-12)
"""

CORRECT = """
import torch


def softmax(z, dim=-1, temperature=1.0):
    s = z / temperature
    e = torch.exp(s - s.amax(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)
"""

WRONG = CORRECT.replace("e.sum(dim=dim, keepdim=True)", "e.sum()")  # normalises over everything


def test_exercise_writes_a_starter_and_checks_a_learner_file(tmp_path):
    site = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", site)
    first = site / "collections/basics/first.md"
    first.write_text(
        first.read_text().replace("demo:", "exercises: [mlatlas.foundations.softmax:softmax]\ndemo:")
    )
    (site / "checks/test_exercise.py").write_text(EXERCISE_TEST)
    work = tmp_path / "work"
    r = runner.invoke(app, ["exercise", "first", "--site", str(site), "--out", str(work)])
    assert r.exit_code == 0, r.output
    starter = work / "first_exercise.py"
    text = starter.read_text()
    assert "def softmax(z: torch.Tensor, dim: int = -1, temperature: float = 1.0) -> torch.Tensor:" in text
    assert "p_i = exp(z_i / T)" in text and 'raise NotImplementedError("write softmax here")' in text
    assert "import torch" in text
    compile(text, str(starter), "exec")
    r = runner.invoke(app, ["exercise", "first", "--site", str(site), "--out", str(work)])
    assert r.exit_code == 2 and "may hold your work" in r.output  # never overwrites the learner's file

    def check(code: str):
        learner = tmp_path / "mine.py"
        learner.write_text(code)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "mlatlas.cli",
                "exercise",
                "first",
                "--site",
                str(site),
                "--check",
                str(learner),
            ],
            capture_output=True,
            text=True,
        )
        return proc.returncode, proc.stdout + proc.stderr

    rc, out = check(CORRECT)
    assert rc == 0, out
    assert "test_softmax_matches_torch PASSED" in out
    rc, out = check(WRONG)
    assert rc == 1 and "test_softmax_matches_torch FAILED" in out
    assert "reference vs yours" in out and "reference: [[0.090031" in out and "yours:" in out
    rc, out = check(starter.read_text())
    assert rc == 1 and "NotImplementedError" in out


def test_exercise_symbols_are_validated(tmp_path):
    site = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", site)
    second = site / "collections/basics/second.md"
    second.write_text(
        second.read_text().replace("tags:", "exercises: [mlatlas.foundations.softmax:sofmax]\ntags:")
    )
    r = runner.invoke(app, ["check", str(site)])
    assert r.exit_code == 1
    assert "exercise `mlatlas.foundations.softmax:sofmax`" in r.output
    assert 'no test declares @verifies("second", ...)' in r.output
