"""A @oneOf input refused in the graph's words.

Strawberry refuses a @oneOf input given none or several of its members by the input type's
name alone; a client reads which field takes the choice and what to choose from instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema, get_named_type
from strawberry.extensions import SchemaExtension

_REFUSED = re.compile(r"OneOf Input Object '(?P<name>\w+)' must specify exactly one key\.")


def refusal(schema: GraphQLSchema, name: str) -> str:
    """What to give for the @oneOf input type `name`, naming the fields and arguments that take it."""
    kind = schema.type_map[name]
    assert isinstance(kind, GraphQLInputObjectType)
    members = " or ".join(f"`{member}`" for member in kind.fields)
    where = " or ".join(f"`{field}`" for field in sorted(set(_taking(schema, kind)))) or name
    return f"{where} takes exactly one of {members} ({name}): give one of them, not none and not both."


def _taking(schema: GraphQLSchema, kind: GraphQLInputObjectType) -> Iterator[str]:
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInputObjectType):
            yield from (name for name, field in named.fields.items() if get_named_type(field.type) is kind)
        elif isinstance(named, GraphQLObjectType):
            for field in named.fields.values():
                yield from (name for name, argument in field.args.items() if get_named_type(argument.type) is kind)


class OneOfRefusals(SchemaExtension):
    """Say which field takes a @oneOf choice that was refused, and what it takes."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            refused = _REFUSED.fullmatch(error.message)
            if refused:
                error.message = refusal(self.execution_context.schema._schema, refused["name"])
