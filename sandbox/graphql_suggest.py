"""graphql-go's "Did you mean" hints for unknown field and argument names."""

from __future__ import annotations

from typing import Any


def _distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for k, cb in enumerate(b, 1):
            prev, row[k] = row[k], min(row[k] + 1, row[k - 1] + 1, prev + (ca != cb))
    return row[-1]


def suggest(name: str, options: Any) -> str:
    """graphql-go's `` Did you mean "A", "B", or "C"?`` tail, or ""."""
    scored = sorted((_distance(name, o), o) for o in options
                    if _distance(name, o) <= max(len(name) // 2, len(o) // 2, 1))
    quoted = [f'"{o}"' for _, o in scored[:5]]
    if not quoted:
        return ""
    if len(quoted) > 2:
        return f" Did you mean {', '.join(quoted[:-1])}, or {quoted[-1]}?"
    return f" Did you mean {' or '.join(quoted)}?"
