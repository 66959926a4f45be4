"""The one check of the request headers the user gives (``--header``, a profile's
``headers``, ``env:NAME`` values) and of an API key (sent as ``Authorization: Bearer KEY``),
before any request: HTTP allows a token as the name and visible ASCII in the value, and httpx
raises (or the server drops the connection) on anything else. A value is never shown: it may
be a key.
"""

from __future__ import annotations

import re

from commands.errors import UsageError

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110 section 5.1: a field name."""
VALUE = re.compile(r"[\t\x20-\x7e]*")
"""Visible ASCII, spaces and tabs: what every server and httpx accept in a field value."""
FRAMING = {"content-length", "transfer-encoding"}  # the client's own: a set one breaks requests


def check_headers(headers: dict[str, str]) -> None:
    """A ``UsageError`` for a header no request can carry, naming it but never its value."""
    for name, value in headers.items():
        what = "the API key" if name == "Authorization" else f"the value of header {name}"
        if not TOKEN.fullmatch(name):
            raise UsageError(f"header {name!r} is not an HTTP header name",
                             "letters, digits and -, e.g. X-OpenAI-Api-Key")
        if name.lower() in FRAMING:
            raise UsageError(f"header {name} is set by the client for each request",
                             "leave it out")
        if not VALUE.fullmatch(value):
            odd = next(c for c in value if not VALUE.fullmatch(c))
            kind = "a control character" if odd.isascii() else "a non-ASCII character"
            raise UsageError(f"{what} holds {kind}, which HTTP headers cannot carry",
                             "retype it: a pasted key may have picked up a newline")


def check_api_key(key: str) -> None:
    """``check_headers`` for the header the key goes in; a space at an end (which HTTP
    drops, sending another key) is refused too."""
    check_headers({"Authorization": f"Bearer {key}"})
    if key != key.strip():
        raise UsageError("the API key has a space at an end",
                         "check --api-key, WEAVIATE_API_KEY or the profile's api_key_env")
