"""``elysiactl --version``, answered with nothing but ``os`` and ``sys`` loaded."""

from __future__ import annotations

import os
import sys

APP = "elysiactl"


def version_line() -> str:
    """``elysiactl X.Y.Z``."""
    return f"{APP} {installed_version()}"


def installed_version() -> str:
    """The version in the installed package's metadata.

    Read straight from the ``elysiactl-X.Y.Z.dist-info/METADATA`` found first on
    ``sys.path`` (where importlib.metadata looks too): importing importlib.metadata alone
    costs several times what starting Python does. Other layouts (zip, egg) fall back to it.
    """
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as found:
                names = sorted(e.name for e in found if e.name.startswith(f"{APP}-")
                               and e.name.endswith(".dist-info"))
        except OSError:
            continue
        for name in names:
            version = _metadata_version(os.path.join(entry or ".", name, "METADATA"))
            if version:
                return version
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(APP)
    except PackageNotFoundError:
        return "(unknown: not installed, so there is no package metadata)"


def _metadata_version(path: str) -> str | None:
    """The ``Version:`` header of a core-metadata file (headers end at the first blank line)."""
    try:
        with open(path, encoding="utf-8") as metadata:
            for line in metadata:
                if line.startswith("Version:"):
                    return line.removeprefix("Version:").strip()
                if not line.strip():
                    return None
    except OSError:
        return None
    return None
