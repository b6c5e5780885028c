"""How a test declares what it verifies, so a chapter can show it.

A test that checks an implementation against an independent reference says so with a decorator::

    TOL = 1e-12

    @verifies("softmax", against="torch.softmax", tol=TOL)
    def test_softmax_matches_torch():
        ...
        torch.testing.assert_close(ours, ref, rtol=TOL, atol=TOL)

The site engine reads these declarations *statically* (it parses the test files, it does not import
them), so every argument must be a literal or a module-level constant of the test file. The chapter
with id ``page`` then shows "Verified against torch.softmax, tolerance 1e-12", and ``mlatlas check``
fails when a chapter's front matter claims (``verified: [...]``) a reference that no test declares.

The decorator itself only records the claim on the function; it changes nothing about how the test
runs, so a declaration never hides a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class Verification:
    """One declared check: page id, the reference compared against, and the tolerance used."""

    page: str
    against: str
    tol: float | str | None = None
    note: str | None = None


def verifies(
    page: str, *, against: str, tol: float | str | None = None, note: str | None = None
) -> Callable[[F], F]:
    """Mark a test as verifying page ``page`` against the reference ``against`` within ``tol``.

    ``tol`` is the tolerance the test asserts with (a number, or a short string such as
    ``"rtol 1e-5, atol 1e-6"``); ``note`` is an optional short qualifier shown after it
    (e.g. ``"float64, 60 steps"``).
    """
    if not isinstance(page, str) or not page:
        raise ValueError("verifies(page, ...): page must be the page id of a chapter, e.g. 'softmax'")
    if not isinstance(against, str) or not against:
        raise ValueError("verifies(..., against=...): name the reference, e.g. 'torch.softmax'")
    record = Verification(page=page, against=against, tol=tol, note=note)

    def mark(fn: F) -> F:
        existing = list(getattr(fn, "__mlatlas_verifies__", ()))
        fn.__mlatlas_verifies__ = (*existing, record)  # type: ignore[attr-defined]
        return fn

    return mark
