"""How the course says what went wrong: one line, never a traceback."""

from __future__ import annotations


def first_line(what, limit: int | None = 300, last: bool = False) -> str:
    """The first (or ``last``) non-empty line of ``what`` (text or an exception), at most
    ``limit`` characters (None: all of it); an exception without a message reads as the
    name of its type."""
    text = str(what).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return type(what).__name__ if isinstance(what, BaseException) else ""
    return (lines[-1] if last else lines[0])[:limit]
