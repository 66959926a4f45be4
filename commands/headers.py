"""The one check of a request header the user gives (``--header``, a profile's ``headers``,
``env:NAME`` values) and of an API key (sent as ``Authorization: Bearer KEY``), before any
request: HTTP allows a token as the name and visible ASCII in the value, and httpx raises
(or the server drops the connection) on anything else.
"""

from __future__ import annotations

import re

from commands.errors import UsageError

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110 section 5.1: a field name."""
VALUE = re.compile(r"[\x20-\x7e\t]*")
"""Visible ASCII, spaces and tabs: what every server and httpx accept in a field value."""


def check_header(name: str, value: str) -> None:
    """A usage error naming the header when ``name: value`` cannot be sent."""
    if not TOKEN.fullmatch(name):
        raise UsageError(f"header {name!r}: not a valid header name",
                         "a name is letters, digits and -, e.g. X-OpenAI-Api-Key")
    if not VALUE.fullmatch(value):
        raise UsageError(f"header {name}: its value holds a character that cannot be sent "
                         "(a line break, a control character or a non-ASCII letter)")


def check_api_key(key: str) -> None:
    """A usage error when the API key cannot go in an ``Authorization`` header; the key
    itself is never shown."""
    if not VALUE.fullmatch(key) or key != key.strip():
        raise UsageError("the API key holds a character that cannot be sent (a line break, "
                         "a space at an end, a control character or a non-ASCII letter)",
                         "check --api-key, WEAVIATE_API_KEY or the profile's api_key_env")
