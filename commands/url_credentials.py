"""Credentials written into a URL: taken out before anything is stored or shown.

Weaviate authenticates a request with one Bearer token, an API key or an OIDC token, sent in
the ``Authorization`` header (it also reads ``?access_token=``); it has no user:password
authentication. So, in a cluster URL (``--url``, ``WEAVIATE_URL``, a profile's ``url``,
``\\connect URL``, ``--target URL``):

- a key parameter (``api_key``, ``apikey``, ``api-key``, ``key``, ``token``,
  ``access_token``, ``bearer``) is taken out and becomes the connection's API key
  (``take_key``);
- user info (``http://user:pass@host``) and any other credential-looking parameter
  (``password``, ``secret``, ``auth``...) are refused with a hint: Weaviate cannot use them.

``hide`` replaces every such credential in a text with ``***``: what the audit log, the
history, runbooks and error messages keep of a URL. This module is the one place that knows
URL credentials; the URL's syntax is checked by ``commands.urls.check_url``.
Only the standard library: ``commands.variables`` (on the cheap ``-v`` path) uses ``hide``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from commands.errors import UsageError

HIDDEN = "***"
KEY_PARAMS = frozenset({"api_key", "apikey", "api-key", "key", "token", "access_token",
                        "bearer"})
"""Query parameters whose value is a Bearer token: the connection's API key."""
_CREDENTIAL = re.compile(r"key|token|secret|passw|passphrase|bearer|credential|signature"
                         r"|^(pass|pwd|auth|authorization|sig)$", re.I)
_USER_INFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/?#\s'\"]*@", re.I)
_PARAM = re.compile(r"([?&])([^=&#\s'\"]+)=([^&#\s'\"]+)")
KEY_HINT = ("give the API key in WEAVIATE_API_KEY, a profile's api_key_env, or "
            "--api-key-env VAR (--target-api-key-env VAR for a --target)")


def is_credential(name: str) -> bool:
    """Whether a query parameter's name says its value is a secret."""
    return _CREDENTIAL.search(unquote(name)) is not None


def hide(text: str) -> str:
    """``text`` with the user info and credential parameter values of URLs as ``***``."""
    if "@" in text:
        text = _USER_INFO.sub(rf"\1{HIDDEN}@", text)
    if "=" in text:
        text = _PARAM.sub(lambda m: f"{m[1]}{m[2]}={HIDDEN}" if is_credential(m[2]) else m[0],
                          text)
    return text


@dataclass(frozen=True)
class UrlKey:
    """A URL without credentials, and the API key a key parameter held (``param``)."""

    url: str
    key: str | None = None
    param: str | None = None


def take_key(url: str, where: str) -> UrlKey:
    """``url`` (named ``where`` in messages: ``--url``, ``WEAVIATE_URL``...) without its key
    parameter, and that key; a ``UsageError`` for credentials Weaviate cannot use. A URL
    that does not parse is returned as it is, for ``check_url`` to refuse."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return UrlKey(url)
    shown = f"{where} {hide(url)!r}"
    if "@" in parts.netloc:
        raise UsageError(f"{shown}: Weaviate has no user:password authentication, so the "
                         "user info in the URL cannot be used", f"remove it; {KEY_HINT}")
    kept, keys = [], []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in KEY_PARAMS:
            keys.append((name, value))
        elif is_credential(name):
            raise UsageError(f"{shown}: Weaviate does not use a {name!r} parameter",
                             f"remove it; {KEY_HINT}")
        else:
            kept.append((name, value))
    if not keys:
        return UrlKey(url)
    if len({value for _, value in keys}) > 1:
        raise UsageError(f"{shown}: two different API keys, in {keys[0][0]} and {keys[1][0]}",
                         "keep one")
    clean = urlunsplit(parts._replace(query=urlencode(kept)))
    name, value = keys[0]
    return UrlKey(clean, value or None, name)
