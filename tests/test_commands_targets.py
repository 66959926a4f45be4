"""Opening a second cluster (``--target``) and checking URLs: one clear line, the right exit
status, and no request to something that cannot be a Weaviate endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REGISTRY, make_session

from commands.audit import MemoryAuditLog
from commands.dispatch import Dispatcher
from commands.errors import ConnectionFailed, UsageError
from commands.ops.connection import check_url, open_connection
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("url", ["http://", "ftp://weaviate:8080", "localhost:8080",
                                 "http://host:port", "http://[::1"])
def test_urls_that_cannot_name_weaviate_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_url(url)
    assert repr(url) in caught.value.message and "http://localhost:8080" in caught.value.hint


def test_http_and_https_urls_with_a_host_pass() -> None:
    for url in ("http://localhost:8080", "https://weaviate.example.com", "http://[::1]:8080/"):
        check_url(url)


def test_something_that_is_not_weaviate_is_named_so() -> None:
    with Sandbox(metrics=True) as server:  # its metrics port speaks HTTP, not Weaviate
        with pytest.raises(ConnectionFailed, match="does not answer as Weaviate: GET /v1/meta "
                                                   "answered 404"):
            open_connection(server.metrics_url.removesuffix("/metrics"), connect_retries=0)


def elysiactl(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")}
    return subprocess.run([sys.executable, "-m", "shell", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=60,
                          env={**clean, **env, "XDG_STATE_HOME": str(tmp_path / "state"),
                               "XDG_CONFIG_HOME": str(tmp_path / "config"),
                               "PYTHONPATH": str(ROOT)})


def test_target_errors_name_the_target_and_exit_3(tmp_path: Path) -> None:
    with Sandbox(seed="demo") as source, Sandbox(api_keys={"secret": "admin"}) as locked:
        refused = elysiactl(tmp_path, "--url", source.url, "col", "migrate", "Article",
                            "--target", locked.url)
        assert refused.returncode == 3, refused.stderr
        assert f"error: the target {locked.url} refused the credentials" in refused.stderr
        assert "--target-api-key-env" in refused.stderr
        keyed = elysiactl(tmp_path, "--url", source.url, "col", "health", "Article",
                          "--target", locked.url, "--target-api-key-env", "LOCKED_KEY",
                          LOCKED_KEY="secret")
        assert "refused" not in keyed.stderr and "no collection Article" in keyed.stderr
        down = elysiactl(tmp_path, "--url", source.url, "col", "migrate", "Article",
                         "--target", "http://127.0.0.1:9")
        assert down.returncode == 3 and "error: the target: cannot reach" in down.stderr
        bad = elysiactl(tmp_path, "--url", source.url, "col", "migrate", "Article",
                        "--target", "ftp://elsewhere")
        assert bad.returncode == 2 and "not an http(s) URL" in bad.stderr


class Words:
    """A person at a terminal who is asked to type a word, and refuses."""

    interactive = True

    def __init__(self) -> None:
        self.words: list[str] = []

    def confirm(self, plan: object, word: str) -> bool:
        self.words.append(word)
        return False


@pytest.mark.parametrize(("tier", "word"), [("production", "Article"), (None, "yes")])
def test_overwriting_a_production_target_asks_for_the_collection_name(
        tmp_path: Path, tier: str | None, word: str) -> None:
    with Sandbox(seed="demo") as source, Sandbox(seed="demo") as target:
        session = make_session(source.url)
        session.state_dir = tmp_path
        session.connector = lambda url, api_key=None, secondary=False: replace(
            open_connection(url, api_key=api_key), tier=tier)
        session.confirmer = Words()
        outcome = Dispatcher(REGISTRY, session, MemoryAuditLog()).execute(
            rf"\migrate Article --target {target.url}", "test")
        assert outcome.exit_code == 4 and session.confirmer.words == [word]
