"""The command table itself: declarations are well-formed and the README reference is current."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from commands.meta import MODULES
from commands.reference import reference, replace_reference
from commands.registry import Registry
from commands.spec import Kind

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = Registry.from_modules(MODULES)


@pytest.mark.parametrize("spec", REGISTRY.specs, ids=lambda s: s.name)
def test_every_declaration_is_complete(spec) -> None:
    assert spec.summary.endswith(".") and "\n" not in spec.summary
    assert spec.summary[0].isupper() and spec.help
    params = inspect.signature(spec.handler).parameters
    keyword = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keyword == {a.name for a in spec.args} | {o.dest for o in spec.opts}
    for opt in spec.opts:
        assert opt.kind is not Kind.TENANT or opt.name == "--tenant"
    for arg in spec.args:
        assert arg.help, f"\\{spec.name} {arg.name} has no help"
    for opt in spec.opts:
        assert opt.name.startswith("--") and opt.help, f"\\{spec.name} {opt.name}"


def test_readme_command_reference_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert replace_reference(readme, reference(REGISTRY)) == readme, \
        "the README's command reference is stale: run `make docs`"
    for spec in REGISTRY.specs:
        assert f"#### `\\{spec.name}`" in readme


def test_every_command_answers_help() -> None:
    from commands.audit import MemoryAuditLog
    from commands.context import Session
    from commands.dispatch import Dispatcher
    from commands.results import Text

    dispatcher = Dispatcher(REGISTRY, Session(), MemoryAuditLog())
    for name in REGISTRY.names():
        outcome = dispatcher.execute(f"\\{name} --help", "repl")
        [text] = outcome.results
        assert isinstance(text, Text) and text.text.startswith("usage: \\"), name
