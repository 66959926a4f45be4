"""The test knobs (request log, faults, reset), the CLI and the demo seed."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from conftest import mutating_requests

from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


def test_request_log_tells_reads_from_writes(client: httpx.Client) -> None:
    client.get("/v1/schema")
    client.request("DELETE", "/v1/batch/objects", json={"match": {"class": "X"}})
    client.post("/v1/graphql", json={"query": "{ Aggregate { X { meta { count } } } }"})
    client.post("/v1/graphql/batch", json=[{"query": "{ Aggregate { X { meta { count } } } }"}])
    client.post("/v1/objects/validate", json={"class": "X"})
    log = client.get("/__sandbox/requests").json()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/v1/schema", 200), ("DELETE", "/v1/batch/objects", 422),
        ("POST", "/v1/graphql", 422), ("POST", "/v1/graphql/batch", 422),
        ("POST", "/v1/objects/validate", 422)]
    assert [e["path"] for e in mutating_requests(client)] == ["/v1/batch/objects"]
    assert client.delete("/__sandbox/requests").status_code == 204
    assert client.get("/__sandbox/requests").json() == []


def _outcomes(url: str, n: int) -> list[str]:
    outcomes = []
    with httpx.Client(base_url=url, timeout=5) as http:
        for _ in range(n):
            try:
                outcomes.append(str(http.get("/v1/schema").status_code))
            except httpx.TransportError as exc:
                outcomes.append(type(exc).__name__)
    return outcomes


def test_faults_are_seeded_and_happen_before_any_mutation(client: httpx.Client,
                                                          sandbox: Sandbox) -> None:
    config = {"fail_rate": 0.5, "seed": 3}
    client.put("/__sandbox/faults", json=config)
    first = _outcomes(sandbox.url, 40)
    client.put("/__sandbox/faults", json=config)
    assert _outcomes(sandbox.url, 40) == first
    assert {"200", "503"} <= set(first) and len(set(first)) >= 3
    client.put("/__sandbox/faults", json={"fail_rate": 1.0, "kinds": ["drop"]})
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{sandbox.url}/v1/schema", json={"class": "Never"})
    client.put("/__sandbox/faults", json={"fail_rate": 0})
    assert client.get("/v1/schema/Never").status_code == 404
    bad = client.put("/__sandbox/faults", json={"fail_rate": 2})
    assert bad.status_code == 422


def test_latency_is_added(client: httpx.Client) -> None:
    client.put("/__sandbox/faults", json={"latency_ms": 150})
    assert client.get("/v1/meta").elapsed.total_seconds() >= 0.15


def test_reset_loads_the_demo(client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Mine"})
    assert client.post("/__sandbox/reset", json={"seed": "demo"}).status_code == 204
    names = {c["class"] for c in client.get("/v1/schema").json()["classes"]}
    assert names == {"Article", "Product", "SupportTicket", "DocumentChunk", "ELYSIACTL_Audit"}
    client.post("/__sandbox/reset")
    assert client.get("/v1/schema").json() == {"classes": []}


def test_demo_seed_content(tmp_path: Path) -> None:
    with Sandbox(seed="demo", nodes=3, backup_dir=tmp_path) as server:
        http = httpx.Client(base_url=server.url)
        count = http.post("/v1/graphql", json={
            "query": "{ Aggregate { DocumentChunk { meta { count } } } }"}).json()
        assert count["data"]["Aggregate"]["DocumentChunk"][0]["meta"]["count"] == 20_000
        page = http.get("/v1/objects", params={"class": "Docs", "limit": 1,
                                               "include": "vector"}).json()
        assert len(page["objects"][0]["vector"]) == 128
        tenants = {t["name"]: t["activityStatus"]
                   for t in http.get("/v1/schema/SupportTicket/tenants").json()}
        assert tenants == {"acme": "HOT", "globex": "HOT", "initech": "COLD",
                           "umbrella": "FROZEN"}
        product = http.get("/v1/objects", params={"class": "Product", "limit": 1,
                                                  "include": "vector"}).json()["objects"][0]
        assert set(product["vectors"]) == {"title_vector", "image_vector"}
        article = http.get("/v1/schema/Article").json()
        kinds = {p["dataType"][0] for p in article["properties"]}
        assert {"text", "int", "number", "boolean", "date", "uuid", "geoCoordinates",
                "object", "text[]"} <= kinds


def test_python_m_sandbox_serves_until_interrupted() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", "0", "--seed", "none",
                             "--api-key", "k1=alice"], cwd=ROOT, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        banner = proc.stderr.readline()
        assert "an emulator, not a real Weaviate" in banner
        url = re.search(r"http://127\.0\.0\.1:\d+", banner).group(0)
        assert httpx.get(f"{url}/v1/schema").status_code == 401
        own = httpx.get(f"{url}/v1/users/own-info", headers={"Authorization": "Bearer k1"})
        assert own.json()["username"] == "alice"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_cli_rejects_a_busy_port(sandbox: Sandbox) -> None:
    result = subprocess.run([sys.executable, "-m", "sandbox", "--port", str(sandbox.port)],
                            cwd=ROOT, capture_output=True, text=True, timeout=30,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1
    assert "cannot listen" in result.stderr and "Traceback" not in result.stderr


def test_reset_swaps_in_a_fully_built_database(client: httpx.Client, sandbox: Sandbox) -> None:
    query = {"query": "{ Aggregate { DocumentChunk { meta { count } } } }"}
    loader = threading.Thread(target=lambda: client.post("/__sandbox/reset",
                                                         json={"seed": "demo"}))
    loader.start()
    counts = []
    with httpx.Client(base_url=sandbox.url, timeout=10) as reader:
        while loader.is_alive() or not counts:
            answer = reader.post("/v1/graphql", json=query)
            if answer.status_code == 200:
                counts.append(answer.json()["data"]["Aggregate"]["DocumentChunk"][0]["meta"][
                    "count"])
    loader.join()
    assert set(counts) == {20_000}  # never a half-loaded demo


def test_knob_errors_are_answered(client: httpx.Client) -> None:
    malformed = client.post("/__sandbox/reset", content=b"{nope",
                            headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["code"] == 400
    assert client.post("/__sandbox/reset", json={"seed": "x"}).status_code == 422
    assert client.put("/__sandbox/faults", json=[1]).status_code == 422
    assert client.get("/v1/schema").status_code == 200  # the connection and server live on


def test_a_malformed_content_length_is_nethttps_400(sandbox: Sandbox) -> None:
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as conn:
        conn.sendall(b"POST /v1/schema HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(b"\r\n\r\n400 Bad Request")
    assert httpx.get(f"{sandbox.url}/v1/schema").status_code == 200
