"""Work order commands: the result and the user errors side by side, nothing raised.

Who may send each is in gateway.permissions: planners create, release, complete and close
work orders; operators and planners issue and return components and ask for over-issues;
supervisors decide over-issues, and the service refuses the requester himself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated

import strawberry

from gateway import described
from gateway.commands import command
from gateway.context import Info
from gateway.errors import UserError
from gateway.orders.mutations import REFUSED, RETRY
from gateway.orders.work_orders_inputs import (
    ApproveOverIssueInput,
    CloseWorkOrderInput,
    CompleteWorkOrderInput,
    CreateWorkOrderInput,
    IssueComponentsInput,
    RejectOverIssueInput,
    ReleaseWorkOrderInput,
    RequestOverIssueInput,
    ReturnComponentsInput,
    SetIssueToleranceInput,
)
from gateway.orders.work_orders_types import IssueTolerance, WorkOrder
from invariant.orders.v1 import orders_pb2 as pb
from invariant.orders.v1 import orders_pb2_grpc

BY_PLANNERS = "Planners, managers and admins only."
BY_FLOOR = "Operators, planners, supervisors, managers and admins only."
BY_SUPERVISORS = "Supervisors, managers and admins only, never the one who asked (PERMISSION_DENIED, field `request`)."


def _stub(info: Info) -> orders_pb2_grpc.OrdersServiceStub:
    return info.context.stubs.orders


@strawberry.type(description="What setIssueTolerance answers.")
class IssueTolerancePayload:
    issue_tolerance: IssueTolerance | None = strawberry.field(description="The tolerance now; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="A work order after a command, or why the command was refused.")
class WorkOrderPayload:
    work_order: WorkOrder | None = strawberry.field(
        description="The order as it stands after the command; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


async def _work_order(
    info: Info, send: Callable[[], Awaitable[pb.WorkOrder]], fields: Mapping[str, str] | None = None
) -> WorkOrderPayload:
    proto, errors = await command(info, send, fields)
    return WorkOrderPayload(work_order=WorkOrder.from_proto(proto) if proto is not None else None, user_errors=errors)


@strawberry.type
class WorkOrdersMutation:
    @described.mutation(
        "Sets how far beyond its requirement a component may be issued without an approved over-issue, for work "
        f"orders released from now on. {BY_PLANNERS} {RETRY}"
    )
    async def set_issue_tolerance(
        self, info: Info, input: Annotated[SetIssueToleranceInput, strawberry.argument(description="The tolerance.")]
    ) -> IssueTolerancePayload:
        proto, errors = await command(info, lambda: _stub(info).SetIssueTolerance(input.to_proto()))
        return IssueTolerancePayload(
            issue_tolerance=IssueTolerance.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @described.mutation(
        "Enters a work order in DRAFT. Refused for an unknown item, unit or warehouse, or a quantity that is not "
        f"greater than zero. {BY_PLANNERS} {RETRY}"
    )
    async def create_work_order(
        self, info: Info, input: Annotated[CreateWorkOrderInput, strawberry.argument(description="What to make.")]
    ) -> WorkOrderPayload:
        return await _work_order(info, lambda: _stub(info).CreateWorkOrder(input.to_proto()))

    @described.mutation(
        "DRAFT → RELEASED: pins the BOM version in effect today, reserves its components through stock (what is short "
        "is listed, and short sub-assemblies suggested as child work orders). Refused (NOT_FOUND, `number`) without a "
        f"BOM in effect. {BY_PLANNERS} {RETRY}"
    )
    async def release_work_order(
        self, info: Info, input: Annotated[ReleaseWorkOrderInput, strawberry.argument(description="The order.")]
    ) -> WorkOrderPayload:
        return await _work_order(info, lambda: _stub(info).ReleaseWorkOrder(input.to_proto()))

    @described.mutation(
        "Issues components against their reservations, the rest from AVAILABLE stock. Refused, naming the line's "
        "`quantity`, beyond requirement plus tolerance plus what supervisors approved (OUT_OF_RANGE) or beyond what "
        f"the place holds (INSUFFICIENT_STOCK); nothing is posted then. {BY_FLOOR} {RETRY}"
    )
    async def issue_components(
        self, info: Info, input: Annotated[IssueComponentsInput, strawberry.argument(description="What was taken.")]
    ) -> WorkOrderPayload:
        return await _work_order(info, lambda: _stub(info).IssueComponents(input.to_proto()), input.fields)

    @described.mutation(
        f"Gives unused components back to AVAILABLE stock; refused beyond what is issued and not returned. {BY_FLOOR} "
        f"{RETRY}"
    )
    async def return_components(
        self, info: Info, input: Annotated[ReturnComponentsInput, strawberry.argument(description="What came back.")]
    ) -> WorkOrderPayload:
        return await _work_order(info, lambda: _stub(info).ReturnComponents(input.to_proto()), input.fields)

    @described.mutation(
        f"Asks to issue more of a component than its allowance: PENDING until a supervisor decides. {BY_FLOOR} {RETRY}"
    )
    async def request_over_issue(
        self, info: Info, input: Annotated[RequestOverIssueInput, strawberry.argument(description="What and why.")]
    ) -> WorkOrderPayload:
        return await _work_order(info, lambda: _stub(info).RequestOverIssue(input.to_proto()))

    @described.mutation(
        f"Approves a PENDING over-issue request: its quantity may then be issued, once. {BY_SUPERVISORS} {RETRY}"
    )
    async def approve_over_issue(
        self, info: Info, input: Annotated[ApproveOverIssueInput, strawberry.argument(description="The request.")]
    ) -> WorkOrderPayload:
        return await _work_order(info, lambda: _stub(info).ApproveOverIssue(input.to_proto()))

    @described.mutation(f"Rejects a PENDING over-issue request. {BY_SUPERVISORS} {RETRY}")
    async def reject_over_issue(
        self, info: Info, input: Annotated[RejectOverIssueInput, strawberry.argument(description="The request.")]
    ) -> WorkOrderPayload:
        return await _work_order(info, lambda: _stub(info).RejectOverIssue(input.to_proto()))

    @described.mutation(
        "Receives finished goods (partial allowed): into QC_HOLD when the item is inspected on production, else "
        f"AVAILABLE; COMPLETED once the whole quantity is in. {BY_PLANNERS} {RETRY}"
    )
    async def complete_work_order(
        self, info: Info, input: Annotated[CompleteWorkOrderInput, strawberry.argument(description="What was made.")]
    ) -> WorkOrderPayload:
        return await _work_order(info, lambda: _stub(info).CompleteWorkOrder(input.to_proto()))

    @described.mutation(
        "RELEASED or COMPLETED → CLOSED: fixes the material variance per component (issued - returned - standard for "
        f"the quantity completed, and at standard cost) and releases what is still reserved. {BY_PLANNERS} {RETRY}"
    )
    async def close_work_order(
        self, info: Info, input: Annotated[CloseWorkOrderInput, strawberry.argument(description="The order and why.")]
    ) -> WorkOrderPayload:
        return await _work_order(info, lambda: _stub(info).CloseWorkOrder(input.to_proto()))
