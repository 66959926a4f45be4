"""Weaviate's own restore (the backup module API, REST-BEHAVIOUR.md §11).

``POST /v1/backups/{backend}/{id}/restore`` starts it; ``GET .../restore`` is polled
until ``SUCCESS``, ``FAILED`` or ``CANCELED``. Ctrl-C cancels it on the server
(``DELETE .../restore``) before the interruption goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.progress import Progress, bar

FINAL = ("SUCCESS", "FAILED", "CANCELED")
POLL_FIRST, POLL_MAX = 0.05, 1.0


def restore_path(backend: str, backup_id: str) -> str:
    """``/v1/backups/{backend}/{id}/restore``."""
    return f"/v1/backups/{backend}/{backup_id}/restore"


def start_body(include: list[str]) -> dict[str, Any]:
    """The ``BackupRestoreRequest``: every class of the backup, or those in ``include``."""
    return {"include": list(include)} if include else {}


def native_restore(api: RestClient, backend: str, backup_id: str, include: list[str],
                   progress: Progress | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Start a native restore and wait for it; the final status body.

    ``FAILED`` and ``CANCELED`` raise ``ShellError`` with the server's error; on
    ``KeyboardInterrupt`` the restore is canceled on the server and the interruption is
    raised again.
    """
    path = restore_path(backend, backup_id)
    started = api.request("POST", path, json=start_body(include)).json()
    classes = started.get("classes") or include
    delay = POLL_FIRST
    try:
        with bar(progress, f"restoring backup {backup_id} ({backend})", None, "") as advance:
            while True:
                status = api.get_json(path)
                advance(0)
                if status.get("status") in FINAL:
                    break
                sleep(delay)
                delay = min(POLL_MAX, delay * 2)
    except KeyboardInterrupt:
        cancel(api, backend, backup_id)
        raise
    status.setdefault("classes", classes)
    if status.get("status") != "SUCCESS":
        word = "was canceled" if status.get("status") == "CANCELED" else "failed"
        error = str(status.get("error") or "no reason given")
        hint = (r"a native restore never replaces a collection: \rm it first, or restore "
                "the others with --include") if "already exists" in error else None
        raise ShellError(f"native restore of backup {backup_id} ({backend}) {word}: {error}",
                         hint)
    return status


def cancel(api: RestClient, backend: str, backup_id: str) -> None:
    """``DELETE .../restore``; a restore that has already finished is left as it is."""
    try:
        api.request("DELETE", restore_path(backend, backup_id), ok=(404, 422))
    except ShellError:
        pass  # the interruption matters more than a failed cancel

