"""The work-order part of the orders service's gRPC API: translate, dispatch (or query),
translate back. OrdersServicer (api.servicer) takes it in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc

from invariant.orders.v1 import orders_pb2 as pb
from invariant_core.messages import date_from_message, date_message, decimal_message, timestamp_message
from invariant_core.paging import page_of, page_query
from orders.api.base import Servicing
from orders.domain import work_commands as commands
from orders.domain.work_orders import (
    Component,
    OverIssueState,
    ReworkSource,
    WorkOrder,
    WorkOrderKind,
    WorkOrderState,
)
from orders.service import work_orders as handlers

_STATES = {
    pb.WORK_ORDER_STATE_DRAFT: WorkOrderState.DRAFT,
    pb.WORK_ORDER_STATE_RELEASED: WorkOrderState.RELEASED,
    pb.WORK_ORDER_STATE_COMPLETED: WorkOrderState.COMPLETED,
    pb.WORK_ORDER_STATE_CLOSED: WorkOrderState.CLOSED,
}
_STATE_NUMBERS = {state: number for number, state in _STATES.items()}
_KINDS = {pb.WORK_ORDER_KIND_PRODUCTION: WorkOrderKind.PRODUCTION, pb.WORK_ORDER_KIND_REWORK: WorkOrderKind.REWORK}
_KIND_NUMBERS = {kind: number for number, kind in _KINDS.items()}
_OVER_ISSUE_STATES = {
    OverIssueState.PENDING: pb.OVER_ISSUE_STATE_PENDING,
    OverIssueState.APPROVED: pb.OVER_ISSUE_STATE_APPROVED,
    OverIssueState.REJECTED: pb.OVER_ISSUE_STATE_REJECTED,
    OverIssueState.USED: pb.OVER_ISSUE_STATE_USED,
}


def _lines(lines: Any) -> tuple[commands.ComponentQuantity, ...]:
    return tuple(
        commands.ComponentQuantity(
            line.component_sku, line.quantity.value, line.unit, line.location, line.lot, line.barcode
        )
        for line in lines
    )


class WorkOrdersApi(Servicing):
    async def _work(self, request: Any, command: object) -> pb.WorkOrder:
        return await self._dispatch(request, command, pb.WorkOrder, work_order_message)

    async def SetIssueTolerance(
        self, request: pb.SetIssueToleranceRequest, context: grpc.aio.ServicerContext
    ) -> pb.IssueTolerance:
        command = commands.SetIssueTolerance(request.item_sku, request.percent.value)
        return await self._dispatch(
            request,
            command,
            pb.IssueTolerance,
            lambda kept: pb.IssueTolerance(item_sku=kept[0], percent=decimal_message(kept[1])),
        )

    async def CreateWorkOrder(
        self, request: pb.CreateWorkOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.WorkOrder:
        due = date_from_message(request.due_date, "due_date") if request.HasField("due_date") else None
        rework = request.rework if request.HasField("rework") else None
        command = commands.CreateWorkOrder(
            request.item_sku,
            request.quantity.value,
            request.unit,
            request.warehouse,
            due,
            _KINDS.get(request.kind, ""),
            None
            if rework is None
            else ReworkSource(
                rework.document_type, rework.document_id, rework.document_line, rework.location, rework.lot
            ),
        )
        return await self._work(request, command)

    async def ReleaseWorkOrder(
        self, request: pb.ReleaseWorkOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.WorkOrder:
        return await self._work(request, commands.ReleaseWorkOrder(request.number))

    async def IssueComponents(
        self, request: pb.IssueComponentsRequest, context: grpc.aio.ServicerContext
    ) -> pb.WorkOrder:
        command = commands.IssueComponents(request.number, _lines(request.lines), request.idempotency_key)
        return await self._work(request, command)

    async def ReturnComponents(
        self, request: pb.ReturnComponentsRequest, context: grpc.aio.ServicerContext
    ) -> pb.WorkOrder:
        command = commands.ReturnComponents(request.number, _lines(request.lines), request.idempotency_key)
        return await self._work(request, command)

    async def RequestOverIssue(
        self, request: pb.RequestOverIssueRequest, context: grpc.aio.ServicerContext
    ) -> pb.WorkOrder:
        command = commands.RequestOverIssue(
            request.number, request.component_sku, request.quantity.value, request.unit, request.reason
        )
        return await self._work(request, command)

    async def ApproveOverIssue(
        self, request: pb.ApproveOverIssueRequest, context: grpc.aio.ServicerContext
    ) -> pb.WorkOrder:
        command = commands.DecideOverIssue(request.number, request.request, True, request.reason)
        return await self._work(request, command)

    async def RejectOverIssue(
        self, request: pb.RejectOverIssueRequest, context: grpc.aio.ServicerContext
    ) -> pb.WorkOrder:
        command = commands.DecideOverIssue(request.number, request.request, False, request.reason)
        return await self._work(request, command)

    async def CompleteWorkOrder(
        self, request: pb.CompleteWorkOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.WorkOrder:
        command = commands.CompleteWorkOrder(
            request.number,
            request.quantity.value,
            request.unit,
            request.location,
            request.lot,
            request.idempotency_key,
        )
        return await self._work(request, command)

    async def CloseWorkOrder(
        self, request: pb.CloseWorkOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.WorkOrder:
        return await self._work(request, commands.CloseWorkOrder(request.number, request.reason))

    async def GetWorkOrders(
        self, request: pb.GetWorkOrdersRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetWorkOrdersResponse:
        found = await self._query(lambda repo: handlers.get_work_orders(repo, request.numbers))
        return pb.GetWorkOrdersResponse(orders=[work_order_message(o) for o in found])

    async def ListWorkOrders(
        self, request: pb.ListWorkOrdersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWorkOrdersResponse:
        page = page_query(request, str)
        state = _STATES.get(request.state)
        found = page_of(await self._query(lambda repo: repo.list_work_orders(state, page)), page, lambda o: (o.number,))
        return pb.ListWorkOrdersResponse(
            orders=[work_order_message(o) for o in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )


def _optional(value: Decimal | None) -> Any:
    return None if value is None else decimal_message(value)


def _component_message(c: Component) -> pb.WorkOrderComponent:
    return pb.WorkOrderComponent(
        item_sku=c.item_sku,
        base_unit=c.base_unit,
        required=decimal_message(c.required),
        tolerance_percent=decimal_message(c.tolerance_percent),
        has_bom=c.has_bom,
        reservation_id=c.reservation_id,
        reserved=decimal_message(c.reserved),
        shortfall=decimal_message(c.shortfall),
        issued=decimal_message(c.issued),
        returned=decimal_message(c.returned),
        over_issued=decimal_message(c.over_issued),
        still_reserved=decimal_message(c.still_reserved),
    )


def _variance_message(c: Component) -> pb.ComponentVariance:
    return pb.ComponentVariance(
        item_sku=c.item_sku,
        base_unit=c.base_unit,
        issued=decimal_message(c.issued),
        returned=decimal_message(c.returned),
        standard=_optional(c.standard),
        variance=_optional(c.variance),
        standard_cost=_optional(c.standard_cost),
        variance_value=_optional(c.variance_value),
    )


def work_order_message(order: WorkOrder) -> pb.WorkOrder:
    message = pb.WorkOrder(
        id=order.id,
        number=order.number,
        item_sku=order.item_sku,
        quantity=decimal_message(order.quantity),
        unit=order.unit,
        base_quantity=decimal_message(order.base_quantity),
        base_unit=order.base_unit,
        warehouse=order.warehouse,
        due_date=None if order.due_date is None else date_message(order.due_date),
        state=_STATE_NUMBERS[order.state],
        bom_id=order.bom_id,
        bom_version=order.bom_version,
        released_on=None if order.released_on is None else date_message(order.released_on),
        components=[_component_message(c) for c in order.components],
        completed=decimal_message(order.completed),
        created_at=timestamp_message(order.created_at),
        kind=_KIND_NUMBERS[order.kind],
    )
    if order.rework is not None:
        source = order.rework
        message.rework.CopyFrom(
            pb.ReworkSource(
                document_type=source.document_type,
                document_id=source.document_id,
                document_line=source.document_line,
                location=source.location,
                lot=source.lot,
            )
        )
    for child in order.suggested_children:
        message.suggested_work_orders.add(
            item_sku=child.item_sku,
            quantity=decimal_message(child.quantity),
            warehouse=child.warehouse,
            due_date=None if child.due_date is None else date_message(child.due_date),
        )
    for r in order.over_issues:
        message.over_issues.add(
            number=r.number,
            component_sku=r.item_sku,
            quantity=decimal_message(r.quantity),
            reason=r.reason,
            state=_OVER_ISSUE_STATES[r.state],
            requested_by=r.requested_by,
            requested_at=timestamp_message(r.requested_at),
            decided_by=r.decided_by,
            decided_at=None if r.decided_at is None else timestamp_message(r.decided_at),
            decision_reason=r.decision_reason,
        )
    for p in order.postings:
        message.postings.add(
            kind=str(p.kind),
            item_sku=p.item_sku,
            quantity=decimal_message(p.quantity),
            location=p.location,
            lot=p.lot,
            movement_ids=list(p.movement_ids),
            actor=p.actor,
            at=timestamp_message(p.at),
        )
    if order.state is WorkOrderState.CLOSED:
        message.variances.extend(_variance_message(c) for c in order.components)
    for t in order.transitions:
        message.transitions.add(
            state=_STATE_NUMBERS[t.state], actor=t.actor, at=timestamp_message(t.at), reason=t.reason
        )
    return message
