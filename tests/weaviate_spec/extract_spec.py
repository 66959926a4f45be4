"""Extract from Weaviate's OpenAPI spec what the fidelity tests (tests/openapi_schema.py) read:
the base path, every operation's response statuses and schemas, and the definitions, without
the prose (descriptions, examples, summaries) and the request side.

    python tests/weaviate_spec/extract_spec.py ../shared/weaviate/openapi.json

writes tests/weaviate_spec/openapi.json; name the Weaviate commit it came from in NOTICE.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("openapi.json")
# Schema keywords that only document: they never change what a body may hold.
PROSE = {"description", "example", "default", "x-omitempty", "x-available-in-mqtt",
         "x-available-in-websocket"}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def schema(node: Any) -> Any:
    """A schema without its prose keywords; property names are kept whatever they are."""
    if isinstance(node, list):
        return [schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: schema(prop) for name, prop in value.items()}
        elif key not in PROSE:
            out[key] = schema(value)
    return out


def operation(op: dict[str, Any]) -> dict[str, Any]:
    """An operation reduced to its declared statuses and their body schemas."""
    return {"responses": {status: ({"schema": schema(r["schema"])} if "schema" in r else {})
                          for status, r in op.get("responses", {}).items()}}


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    """The part of ``spec`` the fidelity tests use."""
    return {
        "swagger": spec["swagger"],
        "info": {"title": spec["info"]["title"], "version": spec["info"]["version"]},
        "basePath": spec["basePath"],
        "paths": {template: {method: operation(op) for method, op in item.items()
                             if method in METHODS}
                  for template, item in spec["paths"].items()},
        "definitions": {name: schema(d) for name, d in spec["definitions"].items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="Weaviate's openapi-specs/schema.json")
    spec = json.loads(parser.parse_args().spec.read_text())
    OUT.write_text(json.dumps(extract(spec), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
