"""Shared fixtures: an in-process sandbox on a free port and an HTTP client for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox import Sandbox


@pytest.fixture
def sandbox(tmp_path) -> Iterator[Sandbox]:
    """An empty sandbox (one node, anonymous access) serving on 127.0.0.1."""
    with Sandbox(backup_dir=tmp_path / "backups") as server:
        yield server


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """An HTTP client whose base URL is the sandbox."""
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield http


def mutating_requests(http: httpx.Client) -> list[dict]:
    """The mutating ``/v1`` requests the sandbox has logged so far."""
    return [e for e in http.get("/__sandbox/requests").json() if e["mutating"]]
