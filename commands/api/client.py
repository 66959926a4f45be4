"""``RestClient``: the only place that speaks HTTP to Weaviate.

Idempotent requests (GET, HEAD, PUT, DELETE, or a POST the caller marks so) are
retried on connection failures, timeouts, dropped connections and 502/503/504,
with exponential backoff and full jitter; everything else fails fast. Every
non-2xx answer becomes an ``ApiError`` carrying Weaviate's message as one line,
whichever of its three error shapes the server used.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from commands.errors import ApiError, ConnectionFailed, Refused, TimedOut, UsageError
from commands.headers import check_api_key, check_headers
from commands.lazy import lazy_module

if TYPE_CHECKING:
    # httpx is imported where a client is built or used, not here: the declarations import
    # this module (their operations take a RestClient), and ``elysiactl --help`` lists them
    # without paying for httpx.
    import httpx

# Read only to explain a 403; loading it (and the RBAC permission tables) costs start-up.
forbidden = lazy_module("commands.api.forbidden")

logger = logging.getLogger(__name__)

RETRY_STATUSES = {502, 503, 504}
IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE"}
READS = {"GET", "HEAD", "OPTIONS"}
# POSTs that only read (openapi.json: graphql.post, graphql.batch, objects.validate, tokenize,
# schema.objects.properties.tokenize, hasPermission, aggregate, search.*): a read-only
# profile sends them.
READING_POSTS = re.compile(
    r"/v1/(graphql(/batch)?|objects/validate|tokenize|authz/roles/[^/]+/has-permission"
    r"|schema/[^/]+/properties/[^/]+/tokenize|aggregate/[^/]+|search/[^/]+/[^/]+)/?")
WRITES_REFUSED: ContextVar[tuple[str, str] | None] = ContextVar("writes_refused", default=None)
"""While set to (why, hint), every write of every client is refused unsent: ``\\watch`` reruns
only commands that read, whatever they are declared as."""
HINTS = {
    401: "check the API key (--api-key, WEAVIATE_API_KEY or the profile's api_key_env)",
}


def error_message(response: httpx.Response) -> str:
    """Weaviate's message from any of its error shapes, as one line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    messages: list[str] = []
    if isinstance(body, dict):
        if isinstance(body.get("error"), list):
            messages = [str(e.get("message", e)) for e in body["error"] if e]
        elif body.get("message"):
            messages = [str(body["message"])]
    text = "; ".join(messages) or f"{response.status_code} {response.reason_phrase}".strip()
    return " ".join(text.split())


def misrouting(path: str) -> str | None:
    """What in ``path`` would route it elsewhere, or None: a ``.`` or ``..`` segment (the HTTP
    client resolves it: ``/v1/aliases/../schema/X`` is ``/v1/schema/X``), ``?`` or ``#``.
    Query parameters go in ``params``, never in the path."""
    for mark in ("?", "#"):
        if mark in path:
            return repr(mark)
    if any(part in (".", "..") for part in path.split("/")):
        return "a '.' or '..' path segment"
    return None


def is_read(method: str, path: str) -> bool:
    """Whether a request only reads: what a read-only profile may send."""
    return method in READS or (method == "POST" and READING_POSTS.fullmatch(path) is not None)


class RestClient:
    """A Weaviate REST connection (thread-safe: the completion refresher shares it)."""

    def __init__(self, url: str, api_key: str | None = None,
                 headers: dict[str, str] | None = None, verify: bool = True,
                 timeout: float = 30.0, retries: int = 4, backoff: float = 0.2,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 read_only: str | None = None) -> None:
        """``read_only`` names a read-only profile: every write is then refused unsent."""
        all_headers = dict(headers or {})
        check_headers(all_headers)
        if api_key:
            check_api_key(api_key)
            all_headers["Authorization"] = f"Bearer {api_key}"
        self.url = url.rstrip("/")
        self.retries = retries
        self.read_only = read_only
        self.backoff = backoff
        self._sleep = sleep
        # Plain http never uses TLS; not building an SSL context (and loading the CA bundle)
        # saves start-up time. https always verifies unless the user said --insecure.
        tls = verify if self.url.startswith("https://") else False
        import httpx

        self._http = httpx.Client(base_url=self.url, headers=all_headers, verify=tls,
                                  timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                                  transport=transport)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None, content: bytes | None = None,
                idempotent: bool | None = None, ok: tuple[int, ...] = (),
                timeout: float | None = None, retries: int | None = None,
                stream: bool = False) -> httpx.Response:
        """Send one request with the retry policy; statuses in ``ok`` are not errors.

        ``content`` is a JSON body already encoded (bulk writes encode with orjson, several
        times faster than the encoder behind ``json=``). ``retries`` overrides the client's
        count for this request only. With ``stream`` a successful response's body is not
        read: the caller reads it in chunks (``iter_bytes``) and closes the response.
        """
        if (detour := misrouting(path)) is not None:
            raise UsageError(f"{method} {path} was not sent: a name in it holds {detour}, which "
                             "would send the request to another endpoint",
                             "Weaviate names (collections, aliases, users, roles, ids) never "
                             "hold them: check the name")
        if self.read_only is not None and not is_read(method, path):
            raise Refused(f"profile {self.read_only} is read-only: {method} {path} was not sent",
                          "connect with a profile that may write (read_only: true in the "
                          "config file refuses every change)")
        refused = WRITES_REFUSED.get()
        if refused is not None and not is_read(method, path):
            raise Refused(f"{refused[0]}: {method} {path} was not sent", refused[1])
        retry = method in IDEMPOTENT if idempotent is None else idempotent
        attempts = (self.retries if retries is None else retries) + 1 if retry else 1
        kwargs: dict[str, Any] = {"params": params}
        if content is not None:
            kwargs["content"] = content
            kwargs["headers"] = {"Content-Type": "application/json"}
        else:
            kwargs["json"] = json
        if timeout is not None:
            kwargs["timeout"] = timeout
        import httpx

        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                started = time.perf_counter()
                response = self._http.send(self._build(method, path, kwargs), stream=stream)
                if not stream:
                    # httpx binds a response and its stream in a reference cycle
                    # (BoundSyncStream), so a read response and its body live until the
                    # cyclic GC runs, which bulk work of few container objects rarely
                    # triggers: a migration held 20-30 MB of dead cursor pages.
                    response.stream = httpx.ByteStream(b"")
                logger.debug("%s %s -> %s in %.3fs", method, path, response.status_code,
                             time.perf_counter() - started)
            except httpx.TransportError as exc:
                if last and _answer_late(exc):
                    seconds = timeout if timeout is not None else self._http.timeout.read or 0.0
                    raise TimedOut(f"{method} {path} did not answer within {seconds:g} s",
                                   r"the server is slow or overloaded: retry, or check it with "
                                   r"\health", seconds) from None
                if last:
                    raise ConnectionFailed(
                        f"cannot reach {self.url}: {_describe(exc)}",
                        r"check the URL, or \connect to another cluster") from None
                self._pause(attempt)
                continue
            if response.status_code in RETRY_STATUSES and not last:
                response.close()
                self._pause(attempt)
                continue
            if response.status_code >= 400 and response.status_code not in ok:
                response.read()
                response.close()
                message = error_message(response)
                hint = forbidden.forbidden_hint(message) if response.status_code == 403 else \
                    HINTS.get(response.status_code)
                raise ApiError(response.status_code, method, path, message, hint)
            return response
        raise AssertionError("unreachable")

    def _build(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Request:
        """The request, or a usage error when what the user typed cannot be sent: a control
        character in a name that goes in the path, a number JSON cannot carry (inf)."""
        import httpx

        try:
            return self._http.build_request(method, path, **kwargs)
        except (httpx.InvalidURL, ValueError) as exc:
            raise UsageError(f"{method} {path!r} cannot be sent: {exc}",
                             "a name or value on the line holds a control character or a "
                             "number out of range: check the name") from None

    def _pause(self, attempt: int) -> None:
        self._sleep(random.uniform(0, min(5.0, self.backoff * 2 ** attempt)))

    def get_json(self, path: str, retries: int | None = None, **params: Any) -> Any:
        """``GET`` and decode; ``None`` parameters are left out."""
        clean = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", path, params=clean, retries=retries).json()


def _answer_late(exc: Exception) -> bool:
    """A timeout after the connection was made: the server is there, but slow."""
    import httpx

    return isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout)


def _describe(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or host not found"
    return "connection dropped"
