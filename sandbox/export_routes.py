"""``/v1/export/{backend}...``: server-side export requests, answered by
``sandbox.exports.Exports``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.http import (
    ApiError,
    Request,
    Response,
    framework_error,
    go_kind,
    parse_error,
)

if TYPE_CHECKING:
    from sandbox.state import State

FIELDS = {"id": str, "file_format": str, "include": list, "exclude": list}
GO_TYPES = {str: "string", list: "[]string"}


def _body(request: Request) -> dict[str, Any]:
    """``ExportCreateRequest`` as go-openapi decodes and validates it."""
    body = request.json()
    if not isinstance(body, dict):
        raise parse_error(f"json: cannot unmarshal {go_kind(body)} into Go value of type "
                          "models.ExportCreateRequest")
    for key, kind in FIELDS.items():
        value = body.get(key)
        if value is not None and not isinstance(value, kind):
            raise parse_error(f"json: cannot unmarshal {go_kind(value)} into Go struct field "
                              f"ExportCreateRequest.{key} of type {GO_TYPES[kind]}")
    for key in ("id", "file_format"):
        if body.get(key) is None:
            raise ApiError(framework_error(422, 602, f"{key} in body is required"))
    if body["file_format"] != "parquet":
        raise ApiError(framework_error(422, 606, "file_format in body should be one of "
                                                 "[parquet]"))
    return body


def create_export(app: State, request: Request) -> Response:
    """``POST /v1/export/{backend}``."""
    return app.exports.create(app, request.params["backend"], _body(request))


def export_status(app: State, request: Request) -> Response:
    """``GET /v1/export/{backend}/{id}``."""
    return app.exports.status(request.params["backend"], request.params["id"])


def cancel_export(app: State, request: Request) -> Response:
    """``DELETE /v1/export/{backend}/{id}``."""
    return app.exports.cancel_export(request.params["backend"], request.params["id"])


ROUTES = [
    ("POST", "/v1/export/{backend}", create_export),
    ("GET", "/v1/export/{backend}/{id}", export_status),
    ("DELETE", "/v1/export/{backend}/{id}", cancel_export),
]
