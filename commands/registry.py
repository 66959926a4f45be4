"""The table of every meta-command: built once from an explicit list of modules.

A command name may have two words: ``tenant create`` is a subcommand of ``\\tenant``, which
may itself be a command (``\\alias`` lists, ``\\alias create`` creates) or only a group.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import ModuleType

from commands.did_you_mean import did_you_mean
from commands.errors import UsageError, excerpt
from commands.spec import CommandSpec


class Registry:
    """Name and alias index over command specs, and the subcommands of each group."""

    def __init__(self, specs: Iterable[CommandSpec]) -> None:
        self.specs: list[CommandSpec] = []
        self._index: dict[str, CommandSpec] = {}
        self._groups: dict[str, list[str]] = {}  # first word: its subcommands' second words
        for spec in specs:
            for name in (spec.name, *spec.aliases):
                if name in self._index:
                    raise ValueError(f"command name {name!r} is declared twice")
                self._index[name] = spec
                first, _, second = name.partition(" ")
                if second:
                    self._groups.setdefault(first, []).append(second)
            self.specs.append(spec)
        # what a first word offers in completion: its command's summary, or its subcommands
        self.heads: dict[str, str] = {}
        for name, spec in self._index.items():
            first, _, second = name.partition(" ")
            if not second:
                self.heads[first] = spec.summary
            else:
                self.heads.setdefault(first, "subcommands: " + ", ".join(self._groups[first]))

    @classmethod
    def from_modules(cls, modules: Iterable[ModuleType]) -> Registry:
        """Collect every handler carrying a ``spec`` in the given modules, in source order."""
        return cls(value.spec for module in modules for value in vars(module).values()
                   if callable(value) and isinstance(getattr(value, "spec", None), CommandSpec))

    def names(self) -> list[str]:
        """Every name and alias, without the backslash (subcommands as ``group sub``)."""
        return sorted(self._index)

    def group_only(self, name: str) -> bool:
        """Whether ``name`` has subcommands but no command of its own (``\\tenant``)."""
        key = name.lstrip("\\")
        return key in self._groups and key not in self._index

    def subcommands(self, group: str) -> list[str]:
        """The second words of ``group``'s subcommands, in declaration order ([] if none)."""
        return self._groups.get(group.lstrip("\\"), [])

    def find(self, name: str) -> CommandSpec:
        """The spec for ``name`` (with or without the backslash; ``group sub`` for a
        subcommand), or a UsageError with a hint."""
        spec, used = self.resolve(name.split())
        if used < len(name.split()):
            raise UsageError(f"\\{name.lstrip(chr(92))} is not a command",
                             f"\\help {spec.name} shows its usage")
        return spec

    def resolve(self, words: Sequence[str]) -> tuple[CommandSpec, int]:
        """The spec the first words of a command line name, and how many words name it."""
        if not words:
            raise UsageError("empty command")
        key = words[0].lstrip("\\")
        subs = self._groups.get(key)
        if subs and len(words) > 1 and words[1] in subs:
            return self._index[f"{key} {words[1]}"], 2
        spec = self._index.get(key)
        if spec is not None and not (subs and len(words) > 1 and not spec.args
                                     and not words[1].startswith("-")):
            return spec, 1
        if subs:
            listed = ", ".join(subs)
            if len(words) < 2 or words[1].startswith("-"):
                raise UsageError(f"\\{key} needs a subcommand: {listed}",
                                 f"\\help {key} {subs[0]} shows one's usage")
            hint = did_you_mean(words[1], subs, 1, lambda sub: f"\\{key} {sub}") or \
                f"subcommands: {listed}"
            raise UsageError(f"unknown subcommand \\{key} {excerpt(words[1])}", hint)
        hint = did_you_mean(key, sorted(self.heads), 1, lambda head: f"\\{head}") or \
            r"\? lists every command"
        raise UsageError(f"unknown command \\{excerpt(key)}", hint)
