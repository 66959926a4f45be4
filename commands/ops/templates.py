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
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from commands.did_you_mean import did_you_mean
from commands.errors import ConfigError, ShellError, UsageError, excerpt
from commands.inputs import load_json, load_yaml, read_text

BUILTIN = "built-in"
DEFAULT_TEMPLATE = "standard"
SUFFIXES = (".yaml", ".yml")
PRIMITIVE_TYPES = ("text", "text[]", "int", "int[]", "number", "number[]", "boolean",
                   "boolean[]", "date", "date[]", "uuid", "uuid[]", "geoCoordinates",
                   "phoneNumber", "blob")
PROPERTY_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,230}$")
REFERENCE = re.compile(r"^[A-Z][_0-9A-Za-z]{0,254}$")
DERIVED_SHARDING = ("actualCount", "desiredVirtualCount", "actualVirtualCount")
MAPPINGS = ("vectorIndexConfig", "invertedIndexConfig", "moduleConfig", "replicationConfig",
            "shardingConfig", "multiTenancyConfig", "vectorConfig")
"""Class fields that are JSON objects in ``POST /v1/schema``."""


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
    where = f"templates/{location.name} ({BUILTIN})" if source == BUILTIN else source
    try:
        text = location.read_text(encoding="utf-8") if source == BUILTIN else \
            read_text(str(location), f"template {where}", error=ConfigError)
    except OSError as exc:
        raise ConfigError(f"cannot read template {where}: {exc.strerror or exc}") from None
    data = load_yaml(text, where, ConfigError, "invalid template",
                     "a template is a YAML mapping of class fields plus description:")
    if data is None:
        data = {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ConfigError(f"invalid template {where}: expected a mapping of class fields, "
                          f"got {type(data).__name__}",
                          "see \\templates show standard for an example")
    check_shape(data, f"invalid template {where}", ConfigError)
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
        hint = did_you_mean(name, list(files)) or "templates: " + ", ".join(sorted(files))
        raise ShellError(f"no template named {excerpt(name)!r}", hint + r" (\templates lists them)")
    source, location = files[name]
    return _parse(name, source, location)


def read_schema_file(path: str) -> dict[str, Any]:
    """One class definition from a JSON (or ``.yaml``/``.yml``) file."""
    text = read_text(path, f"schema file {path}")
    if Path(path).suffix in SUFFIXES:
        data = load_yaml(text, path)
    else:
        data = load_json(text, path, hint=r"the file holds what \show NAME --schema --format "
                                          "json prints")
    if isinstance(data, dict) and isinstance(data.get("classes"), list):
        raise UsageError(f"{path} holds a whole schema ({len(data['classes'])} classes); "
                         r"\create takes one class",
                         r"\show NAME --schema --format json prints one class")
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a class definition (a JSON object)",
                         r"\show NAME --schema --format json prints one")
    return check_shape(data, path)


def check_shape(cls: dict[str, Any], where: str, error: type[ShellError] = UsageError
                ) -> dict[str, Any]:
    """``cls`` when the fields the shell reads have the JSON types Weaviate gives them: a
    text ``class``, objects for the configs, a list of properties with text names."""
    def wrong(what: str, expected: str) -> ShellError:
        return error(f"{where}: {what} must be {expected}",
                     r"\show NAME --schema --format json prints a class definition")

    if not isinstance(cls.get("class", ""), str):
        raise wrong("class", "text")
    for key in MAPPINGS:
        if not isinstance(cls.get(key, {}), dict):
            raise wrong(key, "an object")
    properties = cls.get("properties", [])
    if not isinstance(properties, list):
        raise wrong("properties", "a list")
    for number, prop in enumerate(properties, 1):
        if not isinstance(prop, dict) or not isinstance(prop.get("name"), str):
            raise wrong(f"property {number}", "an object with a text name")
        types = prop.get("dataType", [])
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise wrong(f"property {prop['name']}: dataType", "a list of type names")
    return cls


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
    raise UsageError(f"--property {text!r}: unknown type {data_type!r}",
                     did_you_mean(data_type, PRIMITIVE_TYPES, n=2) or
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
