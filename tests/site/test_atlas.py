"""The bundled atlas itself: it builds with no problems and no warnings, and covers TOPICS.md."""

from pathlib import Path

import pytest

from mlatlas.site.build import build_site, default_cache_dir
from mlatlas.site.load import load_site

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content"
TOPICS = REPO.parent / "shared" / "TOPICS.md"
# Sections of TOPICS.md that have been taken on so far (one issue each); the others come later.
IN_SCOPE = {
    "Foundations (series)": "foundations",
    "Hardware & Compute (series)": "hardware",
    "Transformers (book)": "transformers",
    "Graph Neural Networks (book)": "gnn",
    "Probability, Stochastic Processes & Optimal Transport (book)": "stochastic",
    "Probabilistic ML (book)": "probabilistic",
    "Efficiency & Distributed training (series)": "distributed",
    "Reinforcement Learning (book)": "rl",
    "Deep Learning (book)": "deep-learning",
    "Classical Machine Learning (book)": "classical",
    "Generative Models (book)": "generative",
    "Architecture explainers (series)": "architectures",
}


def topic_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    section = None
    for line in TOPICS.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif (
            section in IN_SCOPE
            and line.startswith("| ")
            and not line.startswith("| id")
            and "---" not in line
        ):
            cell = line.split("|")[1].strip()
            rows.setdefault(section, []).extend(x.strip() for x in cell.split("/"))
    return rows


@pytest.mark.xdist_group("atlas")
def test_atlas_builds_with_zero_warnings(atlas_build):
    assert (atlas_build / "index.html").exists()
    result = build_site(CONTENT, atlas_build, cache_dir=default_cache_dir(CONTENT))  # warm rebuild
    assert result.warnings == ()
    assert result.files_changed == 0


@pytest.mark.xdist_group("atlas")
def test_no_page_is_over_300_kb(atlas_build):
    """Issue 16's page-weight budget: figures are inline SVG, so a dense plot must be thinned."""
    heavy = {
        str(p.relative_to(atlas_build)): p.stat().st_size // 1000
        for p in atlas_build.rglob("*.html")
        if p.stat().st_size > 300_000
    }
    assert not heavy, f"pages over 300 KB: {heavy}"


@pytest.mark.skipif(not TOPICS.exists(), reason="../shared/TOPICS.md is not beside the repository")
def test_every_in_scope_topic_has_a_page():
    site, problems = load_site(CONTENT)
    assert problems == []
    ids = site.by_id()
    missing = []
    for section, topic_ids in topic_rows().items():
        for tid in topic_ids:
            pid = IN_SCOPE[section] if tid == "start-here" else tid
            if pid not in ids:
                missing.append(f"{section}: {tid}")
    assert not missing, "pages missing for: " + ", ".join(missing)
    for pid in ["wasserstein-visual-guide", "how-an-llm-processes-an-image", "regime-detection-notebook"]:
        assert pid in ids and ids[pid].kind == "exploration", pid
    # Page ids are unique site-wide, so the Brownian-motion lab is `brownian-motion-lab` beside the chapter.
    for lab in [
        "neural-network",
        "gradient-descent",
        "distribution-morphing",
        "attention-heatmap",
        "brownian-motion-lab",
        "noise-to-data",
    ]:
        assert lab in ids and ids[lab].kind == "lab", lab


def test_every_tested_chapter_claims_what_its_tests_declare():
    """Chapters show badges from their tests; a chapter with tests should also say so in `verified`."""
    from mlatlas.site.verifications import scan_tests

    site, _ = load_site(CONTENT)
    declared, problems = scan_tests(site.config.tests)
    assert problems == []
    by_page: dict[str, set[str]] = {}
    for d in declared:
        by_page.setdefault(d.page, set()).add(d.against)
    unclaimed = [
        f"{p.id}: {sorted(by_page[p.id] - set(p.verified))}"
        for p in site.pages
        if p.id in by_page and not by_page[p.id] <= set(p.verified)
    ]
    assert not unclaimed, "tests verify more than these chapters claim: " + "; ".join(unclaimed)
