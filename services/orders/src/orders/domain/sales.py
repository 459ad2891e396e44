"""Sales orders: what a customer asked for, what stock promised it, and who changed it when.

A sales order is DRAFT until it is confirmed, which reserves its lines through stock in one
call: under ALL_OR_NOTHING every line in full or nothing, under PARTIAL what exists with the
rest backordered. It is CANCELLED before shipment, which gives back what is still reserved.
Quantities are kept as entered and in the item's base unit, which is what stock holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.limits import ID, TEXT, bounded
from orders.domain.lines import ItemLine

# Lines per order: an order is confirmed in one reservation call and its warehouses
# are looked up in one call, each of which takes at most 100.
MAX_LINES = 100
NUMBER_PREFIX = "SO-"
# The document type stock's reservations and movements name a sales order by.
DOCUMENT_TYPE = "SALES_ORDER"


class SalesOrderState(StrEnum):
    DRAFT = "DRAFT"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class PromisePolicy(StrEnum):
    ALL_OR_NOTHING = "ALL_OR_NOTHING"
    PARTIAL = "PARTIAL"


@dataclass(frozen=True)
class OrderLine(ItemLine):
    requested_date: date | None
    reserved: Decimal = Decimal(0)
    backordered: Decimal = Decimal(0)
    reservation_id: str = ""


@dataclass(frozen=True)
class Grant:
    """What stock promised a line: its reservation and the base quantity it holds."""

    reservation_id: str
    granted: Decimal


@dataclass(frozen=True)
class Transition:
    state: SalesOrderState
    actor: str
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class Confirmed:
    order: SalesOrder


@dataclass(frozen=True)
class Cancelled:
    order: SalesOrder
    reason: str


def order_number(sequence: int) -> str:
    return f"{NUMBER_PREFIX}{sequence:06d}"


@dataclass
class SalesOrder:
    id: str
    number: str
    customer: str
    customer_reference: str
    policy: PromisePolicy
    state: SalesOrderState
    lines: list[OrderLine]
    transitions: list[Transition]
    created_at: datetime
    events: list[object] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def create(
        cls,
        *,
        id: str,
        number: str,
        customer: str,
        customer_reference: str,
        policy: PromisePolicy,
        lines: Sequence[OrderLine],
        actor: str,
        now: datetime,
    ) -> SalesOrder:
        if not lines:
            raise DomainError(ErrorCode.REQUIRED, "an order needs at least one line", "lines")
        if len(lines) > MAX_LINES:
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"an order holds at most {MAX_LINES} lines", "lines")
        reference = bounded(customer_reference.strip(), "customer_reference", ID)
        return cls(
            id=id,
            number=number,
            customer=customer,
            customer_reference=reference,
            policy=policy,
            state=SalesOrderState.DRAFT,
            lines=list(lines),
            transitions=[Transition(SalesOrderState.DRAFT, actor, now)],
            created_at=now,
        )

    def require_draft(self, doing: str) -> None:
        if self.state is not SalesOrderState.DRAFT:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"order {self.number} is {self.state}; only a DRAFT order can be {doing}",
                "number",
            )

    def confirm(self, grants: Sequence[Grant], actor: str, now: datetime) -> None:
        """Take what stock promised, one grant per line in line order; the rest is backordered."""
        self.require_draft("confirmed")
        if len(grants) != len(self.lines):
            raise ValueError(f"{len(grants)} grants for {len(self.lines)} lines")
        self.lines = [
            dataclasses.replace(
                line,
                reserved=grant.granted,
                backordered=line.base_quantity - grant.granted,
                reservation_id=grant.reservation_id,
            )
            for line, grant in zip(self.lines, grants, strict=True)
        ]
        self._enter(SalesOrderState.CONFIRMED, actor, now)
        self.events.append(Confirmed(self))

    def cancel(self, reason: str, actor: str, now: datetime) -> list[OrderLine]:
        """Cancel the order; the lines whose reservations are to be given back."""
        if self.state is SalesOrderState.CANCELLED:
            raise DomainError(ErrorCode.INVALID_STATE, f"order {self.number} is cancelled already", "number")
        why = bounded(reason.strip(), "reason", TEXT)
        self._enter(SalesOrderState.CANCELLED, actor, now, why)
        self.events.append(Cancelled(self, why))
        return [line for line in self.lines if line.reserved > 0]

    def released(self, line_number: int, still_reserved: Decimal) -> None:
        """Stock answered the release of a line's reservation: what it still holds."""
        self.lines = [
            dataclasses.replace(line, reserved=still_reserved) if line.line == line_number else line
            for line in self.lines
        ]

    def _enter(self, state: SalesOrderState, actor: str, now: datetime, reason: str = "") -> None:
        self.state = state
        self.transitions.append(Transition(state, actor, now, reason))
