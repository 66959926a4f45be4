"""Schema reads shared by commands and the completion refresher."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from commands.api.client import RestClient
from commands.did_you_mean import did_you_mean
from commands.errors import ApiError, ShellError, excerpt
from commands.ops.hints import cached_or_listed, close_names

NAME = re.compile(r"^[A-Za-z][_0-9A-Za-z]{0,254}$")


def upper_first(name: str) -> str:
    """Weaviate's class-name rule (aliases too): only the first character is uppercased."""
    return name[:1].upper() + name[1:]


def fetch_schema(api: RestClient, timeout: float | None = None) -> list[dict[str, Any]]:
    """Every class definition, in one ``GET /v1/schema``."""
    return api.request("GET", "/v1/schema", timeout=timeout).json()["classes"] or []


def get_class(api: RestClient, name: str) -> dict[str, Any]:
    """One class definition (aliases resolve); an unknown name fails with a "did you mean"
    hint. A name Weaviate could never accept is not put into a request path at all."""
    if not NAME.match(name or ""):
        raise unknown_collection(name, hint_names(api))
    try:
        return api.request("GET", f"/v1/schema/{name}").json()
    except ApiError as exc:
        if exc.status != 404:
            raise
    raise unknown_collection(name, hint_names(api))


def hint_names(api: RestClient) -> Sequence[str]:
    """Every collection name, as cheaply as the shell can know them: its completion cache,
    else GraphQL introspection, else (GraphQL unavailable) the whole ``GET /v1/schema``.
    Nothing at all when even that is refused: the hint must not hide the error it is for."""
    names = cached_or_listed(api)
    if names is not None:
        return names
    try:
        return [c["class"] for c in fetch_schema(api)]
    except ApiError:
        return ()


def unknown_collection(name: str, known: Sequence[str]) -> ShellError:
    """The error for a collection that does not exist, with the closest names as a hint."""
    close = close_names(name, known)
    hint = f"did you mean {' or '.join(close)}?" if close else r"\ls lists the collections"
    return ShellError(f"no collection named {excerpt(name)!r}", hint)


def split_property(name: str) -> tuple[str, str | None]:
    """``Article.title`` -> ``("Article", "title")``; a plain name -> ``(name, None)``."""
    collection, dot, prop = name.partition(".")
    return (collection, prop) if dot else (name, None)


def class_property(cls: dict[str, Any], name: str) -> dict[str, Any]:
    """The property ``name`` (any case) of a class definition, or an error naming the
    closest ones."""
    props = {p["name"].lower(): p for p in cls.get("properties") or ()}
    if name.lower() in props:
        return props[name.lower()]
    hint = did_you_mean(name, [p["name"] for p in props.values()]) or \
        "properties: " + ", ".join(p["name"] for p in props.values())
    raise ShellError(f"{cls['class']} has no property {excerpt(name)!r}", hint)


def find_class(api: RestClient, name: str) -> dict[str, Any] | None:
    """The class ``name`` itself, or None when there is none; an alias of another class is
    an error (writing through it would land in that class)."""
    response = api.request("GET", f"/v1/schema/{name}", ok=(404,))
    if response.status_code == 404:
        return None
    cls = response.json()
    if cls.get("class") != name:
        raise ShellError(f"{name} is an alias of {cls.get('class')}",
                         "write into the collection itself, or choose another name")
    return cls


def create_class(api: RestClient, cls: dict[str, Any]) -> None:
    """``POST /v1/schema``, retried on 503s and drops: the caller saw no such class, so
    "already exists" after a retry means the first attempt created it."""
    try:
        api.request("POST", "/v1/schema", json=cls, idempotent=True)
    except ApiError as exc:
        if exc.status != 422 or "already exists" not in exc.message or \
                find_class(api, cls["class"]) is None:
            raise
