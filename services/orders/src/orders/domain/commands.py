"""The orders service's commands, as its servicer hands them to the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CreateCustomer:
    code: str
    name: str


@dataclass(frozen=True)
class SuppliedItem:
    item_sku: str
    # Base units per pack as a decimal string; empty means any quantity.
    pack_size: str
    lead_time_days: int


@dataclass(frozen=True)
class CreateSupplier:
    code: str
    name: str
    items: tuple[SuppliedItem, ...]


@dataclass(frozen=True)
class LineInput:
    """An order line as entered: the item by SKU or by barcode (one of the two)."""

    item_sku: str
    barcode: str
    quantity: str
    unit: str
    warehouse: str
    requested_date: date | None


@dataclass(frozen=True)
class CreateSalesOrder:
    customer: str
    customer_reference: str
    # An orders.domain.sales.PromisePolicy name; empty means ALL_OR_NOTHING.
    policy: str
    lines: tuple[LineInput, ...]


@dataclass(frozen=True)
class ConfirmSalesOrder:
    number: str


@dataclass(frozen=True)
class CancelSalesOrder:
    number: str
    reason: str
