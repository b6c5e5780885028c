"""Problems found while building: every stage collects them instead of stopping at the first.

A problem names the file and line and says what to do. The build reports all of them in one run,
as ``file:line: message``, and only then gives up (leaving the previous output untouched).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    severity: str = "error"  # "error" fails the build; "warning" is printed

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        tag = "" if self.severity == "error" else "warning: "
        return f"{where}: {tag}{self.message}"


class BuildError(Exception):
    """Raised at the end of a stage that found errors; carries all of them."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as the author would type it: relative to the current directory when possible."""
    return _display(str(path), os.getcwd(), str(root) if root is not None else None)


@lru_cache(maxsize=4096)
def _display(path: str, cwd: str, root: str | None) -> str:
    full = Path(path).resolve()
    for base in (cwd, root):
        if base is None:
            continue
        try:
            return str(full.relative_to(Path(base).resolve()))
        except ValueError:
            continue
    return path


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean `x`?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""
