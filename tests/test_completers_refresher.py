"""``MetadataRefresher`` against the in-process sandbox over HTTP (demo seed)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from test_completers_specs import REGISTRY

from commands.api.client import RestClient
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache, MetadataSnapshot
from completers.refresher import MetadataRefresher
from sandbox import Sandbox

DEMO = ("Article", "DocumentChunk", "ELYSIACTL_Audit", "Product", "SupportTicket")
TENANTS = {"acme": "ACTIVE", "globex": "ACTIVE", "initech": "INACTIVE", "umbrella": "OFFLOADED"}


@pytest.fixture(scope="module")
def demo() -> Iterator[Sandbox]:
    with Sandbox(seed="demo") as server:
        yield server


@pytest.fixture
def api(demo: Sandbox) -> Iterator[RestClient]:
    httpx.delete(f"{demo.url}/__sandbox/requests")
    client = RestClient(demo.url, timeout=5)
    yield client
    client.close()


def requests_to(demo: Sandbox, path: str) -> int:
    log = httpx.get(f"{demo.url}/__sandbox/requests").json()
    return sum(1 for e in log if e["method"] == "GET" and e["path"] == path)


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refresh_fills_collections_and_properties(demo: Sandbox, api: RestClient) -> None:
    cache, done = MetadataCache(), Counter()
    refresher = MetadataRefresher(cache, lambda: api, done)
    assert cache.state == "empty"
    refresher.refresh()
    assert refresher.wait(10)
    snap = cache.snapshot
    assert snap.collections == DEMO
    assert list(snap.properties["Article"])[:3] == ["title", "body", "wordCount"]
    assert snap.properties["Article"]["tags"] == "text[]"
    assert snap.multi_tenant == {"SupportTicket"}
    assert snap.error is None and snap.fetched_at is not None
    assert cache.state == "fresh" and not refresher.is_refreshing
    assert done.calls == 1 and refresher.fetches == 1
    assert requests_to(demo, "/v1/schema") == 1


def gated(api: RestClient) -> tuple[Callable[[], RestClient], threading.Event, threading.Event]:
    """An api getter that blocks each fetch until ``gate`` is set; ``entered`` tells it began."""
    gate, entered = threading.Event(), threading.Event()

    def getter() -> RestClient:
        entered.set()
        assert gate.wait(10)
        return api

    return getter, gate, entered


def test_refresh_requests_while_running_coalesce(demo: Sandbox, api: RestClient) -> None:
    getter, gate, entered = gated(api)
    cache, done = MetadataCache(), Counter()
    refresher = MetadataRefresher(cache, getter, done)
    refresher.refresh()
    assert entered.wait(10)
    assert cache.state == "refreshing" and refresher.is_refreshing
    refresher.refresh()
    refresher.refresh()
    refresher.refresh()
    gate.set()
    assert refresher.wait(10)
    assert refresher.fetches == 2 and requests_to(demo, "/v1/schema") == 2
    assert done.calls == 1
    assert cache.state == "fresh" and cache.snapshot.collections == DEMO


def test_a_refresh_after_the_last_one_ended_fetches_again(demo: Sandbox, api: RestClient) -> None:
    cache = MetadataCache()
    refresher = MetadataRefresher(cache, lambda: api)
    for _ in range(2):
        refresher.refresh()
        assert refresher.wait(10)
    assert refresher.fetches == 2 and requests_to(demo, "/v1/schema") == 2


def test_an_unreachable_server_is_stored_as_an_error_not_raised() -> None:
    dead = RestClient(f"http://127.0.0.1:{closed_port()}", retries=0, timeout=2)
    old = MetadataSnapshot.from_schema([{"class": "Kept", "properties": []}], fetched_at=1.0)
    cache, done = MetadataCache(old), Counter()
    refresher = MetadataRefresher(cache, lambda: dead, done)
    refresher.refresh()
    assert refresher.wait(10)
    assert cache.state.startswith("error: cannot reach http://127.0.0.1:")
    assert cache.snapshot.error and "refused" in cache.snapshot.error
    assert cache.snapshot.collections == ("Kept",)  # stale data stays usable
    assert done.calls == 1 and not refresher.is_refreshing
    dead.close()


def test_disconnected_and_broken_getters_become_errors() -> None:
    cache = MetadataCache()
    refresher = MetadataRefresher(cache, lambda: None)
    refresher.refresh()
    assert refresher.wait(10)
    assert cache.state == "error: not connected"

    def broken() -> RestClient:
        raise RuntimeError("boom")

    refresher = MetadataRefresher(cache, broken)
    refresher.refresh()
    assert refresher.wait(10)
    assert cache.state == "error: RuntimeError: boom"


def test_a_failing_callback_does_not_stop_refreshing(api: RestClient) -> None:
    def on_done() -> None:
        raise ValueError("callback bug")

    cache = MetadataCache()
    refresher = MetadataRefresher(cache, lambda: api, on_done)
    for _ in range(2):
        refresher.refresh()
        assert refresher.wait(10)
    assert cache.state == "fresh" and refresher.fetches == 2


def test_reset_forgets_the_old_cluster(api: RestClient) -> None:
    stale = MetadataSnapshot.from_schema([{"class": "Elsewhere"}], fetched_at=1.0)
    cache = MetadataCache(stale)
    refresher = MetadataRefresher(cache, lambda: api)
    refresher.reset()
    assert refresher.wait(10)
    assert cache.snapshot.collections == DEMO


def test_reset_during_a_fetch_drops_its_result(demo: Sandbox, api: RestClient) -> None:
    getter, gate, entered = gated(api)
    cache = MetadataCache()
    refresher = MetadataRefresher(cache, getter)
    refresher.refresh()
    assert entered.wait(10)
    refresher.reset()
    assert cache.state == "refreshing" and cache.snapshot.collections == ()
    gate.set()
    assert refresher.wait(10)
    assert refresher.fetches == 2 and cache.snapshot.collections == DEMO


def loaded(api: RestClient) -> tuple[MetadataCache, MetadataRefresher, Counter]:
    cache, done = MetadataCache(), Counter()
    refresher = MetadataRefresher(cache, lambda: api, done)
    refresher.refresh()
    assert refresher.wait(10)
    return cache, refresher, done


def texts(completer: MetaCommandCompleter, line: str) -> list[str]:
    return [c.text for c in completer.get_completions(Document(line), CompleteEvent())]


def test_tenants_load_lazily_in_the_background(demo: Sandbox, api: RestClient) -> None:
    cache, refresher, done = loaded(api)
    completer = MetaCommandCompleter(REGISTRY, cache, refresher=refresher)
    line = "\\objects SupportTicket --tenant "
    assert texts(completer, line) == []  # the keystroke does not wait
    assert refresher.wait(10)
    assert done.calls == 2  # the refresh, then the tenant load
    assert dict(cache.snapshot.tenants["SupportTicket"]) == TENANTS
    assert texts(completer, line) == ["acme", "globex", "initech", "umbrella"]
    assert texts(completer, "\\tenants supportticket in") == ["initech"]
    assert requests_to(demo, "/v1/schema/SupportTicket/tenants") == 1  # cached


def test_tenant_wait_answers_the_first_completion(api: RestClient) -> None:
    cache, refresher, _ = loaded(api)
    completer = MetaCommandCompleter(REGISTRY, cache, refresher=refresher, tenant_wait=10)
    assert texts(completer, "\\objects SupportTicket --tenant g") == ["globex"]


def test_tenant_loads_coalesce(demo: Sandbox, api: RestClient) -> None:
    cache, refresher, _ = loaded(api)
    refresher.api_getter, gate, entered = gated(api)
    first = refresher.load_tenants("SupportTicket")
    assert entered.wait(10)
    second = refresher.load_tenants("SupportTicket")
    assert first is second and not first.is_set()
    gate.set()
    assert first.wait(10) and refresher.wait(10)
    assert refresher.load_tenants("SupportTicket").is_set()  # cached: nothing to do
    assert requests_to(demo, "/v1/schema/SupportTicket/tenants") == 1


def test_a_failed_tenant_load_is_not_retried_at_once(demo: Sandbox, api: RestClient) -> None:
    cache, refresher, _ = loaded(api)
    # A wrong belief: Article is not multi-tenant, so the server answers 422.
    cache.update(lambda s: MetadataSnapshot.from_schema(
        [{"class": "Article", "multiTenancyConfig": {"enabled": True}}], fetched_at=1.0))
    assert refresher.load_tenants("Article").wait(10) and refresher.wait(10)
    assert "Article" not in cache.snapshot.tenants
    assert refresher.load_tenants("Article").is_set()
    assert requests_to(demo, "/v1/schema/Article/tenants") == 1


def test_a_refresh_drops_cached_tenants_so_they_reload(api: RestClient) -> None:
    cache, refresher, _ = loaded(api)
    assert refresher.load_tenants("SupportTicket").wait(10)
    assert "SupportTicket" in cache.snapshot.tenants
    refresher.refresh()
    assert refresher.wait(10)
    assert cache.snapshot.tenants == {}


def test_stop_drops_work_in_flight_and_starts_nothing_more(api: RestClient) -> None:
    getter, gate, entered = gated(api)
    cache, done = MetadataCache(), Counter()
    refresher = MetadataRefresher(cache, getter, done)
    refresher.refresh()
    assert entered.wait(10)
    assert refresher.stop(timeout=0) is False  # the fetch is still blocked
    gate.set()
    assert refresher.wait(10)
    assert cache.snapshot.collections == () and done.calls == 0
    assert cache.state == "empty"
    refresher.refresh()
    assert refresher.load_tenants("SupportTicket").is_set()
    assert refresher.wait(10) and refresher.fetches == 1
