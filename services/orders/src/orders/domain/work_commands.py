"""The work-order commands, as the servicer hands them to the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from orders.domain.work_orders import ReworkSource


@dataclass(frozen=True)
class SetIssueTolerance:
    item_sku: str
    # Percent of a component's requirement that may be issued beyond it without approval.
    percent: str


@dataclass(frozen=True)
class CreateWorkOrder:
    item_sku: str
    quantity: str
    unit: str
    warehouse: str
    due_date: date | None
    # PRODUCTION, REWORK, or empty for PRODUCTION.
    kind: str = ""
    # As the request gave it; required for a rework.
    rework: ReworkSource | None = None


@dataclass(frozen=True)
class ReleaseWorkOrder:
    number: str


@dataclass(frozen=True)
class ComponentQuantity:
    component_sku: str
    quantity: str
    unit: str
    location: str
    lot: str
    # A scanned barcode in place of component_sku.
    barcode: str = ""


@dataclass(frozen=True)
class IssueComponents:
    number: str
    lines: tuple[ComponentQuantity, ...]
    # The request's idempotency key: stock's keys for its movements derive from it.
    request_key: str


@dataclass(frozen=True)
class ReturnComponents:
    number: str
    lines: tuple[ComponentQuantity, ...]
    request_key: str


@dataclass(frozen=True)
class RequestOverIssue:
    number: str
    component_sku: str
    quantity: str
    unit: str
    reason: str


@dataclass(frozen=True)
class DecideOverIssue:
    number: str
    request: str
    approve: bool
    reason: str


@dataclass(frozen=True)
class CompleteWorkOrder:
    number: str
    quantity: str
    unit: str
    location: str
    lot: str
    request_key: str


@dataclass(frozen=True)
class CloseWorkOrder:
    number: str
    reason: str
