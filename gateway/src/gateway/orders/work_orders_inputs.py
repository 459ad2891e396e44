"""Work order inputs, each turned into its gRPC request by `to_proto`.

`fields` names the request's fields that an input calls otherwise, so that a refusal names
the field the client sent: an issue line names its component in `component`, as `{ sku }`
or `{ barcode }`.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping

import strawberry

from gateway.convert import date_to_proto, decimal_to_proto
from gateway.idempotency import IDEMPOTENCY_KEY_HELP, key
from invariant.orders.v1 import orders_pb2 as pb

WORK_ORDER_HELP = "The work order's number, e.g. `WO-000001`; case is ignored."
UNIT_HELP = "Any unit of the item, converted exactly to its base unit; null: its base unit."
REQUEST_HELP = "The over-issue request's number, e.g. `OI-000001`."


@strawberry.input(description="How far beyond its requirement a work order may issue a component without approval.")
class SetIssueToleranceInput:
    item_sku: str = strawberry.field(description="The component's SKU; case is ignored.")
    percent: decimal.Decimal = strawberry.field(
        description="Percent of the requirement, 0 to 100, at most 2 decimal places; applies to work orders released "
        "from now on."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.SetIssueToleranceRequest:
        return pb.SetIssueToleranceRequest(
            idempotency_key=key(self.idempotency_key), item_sku=self.item_sku, percent=decimal_to_proto(self.percent)
        )


@strawberry.input(description="A new work order in DRAFT; releaseWorkOrder pins its BOM and reserves its components.")
class CreateWorkOrderInput:
    item_sku: str = strawberry.field(description="The finished item's SKU; case is ignored.")
    quantity: decimal.Decimal = strawberry.field(description="To make, greater than zero, in `unit`.")
    warehouse: str = strawberry.field(description="The code of the warehouse to make it at; case is ignored.")
    unit: str | None = strawberry.field(default=None, description=UNIT_HELP)
    due_date: dt.date | None = strawberry.field(default=None, description="When it is due; null for no date.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreateWorkOrderRequest:
        return pb.CreateWorkOrderRequest(
            idempotency_key=key(self.idempotency_key),
            item_sku=self.item_sku,
            warehouse=self.warehouse,
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
            due_date=date_to_proto(self.due_date) if self.due_date is not None else None,
        )


@strawberry.input(description="A work order named by its number, for a command that takes nothing else.")
class WorkOrderNumberInput:
    number: str = strawberry.field(description=WORK_ORDER_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)


@strawberry.input(
    one_of=True, description="A work order's component: by its SKU or by a barcode scanned, exactly one of them."
)
class ComponentInput:
    sku: str | None = strawberry.field(default=strawberry.UNSET, description="The component's SKU; case is ignored.")
    barcode: str | None = strawberry.field(default=strawberry.UNSET, description="A barcode of the component.")


@strawberry.input(description="A quantity of one component at one place of the order's warehouse.")
class ComponentLineInput:
    component: ComponentInput = strawberry.field(
        description="The component, by SKU or barcode; one the order's pinned BOM does not list is refused."
    )
    quantity: decimal.Decimal = strawberry.field(description="Greater than zero, in `unit`.")
    location: str = strawberry.field(description="A location code of the order's warehouse; case is ignored.")
    unit: str | None = strawberry.field(default=None, description=UNIT_HELP)
    lot: str | None = strawberry.field(
        default=None, description="The lot; required for a lot-tracked component and null for any other."
    )

    def to_proto(self) -> pb.ComponentQuantity:
        sku, barcode = self.component.sku, self.component.barcode
        return pb.ComponentQuantity(
            component_sku=sku if isinstance(sku, str) else "",
            barcode=barcode if isinstance(barcode, str) else "",
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
            location=self.location,
            lot=self.lot or "",
        )


@strawberry.input(description="Components moved for a work order, each line from or to its own place.")
class ComponentLinesInput:
    number: str = strawberry.field(description=WORK_ORDER_HELP)
    lines: list[ComponentLineInput] = strawberry.field(description="At least one line and at most 100.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    @property
    def fields(self) -> Mapping[str, str]:
        return {
            f"lines[{index}].{name}": f"lines[{index}].{path}"
            for index in range(len(self.lines))
            for name, path in (("component_sku", "component.sku"), ("barcode", "component.barcode"))
        }

    def proto_lines(self) -> list[pb.ComponentQuantity]:
        return [line.to_proto() for line in self.lines]


@strawberry.input(description="Asks to issue more of a component than its requirement and tolerance allow.")
class RequestOverIssueInput:
    number: str = strawberry.field(description=WORK_ORDER_HELP)
    component_sku: str = strawberry.field(description="The component's SKU; case is ignored.")
    quantity: decimal.Decimal = strawberry.field(description="How much beyond the allowance, greater than zero.")
    reason: str = strawberry.field(description="Why more is needed; required.")
    unit: str | None = strawberry.field(default=None, description=UNIT_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.RequestOverIssueRequest:
        return pb.RequestOverIssueRequest(
            idempotency_key=key(self.idempotency_key),
            number=self.number,
            component_sku=self.component_sku,
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
            reason=self.reason,
        )


@strawberry.input(description="A supervisor's decision on a PENDING over-issue request, never the requester's.")
class DecideOverIssueInput:
    number: str = strawberry.field(description=WORK_ORDER_HELP)
    request: str = strawberry.field(description=REQUEST_HELP)
    reason: str | None = strawberry.field(default=None, description="Why, kept on the request.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def decision(self) -> dict[str, str]:
        """The decision request's fields, the same whichever way it goes."""
        return {
            "idempotency_key": key(self.idempotency_key),
            "number": self.number,
            "request": self.request,
            "reason": self.reason or "",
        }


@strawberry.input(
    description="Reserves a DRAFT order's components through stock by the BOM version in effect today, which is "
    "pinned on the order."
)
class ReleaseWorkOrderInput(WorkOrderNumberInput):
    def to_proto(self) -> pb.ReleaseWorkOrderRequest:
        return pb.ReleaseWorkOrderRequest(idempotency_key=key(self.idempotency_key), number=self.number)


@strawberry.input(description="Components issued to a work order from the places scanned.")
class IssueComponentsInput(ComponentLinesInput):
    def to_proto(self) -> pb.IssueComponentsRequest:
        return pb.IssueComponentsRequest(
            idempotency_key=key(self.idempotency_key), number=self.number, lines=self.proto_lines()
        )


@strawberry.input(description="Unused components given back to AVAILABLE stock from a work order.")
class ReturnComponentsInput(ComponentLinesInput):
    def to_proto(self) -> pb.ReturnComponentsRequest:
        return pb.ReturnComponentsRequest(
            idempotency_key=key(self.idempotency_key), number=self.number, lines=self.proto_lines()
        )


@strawberry.input(description="Approves a PENDING over-issue request: its quantity may then be issued, once.")
class ApproveOverIssueInput(DecideOverIssueInput):
    def to_proto(self) -> pb.ApproveOverIssueRequest:
        return pb.ApproveOverIssueRequest(**self.decision())


@strawberry.input(description="Rejects a PENDING over-issue request.")
class RejectOverIssueInput(DecideOverIssueInput):
    def to_proto(self) -> pb.RejectOverIssueRequest:
        return pb.RejectOverIssueRequest(**self.decision())


@strawberry.input(description="Finished goods received from a work order (partial allowed).")
class CompleteWorkOrderInput:
    number: str = strawberry.field(description=WORK_ORDER_HELP)
    quantity: decimal.Decimal = strawberry.field(
        description="Received, greater than zero, in `unit`; refused beyond what is still to make."
    )
    location: str = strawberry.field(description="A location code of the order's warehouse; case is ignored.")
    unit: str | None = strawberry.field(default=None, description=UNIT_HELP)
    lot: str | None = strawberry.field(
        default=None, description="The lot made; required for a lot-tracked item and refused for any other."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CompleteWorkOrderRequest:
        return pb.CompleteWorkOrderRequest(
            idempotency_key=key(self.idempotency_key),
            number=self.number,
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
            location=self.location,
            lot=self.lot or "",
        )


@strawberry.input(description="Closes a RELEASED or COMPLETED work order, fixing its material variance.")
class CloseWorkOrderInput:
    number: str = strawberry.field(description=WORK_ORDER_HELP)
    reason: str | None = strawberry.field(
        default=None, description="Why it closes (short of its quantity, say), kept in its transitions."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CloseWorkOrderRequest:
        return pb.CloseWorkOrderRequest(
            idempotency_key=key(self.idempotency_key), number=self.number, reason=self.reason or ""
        )
