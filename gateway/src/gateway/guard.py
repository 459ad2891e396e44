"""Authentication for every operation, in one place.

Sets `identity.current` for the operation (the gRPC channel copies it into
metadata) and refuses, before anything is resolved, an operation that selects
a non-public field without a valid token.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import FieldNode, GraphQLError, get_operation_ast
from strawberry.extensions import SchemaExtension

from gateway.context import Context
from invariant_core import identity
from invariant_kernel.errors import ErrorCode

# `health` is for load balancers; introspection is only on outside production.
PUBLIC_FIELDS = frozenset({"health", "__typename", "__schema", "__type"})


class Authentication(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if not isinstance(context, Context):
            yield
            return
        with identity.acting(context.identity):
            yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        reason = context.unauthenticated_reason if isinstance(context, Context) else "no request context"
        if reason is not None and not self._only_public_fields():
            error = GraphQLError(reason, extensions={"code": ErrorCode.UNAUTHENTICATED.value})
            # A result set before execution makes strawberry skip the resolvers.
            self.execution_context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield

    def _only_public_fields(self) -> bool:
        document = self.execution_context.graphql_document
        if document is None:
            return False
        operation = get_operation_ast(document, self.execution_context.operation_name)
        if operation is None:
            return False
        return all(
            isinstance(selection, FieldNode) and selection.name.value in PUBLIC_FIELDS
            for selection in operation.selection_set.selections
        )
