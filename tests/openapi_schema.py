"""Validate sandbox responses against the response schemas of Weaviate's own OpenAPI spec.

The spec's response side is kept in ``tests/weaviate_spec/openapi.json`` (extracted from
Weaviate's spec by ``extract_spec.py`` there, BSD-3-Clause: see its NOTICE). Go
emits ``null`` for nil slices, maps and pointers that have no ``omitempty``, so
array- and object-typed fields and ``x-nullable`` fields may be null; scalars
may not; ``type: object`` without properties is go-swagger's untyped field. A status the
spec declares without a schema must come without a body, except 401s, whose bodies come
from the authentication middleware.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema

SPEC_PATH = Path(__file__).with_name("weaviate_spec") / "openapi.json"


@cache
def require_spec() -> dict[str, Any]:
    """The parsed spec (paths' responses and definitions)."""
    return json.loads(SPEC_PATH.read_text())


def _allow_null(schema: Any) -> Any:
    """A copy of a schema node whose array, object, reference and x-nullable fields accept null."""
    if not isinstance(schema, dict):
        return schema
    if _untyped(schema):
        return {}
    out = dict(schema)
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {name: _nullable(_allow_null(prop))
                             for name, prop in schema["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            out[key] = _allow_null(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            out[key] = [_allow_null(s) for s in schema[key]]
    return out


def _untyped(schema: dict[str, Any]) -> bool:
    """go-swagger turns ``type: object`` without properties into ``interface{}``: any value."""
    return schema.get("type") == "object" and not {"properties", "additionalProperties",
                                                   "$ref", "allOf"} & schema.keys()


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    if not prop:
        return prop
    if prop.get("x-nullable") or prop.get("type") in ("array", "object") or (
            "$ref" in prop and "type" not in prop):
        return {"anyOf": [prop, {"type": "null"}]}
    return prop


@cache
def _definitions() -> dict[str, Any]:
    return {name: _allow_null(d) for name, d in require_spec()["definitions"].items()}


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    spec = require_spec()
    routes = []
    for template in spec["paths"]:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", re.escape(template).replace(r"\{", "{")
                         .replace(r"\}", "}"))
        routes.append((re.compile(f"^{spec['basePath']}{pattern}/?$"), template))
    # Literal templates first, as a router would.
    routes.sort(key=lambda r: r[1].count("{"))
    return routes


def operation_for(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec template and operation object for a concrete request."""
    spec = require_spec()
    for pattern, template in _routes():
        if pattern.match(path) and method.lower() in spec["paths"][template]:
            return template, spec["paths"][template][method.lower()]
    raise AssertionError(f"{method} {path} is not an operation of Weaviate's API")


def validate(response: httpx.Response) -> str:
    """Assert that ``response`` matches the spec for its operation and status; return template."""
    request = response.request
    template, operation = operation_for(request.method, request.url.path)
    declared = operation.get("responses", {})
    status = str(response.status_code)
    where = f"{request.method} {request.url.path} -> {status}"
    assert status in declared, f"{where}: status not declared in the spec ({sorted(declared)})"
    schema = declared[status].get("schema")
    if status == "401":
        return template  # written by the auth middleware, outside the spec (REST-BEHAVIOUR §2)
    if schema is None:
        assert response.content == b"", f"{where}: spec declares no body, got {response.text!r}"
        return template
    body = response.json()
    validator = jsonschema.Draft4Validator(
        {**_allow_null(schema), "definitions": _definitions()},
        format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{where}: {errors[0].message} at {list(errors[0].path)}"
    return template
