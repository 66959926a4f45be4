"""``/v1/backups/{backend}...``: the native backup API's requests, answered by
``sandbox.backups.FilesystemBackend`` (REST-BEHAVIOUR.md §11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.backup_requests import parse_body
from sandbox.backups import BACKENDS
from sandbox.http import ApiError, Request, Response, fail, framework_error

if TYPE_CHECKING:
    from sandbox.state import State



def _backend(request: Request, word: str = "backend") -> str:
    name = request.params["backend"]
    if name not in BACKENDS:
        raise fail(422, f'no backup {word} "{name}": backup: {name} not found, did you enable '
                        "the right module?")
    return name


def create_backup(app: State, request: Request) -> Response:
    """``POST /v1/backups/{backend}``; an id equal to the (empty) base id is a 500 first."""
    body = parse_body(request, "BackupCreateRequest")
    base = body.get("incremental_base_backup_id") or ""
    if (body.get("id") or "") == base:
        raise fail(500, f"base backup cannot be the same as the new backup ID: {base}")
    return app.backups.create(app, _backend(request), body)


def list_backups(app: State, request: Request) -> Response:
    """``GET /v1/backups/{backend}?order=asc|desc``."""
    order = request.query.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise ApiError(framework_error(422, 606, "order in query should be one of [asc desc]"))
    return app.backups.list(_backend(request), order)


def _kind(request: Request) -> str:
    return "restore" if request.path.rstrip("/").endswith("/restore") else "create"


def get_status(app: State, request: Request) -> Response:
    """``GET .../{id}`` and ``GET .../{id}/restore``; restore status maps no 422, so a 500."""
    try:
        backend = _backend(request, "provider")
    except ApiError as exc:
        exc.response.status = 500 if _kind(request) == "restore" else 422
        raise
    return app.backups.status(_kind(request), backend, request.params["id"],
                              request.query.get("path", ""))


def cancel(app: State, request: Request) -> Response:
    """``DELETE .../{id}`` and ``DELETE .../{id}/restore``: 204."""
    _backend(request, "provider")
    return app.backups.cancel(_kind(request), request.params["id"], request.query.get("path", ""))


def restore_backup(app: State, request: Request) -> Response:
    """``POST /v1/backups/{backend}/{id}/restore``."""
    body = parse_body(request, "BackupRestoreRequest")
    return app.backups.restore(app, _backend(request), request.params["id"], body)


ROUTES = [
    ("POST", "/v1/backups/{backend}", create_backup),
    ("GET", "/v1/backups/{backend}", list_backups),
    ("GET", "/v1/backups/{backend}/{id}", get_status),
    ("DELETE", "/v1/backups/{backend}/{id}", cancel),
    ("POST", "/v1/backups/{backend}/{id}/restore", restore_backup),
    ("GET", "/v1/backups/{backend}/{id}/restore", get_status),
    ("DELETE", "/v1/backups/{backend}/{id}/restore", cancel),
]
