"""Work orders as the graph shows them, each built from its protobuf message.

A component's quantities are in its base unit.
"""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry
from strawberry import relay

from gateway.catalog.types import BomVersion
from gateway.context import Info
from gateway.convert import (
    date_from_proto,
    decimal_from_proto,
    enum_from_code,
    enum_from_proto,
    instant_from_proto,
    optional_decimal,
    timestamp_from_proto,
)
from gateway.errors import call
from gateway.nodes import FetchedNode, global_id
from gateway.orders.history import OrderChange
from gateway.stock.types import DocumentRef, Movement, Reservation
from invariant.orders.v1 import orders_pb2 as pb


@strawberry.enum(description="Where a work order stands: DRAFT, RELEASED, COMPLETED, then CLOSED.")
class WorkOrderState(Enum):
    DRAFT = strawberry.enum_value(
        "DRAFT", description="Entered, no BOM pinned and nothing reserved: it may be released."
    )
    RELEASED = strawberry.enum_value(
        "RELEASED", description="Its BOM version pinned and its components reserved: material may be issued."
    )
    COMPLETED = strawberry.enum_value(
        "COMPLETED", description="The whole quantity received; material may still be issued or returned."
    )
    CLOSED = strawberry.enum_value(
        "CLOSED", description="Its material variance fixed and what was still reserved for it released."
    )


@strawberry.enum(description="What a work order does.")
class WorkOrderKind(Enum):
    PRODUCTION = strawberry.enum_value("PRODUCTION", description="Makes the item from the components its BOM names.")
    REWORK = strawberry.enum_value(
        "REWORK",
        description="Reworks goods quality rejected: they are issued whole from REJECTED at its release, and what it "
        "completes goes to inspection again.",
    )


@strawberry.type(description="The rejected goods a rework order reworks.")
class ReworkSource:
    document: DocumentRef = strawberry.field(
        description="The record that rejected them: type NCR, the non-conformance record's number, and the "
        "disposition that asked for the rework as line."
    )
    location: str = strawberry.field(description="Where the rejected goods lie in the order's warehouse.")
    lot: str = strawberry.field(description="Their lot; empty for an item not lot-tracked.")


@strawberry.enum(description="Where a request to issue beyond a component's requirement and tolerance stands.")
class OverIssueState(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting for a supervisor other than the requester.")
    APPROVED = strawberry.enum_value("APPROVED", description="Approved: its quantity may be issued, once.")
    REJECTED = strawberry.enum_value("REJECTED", description="Refused: nothing beyond the allowance may be issued.")
    USED = strawberry.enum_value("USED", description="Approved and issued.")


@strawberry.enum(description="What a stock movement posted for a work order did.")
class WorkOrderPostingKind(Enum):
    ISSUE = strawberry.enum_value("ISSUE", description="Components issued to the order.")
    RETURN = strawberry.enum_value("RETURN", description="Unused components received back into AVAILABLE stock.")
    RECEIPT = strawberry.enum_value(
        "RECEIPT", description="Finished goods received, into QC_HOLD when the item is inspected on production."
    )


@strawberry.type(description="How far beyond its requirement a work order may issue a component without approval.")
class IssueTolerance:
    item_sku: str = strawberry.field(description="The component's SKU.")
    percent: decimal.Decimal = strawberry.field(
        description="Percent of the requirement, 0 to 100; copied onto work orders released from now on."
    )

    @classmethod
    def from_proto(cls, proto: pb.IssueTolerance) -> IssueTolerance:
        return cls(item_sku=proto.item_sku, percent=decimal_from_proto(proto.percent))


@strawberry.type(description="A direct component of the BOM version pinned at release, for the whole order.")
class WorkOrderComponent:
    item_sku: str = strawberry.field(description="The component's SKU.")
    base_unit: str = strawberry.field(description="The component's base unit, which its quantities are in.")
    required: decimal.Decimal = strawberry.field(
        description="BOM quantity times order quantity with scrap, rounded up to whole millionths."
    )
    tolerance_percent: decimal.Decimal = strawberry.field(
        description="How far beyond `required` it may be issued without an approved over-issue, in percent."
    )
    has_bom: bool = strawberry.field(description="Whether it is a sub-assembly, with a BOM of its own.")
    reservation_id: strawberry.ID | None = strawberry.field(
        description="The `id` of stock's reservation for it (`node` fetches it); null when none was made."
    )
    reserved: decimal.Decimal = strawberry.field(description="What stock granted at release.")
    shortfall: decimal.Decimal = strawberry.field(description="What stock could not grant at release.")
    issued: decimal.Decimal = strawberry.field(description="Issued to the order, in all.")
    returned: decimal.Decimal = strawberry.field(description="Returned to stock from the order, in all.")
    over_issued: decimal.Decimal = strawberry.field(
        description="Issued beyond requirement and tolerance on approved over-issue requests."
    )
    still_reserved: decimal.Decimal = strawberry.field(
        description="What its reservation still holds, as the orders service last heard."
    )

    @classmethod
    def from_proto(cls, proto: pb.WorkOrderComponent) -> WorkOrderComponent:
        return cls(
            item_sku=proto.item_sku,
            base_unit=proto.base_unit,
            required=decimal_from_proto(proto.required),
            tolerance_percent=decimal_from_proto(proto.tolerance_percent),
            has_bom=proto.has_bom,
            reservation_id=global_id(Reservation, proto.reservation_id) if proto.reservation_id else None,
            reserved=decimal_from_proto(proto.reserved),
            shortfall=decimal_from_proto(proto.shortfall),
            issued=decimal_from_proto(proto.issued),
            returned=decimal_from_proto(proto.returned),
            over_issued=decimal_from_proto(proto.over_issued),
            still_reserved=decimal_from_proto(proto.still_reserved),
        )


@strawberry.type(description="A short sub-assembly that a child work order could make, as release suggested it.")
class SuggestedWorkOrder:
    item_sku: str = strawberry.field(description="The sub-assembly's SKU.")
    quantity: decimal.Decimal = strawberry.field(description="How many to make, in its base unit.")
    warehouse: str = strawberry.field(description="The warehouse code to make it at.")
    due_date: dt.date | None = strawberry.field(description="When it is needed; null when the order has no due date.")

    @classmethod
    def from_proto(cls, proto: pb.SuggestedWorkOrder) -> SuggestedWorkOrder:
        return cls(
            item_sku=proto.item_sku,
            quantity=decimal_from_proto(proto.quantity),
            warehouse=proto.warehouse,
            due_date=date_from_proto(proto.due_date),
        )


@strawberry.type(
    description="A request to issue more of a component than its requirement and tolerance allow, decided by a "
    "supervisor other than the requester."
)
class OverIssueRequest:
    number: str = strawberry.field(description="OI-000001, …: what approveOverIssue and rejectOverIssue name.")
    component_sku: str = strawberry.field(description="The component's SKU.")
    quantity: decimal.Decimal = strawberry.field(
        description="Asked beyond the allowance, in the component's base unit."
    )
    reason: str = strawberry.field(description="Why the requester needs more.")
    state: OverIssueState = strawberry.field(description="Where the request stands.")
    requested_by: str = strawberry.field(description="The user id of the requester.")
    requested_at: dt.datetime = strawberry.field(description="When it was asked.")
    decided_by: str | None = strawberry.field(description="The user id of who decided it; null while PENDING.")
    decided_at: dt.datetime | None = strawberry.field(description="When it was decided; null while PENDING.")
    decision_reason: str | None = strawberry.field(description="Why it was decided so; null when none was given.")

    @classmethod
    def from_proto(cls, proto: pb.OverIssueRequest) -> OverIssueRequest:
        return cls(
            number=proto.number,
            component_sku=proto.component_sku,
            quantity=decimal_from_proto(proto.quantity),
            reason=proto.reason,
            state=enum_from_proto(OverIssueState, pb.OverIssueState, proto.state),
            requested_by=proto.requested_by,
            requested_at=instant_from_proto(proto.requested_at),
            decided_by=proto.decided_by or None,
            decided_at=timestamp_from_proto(proto.decided_at),
            decision_reason=proto.decision_reason or None,
        )


@strawberry.type(description="A stock movement posted for the order: an issue, a return or a receipt.")
class WorkOrderPosting:
    kind: WorkOrderPostingKind = strawberry.field(description="What it did.")
    item_sku: str = strawberry.field(description="The SKU of the item moved.")
    quantity: decimal.Decimal = strawberry.field(description="In the item's base unit.")
    location: str = strawberry.field(description="The location code of the order's warehouse it went from or to.")
    lot: str | None = strawberry.field(description="The lot, for a lot-tracked item; null otherwise.")
    movement_ids: list[strawberry.ID] = strawberry.field(
        description="The `id`s of stock's movements (`node` fetches each)."
    )
    actor: str = strawberry.field(description="The user id of who posted it.")
    at: dt.datetime = strawberry.field(description="When it was posted.")

    @classmethod
    def from_proto(cls, proto: pb.WorkOrderPosting) -> WorkOrderPosting:
        return cls(
            kind=enum_from_code(WorkOrderPostingKind, proto.kind, "WorkOrderPosting.kind"),
            item_sku=proto.item_sku,
            quantity=decimal_from_proto(proto.quantity),
            location=proto.location,
            lot=proto.lot or None,
            movement_ids=[global_id(Movement, movement) for movement in proto.movement_ids],
            actor=proto.actor,
            at=instant_from_proto(proto.at),
        )


@strawberry.type(
    description="A component's material variance, fixed at close: issued - returned - standard for the quantity "
    "completed, in its base unit and at standard cost."
)
class ComponentVariance:
    item_sku: str = strawberry.field(description="The component's SKU.")
    base_unit: str = strawberry.field(description="The component's base unit, which its quantities are in.")
    issued: decimal.Decimal = strawberry.field(description="Issued to the order, in all.")
    returned: decimal.Decimal = strawberry.field(description="Returned to stock from the order, in all.")
    standard: decimal.Decimal | None = strawberry.field(
        description="The requirement scaled to the quantity completed; null when the service sent none."
    )
    variance: decimal.Decimal | None = strawberry.field(
        description="Issued - returned - standard: above zero, more was used than standard; null with no standard."
    )
    standard_cost: decimal.Decimal | None = strawberry.field(
        description="The catalog's standard cost per base unit at close; null when it has none."
    )
    variance_value: decimal.Decimal | None = strawberry.field(
        description="The variance times `standardCost`; null without a standard cost."
    )

    @classmethod
    def from_proto(cls, proto: pb.ComponentVariance) -> ComponentVariance:
        return cls(
            item_sku=proto.item_sku,
            base_unit=proto.base_unit,
            issued=decimal_from_proto(proto.issued),
            returned=decimal_from_proto(proto.returned),
            standard=optional_decimal(proto.standard, proto.HasField("standard")),
            variance=optional_decimal(proto.variance, proto.HasField("variance")),
            standard_cost=optional_decimal(proto.standard_cost, proto.HasField("standard_cost")),
            variance_value=optional_decimal(proto.variance_value, proto.HasField("variance_value")),
        )


@strawberry.type(description="A change of a work order's state: to which state, by whom, when and why.")
class WorkOrderTransition(OrderChange):
    state: WorkOrderState = strawberry.field(description="The state the work order entered.")
    reason: str | None = strawberry.field(description="Why, where a reason was given; null otherwise.")

    @classmethod
    def from_proto(cls, proto: pb.WorkOrderTransition) -> WorkOrderTransition:
        return cls(
            state=enum_from_proto(WorkOrderState, pb.WorkOrderState, proto.state), **cls.fields_from_proto(proto)
        )


@strawberry.type(
    description="An order to make a finished item from its BOM: released with the BOM version in effect pinned and "
    "its components reserved, issued, completed and closed with its material variance; `node(id:)` fetches it "
    "again by its `id`."
)
class WorkOrder(FetchedNode):
    id: relay.NodeID[str]
    number: str = strawberry.field(
        description="WO-000001, …: the number stock's reservations and movements name it by (WORK_ORDER)."
    )
    item_sku: str = strawberry.field(description="The SKU of the finished item.")
    quantity: decimal.Decimal = strawberry.field(description="To make, as entered, in `unit`.")
    unit: str = strawberry.field(description="The unit the quantity was entered in.")
    base_quantity: decimal.Decimal = strawberry.field(description="To make, in the item's base unit.")
    base_unit: str = strawberry.field(description="The finished item's base unit.")
    warehouse: str = strawberry.field(description="The code of the warehouse it is made at.")
    due_date: dt.date | None = strawberry.field(description="When it is due; null when none was given.")
    state: WorkOrderState = strawberry.field(description="Where the order stands.")
    kind: WorkOrderKind = strawberry.field(description="Production, or rework of rejected goods.")
    rework: ReworkSource | None = strawberry.field(
        description="The rejected goods a REWORK order reworks; null for production."
    )
    bom_version_id: strawberry.ID | None = strawberry.field(
        description="The `id` of the BOM version pinned at release (`node` fetches it); null before release."
    )
    bom_version: int | None = strawberry.field(description="That BOM version's number; null before release.")
    released_on: dt.date | None = strawberry.field(
        description="The day it was released, on which the pinned BOM version was in effect; null before release."
    )
    components: list[WorkOrderComponent] = strawberry.field(
        description="The pinned BOM's direct components, in its order; empty before release."
    )
    suggested_work_orders: list[SuggestedWorkOrder] = strawberry.field(
        description="Child work orders suggested at release for its short sub-assemblies."
    )
    over_issues: list[OverIssueRequest] = strawberry.field(description="Its over-issue requests, oldest first.")
    completed: decimal.Decimal = strawberry.field(description="Finished goods received, in the base unit.")
    postings: list[WorkOrderPosting] = strawberry.field(
        description="The stock movements posted for it, oldest first: issues, returns and receipts."
    )
    variances: list[ComponentVariance] = strawberry.field(
        description="The material variance per component, once CLOSED; empty before."
    )
    transitions: list[WorkOrderTransition] = strawberry.field(
        description="Its history, oldest first: one entry per change of state."
    )
    created_at: dt.datetime = strawberry.field(description="When it was entered.")

    @classmethod
    def from_proto(cls, proto: pb.WorkOrder) -> WorkOrder:
        return cls(
            id=proto.number,
            number=proto.number,
            item_sku=proto.item_sku,
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            base_quantity=decimal_from_proto(proto.base_quantity),
            base_unit=proto.base_unit,
            warehouse=proto.warehouse,
            due_date=date_from_proto(proto.due_date),
            state=enum_from_proto(WorkOrderState, pb.WorkOrderState, proto.state),
            kind=enum_from_proto(WorkOrderKind, pb.WorkOrderKind, proto.kind),
            rework=ReworkSource(
                document=DocumentRef(
                    type=proto.rework.document_type,
                    number=proto.rework.document_id,
                    line=proto.rework.document_line or None,
                ),
                location=proto.rework.location,
                lot=proto.rework.lot,
            )
            if proto.HasField("rework")
            else None,
            bom_version_id=global_id(BomVersion, proto.bom_id) if proto.bom_id else None,
            bom_version=proto.bom_version or None,
            released_on=date_from_proto(proto.released_on),
            components=[WorkOrderComponent.from_proto(component) for component in proto.components],
            suggested_work_orders=[SuggestedWorkOrder.from_proto(child) for child in proto.suggested_work_orders],
            over_issues=[OverIssueRequest.from_proto(request) for request in proto.over_issues],
            completed=decimal_from_proto(proto.completed),
            postings=[WorkOrderPosting.from_proto(posting) for posting in proto.postings],
            variances=[ComponentVariance.from_proto(variance) for variance in proto.variances],
            transitions=[WorkOrderTransition.from_proto(transition) for transition in proto.transitions],
            created_at=instant_from_proto(proto.created_at),
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[WorkOrder]:
        request = pb.GetWorkOrdersRequest(numbers=ids)
        reply = await call(lambda: info.context.stubs.orders.GetWorkOrders(request))
        return [cls.from_proto(order) for order in reply.orders]
