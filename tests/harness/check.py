"""Assertions for the harness tests: on failure they say what was checked, what was
expected and what was seen (a CheckFailed, which the runner prints)."""
from __future__ import annotations

import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "experiments"))


class CheckFailed(Exception):
    pass


def check(cond: bool, what: str) -> None:
    if not cond:
        raise CheckFailed(what)


def eq(got, want, what: str) -> None:
    if got != want:
        raise CheckFailed(f"{what}: expected {want!r}, got {got!r}")


def near(got: float, want: float, rel: float, what: str) -> None:
    if abs(got - want) > rel * abs(want):
        raise CheckFailed(f"{what}: expected {want!r} within {rel:.3%}, got {got!r}")


def raises(exc_type, fn, what: str, contains: tuple[str, ...] = ()) -> Exception:
    """fn() must raise exc_type (and nothing else) with every string of contains."""
    try:
        fn()
    except exc_type as e:
        for s in contains:
            if s not in str(e):
                raise CheckFailed(f"{what}: message {str(e)!r} lacks {s!r}") from None
        return e
    except Exception as e:  # noqa: BLE001 - the point is to catch the wrong kind
        raise CheckFailed(f"{what}: expected {exc_type.__name__}, got "
                          f"{type(e).__name__}: {e}") from None
    raise CheckFailed(f"{what}: expected {exc_type.__name__}, nothing was raised")
