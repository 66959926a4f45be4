"""``__type(name: "T") { name kind fields { name } }``: introspection of the modelled types.

The types are those ``sandbox.graphql_types.Types`` models (``WeaviateObj``, ``GetObjectsObj``
with one field per class and alias, ``AggregateObjectsObj``, ``Aggregate<Class>``...), all
objects. As in tailor-platform/graphql (introspection.go), ``fields`` lists an object's
fields sorted by name. Validation errors follow graphql-go's rules and texts; the parts of
``__Type`` and ``__Field`` the sandbox does not answer (descriptions, argument lists, field
types, ``__schema``...) and types it does not model are refused with a ``sandbox:`` error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from sandbox.graphql_parser import Field
from sandbox.graphql_suggest import suggest

if TYPE_CHECKING:
    from sandbox.graphql_types import Types


class Run(Protocol):
    """What the checks need of ``sandbox.graphql.Run``, which imports this module."""

    types: Types

    def report(self, message: str, *positions: int, path: list[str] | None = None) -> None:
        """Record a validation error."""

    def refuse(self, what: str, pos: int) -> None:
        """Record a part of GraphQL the sandbox does not emulate."""

# type -> field -> (type label, object type of its selection or None, answered by the sandbox)
META: dict[str, dict[str, tuple[str, str | None, bool]]] = {
    "__Type": {"kind": ("__TypeKind!", None, True), "name": ("String", None, True),
               "description": ("String", None, False),
               "fields": ("[__Field!]", "__Field", True),
               "interfaces": ("[__Type!]", "__Type", False),
               "possibleTypes": ("[__Type!]", "__Type", False),
               "enumValues": ("[__EnumValue!]", "__EnumValue", False),
               "inputFields": ("[__InputValue!]", "__InputValue", False),
               "ofType": ("__Type", "__Type", False)},
    "__Field": {"name": ("String!", None, True), "description": ("String", None, False),
                "args": ("[__InputValue!]!", "__InputValue", False),
                "type": ("__Type!", "__Type", False), "isDeprecated": ("Boolean!", None, False),
                "deprecationReason": ("String", None, False)},
}


def check(run: Run, sel: Field, parent: str) -> None:
    """Validate a ``__type`` selection on the root type ``parent``."""
    named = None
    for name, value, pos in sel.args:
        if name != "name":
            run.report(f'Unknown argument "{name}" on field "__type" of type "{parent}".'
                       + suggest(name, ("name",)), pos)
        elif value.kind == "Variable":
            run.refuse("variables in __type are", pos)
        elif value.kind != "String":
            shown = value.print()
            run.report(f'Argument "name" has invalid value {shown}.\nExpected type "String", '
                       f"found {shown}.", value.start)
        else:
            named = value.value
    if not any(name == "name" for name, _, _ in sel.args):
        run.report('Field "__type" argument "name" of type "String!" is required but not '
                   "provided.", sel.start)
    if sel.selections is None:
        run.report('Field "__type" of type "__Type" must have a sub selection.', sel.start)
        return
    if named is not None and run.types.find(named) is None:
        run.refuse(f'introspection of type "{named}" is', sel.start)
    _check_meta(run, sel.selections, "__Type")


def _check_meta(run: Run, selections: list[Field], type_name: str) -> None:
    fields = META[type_name]
    for sel in selections:
        if not sel.name:
            run.refuse("fragments are", sel.start)
            continue
        if sel.name == "__typename":
            continue
        if sel.name not in fields:
            run.report(f'Cannot query field "{sel.name}" on type "{type_name}".'
                       + suggest(sel.name, fields), sel.start)
            continue
        label, inner, answered = fields[sel.name]
        if inner is None and sel.selections is not None:
            run.report(f'Field "{sel.name}" of type "{label}" must not have a sub selection.',
                       sel.selections_start)
        elif inner is not None and sel.selections is None:
            run.report(f'Field "{sel.name}" of type "{label}" must have a sub selection.',
                       sel.start)
        elif not answered or sel.args or sel.directives:
            run.refuse(f'"{sel.name}" of {type_name} (or its arguments) is', sel.start)
        elif inner is not None and sel.selections is not None:
            _check_meta(run, sel.selections, inner)


def resolve(types: Types, sel: Field) -> dict[str, Any] | None:
    """The ``__type`` answer of a validated selection."""
    name = next(value.value for arg, value, _ in sel.args if arg == "name")
    fields = types.find(name)
    if fields is None:
        return None
    out: dict[str, Any] = {}
    for item in sel.selections or []:
        if item.name == "__typename":
            out[item.key] = "__Type"
        elif item.name == "name":
            out[item.key] = name
        elif item.name == "kind":
            out[item.key] = "OBJECT"  # every modelled type is an object type
        else:  # fields { name __typename }: validation let nothing else through
            picks = [(f.key, "__Field" if f.name == "__typename" else None)
                     for f in item.selections or []]
            out[item.key] = [{key: fixed or field for key, fixed in picks}
                             for field in sorted(fields)]
    return out
