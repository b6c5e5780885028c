"""The data that flows through the pipeline: plain frozen dataclasses, no behaviour beyond lookups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Reference:
    text: str  # "Vaswani et al., 2017. Attention Is All You Need." (already formatted)
    url: str | None = None


@dataclass(frozen=True)
class TimelineEntry:
    stage: str
    title: str
    text: str


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class SiteConfig:
    root: Path  # the site folder
    title: str
    tagline: str = ""
    author: str = ""
    description: str = ""
    base_url: str = "http://127.0.0.1:8000/"
    tests: Path | None = None  # folder whose test files declare `verifies(...)`
    python_path: tuple[Path, ...] = ()  # folders directives and demos import from (site's src/, itself)
    links: tuple[Link, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()


@dataclass(frozen=True)
class Page:
    """One markdown source: a chapter, a collection index, an exploration, a lab, or the about page."""

    id: str
    kind: str  # "chapter" | "collection" | "exploration" | "lab" | "about"
    path: Path  # the source file
    title: str
    body: str  # markdown without front matter
    body_line: int  # line number (1-based) of the body's first line in the file
    summary: str = ""
    collection: str | None = None  # for chapters: the collection id
    order: int = 0
    prerequisites: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    date: dt.date | None = None
    references: tuple[Reference, ...] = ()
    verified: tuple[str, ...] = ()
    demo: str | None = None
    exercises: tuple[str, ...] = ()  # `module:symbol`s a learner re-implements (`mlatlas exercise`)
    series: tuple[str, ...] = ()  # series (collection ids of kind "series") this page also belongs to
    script: str | None = None  # labs: entry module relative to labs/
    collection_kind: str | None = None  # for collection indexes: "book" | "series"
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def url(self) -> str:
        """Site-relative URL of the page's directory (always ends with '/')."""
        if self.kind == "chapter":
            return f"{self.collection}/{self.id}/"
        if self.kind == "collection":
            return f"{self.id}/"
        if self.kind == "exploration":
            return f"explorations/{self.id}/"
        if self.kind == "lab":
            return f"labs/{self.id}/"
        return "about/"

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    pages: tuple[Page, ...]

    def by_id(self) -> dict[str, Page]:
        return {p.id: p for p in self.pages}

    def of_kind(self, kind: str) -> list[Page]:
        return [p for p in self.pages if p.kind == kind]

    def collections(self) -> list[Page]:
        return sorted(self.of_kind("collection"), key=lambda p: (p.order, p.title))

    def chapters_of(self, collection_id: str) -> list[Page]:
        return sorted(
            (p for p in self.pages if p.kind == "chapter" and p.collection == collection_id),
            key=lambda p: (p.order, p.title),
        )

    def series_members(self, series_id: str) -> list[Page]:
        """Pages of other collections that also belong to this series (front matter `series:`)."""
        return [p for p in self.pages if series_id in p.series and p.collection != series_id]
