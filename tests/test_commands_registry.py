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


def _group_registry() -> Registry:
    from commands.spec import Arg, CommandSpec

    def handler(ctx, **_):
        return None

    return Registry([
        CommandSpec("alias", "List aliases.", handler, help="x"),
        CommandSpec("alias create", "Create an alias.", handler, help="x",
                    args=(Arg("alias", help="a"), Arg("collection", Kind.COLLECTION, "c"))),
        CommandSpec("alias rm", "Remove an alias.", handler, help="x", args=(Arg("alias"),)),
        CommandSpec("user create", "Create a user.", handler, help="x", args=(Arg("name"),)),
        CommandSpec("help", "Help.", handler, help="x",
                    args=(Arg("topic", Kind.COMMAND, "t", required=False, many=True),)),
    ])


def test_subcommands_resolve_by_their_two_words() -> None:
    from commands.errors import UsageError
    from commands.parse import parse

    registry = _group_registry()
    assert parse(r"\alias", registry).spec.name == "alias"
    bound = parse(r"\alias create Books Book_v2", registry)
    assert bound.spec.name == "alias create"
    assert bound.arguments == {"alias": "Books", "collection": "Book_v2"}
    assert parse("alias rm Books --format json", registry).format == "json"
    assert registry.find("user create").name == "user create"
    assert parse(r"\user --help", registry).arguments == {"topic": ["user"]}  # \help user
    cases = {r"\user": (r"\user needs a subcommand: create", "help user create"),
             r"\user --format json": (r"\user needs a subcommand: create", "help user create"),
             r"\user crate x": (r"unknown subcommand \user crate", r"did you mean \user create?"),
             r"\alias creat": (r"unknown subcommand \alias creat", r"did you mean \alias create?"),
             r"\usr": (r"unknown command \usr", r"did you mean \user?")}
    for line, (message, hint) in cases.items():
        with pytest.raises(UsageError) as caught:
            parse(line, registry)
        assert caught.value.message == message and hint in caught.value.hint, line


def test_subcommands_complete_after_their_group() -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from completers.meta import MetaCommandCompleter
    from completers.metadata import MetadataCache

    completer = MetaCommandCompleter(_group_registry(), MetadataCache())

    def texts(line: str) -> list[str]:
        return [c.text for c in completer.get_completions(Document(line), CompleteEvent())]

    assert texts(r"\us") == [r"\user"]
    assert texts(r"\alias ") == ["create", "rm"]
    assert texts(r"\alias c") == ["create"]
    assert texts(r"\user create x --f") == ["--format"]


def test_every_lazy_module_exists() -> None:
    """A stand-in looks for its module only when used: a misspelt name must fail here."""
    import importlib.util
    import re

    names = {name for path in ROOT.glob("*/**/*.py") if ".venv" not in path.parts
             for name in re.findall(r'lazy_module\("([\w.]+)"\)', path.read_text())}
    assert len(names) > 20
    assert [n for n in sorted(names) if importlib.util.find_spec(n) is None] == []
