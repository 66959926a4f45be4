"""Where a new collection's definition comes from: templates, schema files and flags.

A template is a YAML mapping: a partial class definition (any field ``POST /v1/schema``
takes; ``class`` is ignored, the name comes from ``\\create NAME``) plus ``description:``,
a line that describes the template to people and is not sent. Built-in templates ship
in ``commands/templates/``; users add or override them, by file name, in
``<config dir>/templates/*.yaml``. Of several directories the later ones win.

Nothing here talks to the cluster; only files are read. ``yaml`` is imported on first
use, so importing this module costs start-up nothing.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from commands.errors import ConfigError, ShellError, UsageError, excerpt

BUILTIN = "built-in"
DEFAULT_TEMPLATE = "standard"
SUFFIXES = (".yaml", ".yml")
PRIMITIVE_TYPES = ("text", "text[]", "int", "int[]", "number", "number[]", "boolean",
                   "boolean[]", "date", "date[]", "uuid", "uuid[]", "geoCoordinates",
                   "phoneNumber", "blob")
PROPERTY_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,230}$")
REFERENCE = re.compile(r"^[A-Z][_0-9A-Za-z]{0,254}$")
DERIVED_SHARDING = ("actualCount", "desiredVirtualCount", "actualVirtualCount")


@dataclass(frozen=True, slots=True)
class Template:
    """One template: ``definition`` is the partial class JSON it contributes."""

    name: str
    source: str
    description: str | None
    definition: dict[str, Any]

    def to_data(self) -> dict[str, Any]:
        """What ``\\templates show`` prints: the description, then the class fields."""
        return {"description": self.description, **copy.deepcopy(self.definition)}


def builtin_dir() -> Traversable:
    """The directory of the templates shipped with the package."""
    return resources.files("commands") / "templates"


def _files(dirs: Iterable[str | Path]) -> dict[str, tuple[str, Traversable | Path]]:
    """Template name -> (source, file): built-ins first, each directory overriding."""
    found: dict[str, tuple[str, Traversable | Path]] = {}
    builtin = sorted((f for f in builtin_dir().iterdir() if f.name.endswith(SUFFIXES)),
                     key=lambda f: f.name)
    for item in builtin:
        found[item.name.rsplit(".", 1)[0]] = (BUILTIN, item)
    for directory in dirs:
        folder = Path(directory).expanduser()
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file()):
            found[path.stem] = (str(path), path)
    return found


def _parse(name: str, source: str, location: Traversable | Path) -> Template:
    """Read and check one template file; ``ConfigError`` names the file and line."""
    import yaml

    where = f"templates/{location.name} ({BUILTIN})" if source == BUILTIN else source
    try:
        data = yaml.safe_load(location.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read template {where}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"invalid template {where}{line}: {problem}",
                          "a template is a YAML mapping of class fields plus description:"
                          ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ConfigError(f"invalid template {where}: expected a mapping of class fields, "
                          f"got {type(data).__name__}",
                          "see \\templates show standard for an example")
    description = data.pop("description", None)
    if description is not None and not isinstance(description, str):
        raise ConfigError(f"invalid template {where}: description must be text")
    data.pop("class", None)
    return Template(name, source, description.strip() if description else None, data)


def list_templates(dirs: Iterable[str | Path] = ()) -> tuple[list[Template],
                                                              list[ConfigError]]:
    """Every template by name, and the errors of the files that could not be read."""
    out, errors = [], []
    for name, (source, location) in sorted(_files(dirs).items()):
        try:
            out.append(_parse(name, source, location))
        except ConfigError as exc:
            errors.append(exc)
    return out, errors


def get_template(name: str, dirs: Iterable[str | Path] = ()) -> Template:
    """One template by name; an unknown name fails with "did you mean"."""
    files = _files(dirs)
    if name not in files:
        close = difflib.get_close_matches(name, list(files), n=3, cutoff=0.5)
        hint = ("did you mean " + " or ".join(close) + "?") if close else \
            "templates: " + ", ".join(sorted(files))
        raise ShellError(f"no template named {excerpt(name)!r}", hint + r" (\templates lists them)")
    source, location = files[name]
    return _parse(name, source, location)


def read_schema_file(path: str) -> dict[str, Any]:
    """One class definition from a JSON (or ``.yaml``/``.yml``) file."""
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read schema file {path}: {exc.strerror or exc}") from None
    if file.suffix in SUFFIXES:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            raise UsageError(f"invalid YAML in {path}{line}: "
                             f"{getattr(exc, 'problem', None) or exc}") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"invalid JSON in {path}:{exc.lineno}:{exc.colno}: {exc.msg}",
                             r"the file holds what \show NAME --schema --format json prints"
                             ) from None
    if isinstance(data, dict) and isinstance(data.get("classes"), list):
        raise UsageError(f"{path} holds a whole schema ({len(data['classes'])} classes); "
                         r"\create takes one class",
                         r"\show NAME --schema --format json prints one class")
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a class definition (a JSON object)",
                         r"\show NAME --schema --format json prints one")
    return data


def parse_property(text: str) -> dict[str, Any]:
    """``NAME:TYPE`` as a property definition; TYPE is a dataType or a collection to
    reference (capitalised). Syntax errors are ``UsageError`` with a hint."""
    name, colon, data_type = (part.strip() for part in text.partition(":"))
    types = ", ".join(PRIMITIVE_TYPES)
    if not colon or not name or not data_type:
        raise UsageError(f"--property {text!r}: expected NAME:TYPE, e.g. title:text",
                         f"types: {types}")
    if not PROPERTY_NAME.match(name):
        raise UsageError(f"--property {text!r}: {name!r} is not a valid property name",
                         "a name starts with a letter or _ and holds letters, digits and _")
    if data_type in PRIMITIVE_TYPES:
        return {"name": name, "dataType": [data_type]}
    lowered = {t.lower(): t for t in PRIMITIVE_TYPES}
    if data_type.lower() in lowered:
        raise UsageError(f"--property {text!r}: unknown type {data_type!r}",
                         f"did you mean {lowered[data_type.lower()]}?")
    if data_type in ("object", "object[]"):
        raise UsageError(f"--property {text!r}: {data_type} needs nested properties",
                         "define it in a schema file (--schema-file) or a template")
    if data_type in ("string", "string[]"):
        raise UsageError(f"--property {text!r}: {data_type} is deprecated",
                         f"use {data_type.replace('string', 'text')}")
    if REFERENCE.match(data_type):
        return {"name": name, "dataType": [data_type]}
    close = difflib.get_close_matches(data_type, PRIMITIVE_TYPES, n=2, cutoff=0.6)
    raise UsageError(f"--property {text!r}: unknown type {data_type!r}",
                     ("did you mean " + " or ".join(close) + "?") if close else
                     f"types: {types}, or a collection name for a cross-reference")


def apply_overrides(cls: dict[str, Any], *, replication: int | None, shards: int | None,
                    multi_tenancy: bool, properties: list[str]) -> dict[str, Any]:
    """A copy of ``cls`` with the flags of ``\\create`` applied; conflicts are ``UsageError``."""
    out = copy.deepcopy(cls)
    for flag, value in (("--replication", replication), ("--shards", shards)):
        if value is not None and value < 1:
            raise UsageError(f"{flag} must be at least 1, got {value}")
    if multi_tenancy:
        mt = out.get("multiTenancyConfig")
        out["multiTenancyConfig"] = {**(mt if isinstance(mt, dict) else {}), "enabled": True}
        out.pop("shardingConfig", None)  # Weaviate refuses both on create
    multi_tenant = bool((out.get("multiTenancyConfig") or {}).get("enabled"))
    if multi_tenant:
        out.pop("shardingConfig", None)
    if replication is not None:
        rep = out.get("replicationConfig")
        out["replicationConfig"] = {**(rep if isinstance(rep, dict) else {}),
                                    "factor": replication}
    if shards is not None:
        if multi_tenant:
            raise UsageError("--shards does not apply to a multi-tenant collection",
                             "it has one shard per tenant")
        sharding = out.get("shardingConfig")
        sharding = {k: v for k, v in (sharding if isinstance(sharding, dict) else {}).items()
                    if k not in DERIVED_SHARDING}
        out["shardingConfig"] = {**sharding, "desiredCount": shards}
    if properties:
        existing = list(out.get("properties") or [])
        taken = {str(p.get("name", "")).lower() for p in existing if isinstance(p, dict)}
        for text in properties:
            prop = parse_property(text)
            if prop["name"].lower() in taken:
                raise UsageError(f"--property {text!r}: the definition already has a "
                                 f"property {prop['name']!r}")
            taken.add(prop["name"].lower())
            existing.append(prop)
        out["properties"] = existing
    return out
