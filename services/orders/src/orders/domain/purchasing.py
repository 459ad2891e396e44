"""Purchase orders: what is bought from a supplier, what came in, and what quality made of it.

A purchase order is DRAFT until it is SENT to its supplier; from then on its open quantities
count as on order. Receipts take it to PARTLY_RECEIVED and, once every line has come in, to
RECEIVED; the buyer CLOSES it when nothing more is expected. It is CANCELLED while nothing
has been received. A line may be received beyond its quantity by its over-receipt tolerance
and no further. Quantities are kept as entered and in the item's base unit, which is what
stock holds; accepted and rejected quantities come from quality's decisions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from invariant_kernel.decimals import MONEY_PLACES, parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.limits import TEXT, bounded
from invariant_kernel.units import decimal_text
from orders.domain.lines import ItemLine

# Lines per order: its warehouses are looked up in one call, which takes at most 100.
MAX_LINES = 100
NUMBER_PREFIX = "PO-"
# The document type stock's receipts and quality's decisions name a purchase order by.
DOCUMENT_TYPE = "PURCHASE_ORDER"
# A tolerance of more than the quantity again is a typing error, not an agreement.
MAX_TOLERANCE_PERCENT = Decimal(100)
AVAILABLE = "AVAILABLE"
QC_HOLD = "QC_HOLD"


class PurchaseOrderState(StrEnum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    PARTLY_RECEIVED = "PARTLY_RECEIVED"
    RECEIVED = "RECEIVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


# The states whose open quantities are on order: the supplier has the order and owes goods.
OPEN_STATES = (PurchaseOrderState.SENT, PurchaseOrderState.PARTLY_RECEIVED)


def purchase_order_number(sequence: int) -> str:
    return f"{NUMBER_PREFIX}{sequence:06d}"


def unit_price(raw: str, field: str) -> Decimal | None:
    """A price per unit as exact money; empty means none agreed yet."""
    if not raw.strip():
        return None
    return parse_decimal(raw, field, places=MONEY_PLACES, minimum=Decimal(0))


def tolerance_percent(raw: str, field: str) -> Decimal:
    """An over-receipt tolerance in percent; empty means none."""
    if not raw.strip():
        return Decimal(0)
    percent = parse_decimal(raw, field, places=2, minimum=Decimal(0))
    if percent > MAX_TOLERANCE_PERCENT:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} must be at most {MAX_TOLERANCE_PERCENT}", field)
    return percent


@dataclass(frozen=True)
class PurchaseLine(ItemLine):
    expected_date: date | None
    unit_price: Decimal | None
    tolerance_percent: Decimal = Decimal(0)
    received: Decimal = Decimal(0)
    accepted: Decimal = Decimal(0)
    rejected: Decimal = Decimal(0)

    @property
    def receivable(self) -> Decimal:
        """The most that may be received on the line in all: its quantity plus its tolerance."""
        return self.base_quantity * (1 + self.tolerance_percent / 100)

    @property
    def open_quantity(self) -> Decimal:
        """What the supplier still owes of the line."""
        return max(Decimal(0), self.base_quantity - self.received)


@dataclass(frozen=True)
class Receipt:
    """Goods received on a line, as stock posted them."""

    line: int
    quantity: Decimal
    location: str
    lot: str
    status: str
    movement_id: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class Transition:
    state: PurchaseOrderState
    actor: str
    at: datetime
    reason: str = ""


@dataclass
class PurchaseOrder:
    id: str
    number: str
    supplier: str
    state: PurchaseOrderState
    lines: list[PurchaseLine]
    receipts: list[Receipt]
    transitions: list[Transition]
    created_at: datetime

    @classmethod
    def create(
        cls, *, id: str, number: str, supplier: str, lines: Sequence[PurchaseLine], actor: str, now: datetime
    ) -> PurchaseOrder:
        if not lines:
            raise DomainError(ErrorCode.REQUIRED, "a purchase order needs at least one line", "lines")
        if len(lines) > MAX_LINES:
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"a purchase order holds at most {MAX_LINES} lines", "lines")
        return cls(
            id=id,
            number=number,
            supplier=supplier,
            state=PurchaseOrderState.DRAFT,
            lines=list(lines),
            receipts=[],
            transitions=[Transition(PurchaseOrderState.DRAFT, actor, now)],
            created_at=now,
        )

    def line(self, number: int, field: str) -> PurchaseLine:
        for line in self.lines:
            if line.line == number:
                return line
        raise DomainError(ErrorCode.NOT_FOUND, f"order {self.number} has no line {number}", field)

    def send(self, actor: str, now: datetime) -> None:
        self._require((PurchaseOrderState.DRAFT,), "sent")
        self._enter(PurchaseOrderState.SENT, actor, now)

    def require_receivable(self) -> None:
        self._require(OPEN_STATES, "received")

    def check_receipt(self, receiving: Sequence[tuple[int, Decimal]]) -> None:
        """Refuse a receipt (line number, base quantity per entry) that would take a line
        beyond its quantity plus tolerance, naming the entry's quantity."""
        self.require_receivable()
        taken: dict[int, Decimal] = {}
        for index, (number, quantity) in enumerate(receiving):
            where = f"lines[{index}]"
            line = self.line(number, f"{where}.line")
            taken[number] = taken.get(number, line.received) + quantity
            if taken[number] > line.receivable:
                raise DomainError(
                    ErrorCode.OUT_OF_RANGE,
                    f"{where}.quantity would take line {number} to {decimal_text(taken[number])} {line.base_unit} "
                    f"received, beyond its {decimal_text(line.base_quantity)} "
                    f"with {decimal_text(line.tolerance_percent)} % tolerance",
                    f"{where}.quantity",
                )

    def receive(self, receipts: Sequence[Receipt], actor: str, now: datetime) -> None:
        """Book what stock posted: the lines' received quantities and the order's state."""
        self.require_receivable()
        received = {line.line: line.received for line in self.lines}
        for receipt in receipts:
            received[receipt.line] += receipt.quantity
        self.lines = [dataclasses.replace(line, received=received[line.line]) for line in self.lines]
        self.receipts.extend(receipts)
        done = all(line.received >= line.base_quantity for line in self.lines)
        state = PurchaseOrderState.RECEIVED if done else PurchaseOrderState.PARTLY_RECEIVED
        if state is not self.state:
            self._enter(state, actor, now)

    def decided(self, number: int, accepted: Decimal, rejected: Decimal) -> bool:
        """Quality decided goods received on a line; False when the order has no such line."""
        if not any(line.line == number for line in self.lines):
            return False
        self.lines = [
            dataclasses.replace(line, accepted=line.accepted + accepted, rejected=line.rejected + rejected)
            if line.line == number
            else line
            for line in self.lines
        ]
        return True

    def close(self, reason: str, actor: str, now: datetime) -> None:
        self._require((PurchaseOrderState.PARTLY_RECEIVED, PurchaseOrderState.RECEIVED), "closed")
        self._enter(PurchaseOrderState.CLOSED, actor, now, bounded(reason.strip(), "reason", TEXT))

    def cancel(self, reason: str, actor: str, now: datetime) -> None:
        self._require((PurchaseOrderState.DRAFT, PurchaseOrderState.SENT), "cancelled")
        self._enter(PurchaseOrderState.CANCELLED, actor, now, bounded(reason.strip(), "reason", TEXT))

    def _require(self, states: Sequence[PurchaseOrderState], doing: str) -> None:
        if self.state not in states:
            allowed = " or ".join(states)
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"purchase order {self.number} is {self.state}; only a {allowed} order can be {doing}",
                "number",
            )

    def _enter(self, state: PurchaseOrderState, actor: str, now: datetime, reason: str = "") -> None:
        self.state = state
        self.transitions.append(Transition(state, actor, now, reason))
