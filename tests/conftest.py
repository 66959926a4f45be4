"""Shared fixtures: an in-process sandbox on a free port and an HTTP client for it."""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from commands.api.client import RestClient
from commands.context import CommandContext, Connection, Session
from commands.meta import MODULES
from commands.parse import bind, tokenize
from commands.registry import Registry
from sandbox import Sandbox

REGISTRY = Registry.from_modules(MODULES)

# pytest-xdist workers inherit LINES=24 and COLUMNS=80 from execnet; rich and prompt_toolkit
# would believe them over the size of a test's pseudo-terminal.
for _name in ("LINES", "COLUMNS"):
    os.environ.pop(_name, None)
os.environ["PAGER"] = "cat"  # a REPL in a pty pages long results; test_craft_pager sets its own

# Hundreds of elysiactl and sandbox processes start during the suite: with
# PYTHONDONTWRITEBYTECODE (set on some machines) each one compiled every module it imported
# again (0.43 s CPU instead of 0.27 s for `elysiactl -c`), and pytest rewrote the asserts of
# every test module in every worker. Cache the bytecode, as a developer's machine does.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# A suite started in the background by a non-interactive shell (`make test &`) inherits
# SIGINT ignored, and so would every elysiactl or sandbox process a test starts and stops
# with Ctrl-C: give them Python's default, as a terminal would.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than cores. A worker often waits (on an elysiactl process
    it started, a retry's backoff, a sandbox's delay), and a third worker fills the gap: 263 s
    against 295-310 s for `make test` on 2 cores."""
    return (os.cpu_count() or 1) + 1


# The files that take longest (a kill -9 or fault scenario over 20,000 objects, a workflow of
# processes), run first. With --dist loadfile a worker runs a file whole, and xdist queues
# files by their number of tests: these few-test files came last, one worker still running
# them while the others had nothing left. The other files keep xdist's order (most tests
# first); a new slow file belongs here, unless its timings are tight (\stats --watch 0.2 in
# test_commands_stats_live went stale when it ran beside these at the start).
SLOW_FIRST = ("test_commands_migrate_online.py", "test_backup_reliability.py",
              "test_workflows_operations.py", "test_commands_restore_roundtrip.py",
              "test_commands_backup_resume.py", "test_workflows.py",
              "test_commands_backup_incremental.py", "test_craft_record.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run ``SLOW_FIRST`` first, then the files with most tests (``--no-loadscope-reorder``
    in pyproject.toml keeps this order)."""
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    tests = Counter(item.path.name for item in items)
    items.sort(key=lambda item: (rank.get(item.path.name, len(rank)), -tests[item.path.name]))


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


@pytest.fixture
def sb(tmp_path) -> Iterator[Sandbox]:
    """An empty three-node sandbox (placement, nodes and GraphQL tests)."""
    with Sandbox(nodes=3, backup_dir=tmp_path / "backups") as server:
        yield server


@pytest.fixture
def http(sb: Sandbox) -> Iterator[httpx.Client]:
    """An HTTP client for the three-node sandbox."""
    with httpx.Client(base_url=sb.url, timeout=10) as client:
        yield client


def mutating_requests(http: httpx.Client) -> list[dict]:
    """The mutating ``/v1`` requests the sandbox has logged so far."""
    return [e for e in http.get("/__sandbox/requests").json() if e["mutating"]]


@pytest.fixture(scope="module")
def source() -> Iterator[Sandbox]:
    """A demo-seeded cluster to migrate from, shared by a module's tests, which only read it
    (tenants they activate are set back); a module may define its own."""
    with Sandbox(seed="demo") as server:
        yield server


@pytest.fixture
def target() -> Iterator[Sandbox]:
    """An empty cluster to migrate to."""
    with Sandbox() as server:
        yield server


@pytest.fixture(scope="module")
def demo() -> Iterator[Sandbox]:
    """One demo-seeded sandbox shared by the read-only tests of a module."""
    with Sandbox(seed="demo") as server:
        yield server


def make_session(url: str) -> Session:
    """A session connected to ``url`` without retries (tests want failures at once)."""
    return Session(connection=Connection(api=RestClient(url, retries=0), url=url))


@pytest.fixture
def session(demo: Sandbox) -> Session:
    return make_session(demo.url)


def run(session: Session, line: str) -> Any:
    """Bind ``line`` to its declaration and call the handler, without the dispatcher's
    context defaults, so a test sees the handler's own result or exception."""
    words = tokenize(line)
    spec = REGISTRY.find(words[0])
    inv = bind(spec, words[1:])
    return spec.handler(CommandContext(session, inv.arguments), **inv.arguments)
