"""\\set, \\unset, -v and :NAME interpolation, as psql users expect them: in the REPL, in
scripts and on the command line; secret-named variables never reach the audit or \\history."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from craft_support import repl_in
from test_shell_modes import audit, env, run  # noqa: F401 - env: the private-XDG fixture
from test_shell_start import assert_light, elysiactl

from commands.variables import interpolate
from sandbox import Sandbox

VARIABLES = {"COLL": "Article", "WHERE": "title = 'a b'", "EMPTY": ""}


@pytest.mark.parametrize(("line", "expected"), [
    (r"\count :COLL", r"\count Article"),
    (r"\objects :COLL --where :'WHERE'", r"\objects Article --where " + shlex.quote(
        VARIABLES["WHERE"])),  # one word, whatever its quotes
    (r"""\show ':COLL' ":COLL" \":COLL""", r"""\show ':COLL' ":COLL" \"Article"""),  # quotes
    (r"\count :NOPE", r"\count :NOPE"),  # undefined: left as typed
    (r"\connect http://localhost:8080", r"\connect http://localhost:8080"),
    (r"\set T 12\:30", r"\set T 12:30"),  # \: is a literal colon
    (r"\set T a::COLL", r"\set T a::COLL"),  # :: starts no variable
    (r"\set T :{?COLL}-:{?NOPE}", r"\set T TRUE-FALSE"),
    (r"\set T x:EMPTY:COLL", r"\set T xArticle"),
    (r'\set T "say \":COLL\"" :COLL', r'\set T "say \":COLL\"" Article'),
])
def test_interpolation_follows_psql(line: str, expected: str) -> None:
    assert interpolate(line, VARIABLES) == expected


def test_repl_sets_lists_interpolates_and_unsets(tmp_path: Path, demo: Sandbox) -> None:
    keys = ("\\set COLL Article\r\\set LIMIT 2\r\\objects :COLL --limit :LIMIT --format json\r"
            "\\set\r\\unset LIMIT\r\\count :LIMIT\r\\q\r")
    dispatcher, out, err = repl_in(tmp_path, demo.url, keys)
    objects = json.loads(out[out.index("["):out.index("]\n") + 1])
    assert len(objects) == 2 and all("wordCount" in o for o in objects)  # Article's
    assert "COLL" in out and "LIMIT" in out  # the \set listing
    assert "no collection named ':LIMIT'" in err  # unset: left as typed
    assert dispatcher.session.variables == {"COLL": "Article"}
    assert r"\objects Article --limit 2 --format json" in dispatcher.session.history  # as run
    commands = [e for e in dispatcher.audit.entries() if e["command"] == "objects"]
    assert commands[0]["arguments"]["collection"] == "Article"


def test_a_secret_named_variable_never_reaches_audit_or_history(tmp_path: Path,
                                                               demo: Sandbox) -> None:
    keys = ("\\set API_TOKEN s3cr3t-value\r\\show :API_TOKEN\r\\set\r\\history\r\\q\r")
    dispatcher, out, err = repl_in(tmp_path, demo.url, keys)
    assert "no collection named 's3cr3t-value'" in err  # the line ran with the value
    recorded = json.dumps(list(dispatcher.audit.entries())) + "\n".join(
        dispatcher.session.history)
    assert "s3cr3t-value" not in recorded and r"\show ***" in dispatcher.session.history
    assert "s3cr3t-value" not in out  # \set lists it as ***, \history shows it redacted
    assert "API_TOKEN   ***" in out


def test_script_and_command_line_variables(env, demo: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    script = tmp_path / "ops.txt"
    script.write_text("\\set N 3\n\\objects :COLL --limit :N --format json\n"
                      "\\count :COLL --format json\n")
    result = run(env, "--url", demo.url, "-v", "COLL=Article", "-f", str(script))
    assert result.returncode == 0, result.stderr
    assert '"count": 250' in result.stdout and result.stdout.count('"wordCount"') == 3
    result = run(env, "--url", demo.url, "--set", "C=Product", "--variable", "E=",
                 "-c", r"\count :C:E --format json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["collection"] == "Product"
    assert [e["arguments"] for e in audit(env) if e["command"] == "count"][-1][
        "collection"] == "Product"


def test_a_bad_variable_name_is_a_usage_error(env, demo: Sandbox) -> None:  # noqa: F811
    result, loaded = elysiactl("-v", "NO-PE=1", "-c", r"\ls")
    assert result.returncode == 2
    assert "elysiactl: error: invalid variable name 'NO-PE'" in result.stderr
    assert_light(loaded)  # -v is read on the cheap path
    result = run(env, "--url", demo.url, "-c", r"\set a.b 1")
    assert result.returncode == 2 and "error: invalid variable name 'a.b'" in result.stderr
