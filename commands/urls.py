"""The one check of a URL the user gives (``--url``, ``\\connect``, ``--target``, a
profile's ``url`` and ``metrics_url``, ``--metrics-url``), before anything is sent or kept.

It checks syntax only: an http(s) scheme, a host, a port that is a number in range, no
space or control character, and what httpx (the client that will use the URL) accepts.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from commands.errors import ShellError, UsageError
from commands.url_credentials import hide

EXAMPLES = "e.g. http://localhost:8080 or https://weaviate.example.com"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"}


def check_url(url: str, what: str = "", hint: str = EXAMPLES,
              error: type[ShellError] = UsageError) -> SplitResult:
    """The parts of ``url`` when it can name an http(s) endpoint, else ``error`` (a usage
    error) with ``what`` (``--metrics-url ``, ``config.yaml: profile 'x': url ``) before
    the URL and ``hint`` after."""
    if not isinstance(url, str):
        raise error(f"{what}{url!r} is not a URL (it is {type(url).__name__})", hint)
    shown = repr(hide(url))  # a key in the URL is never shown

    def bad(reason: str) -> ShellError:
        return error(f"{what}{shown} is not a valid URL: {reason}", hint)

    if any(char.isspace() or not char.isprintable() for char in url):
        raise bad("it holds a space or a control character")
    if url.count("[") != url.count("]"):
        raise bad("an unclosed [ around an IPv6 address, e.g. http://[::1]:8080")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # "Port out of range 0-65535", "Port could not be cast ..."
        raise bad(str(exc).replace("Port", "port")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise error(f"{what}{shown} is not an http(s) URL with a host", hint)
    if port == 0:
        raise bad("port 0 is not a port a server listens on")
    import httpx  # the client's own parser: IDNA host names, characters it refuses

    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise bad(str(exc)) from None
    return parts


def cluster_id(url: str) -> str:
    """A URL reduced to what names a cluster: scheme, host (local names as one) and port
    (never a path or the credentials it may hold)."""
    parts = urlsplit(url.strip().lower().rstrip("/"))
    host = parts.hostname or ""
    host = "localhost" if host in LOCAL_HOSTS else host
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{host}:{port}"
