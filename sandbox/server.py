"""The HTTP side of the sandbox: a threaded HTTP/1.1 server on 127.0.0.1 and its lifecycle.

``Sandbox(...).start()`` serves on a free port in a background thread (tests,
``elysiactl --sandbox``); ``serve_forever()`` runs in the foreground
(``python -m sandbox``). The answering node's operational mode, then liveness and
readiness, are answered before routing and auth, as Weaviate's outer middlewares do;
faults are injected next, then authentication, then the route.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from sandbox import knobs, meta
from sandbox.app import App
from sandbox.http import ApiError, Request, Response, error, json_response
from sandbox.metrics import Metrics, MetricsServers
from sandbox.nodes import DEFAULT_INTERNAL_TIMEOUT_MS

logger = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Go's net/http sets TCP_NODELAY; without it, headers and body written separately
    # stall on delayed ACKs for ~40 ms per response.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's naming
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the request log under /__sandbox/requests replaces the access log."""

    def _handle(self) -> None:
        app = self.server.app
        url = urlsplit(self.path)
        raw_length = self.headers.get("Content-Length") or "0"
        if not raw_length.isdigit():
            return self._bad_request()
        length = int(raw_length)
        body = self.rfile.read(length) if length else b""
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, url.path, query, headers, body)
        if url.path.startswith("/__sandbox/"):
            return self._send(_guarded(request, lambda: knobs.handle(app, request)))
        if app.cluster.answering() is None:  # every node is down: nothing answers
            app.request_log.add(request, 0, "down")
            return self._inject("drop")
        started = time.perf_counter()
        response = self._outer(app, request)
        if response is None:
            return  # an injected fault
        self._send(response)
        if app.metrics is not None:
            app.metrics.request(request.method, request.route or url.path, response.status,
                                time.perf_counter() - started)

    def _outer(self, app: App, request: Request) -> Response | None:
        """Weaviate's outer middlewares (operational mode, then liveness and readiness), the
        sandbox's faults, then the route; None when a fault was injected instead."""
        refusal = app.cluster.mode_refusal(request.method, request.path)
        if refusal is not None:
            app.request_log.add(request, 503, None)
            return error(503, refusal)
        if request.path in ("/v1/.well-known/live", "/v1/.well-known/ready"):
            ready = request.path.endswith("live") or meta.is_ready(app)
            return Response(200 if ready else 503)
        if app.faults.latency_ms:
            time.sleep(app.faults.latency_ms / 1000)
        fault = app.faults.draw() if request.path.startswith("/v1") else None
        if fault is not None:
            app.request_log.add(request, 503 if fault == "503" else 0, fault)
            self._inject(fault)
            return None
        response = self._respond(app, request)
        app.request_log.add(request, response.status, None)
        return response

    def _respond(self, app: App, request: Request) -> Response:
        user, refusal = app.auth.authenticate(request)
        if refusal is not None:
            return refusal
        assert user is not None
        request.user = user
        forbidden = app.auth.authorize(user, request)
        if forbidden is not None:
            return forbidden
        app.tasks.advance()  # distributed tasks finish in the background in Weaviate
        return _guarded(request, lambda: app.router.dispatch(app, request))

    def _bad_request(self) -> None:
        """Go's net/http answer to a request it cannot read (here: a malformed
        Content-Length): a plain-text 400 before any handler, then it closes the connection."""
        self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                         b"Connection: close\r\n\r\n400 Bad Request")
        self.close_connection = True

    def _inject(self, fault: str) -> None:
        if fault == "503":
            return self._send(json_response(
                {"error": [{"message": "sandbox: injected fault (service unavailable)"}]}, 503))
        if fault == "truncate":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 4096\r\n\r\n{\"objects\": [")
            self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        body = response.body
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)


def _guarded(request: Request, handle: Callable[[], Response]) -> Response:
    """Run a handler: ``ApiError`` is its answer, anything else a sandbox bug answered 500
    (never a dropped connection or a dead thread)."""
    try:
        return handle()
    except ApiError as exc:
        return exc.response
    except Exception as exc:
        logger.exception("sandbox handler failed: %s %s", request.method, request.path)
        return error(500, f"sandbox internal error: {type(exc).__name__}: {exc}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        super().__init__(address, _Handler)


class Sandbox:
    """An emulated Weaviate cluster served over HTTP on 127.0.0.1.

    ``auto_schema=False`` behaves as a server with ``AUTOSCHEMA_ENABLED=false``: writes to
    unknown classes or properties are refused instead of extending the schema.
    ``metrics=True`` serves each node's Prometheus metrics on a port of its own
    (``metrics_url``, ``metrics_urls``), as ``PROMETHEUS_MONITORING_ENABLED=true`` does.
    ``export=True`` serves the export API as ``EXPORT_ENABLED=true`` does, writing under
    ``export_dir`` (``EXPORT_DEFAULT_PATH``; default: a temporary directory).
    ``internal_timeout_ms`` is the peer deadline of fan-out requests
    (``MINIMUM_INTERNAL_TIMEOUT``); ``PUT /__sandbox/cluster`` changes it until a reset.
    ``replica_movement=False`` answers ``/v1/replication/*`` with 501 as a server without
    ``REPLICA_MOVEMENT_ENABLED=true`` does.
    ``rbac=True`` with ``root_users`` and ``db_users=True`` behave as
    ``AUTHORIZATION_RBAC_ENABLED``, ``AUTHORIZATION_RBAC_ROOT_USERS`` and
    ``AUTHENTICATION_DB_USERS_ENABLED`` (see ``sandbox.rbac``).
    ``runtime_reindex=True`` accepts reindex submissions, as ``RUNTIME_REINDEX_ENABLED=true``
    does (``PUT /__sandbox/tasks`` toggles it and sets how long a reindex task takes).
    """

    def __init__(self, port: int = 0, host: str = "127.0.0.1", seed: str = "none",
                 api_keys: dict[str, str] | None = None, read_only_users: set[str] | None = None,
                 nodes: int = 1, backup_dir: Path | None = None, auto_schema: bool = True,
                 internal_timeout_ms: float = DEFAULT_INTERNAL_TIMEOUT_MS,
                 metrics: bool = False, replica_movement: bool = True, rbac: bool = False,
                 root_users: list[str] | None = None, db_users: bool = False,
                 runtime_reindex: bool = False, export: bool = False,
                 export_dir: Path | None = None) -> None:
        self.app = App(nodes=nodes, api_keys=api_keys or {}, read_only_users=read_only_users,
                       backup_dir=backup_dir, seed=seed, auto_schema=auto_schema,
                       internal_timeout_ms=internal_timeout_ms,
                       replica_movement=replica_movement, rbac=rbac, root_users=root_users,
                       db_users=db_users, runtime_reindex=runtime_reindex, export=export,
                       export_dir=export_dir)
        self._server = _Server((host, port), self.app)
        self.app.hostname = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None
        self._metrics: MetricsServers | None = None
        if metrics:
            self.app.metrics = Metrics(self.app)
            self._metrics = MetricsServers(self.app.metrics, host)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def metrics_urls(self) -> dict[str, str]:
        """Each node's Prometheus endpoint (``metrics=True``), as ``http://HOST:PORT/metrics``."""
        return self._metrics.urls if self._metrics is not None else {}

    @property
    def metrics_url(self) -> str | None:
        """The first node's Prometheus endpoint, or None without ``metrics=True``."""
        urls = self.metrics_urls
        return urls[min(urls)] if urls else None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234`` (without ``/v1``)."""
        return f"http://{self._server.server_address[0]}:{self.port}"

    def start(self) -> Sandbox:
        """Serve in a daemon thread and return at once."""
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name=f"sandbox:{self.port}")
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        if self._metrics is not None:
            self._metrics.stop()
        self.app.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
