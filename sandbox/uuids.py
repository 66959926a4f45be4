"""UUIDs as google/uuid's ``Parse`` reads them, which is how Weaviate checks object ids."""

from __future__ import annotations

import re
from typing import Any

from sandbox.http import go_quote

_CANONICAL_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_HEX_AT = (0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34)


def _go_uuid(value: str) -> tuple[str | None, str | None]:
    """google/uuid's ``Parse``: (32 lowercase hex digits, None) or (None, its error text).

    It reads the canonical form, 32 hex digits, a ``urn:uuid:`` prefix and braces (whose
    characters it never looks at); lengths count bytes, as Go does.
    """
    raw = value.encode("utf-8", "surrogatepass")
    if len(raw) == 32:
        return (raw.decode().lower(), None) if all(c in _HEX for c in raw) else \
            (None, "invalid UUID format")
    if len(raw) == 45:
        if raw[:9].lower() != b"urn:uuid:":
            return None, f"invalid urn prefix: {go_quote(raw[:9].decode(errors='replace'))}"
        raw = raw[9:]
    elif len(raw) == 38:
        raw = raw[1:]
    elif len(raw) != 36:
        return None, f"invalid UUID length: {len(raw)}"
    if any(raw[i] != 45 for i in (8, 13, 18, 23)) or \
            any(raw[i] not in _HEX or raw[i + 1] not in _HEX for i in _HEX_AT):
        return None, "invalid UUID format"
    return raw[:36].replace(b"-", b"").decode().lower(), None


def parse_uuid(value: Any) -> str | None:
    """Canonical lowercase form of a UUID string as google/uuid's ``Parse`` reads it, or None."""
    if not isinstance(value, str):
        return None
    if _CANONICAL_UUID.match(value):
        return value
    digits, _ = _go_uuid(value)
    if digits is None:
        return None
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def uuid_error(value: str) -> str | None:
    """google/uuid's ``Parse`` error for ``value``, or None when it is a UUID."""
    return _go_uuid(value)[1]
