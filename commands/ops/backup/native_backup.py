"""Weaviate's native backups (REST-BEHAVIOUR.md §11): create, poll, cancel and list.

The server's backup module (``filesystem``, ``s3``, ``gcs``, ``azure``) copies whole
collections; the shell only starts the backup, polls its status until it is
``SUCCESS``, ``FAILED`` or ``CANCELED`` (showing the phases as progress), and cancels it
(``DELETE``) when the user presses Ctrl-C while it runs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from commands.api.client import RestClient
from commands.errors import ShellError, UsageError
from commands.progress import Progress, bar

PHASES = ("STARTED", "TRANSFERRING", "TRANSFERRED", "FINALIZING", "SUCCESS")
FINISHED = ("SUCCESS", "FAILED", "CANCELED")
VALID_ID = re.compile(r"^[a-z0-9_-]+$")
POLL_SECONDS = 0.5
GIB = 1024 ** 3


def new_id(when: datetime | None = None) -> str:
    """A backup id Weaviate accepts (lowercase letters, digits, ``_`` and ``-``)."""
    return "elysiactl-" + (when or datetime.now(UTC)).strftime("%Y%m%dt%H%M%Sz")


def check_id(backup_id: str, what: str = "backup") -> str:
    """``backup_id`` if Weaviate accepts it (as a ``what`` id: backups and exports share the
    rule), else a ``UsageError`` with a fixed suggestion."""
    if not VALID_ID.match(backup_id):
        fixed = re.sub(r"[^a-z0-9_-]", "-", backup_id.lower())
        raise UsageError(f"invalid {what} id {backup_id!r}: Weaviate allows lowercase letters, "
                         "digits, _ and -", f"e.g. --id {fixed}")
    return backup_id


def start(api: RestClient, backend: str, backup_id: str,
          include: list[str] | None = None) -> dict[str, Any]:
    """``POST /v1/backups/{backend}``: the answer (``id``, ``classes``, ``status``, ``path``)."""
    body: dict[str, Any] = {"id": backup_id}
    if include:
        body["include"] = list(include)
    return api.request("POST", f"/v1/backups/{backend}", json=body).json()


def status(api: RestClient, backend: str, backup_id: str) -> dict[str, Any]:
    """``GET /v1/backups/{backend}/{id}``."""
    return api.get_json(f"/v1/backups/{backend}/{backup_id}")


def cancel(api: RestClient, backend: str, backup_id: str) -> None:
    """``DELETE /v1/backups/{backend}/{id}`` (Weaviate answers 204)."""
    api.request("DELETE", f"/v1/backups/{backend}/{backup_id}")


def create(api: RestClient, backend: str, backup_id: str, include: list[str] | None = None,
           progress: Progress | None = None,
           sleep: Callable[[float], None] | None = None,
           poll_seconds: float = POLL_SECONDS) -> dict[str, Any]:
    """Start a native backup and wait for it; the final status and the started answer's
    classes. Ctrl-C cancels the backup on the server, then is raised again; ``FAILED``
    and ``CANCELED`` become a ``ShellError``."""
    shown, pause = 0, sleep if sleep is not None else time.sleep
    try:
        started = current = start(api, backend, backup_id, include)
        with bar(progress, f"native backup {backup_id} on {backend}", len(PHASES) - 1,
                 "") as advance:
            while current.get("status") not in FINISHED:
                pause(poll_seconds)
                current = status(api, backend, backup_id)
                reached = PHASES.index(current["status"]) if current.get(
                    "status") in PHASES else shown
                if reached > shown:
                    advance(reached - shown)
                    shown = reached
    except KeyboardInterrupt:
        try:
            cancel(api, backend, backup_id)
        except ShellError:
            pass  # it finished meanwhile, or the cluster is gone: nothing left to stop
        raise
    final = {**current, "classes": started.get("classes"), "backend": backend}
    if current.get("status") == "FAILED":
        raise ShellError(f"native backup {backup_id} failed: {current.get('error') or 'no reason'}",
                         f"\\backups --native {backend} lists the backups")
    if current.get("status") == "CANCELED":
        raise ShellError(f"native backup {backup_id} was canceled"
                         + (f": {current['error']}" if current.get("error") else ""))
    return final


def list_backups(api: RestClient, backend: str) -> list[dict[str, Any]]:
    """``GET /v1/backups/{backend}``, newest first."""
    return api.get_json(f"/v1/backups/{backend}", order="desc") or []


def size_text(gib: float | None) -> str | None:
    """Weaviate's ``size`` (GiB, a float) for people: bytes, KiB, MiB or GiB."""
    if gib is None:
        return None
    size = gib * GIB
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.2f} GiB"
