"""Request and response values of the sandbox, and the three error body shapes Weaviate uses.

This module knows HTTP shapes only; it holds no state and knows no endpoint.
The shapes follow REST-BEHAVIOUR.md §1.2: handler errors ``{"error":[{"message":..}]}``,
schema restriction errors ``{"allowed":null,"error":[..]}`` and framework errors
``{"code":..,"message":..}``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

_DUMP_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
# go-openapi strfmt's ``uuid`` format: canonical (any case) or 32 hex digits.
_UUID_FORMAT = re.compile(r"(?i)^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                          r"|[0-9a-f]{32})$")


def dumps(data: Any) -> bytes:
    """Encode JSON as Weaviate does: float32 vectors keep their shortest float32 spelling."""
    return orjson.dumps(data, option=_DUMP_OPTIONS)


@dataclass(slots=True)
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    route: str | None = None  # the matched path pattern, e.g. /v1/schema/{className}

    def json(self, param: str = "body", required: bool = True) -> Any:
        """Decode the body, answering as go-openapi does for an empty or malformed one."""
        if not self.body.strip():
            if required:
                raise ApiError(framework_error(422, 602, f"{param} in body is required"))
            return None
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise parse_error(str(exc), param) from None

    def int_param(self, name: str, default: int | None = None) -> int | None:
        """A query parameter of type int64, with go-openapi's 601 error when it is not one."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(
                framework_error(422, 601, f'{name} in query must be of type int64: "{raw}"')
            ) from None


@dataclass(slots=True)
class Response:
    """One HTTP response; ``body`` None means no body and no Content-Type."""

    status: int
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by handlers to answer with a prepared error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON body with the given status."""
    return Response(status, dumps(data))


def empty(status: int) -> Response:
    """A response without body, as Weaviate's generated responders send for 204s and most 404s."""
    return Response(status)


def error(status: int, *messages: str) -> Response:
    """Handler-level error: ``{"error":[{"message":..}]}``."""
    return json_response({"error": [{"message": m} for m in messages]}, status)


def restriction_error(message: str) -> Response:
    """Schema create/update 422: ``{"allowed":null,"error":[..]}``."""
    return json_response({"allowed": None, "error": [{"message": message}]}, 422)


def framework_error(status: int, code: int, message: str) -> Response:
    """go-openapi error ``{"code":..,"message":..}``; codes >= 600 travel as HTTP 422."""
    return json_response({"code": code, "message": message}, status)


def fail(status: int, *messages: str) -> ApiError:
    """Shorthand for ``raise fail(422, "...")`` in handlers."""
    return ApiError(error(status, *messages))


def parse_error(reason: str, param: str = "body") -> ApiError:
    """go-openapi's 400 for a body it cannot decode into the operation's model."""
    return ApiError(framework_error(400, 400, f'parsing {param} body from "" failed, because '
                                              f"{reason}"))


def uuid_param(raw: Any, name: str, go_field: str = "") -> str | None:
    """A ``format: uuid`` parameter as go-openapi binds it: None when absent or empty, else the
    lowercase canonical id; 422/601 ``<name> must be of type uuid`` for a bad string, and
    for a body field (``go_field``) that is no string at all, the 400 of its JSON decoding."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise parse_error(f"json: cannot unmarshal {go_kind(raw)} into Go struct field "
                          f"{go_field} of type strfmt.UUID")
    if not _UUID_FORMAT.match(raw):
        raise ApiError(framework_error(422, 601, f'{name} must be of type uuid: "{raw}"'))
    return str(uuid.UUID(raw))


def go_quote(text: str) -> str:
    """Go's ``%q`` for ordinary strings."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def go_value(value: Any) -> str:
    """Go's ``%v`` of a decoded JSON value (numbers arrive as json.Number)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def go_syntax(value: Any) -> str:
    """Go's ``%#v`` of a decoded JSON value; json.Number prints quoted, as a string kind
    does [UNCONFIRMED for strings outside printable ASCII]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "interface {}(nil)"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(go_syntax(v) for v in value) + "}"
    if isinstance(value, dict):
        return "map[string]interface {}{" + ", ".join(
            f"{go_quote(k)}:{go_syntax(value[k])}" for k in sorted(value)) + "}"
    return go_quote(str(value))


def is_uuid_format(text: str) -> bool:
    """go-openapi strfmt's ``IsUUID``."""
    return bool(_UUID_FORMAT.match(text))


def go_kind(value: Any) -> str:
    """The JSON kind as Go's ``encoding/json`` names it in unmarshal errors."""
    kinds = {dict: "object", list: "array", str: "string", bool: "bool"}
    return kinds.get(type(value), "number")


def go_type(value: Any) -> str:
    """Go's ``%T`` of a JSON value decoded into ``interface{}`` (numbers as ``json.Number``)."""
    if value is None:
        return "<nil>"
    types = {dict: "map[string]interface {}", list: "[]interface {}", str: "string",
             bool: "bool"}
    return types.get(type(value), "json.Number")


@dataclass(eq=False)
class GoStruct:
    """A go-swagger model as Go's ``encoding/json`` decodes into it: JSON field -> model,
    where a model is a ``GoStruct``, a ``GoSlice`` or a scalar ("string", "bool", "int64",
    "float32", "float64")."""

    name: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GoSlice:
    """A Go slice model: its items' model and the type name Go prints for it."""

    item: Any
    type_name: str


_SCALARS: dict[str, tuple[type, ...]] = {"string": (str,), "bool": (bool,), "int64": (int,),
                                         "float32": (int, float), "float64": (int, float)}


def go_decode(value: Any, model: GoStruct | GoSlice) -> None:
    """Raise go-openapi's 400 when a body cannot be decoded into its model. As in Go, null
    fits anything, unknown keys are ignored, a number with a fraction does not fit an
    integer, and the first misfit in document order is reported."""
    problem = _misfit(value, model, "", "")
    if problem:
        raise parse_error(problem)


def _misfit(value: Any, model: Any, path: str, struct: str) -> str | None:
    if value is None:
        return None
    if isinstance(model, GoStruct):
        if not isinstance(value, dict):
            return _unmarshal(go_kind(value), f"models.{model.name}", path, struct)
        for key, item in value.items():
            inner = model.fields.get(key)
            problem = None if inner is None else \
                _misfit(item, inner, f"{path}.{key}" if path else key, model.name)
            if problem:
                return problem
        return None
    if isinstance(model, GoSlice):
        if not isinstance(value, list):
            return _unmarshal(go_kind(value), model.type_name, path, struct)
        return next((p for p in (_misfit(v, model.item, path, struct) for v in value) if p), None)
    if isinstance(value, _SCALARS[model]) and (model == "bool") == isinstance(value, bool):
        return None
    kind = f"number {value}" if model == "int64" and isinstance(value, float) else go_kind(value)
    return _unmarshal(kind, model, path, struct)


def _unmarshal(kind: str, type_name: str, path: str, struct: str) -> str:
    where = f"Go struct field {struct}.{path}" if path else "Go value"
    return f"json: cannot unmarshal {kind} into {where} of type {type_name}"
