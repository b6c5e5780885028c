"""The committed golden vectors (tests/js/golden/*.json) are fresh: regenerating them from the
package gives the same numbers. If this fails, the package changed: run
``python -m mlatlas.labs.golden`` and then ``node --test tests/js`` to see whether the labs agree."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from mlatlas.labs.golden import GOLDEN_DIR, GOLDENS, build, first_difference, main

RTOL = 1e-12  # regenerated on another machine, BLAS summation order may differ in the last bits


@pytest.mark.parametrize("name", list(GOLDENS))
def test_committed_goldens_are_fresh(name):
    path = GOLDEN_DIR / f"{name}.json"
    assert path.exists(), f"{path} is missing: run python -m mlatlas.labs.golden"
    committed = json.loads(path.read_text())
    fresh = json.loads(json.dumps(build(name)))  # the same float round trip as the files
    diff = first_difference(fresh, committed, RTOL)
    assert diff is None, f"{name}.json is stale at {diff}: run python -m mlatlas.labs.golden"


def test_goldens_are_finite_and_small():
    for name in GOLDENS:
        text = (GOLDEN_DIR / f"{name}.json").read_text()
        assert "NaN" not in text and "Infinity" not in text
        assert len(text) < 200_000


def test_writer_check_mode_reports_stale_files(tmp_path):
    assert main(["--out", str(tmp_path), "rng"]) == 0
    assert main(["--out", str(tmp_path), "--check", "rng"]) == 0
    (tmp_path / "rng.json").write_text("{}\n")
    assert main(["--out", str(tmp_path), "--check", "rng"]) == 1


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_suites_pass():
    """The JS cores agree with the goldens (the same check as `node --test tests/js`)."""
    proc = subprocess.run(["node", "--test", str(GOLDEN_DIR.parent)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
