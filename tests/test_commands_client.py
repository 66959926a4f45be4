"""The REST client: retries for idempotent requests only, and Weaviate's errors as one line."""

from __future__ import annotations

import gc
import weakref

import httpx
import pytest

from commands.api.client import RestClient
from commands.errors import ApiError, ConnectionFailed, TimedOut
from sandbox import Sandbox


def client(url: str, **kwargs) -> RestClient:
    return RestClient(url, backoff=0.001, **kwargs)


def faults(url: str, **config) -> None:
    httpx.put(f"{url}/__sandbox/faults", json=config).raise_for_status()


def log(url: str) -> list[dict]:
    return httpx.get(f"{url}/__sandbox/requests").json()


def test_idempotent_requests_survive_injected_faults(sandbox: Sandbox) -> None:
    api = client(sandbox.url, retries=8)
    faults(sandbox.url, fail_rate=0.5, seed=11)
    for _ in range(30):
        assert api.get_json("/v1/schema") == {"classes": []}
    kinds = {entry["fault"] for entry in log(sandbox.url)}
    assert {"503", "drop", "truncate"} <= kinds  # every kind was met and retried


def test_posts_are_not_retried(sandbox: Sandbox) -> None:
    faults(sandbox.url, fail_rate=1.0, kinds=["503"])
    with pytest.raises(ApiError) as failed:
        client(sandbox.url).request("POST", "/v1/schema", json={"class": "Once"})
    assert failed.value.status == 503
    assert len(log(sandbox.url)) == 1
    faults(sandbox.url, fail_rate=1.0, kinds=["drop"])
    with pytest.raises(ConnectionFailed):
        client(sandbox.url).request("POST", "/v1/schema", json={"class": "Once"})
    assert len(log(sandbox.url)) == 2


def test_a_post_marked_idempotent_is_retried(sandbox: Sandbox) -> None:
    faults(sandbox.url, fail_rate=0.5, seed=2, kinds=["503"])
    api = client(sandbox.url, retries=10)
    api.request("POST", "/v1/schema", json={"class": "Upserted"}, idempotent=True)
    faults(sandbox.url, fail_rate=0)
    assert api.get_json("/v1/schema/Upserted")["class"] == "Upserted"


def test_retries_give_up_with_a_connection_error() -> None:
    with pytest.raises(ConnectionFailed) as failed:
        client("http://127.0.0.1:9", retries=2).get_json("/v1/meta")
    assert failed.value.message == ("cannot reach http://127.0.0.1:9: connection refused or "
                                    "host not found")
    assert failed.value.hint


def test_a_late_answer_is_not_an_unreachable_server() -> None:
    def late(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    def unconnected(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("connect timed out", request=request)

    api = client("http://weaviate.test", transport=httpx.MockTransport(late), timeout=7.0)
    with pytest.raises(TimedOut) as failed:
        api.get_json("/v1/nodes", output="minimal")
    assert (failed.value.message, failed.value.seconds) == (
        "GET /v1/nodes did not answer within 7 s", 7.0)
    with pytest.raises(TimedOut, match=r"within 0\.5 s"):
        api.request("GET", "/v1/nodes", timeout=0.5, retries=0)
    api = client("http://weaviate.test", transport=httpx.MockTransport(unconnected))
    with pytest.raises(ConnectionFailed) as failed:
        api.get_json("/v1/meta", retries=0)
    assert not isinstance(failed.value, TimedOut)
    assert failed.value.message == "cannot reach http://weaviate.test: timed out"


@pytest.mark.parametrize("status, body, message", [
    (422, {"error": [{"message": "class name Article already exists"}]},
     "class name Article already exists"),
    (422, {"allowed": None, "error": [{"message": "a"}, {"message": "b"}]}, "a; b"),
    (401, {"code": 401, "message": "unauthorized: invalid api key"},
     "unauthorized: invalid api key"),
    (404, None, "404 Not Found"),
    (500, {"error": [{"message": "line one\nline two"}]}, "line one line two"),
])
def test_error_shapes_become_one_line(status: int, body, message: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body) if body is not None else httpx.Response(status)

    api = RestClient("http://weaviate.test", transport=httpx.MockTransport(answer), retries=0)
    with pytest.raises(ApiError) as failed:
        api.get_json("/v1/schema")
    assert (failed.value.status, failed.value.message) == (status, message)
    assert (failed.value.hint is not None) == (status == 401)


def test_headers_and_api_key_are_sent() -> None:
    seen: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={})

    api = RestClient("http://weaviate.test", api_key="k", headers={"X-OpenAI-Api-Key": "o"},
                     transport=httpx.MockTransport(answer))
    api.get_json("/v1/meta")
    assert seen[0]["authorization"] == "Bearer k" and seen[0]["x-openai-api-key"] == "o"


def test_a_fast_start_does_not_weaken_the_sessions_retries(sandbox: Sandbox) -> None:
    from commands.ops.connection import open_connection

    connection = open_connection(sandbox.url, connect_retries=0)
    faults(sandbox.url, fail_rate=0.5, seed=11)
    for _ in range(10):  # at a fail rate of 0.5, each needs its retries
        assert connection.api.get_json("/v1/schema") == {"classes": []}


def test_a_response_is_freed_as_soon_as_it_is_dropped(sandbox: Sandbox) -> None:
    """Bulk work allocates few container objects, so the cyclic GC runs rarely: a response
    left in a reference cycle kept its body (a 2 MB cursor page) alive for many pages."""
    api = client(sandbox.url)
    gc.disable()
    try:
        response = api.request("GET", "/v1/schema")
        assert response.json() == {"classes": []}  # the body stays readable
        freed = weakref.ref(response)
        del response
        assert freed() is None
    finally:
        gc.enable()
