"""How the command line counts things in its messages: `1 row`, `66 rows`, `1 scenario × 11 regions`."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for one (`1 row`), plural otherwise (`1,200 rows`)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
