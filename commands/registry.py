"""The table of every meta-command: built once from an explicit list of modules."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from types import ModuleType

from commands.errors import UsageError
from commands.spec import CommandSpec


class Registry:
    """Name and alias index over command specs."""

    def __init__(self, specs: Iterable[CommandSpec]) -> None:
        self.specs: list[CommandSpec] = []
        self._index: dict[str, CommandSpec] = {}
        for spec in specs:
            for name in (spec.name, *spec.aliases):
                if name in self._index:
                    raise ValueError(f"command name {name!r} is declared twice")
                self._index[name] = spec
            self.specs.append(spec)

    @classmethod
    def from_modules(cls, modules: Iterable[ModuleType]) -> Registry:
        """Collect every handler carrying a ``spec`` in the given modules, in source order."""
        return cls(value.spec for module in modules for value in vars(module).values()
                   if callable(value) and isinstance(getattr(value, "spec", None), CommandSpec))

    def names(self) -> list[str]:
        """Every name and alias, without the backslash."""
        return sorted(self._index)

    def find(self, name: str) -> CommandSpec:
        """The spec for ``name`` (with or without the backslash), or a UsageError with a hint."""
        key = name.lstrip("\\")
        spec = self._index.get(key)
        if spec is None:
            close = difflib.get_close_matches(key, self.names(), n=1)
            hint = f"did you mean \\{close[0]}?" if close else r"\? lists every command"
            raise UsageError(f"unknown command \\{key}", hint)
        return spec
