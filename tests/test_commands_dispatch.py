"""The dispatcher: parsing, binding, context defaults, errors, audit entries and redaction."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from commands.audit import JsonlAuditLog, MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.errors import QuitRequested
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.parse import parse
from commands.registry import Registry
from commands.results import Message, Text
from commands.safety import Plan
from commands.spec import Arg, Kind, Opt, command
from sandbox import Sandbox


@command("echo", "Echo the arguments.", args=(Arg("collection", Kind.COLLECTION,
                                                   from_context=True),),
         opts=(Opt("--token", secret=True), Opt("--count", Kind.INT, default=1)),
         needs_connection=False)
def echo_cmd(ctx, *, collection, token, count):
    return Message(f"{collection} {count}")


@command("boom", "Fail unexpectedly.", needs_connection=False)
def boom_cmd(ctx):
    raise RuntimeError("kaput")


@command("slow", "Get interrupted.", needs_connection=False)
def slow_cmd(ctx):
    raise KeyboardInterrupt


@command("remote", "Needs a cluster.")
def remote_cmd(ctx):
    return Message("never")


def make(audit=None, error_log: Path | None = None) -> Dispatcher:
    module = types.SimpleNamespace(echo=echo_cmd, boom=boom_cmd, slow=slow_cmd,
                                   remote=remote_cmd)
    registry = Registry.from_modules([module, *MODULES])
    return Dispatcher(registry, Session(), audit or MemoryAuditLog(), error_log)


def test_binding_defaults_and_conversion() -> None:
    dispatcher = make()
    outcome = dispatcher.execute(r"\echo Article --count 3", "repl")
    assert outcome.results == [Message("Article 3")] and outcome.exit_code == 0
    assert dispatcher.execute("echo Article --count=2", "repl").results == [Message("Article 2")]
    bad = dispatcher.execute(r"\echo Article --count many", "repl")
    assert (bad.status, bad.exit_code) == ("usage-error", 2)
    assert bad.error.message == "--count expects a whole number, got 'many'"


def test_collection_comes_from_the_session() -> None:
    dispatcher = make()
    missing = dispatcher.execute(r"\echo", "repl")
    assert missing.error.hint == r"give one, or pick one with \use COLLECTION"
    dispatcher.session.collection = "Article"
    assert dispatcher.execute(r"\echo", "repl").results == [Message("Article 1")]


def test_unknown_commands_and_options_suggest() -> None:
    dispatcher = make()
    outcome = dispatcher.execute(r"\ecoh x", "repl")
    assert outcome.error.message == r"unknown command \ecoh"
    assert outcome.error.hint == r"did you mean \echo?"
    option = dispatcher.execute(r"\echo x --cou 2", "repl")
    assert option.error.hint == "did you mean --count?"


def test_help_is_generated_from_the_declaration() -> None:
    outcome = make().execute(r"\echo --help", "repl")
    [text] = outcome.results
    assert isinstance(text, Text)
    assert text.text.startswith(r"usage: \echo [COLLECTION] [--token TEXT] [--count INT]")
    assert "(default: the current collection)" in text.text


def test_not_connected_has_a_hint() -> None:
    outcome = make().execute(r"\remote", "repl")
    assert outcome.exit_code == 3
    assert "--sandbox" in outcome.error.hint


def test_unexpected_errors_are_one_line_and_logged(tmp_path: Path, caplog) -> None:
    log = tmp_path / "elysiactl.log"
    outcome = make(error_log=log).execute(r"\boom", "repl")
    assert outcome.error.message == f"internal error: RuntimeError: kaput (details in {log})"
    assert "Traceback" in caplog.text and "kaput" in caplog.text


def test_interrupt_and_quit() -> None:
    dispatcher = make()
    outcome = dispatcher.execute(r"\slow", "repl")
    assert (outcome.status, outcome.exit_code) == ("interrupted", 130)
    with pytest.raises(QuitRequested):
        dispatcher.execute(r"\q", "repl")
    assert [e["command"] for e in dispatcher.audit.entries()] == ["slow", "q"]


def test_audit_entries_are_complete_and_redacted(tmp_path: Path) -> None:
    audit = JsonlAuditLog(tmp_path / "state" / "audit.jsonl")
    dispatcher = make(audit)
    dispatcher.execute(r"\echo Article --token s3cret", "script:ops.txt:4")
    dispatcher.execute(r"\nope --token s3cret", "repl")
    first, second = list(audit.entries())
    assert first["source"] == "script:ops.txt:4" and first["command"] == "echo"
    assert first["arguments"] == {"collection": "Article", "token": "***", "count": 1}
    assert first["status"] == "ok" and first["confirmation"] == "not-needed"
    assert set(first) >= {"time", "session", "identity", "cluster", "destructive", "error",
                          "duration_ms", "objects_affected"}
    assert second["arguments"] == {"raw": r"\nope"} and second["status"] == "usage-error"
    assert "s3cret" not in audit.path.read_text()
    assert (audit.path.stat().st_mode & 0o777) == 0o600


def test_session_commands_against_the_sandbox(tmp_path: Path) -> None:
    with Sandbox(seed="demo", backup_dir=tmp_path) as server:
        dispatcher = make()
        dispatcher.session.connector = lambda target, **_: open_connection(target)
        connected = dispatcher.execute(rf"\connect {server.url}", "repl")
        assert connected.results[0].text.startswith(f"connected to {server.url} (Weaviate ")
        used = dispatcher.execute(r"\use article", "repl")
        assert dispatcher.session.collection == "Article", used.error
        wrong = dispatcher.execute(r"\use Artcle", "repl")
        assert wrong.error.hint == "did you mean Article?"
        info = dispatcher.execute(r"\conninfo", "repl").results[0].to_data()
        assert info["collection"] == "Article" and info["server_version"] == "1.39.0"
        history = dispatcher.execute(r"\history", "repl").results[0].to_data()
        assert [h["command"] for h in history][-2:] == [r"\use Artcle", r"\conninfo"]
        audit = dispatcher.execute(r"\audit --status usage-error", "repl").results[0]
        assert audit.to_data() == []
        errors = dispatcher.execute(r"\audit --status error --since 1h", "repl").results[0]
        assert [e["command"] for e in errors.to_data()] == ["use"]


def test_parse_rejects_unclosed_quotes() -> None:
    registry = make().registry
    with pytest.raises(Exception, match="cannot parse the line"):
        parse(r'\echo "Article', registry)


def test_context_collection_is_the_one_left_out() -> None:
    @command("pair", "Two positionals.", needs_connection=False,
             args=(Arg("collection", Kind.COLLECTION, "c", from_context=True),
                   Arg("uuid", Kind.UUID, "u")))
    def pair_cmd(ctx, *, collection, uuid):
        return Message(f"{collection}/{uuid}")

    dispatcher = Dispatcher(Registry([pair_cmd.spec]), Session(), MemoryAuditLog())
    dispatcher.session.collection = "Article"
    assert dispatcher.execute(r"\pair 1234", "repl").results == [Message("Article/1234")]
    assert dispatcher.execute(r"\pair Doc 1234", "repl").results == [Message("Doc/1234")]
    assert dispatcher.execute(r"\pair", "repl").error.message == r"\pair: missing UUID"


def test_options_with_a_bare_value() -> None:
    @command("pack", "Pack.", needs_connection=False,
             opts=(Opt("--compress", Kind.CHOICE, "codec", choices=("zstd", "gzip", "none"),
                       bare="zstd"),))
    def pack_cmd(ctx, *, compress):
        return Message(str(compress))

    dispatcher = Dispatcher(Registry([pack_cmd.spec]), Session(), MemoryAuditLog())
    assert dispatcher.execute(r"\pack", "repl").results == [Message("None")]
    assert dispatcher.execute(r"\pack --compress", "repl").results == [Message("zstd")]
    assert dispatcher.execute(r"\pack --compress=gzip", "repl").results == [Message("gzip")]
    bad = dispatcher.execute(r"\pack --compress=lz4", "repl")
    assert bad.exit_code == 2 and "not one of zstd, gzip, none" in bad.error.message
    assert pack_cmd.spec.usage == r"\pack [--compress[=zstd|gzip|none]]"


def test_a_numeric_option_with_a_bare_value_takes_a_following_number_only() -> None:
    @command("tick", "Tick.", needs_connection=False,
             args=(Arg("pattern", Kind.PATTERN, "names", required=False, many=True),),
             opts=(Opt("--every", Kind.NUMBER, "seconds", bare=2.0),
                   Opt("--compress", Kind.CHOICE, "codec", choices=("zstd", "gzip"),
                       bare="zstd")))
    def tick_cmd(ctx, *, pattern, every, compress):
        return Message(f"{pattern} {every} {compress}")

    run = Dispatcher(Registry([tick_cmd.spec]), Session(), MemoryAuditLog()).execute
    assert run(r"\tick --every 5", "repl").results == [Message("[] 5.0 None")]
    assert run(r"\tick --every .5 Art*", "repl").results == [Message("['Art*'] 0.5 None")]
    assert run(r"\tick --every Art*", "repl").results == [Message("['Art*'] 2.0 None")]
    assert run(r"\tick --every=0.25", "repl").results == [Message("[] 0.25 None")]
    # a choice option never takes the next word, even one of its choices
    assert run(r"\tick --compress gzip", "repl").results == [Message("['gzip'] None zstd")]
    bad = run(r"\tick --every=soon", "repl")
    assert bad.exit_code == 2 and bad.error.message == "--every expects a number, got 'soon'"


def test_a_completed_run_with_its_own_exit_status_is_audited_with_its_status() -> None:
    @command("probe", "Probe.", needs_connection=False,
             opts=(Opt("--verdict", Kind.TEXT, "a status word"),
                   Opt("--code", Kind.INT, "exit status", default=0)))
    def probe_cmd(ctx, *, verdict, code):
        ctx.exit_code, ctx.status = code, verdict
        return Message("done")

    audit = MemoryAuditLog()
    run = Dispatcher(Registry([probe_cmd.spec]), Session(), audit).execute
    assert run(r"\probe", "repl").exit_code == 0
    degraded = run(r"\probe --code 1 --verdict degraded", "repl")
    assert (degraded.exit_code, degraded.status, degraded.error) == (1, "degraded", None)
    assert run(r"\probe --code 1", "repl").status == "error"
    assert [e["status"] for e in audit.entries()] == ["ok", "degraded", "error"]


def test_a_command_that_meets_the_safety_gate_is_audited_as_destructive() -> None:
    @command("tweak", "Tweak.", needs_connection=False,
             opts=(Opt("--dry-run", flag=True), Opt("--change", flag=True)))
    def tweak_cmd(ctx, *, dry_run, change):
        if change:
            ctx.approve(Plan(action="tweak it", targets=("it",)), dry_run=dry_run)
        return Message("ok")

    audit = MemoryAuditLog()
    run = Dispatcher(Registry([tweak_cmd.spec]), Session(), audit).execute
    run(r"\tweak", "repl")
    run(r"\tweak --change --dry-run", "repl")
    assert run(r"\tweak --change", "repl").exit_code == 4  # no terminal: refused
    assert [(e["destructive"], e["confirmation"]) for e in audit.entries()] == [
        (False, "not-needed"), (True, "dry-run"), (True, "refused")]


def test_an_option_is_never_the_value_of_the_one_before_it() -> None:
    @command("send", "Send.", needs_connection=False,
             opts=(Opt("--target", Kind.PROFILE, "where"), Opt("--force", flag=True)))
    def send_cmd(ctx, *, target, force):
        return Message(f"{target} {force}")

    run = Dispatcher(Registry([send_cmd.spec]), Session(), MemoryAuditLog()).execute
    for line in (r"\send --target --format json", r"\send --target --force",
                 r"\send --target --help", r"\send --target"):
        outcome = run(line, "repl")
        assert (outcome.exit_code, outcome.error.message) == (2, "--target needs a value"), line
    # an unknown word that merely starts with dashes stays a value; = always gives one
    assert run(r"\send --target --elsewhere", "repl").results == [Message("--elsewhere False")]
    assert run(r"\send --target=--force", "repl").results == [Message("--force False")]
