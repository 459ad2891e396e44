"""Mutation inputs, each turned into its gRPC request by `to_proto`.

`fields` names the request's fields that an input calls otherwise, so that a refusal names
the field the client sent: an order line names its item in `item`, as `{ sku }` or `{ barcode }`.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import ClassVar

import strawberry

from gateway.convert import date_to_proto, decimal_to_proto, enum_to_proto
from gateway.idempotency import IDEMPOTENCY_KEY_HELP, key
from gateway.orders.types import PromisePolicy
from invariant.orders.v1 import orders_pb2 as pb
from invariant_kernel.errors import DomainError, ErrorCode

PARTNER_CODE_HELP = "1 to 20 letters, digits, `_` or `-`, starting with a letter; kept upper case."
NUMBER_HELP = "The order's number, e.g. `SO-000001`; case is ignored."


@strawberry.input(description="A new customer, named by a code that sales orders use.")
class CreateCustomerInput:
    code: str = strawberry.field(description=f"{PARTNER_CODE_HELP} An existing code is refused (ALREADY_EXISTS).")
    name: str = strawberry.field(description="The customer's name; required.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreateCustomerRequest:
        return pb.CreateCustomerRequest(idempotency_key=key(self.idempotency_key), code=self.code, name=self.name)


@strawberry.input(description="An item a supplier delivers, in whole packs after a lead time.")
class SupplierItemInput:
    item_sku: str = strawberry.field(description="The item's SKU; case is ignored. Each item at most once.")
    pack_size: decimal.Decimal | None = strawberry.field(
        default=None, description="How many a pack holds, in the item's base unit; null: any quantity."
    )
    lead_time_days: int = strawberry.field(default=0, description="Days from ordering to delivery, 0 to 366.")

    def to_proto(self) -> pb.SupplierItem:
        item = pb.SupplierItem(item_sku=self.item_sku, lead_time_days=self.lead_time_days)
        if self.pack_size is not None:
            item.pack_size.CopyFrom(decimal_to_proto(self.pack_size))
        return item


@strawberry.input(description="A new supplier and the items it supplies.")
class CreateSupplierInput:
    code: str = strawberry.field(description=f"{PARTNER_CODE_HELP} An existing code is refused (ALREADY_EXISTS).")
    name: str = strawberry.field(description="The supplier's name; required.")
    items: list[SupplierItemInput] = strawberry.field(
        default_factory=list, description="The items it supplies, each known to the catalog; may be empty."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreateSupplierRequest:
        return pb.CreateSupplierRequest(
            idempotency_key=key(self.idempotency_key),
            code=self.code,
            name=self.name,
            items=[item.to_proto() for item in self.items],
        )


@strawberry.input(
    one_of=True, description="The item an order line asks for: by its SKU or by a barcode scanned, exactly one of them."
)
class OrderItemInput:
    sku: str | None = strawberry.field(default=strawberry.UNSET, description="The item's SKU; case is ignored.")
    barcode: str | None = strawberry.field(default=strawberry.UNSET, description="A barcode of the item.")

    def request_fields(self, at: str) -> dict[str, str]:
        """The line request's field that names the item, as the service takes it; `at` is where this input is."""
        # @oneOf lets exactly one member through, possibly as an empty string, which names no item.
        name, value = ("sku", self.sku) if isinstance(self.sku, str) else ("barcode", self.barcode or "")
        if not value.strip():
            field = f"{at}.{name}"
            raise DomainError(ErrorCode.REQUIRED, f"{field} is empty: give the item's SKU or a barcode", field)
        return {"item_sku" if name == "sku" else "barcode": value}


@strawberry.input(description="One line of a new sales order.")
class SalesOrderLineInput:
    item: OrderItemInput = strawberry.field(description="The item, by SKU or by barcode.")
    quantity: decimal.Decimal = strawberry.field(
        description="Greater than zero, in `unit`; refused (TOO_PRECISE) when it needs more than 6 decimal places in "
        "the base unit."
    )
    unit: str | None = strawberry.field(
        default=None, description="Any unit of the item, converted exactly to its base unit; null: its base unit."
    )
    warehouse: str = strawberry.field(description="The code of the warehouse to promise it from; case is ignored.")
    requested_date: dt.date | None = strawberry.field(
        default=None, description="When the customer wants it; null when they did not say."
    )

    # The service's names of a line's fields, and where this input has them.
    PATHS: ClassVar[Mapping[str, str]] = {"item_sku": "item.sku", "barcode": "item.barcode"}

    def to_proto(self, at: str) -> pb.SalesOrderLineInput:
        line = pb.SalesOrderLineInput(
            **self.item.request_fields(at),
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
            warehouse=self.warehouse,
        )
        if self.requested_date is not None:
            line.requested_date.CopyFrom(date_to_proto(self.requested_date))
        return line


@strawberry.input(description="A new sales order in DRAFT; confirmSalesOrder reserves its lines.")
class CreateSalesOrderInput:
    customer: str = strawberry.field(description="The customer's code; an unknown customer is refused.")
    lines: list[SalesOrderLineInput] = strawberry.field(description="At least one line and at most 100.")
    customer_reference: str | None = strawberry.field(
        default=None, description="The customer's own reference for the order (their PO number); null for none."
    )
    policy: PromisePolicy = strawberry.field(
        default=PromisePolicy.ALL_OR_NOTHING,
        description="ALL_OR_NOTHING promises every line in full or nothing; PARTIAL what is there, the rest "
        "backordered.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    @property
    def fields(self) -> Mapping[str, str]:
        return {
            f"lines[{index}].{name}": f"lines[{index}].{path}"
            for index in range(len(self.lines))
            for name, path in SalesOrderLineInput.PATHS.items()
        }

    def to_proto(self) -> pb.CreateSalesOrderRequest:
        return pb.CreateSalesOrderRequest(
            idempotency_key=key(self.idempotency_key),
            customer=self.customer,
            customer_reference=self.customer_reference or "",
            policy=enum_to_proto(pb.PromisePolicy, self.policy),
            lines=[line.to_proto(f"lines[{index}].item") for index, line in enumerate(self.lines)],
        )


@strawberry.input(
    description="Reserves a DRAFT order's lines through stock by its policy. Under ALL_OR_NOTHING a line that cannot "
    "be met refuses it (INSUFFICIENT_STOCK, naming the line) and the order stays DRAFT."
)
class ConfirmSalesOrderInput:
    number: str = strawberry.field(description=NUMBER_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ConfirmSalesOrderRequest:
        return pb.ConfirmSalesOrderRequest(idempotency_key=key(self.idempotency_key), number=self.number)


@strawberry.input(description="Cancels a DRAFT or CONFIRMED order; what is still reserved for it is released.")
class CancelSalesOrderInput:
    number: str = strawberry.field(description=NUMBER_HELP)
    reason: str | None = strawberry.field(default=None, description="Why, kept in the order's transitions.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CancelSalesOrderRequest:
        return pb.CancelSalesOrderRequest(
            idempotency_key=key(self.idempotency_key), number=self.number, reason=self.reason or ""
        )
