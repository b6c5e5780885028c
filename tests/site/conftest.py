# The fixture sites contain test-shaped files that are read (not run) by the engine.
collect_ignore_glob = ["fixtures/*"]

import os  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def atlas_build(tmp_path_factory) -> Path:
    """The bundled atlas built once per session; MLATLAS_TEST_CONTENT may name another content folder
    (e.g. a `git archive` of the last commit, while others edit the working tree)."""
    from mlatlas.site.build import build_site, default_cache_dir

    repo = Path(__file__).resolve().parents[2]
    content = Path(os.environ.get("MLATLAS_TEST_CONTENT", repo / "content"))
    out = tmp_path_factory.mktemp("atlas") / "site"
    build_site(content, out, cache_dir=default_cache_dir(repo / "content"))
    return out
