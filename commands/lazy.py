"""Modules loaded on first use, so that start-up pays only for the command declarations.

The registry needs every declaration at start-up; the operations behind most commands
are needed only when one of them runs. A stand-in does not even look for its module
(``importlib.util.find_spec`` searches the disk: about 0.1 ms for each of some sixty
modules a start would not use).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any


class _StandIn(ModuleType):
    """Imports the module it stands for when one of its attributes is first read."""

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attribute)


def lazy_module(name: str) -> ModuleType:
    """``name``, imported when one of its attributes is first read."""
    return sys.modules.get(name) or _StandIn(name)
