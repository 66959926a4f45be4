"""Progress of long operations: the core asks for a bar, the shell draws it (or not)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

Advance = Callable[[int], None]
"""``advance(n)``: ``n`` more units done (0: still working, for a bar without a total)."""


class Progress(Protocol):
    """``progress(description, total, unit)`` gives a context manager yielding
    ``advance(n)``; the shell draws a bar on a terminal (with the rate in ``unit``/s, none
    when ``unit`` is empty) and nothing elsewhere."""

    def __call__(self, description: str, total: int | None,
                 unit: str = "objects") -> AbstractContextManager[Advance]: ...


def ignore(_done: int) -> None:
    """The ``advance`` of an operation nobody watches."""


def bar(progress: Progress | None, description: str, total: int | None,
        unit: str = "objects") -> AbstractContextManager[Advance]:
    """``progress``'s bar, or without one (off a terminal, in tests) an ``advance`` that
    does nothing, so callers advance unconditionally."""
    return nullcontext(ignore) if progress is None else progress(description, total, unit)
