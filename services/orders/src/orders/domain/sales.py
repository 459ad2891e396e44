"""Sales orders: what a customer asked for, what stock promised it, and who changed it when.

A sales order is DRAFT until it is confirmed, which reserves its lines through stock in one
call: under ALL_OR_NOTHING every line in full or nothing, under PARTIAL what exists with the
rest backordered. A backorder is filled by further reservations as stock comes in, so a line
may hold several. Picking starts with the first scan (PICKING); shipping issues what was
picked (PARTLY_SHIPPED while lines remain, else SHIPPED); a shipped order is CLOSED. It is
CANCELLED before anything is shipped, which gives back what is still reserved.
Quantities are kept as entered and in the item's base unit, which is what stock holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

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
    PICKING = "PICKING"
    PARTLY_SHIPPED = "PARTLY_SHIPPED"
    SHIPPED = "SHIPPED"
    CLOSED = "CLOSED"


# States in which an order still waits for stock: its backorders are filled, its lines picked.
OPEN_STATES = frozenset({SalesOrderState.CONFIRMED, SalesOrderState.PICKING, SalesOrderState.PARTLY_SHIPPED})


class PromisePolicy(StrEnum):
    ALL_OR_NOTHING = "ALL_OR_NOTHING"
    PARTIAL = "PARTIAL"


@dataclass(frozen=True)
class LineReservation:
    """One of stock's reservations for a line, and what it still holds for it."""

    reservation_id: str
    open: Decimal


@dataclass(frozen=True)
class OrderLine(ItemLine):
    requested_date: date | None
    reserved: Decimal = Decimal(0)
    backordered: Decimal = Decimal(0)
    # The reservation its confirmation got (granted nothing under PARTIAL: held by none).
    reservation_id: str = ""
    # Every reservation holding stock for it, oldest first; `reserved` is what they hold.
    reservations: tuple[LineReservation, ...] = ()
    # Of the backorder, what was asked of stock and not answered yet.
    asking: Decimal = Decimal(0)
    # Of `asking`, what was asked before stock came in that no ask could take, every unit of
    # the backorder being asked for already: stock may have answered those asks before it
    # came, so an answer short of its ask asks again for what it did not get.
    asked_before_arrival: Decimal = Decimal(0)
    # Picked and not shipped yet: still held by its reservations.
    picked: Decimal = Decimal(0)
    shipped: Decimal = Decimal(0)
    # What stock found missing of what it held for the line (a count's loss, a scrap): the
    # sales desk's flag; it was backordered again.
    shorted: Decimal = Decimal(0)
    # Sent back by the customer (customer returns).
    returned: Decimal = Decimal(0)

    @property
    def to_pick(self) -> Decimal:
        """What is reserved for the line and not picked yet."""
        return self.reserved - self.picked

    @property
    def to_ask(self) -> Decimal:
        """What of the backorder no request to stock is out for."""
        return self.backordered - self.asking


@dataclass(frozen=True)
class Grant:
    """What stock promised a line: its reservation and the base quantity it holds."""

    reservation_id: str
    granted: Decimal


class Answer(NamedTuple):
    """What booking stock's answer to a backorder's ask leaves to do."""

    give_back: Decimal
    ask_again: Decimal


@dataclass(frozen=True)
class Transition:
    state: SalesOrderState
    actor: str
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class Pick:
    """What a picker took off a shelf for a line; `expected` is set where the shelf held
    less than the pick list named (a failed pick: `quantity` is what was found)."""

    seq: int
    line: int
    location: str
    lot: str
    quantity: Decimal
    actor: str
    at: datetime
    expected: Decimal | None = None
    # The shipment that issued it; 0 while it waits to be shipped.
    shipment: int = 0


@dataclass(frozen=True)
class Issue:
    """Part of a pick to be issued against one of its line's reservations."""

    pick: int
    line: int
    reservation_id: str
    location: str
    lot: str
    quantity: Decimal


@dataclass(frozen=True)
class ShippedLine:
    line: int
    item_sku: str
    warehouse: str
    lot: str
    quantity: Decimal


@dataclass(frozen=True)
class Confirmed:
    order: SalesOrder


@dataclass(frozen=True)
class Cancelled:
    order: SalesOrder
    reason: str


@dataclass(frozen=True)
class ShipmentPosted:
    order: SalesOrder
    shipment: int
    # Per line and lot, in line order.
    lines: tuple[ShippedLine, ...]
    movement_ids: tuple[str, ...]


@dataclass(frozen=True)
class PickFailed:
    order: SalesOrder
    line: OrderLine
    pick: Pick


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
    picks: list[Pick] = field(default_factory=list)
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
                reservations=(LineReservation(grant.reservation_id, grant.granted),) if grant.granted > 0 else (),
            )
            for line, grant in zip(self.lines, grants, strict=True)
        ]
        self._enter(SalesOrderState.CONFIRMED, actor, now)
        self.events.append(Confirmed(self))

    def cancel(self, reason: str, actor: str, now: datetime) -> list[OrderLine]:
        """Cancel the order before anything of it is shipped; the lines whose reservations
        are to be given back."""
        if self.state not in (SalesOrderState.DRAFT, SalesOrderState.CONFIRMED, SalesOrderState.PICKING):
            raise self._wrong_state("only an order nothing of which is shipped can be cancelled")
        why = bounded(reason.strip(), "reason", TEXT)
        self._enter(SalesOrderState.CANCELLED, actor, now, why)
        self.events.append(Cancelled(self, why))
        return [line for line in self.lines if line.reserved > 0]

    def close(self, actor: str, now: datetime) -> list[OrderLine]:
        """Close a shipped order (what is not shipped of a partly shipped one is no longer
        wanted); the lines whose reservations are to be given back."""
        if self.state not in (SalesOrderState.SHIPPED, SalesOrderState.PARTLY_SHIPPED):
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"order {self.number} is {self.state}; only a shipped order is closed",
                "number",
            )
        if any(line.picked > 0 for line in self.lines):
            raise DomainError(
                ErrorCode.INVALID_STATE, f"order {self.number} has picked goods not shipped yet", "number"
            )
        self._enter(SalesOrderState.CLOSED, actor, now)
        return [line for line in self.lines if line.reserved > 0]

    def line(self, number: int, field: str = "line") -> OrderLine:
        for line in self.lines:
            if line.line == number:
                return line
        raise DomainError(ErrorCode.NOT_FOUND, f"order {self.number} has no line {number}", field)

    def released(self, line_number: int, reservation_id: str, still_reserved: Decimal) -> None:
        """Stock answered the release of one of a line's reservations: what it still holds."""
        line = self.line(line_number)
        held = tuple(
            LineReservation(r.reservation_id, still_reserved) if r.reservation_id == reservation_id else r
            for r in line.reservations
        )
        self._held(line, held)

    # backorders

    def ask_backorder(self, line_number: int, quantity: Decimal) -> None:
        """Stock is asked for `quantity` more of the line's backorder."""
        line = self.line(line_number)
        if self.state not in OPEN_STATES or not 0 < quantity <= line.to_ask:
            raise ValueError(f"cannot ask {quantity} for line {line_number} of {self.number} ({self.state})")
        self._replace(line, asking=line.asking + quantity)

    def backorder_answered(self, line_number: int, asked: Decimal, reservation_id: str, granted: Decimal) -> Answer:
        """Book what stock granted of an ask on the line's backorder. What of it the order no
        longer wants (cancelled or closed meanwhile) is to be given back; an ask answered
        short that stock may have answered before stock came in is asked again."""
        line = self.line(line_number)
        missed_arrival = line.asked_before_arrival > 0
        line = self._replace(
            line,
            asking=max(line.asking - asked, Decimal(0)),
            asked_before_arrival=max(line.asked_before_arrival - asked, Decimal(0)),
        )
        kept = min(granted, line.backordered) if self.state in OPEN_STATES else Decimal(0)
        if kept > 0:
            line = self._replace(line, backordered=line.backordered - kept)
            line = self._held(line, (*line.reservations, LineReservation(reservation_id, kept)))
        again = Decimal(0)
        if missed_arrival and self.state in OPEN_STATES and granted < asked:
            again = min(asked - granted, line.to_ask)
            if again > 0:
                self.ask_backorder(line_number, again)
        return Answer(give_back=granted - kept, ask_again=again)

    def arrived_while_asked(self, line_number: int, asking: Decimal) -> None:
        """Stock came in for the line's item and place and went to no ask while `asking` of
        the line was asked for: those asks may have been answered before it came."""
        self._replace(self.line(line_number), asked_before_arrival=asking)

    def lose(self, line_number: int, reservation_id: str, quantity: Decimal) -> None:
        """Stock found `quantity` of what one of the line's reservations holds gone: it is
        given back and asked for again, and the line is flagged."""
        line = self.line(line_number)
        line = self._replace(
            line,
            backordered=line.backordered + quantity,
            asking=line.asking + quantity,
            shorted=line.shorted + quantity,
        )
        self._held(
            line,
            tuple(
                LineReservation(r.reservation_id, r.open - quantity) if r.reservation_id == reservation_id else r
                for r in line.reservations
            ),
        )

    def take_back(self, line_number: int, quantity: Decimal, lot: str) -> OrderLine:
        """A customer sends back `quantity` of a shipped line (of the lot shipped, where the
        line's item is lot-tracked): at most what was shipped and not returned yet."""
        line = self.line(line_number)
        returnable = line.shipped - line.returned
        if quantity <= 0 or quantity > returnable:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"line {line.line} has {returnable} {line.base_unit} shipped and not returned; {quantity} returned",
                "quantity",
            )
        shipped_lots = {p.lot for p in self.picks if p.line == line.line and p.shipment}
        if lot not in shipped_lots:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"line {line.line} shipped no lot {lot or '(none)'}; it shipped {', '.join(sorted(shipped_lots))}",
                "lot",
            )
        return self._replace(line, returned=line.returned + quantity)

    # picking and shipping

    def pick(
        self,
        line_number: int,
        location: str,
        lot: str,
        quantity: Decimal,
        actor: str,
        now: datetime,
        expected: Decimal | None = None,
    ) -> Pick:
        """Record what a picker took for a line (`expected` where the shelf was short)."""
        if self.state not in OPEN_STATES:
            raise DomainError(
                ErrorCode.INVALID_STATE, f"order {self.number} is {self.state}; it is not picked", "number"
            )
        line = self.line(line_number)
        field = "found" if expected is not None else "quantity"
        if quantity < 0 or (expected is None and quantity == 0):
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} must be more than 0", field)
        if quantity > line.to_pick:
            raise DomainError(
                ErrorCode.INSUFFICIENT_STOCK,
                f"line {line.line} has {line.to_pick} {line.base_unit} reserved and not picked; {quantity} picked",
                field,
            )
        if expected is not None and quantity >= expected:
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"found {quantity} is not short of {expected}", "found")
        pick = Pick(len(self.picks) + 1, line.line, location, lot, quantity, actor, now, expected)
        self.picks.append(pick)
        line = self._replace(line, picked=line.picked + quantity)
        if self.state is SalesOrderState.CONFIRMED:
            self._enter(SalesOrderState.PICKING, actor, now)
        if expected is not None:
            self.events.append(PickFailed(self, line, pick))
        return pick

    def issues(self) -> list[Issue]:
        """What shipping now issues: each pick not shipped yet, against its line's
        reservations oldest first."""
        if self.state not in (SalesOrderState.PICKING, SalesOrderState.PARTLY_SHIPPED):
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"order {self.number} is {self.state}; only a picked order is shipped",
                "number",
            )
        left = {(line.line, r.reservation_id): r.open for line in self.lines for r in line.reservations}
        issues: list[Issue] = []
        for pick in self.picks:
            wanted = pick.quantity if pick.shipment == 0 else Decimal(0)
            for r in self.line(pick.line).reservations:
                taken = min(wanted, left[pick.line, r.reservation_id])
                if taken > 0:
                    issues.append(Issue(pick.seq, pick.line, r.reservation_id, pick.location, pick.lot, taken))
                    left[pick.line, r.reservation_id] -= taken
                    wanted -= taken
        if not issues:
            raise DomainError(ErrorCode.INVALID_STATE, f"order {self.number} has nothing picked to ship", "number")
        return issues

    def ship(self, issues: Sequence[Issue], movement_ids: Sequence[str], actor: str, now: datetime) -> int:
        """Record what stock issued (`issues()`, one movement each) as the next shipment."""
        shipment = 1 + max((pick.shipment for pick in self.picks), default=0)
        picked = {issue.pick for issue in issues}
        self.picks = [dataclasses.replace(p, shipment=shipment) if p.seq in picked else p for p in self.picks]
        shipped: dict[tuple[int, str], Decimal] = {}
        for issue in issues:
            line = self.line(issue.line)
            self._held(
                self._replace(line, picked=line.picked - issue.quantity, shipped=line.shipped + issue.quantity),
                tuple(
                    LineReservation(r.reservation_id, r.open - issue.quantity)
                    if r.reservation_id == issue.reservation_id
                    else r
                    for r in line.reservations
                ),
            )
            shipped[issue.line, issue.lot] = shipped.get((issue.line, issue.lot), Decimal(0)) + issue.quantity
        done = all(line.shipped >= line.base_quantity for line in self.lines)
        self._enter(SalesOrderState.SHIPPED if done else SalesOrderState.PARTLY_SHIPPED, actor, now)
        lines = tuple(
            ShippedLine(n, self.line(n).item_sku, self.line(n).warehouse, lot, quantity)
            for (n, lot), quantity in sorted(shipped.items())
        )
        self.events.append(ShipmentPosted(self, shipment, lines, tuple(movement_ids)))
        return shipment

    def _wrong_state(self, rule: str) -> DomainError:
        return DomainError(ErrorCode.INVALID_STATE, f"order {self.number} is {self.state}; {rule}", "number")

    def _replace(self, line: OrderLine, **changes: object) -> OrderLine:
        changed = dataclasses.replace(line, **changes)  # type: ignore[arg-type]
        self.lines = [changed if kept.line == line.line else kept for kept in self.lines]
        return changed

    def _held(self, line: OrderLine, reservations: tuple[LineReservation, ...]) -> OrderLine:
        held = tuple(r for r in reservations if r.open > 0)
        return self._replace(line, reservations=held, reserved=sum((r.open for r in held), Decimal(0)))

    def _enter(self, state: SalesOrderState, actor: str, now: datetime, reason: str = "") -> None:
        self.state = state
        self.transitions.append(Transition(state, actor, now, reason))


def _priority(order: SalesOrder, line: OrderLine) -> tuple[bool, date, datetime, str, int]:
    """Which line stock goes to first: the oldest requested date (undated lines last), then
    the oldest order."""
    return (line.requested_date is None, line.requested_date or date.max, order.created_at, order.number, line.line)


def allot_backorders(
    orders: Iterable[SalesOrder], item_sku: str, warehouse: str, quantity: Decimal
) -> list[tuple[SalesOrder, OrderLine, Decimal]]:
    """What of `quantity`, newly available of an item at a warehouse, each waiting line is
    to ask for: the oldest requested date first (undated lines last), then the oldest order."""
    waiting = sorted(
        (
            (order, line)
            for order in orders
            if order.state in OPEN_STATES
            for line in order.lines
            if line.item_sku == item_sku and line.warehouse == warehouse and line.to_ask > 0
        ),
        key=lambda found: _priority(*found),
    )
    allotted = []
    left = quantity
    for order, line in waiting:
        if left <= 0:
            break
        ask = min(line.to_ask, left)
        allotted.append((order, line, ask))
        left -= ask
    return allotted


def stock_arrived(
    orders: Iterable[SalesOrder], item_sku: str, warehouse: str, quantity: Decimal
) -> list[tuple[SalesOrder, OrderLine, Decimal]]:
    """`quantity` of an item came in at a warehouse: the waiting lines' asks for it, taken on
    the lines. What no ask takes is noted on the lines whose asks are out, since stock may
    have answered those before it came."""
    orders = list(orders)
    awaiting = [
        (order, line.line, line.asking)
        for order in orders
        if order.state in OPEN_STATES
        for line in order.lines
        if line.item_sku == item_sku and line.warehouse == warehouse and line.asking > 0
    ]
    asks = allot_backorders(orders, item_sku, warehouse, quantity)
    for order, line, asked in asks:
        order.ask_backorder(line.line, asked)
    if quantity > sum((asked for _, _, asked in asks), Decimal(0)):
        for order, number, asking in awaiting:
            order.arrived_while_asked(number, asking)
    return [(order, order.line(line.line), asked) for order, line, asked in asks]


def shortage_cuts(
    orders: Iterable[SalesOrder], reservation_ids: Collection[str], short_by: Decimal
) -> list[tuple[SalesOrder, OrderLine, str, Decimal]]:
    """Who loses what stock found missing among the reservations it names: the lines asked
    for latest first (the reverse of how backorders are filled), each from what it holds and
    has not picked, from its newest reservation first."""
    holding = sorted(
        (
            (order, line)
            for order in orders
            if order.state in OPEN_STATES
            for line in order.lines
            if any(r.reservation_id in reservation_ids for r in line.reservations)
        ),
        key=lambda found: _priority(*found),
        reverse=True,
    )
    cuts = []
    left = short_by
    for order, line in holding:
        cuttable = line.to_pick
        for held in reversed(line.reservations):
            cut = min(left, cuttable, held.open) if held.reservation_id in reservation_ids else Decimal(0)
            if cut > 0:
                cuts.append((order, line, held.reservation_id, cut))
                left -= cut
                cuttable -= cut
    return cuts
