"""The orders service's purchasing commands, as its servicer hands them to the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PurchaseLineInput:
    item_sku: str
    quantity: str
    unit: str
    warehouse: str
    expected_date: date | None
    # Decimal strings; empty means none.
    unit_price: str
    tolerance_percent: str


@dataclass(frozen=True)
class CreatePurchaseOrder:
    supplier: str
    lines: tuple[PurchaseLineInput, ...]


@dataclass(frozen=True)
class SendPurchaseOrder:
    number: str


@dataclass(frozen=True)
class ReceiptLineInput:
    line: int
    quantity: str
    unit: str
    location: str
    lot: str
    expiry_date: date | None
    supplier_lot: str = ""


@dataclass(frozen=True)
class ReceivePurchaseOrder:
    # The request's own key: the stock receipts are keyed from it, so that a retry posts once.
    key: str
    number: str
    lines: tuple[ReceiptLineInput, ...]


@dataclass(frozen=True)
class ClosePurchaseOrder:
    number: str
    reason: str


@dataclass(frozen=True)
class CancelPurchaseOrder:
    number: str
    reason: str


@dataclass(frozen=True)
class ConvertSuggestions:
    suggestion_ids: tuple[str, ...]
    supplier: str


@dataclass(frozen=True)
class DismissSuggestion:
    id: str
    reason: str
