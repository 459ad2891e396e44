"""Lot genealogy: where a lot came from, and where everything made from it went.

Quality keeps it from facts it is sent, so that a trace asks nothing of stock:

- a receipt from a supplier: the supplier's lot came in as a stock lot, on a purchase order
  line (a stock lot records the supplier's lot number where the two differ, so a trace can
  start from either);
- the movements of a work order: lots issued to it, and lots received from it. Per work order
  and lot they are netted, so that components returned unused count as not consumed; lots
  with more issued than received were consumed, lots with more received than issued were
  produced, and every consumed lot is an edge to every produced lot of the same order (the
  order does not say which component went into which unit);
- a shipment: a stock lot went to a customer on a sales order.

Lots are nodes by item and lot number; an item not tracked by lot has one node, lot "", for
all its stock, so a trace through it is as coarse as the ledger. Traces walk breadth first
and visit each lot once, so a lot fed back by rework ends the walk instead of looping, and
each lot is reported at the fewest steps it lies from the start.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from invariant_kernel.errors import DomainError, ErrorCode, quoted


# The genealogy's values are named tuples, not dataclasses: a trace makes, hashes and sorts
# them by the thousand, and a tuple does that in C.
class StockLot(NamedTuple):
    item_sku: str
    lot: str


class SupplierLot(NamedTuple):
    """A lot as the supplier numbered it."""

    supplier: str
    number: str
    item_sku: str


class Receipt(NamedTuple):
    supplier_lot: SupplierLot
    lot: StockLot
    purchase_order: str
    line: str
    quantity: Decimal


class WorkOrderMovement(NamedTuple):
    work_order: str
    lot: StockLot
    # In the item's base unit: positive received from the order, negative issued to it.
    quantity: Decimal


class Shipment(NamedTuple):
    lot: StockLot
    sales_order: str
    customer: str
    quantity: Decimal


class WorkOrderUse(NamedTuple):
    """What a work order consumed (or produced) of a lot, net of what it returned."""

    work_order: str
    lot: StockLot
    quantity: Decimal


class Made(NamedTuple):
    """On `work_order`, `consumed` of `component` went into what made `produced` of `product`."""

    work_order: str
    component: StockLot
    consumed: Decimal
    product: StockLot
    produced: Decimal


class TracedLot(NamedTuple):
    """A lot a trace reached, `level` work orders away from where it started."""

    level: int
    lot: StockLot


@dataclass(frozen=True)
class BackwardTrace:
    lot: StockLot
    # Every component lot, all levels down.
    components: tuple[TracedLot, ...]
    # What work orders produced of the lot and of its components.
    produced: tuple[WorkOrderUse, ...]
    made: tuple[Made, ...]
    # The suppliers' receipts of the lot and of its components.
    receipts: tuple[Receipt, ...]

    @property
    def work_orders(self) -> tuple[str, ...]:
        return _work_orders(self.produced)

    @property
    def suppliers(self) -> tuple[str, ...]:
        return tuple(sorted({receipt.supplier_lot.supplier for receipt in self.receipts}))


@dataclass(frozen=True)
class ForwardTrace:
    start: StockLot | SupplierLot
    # The start's own lots at level 0 (the stock lots a supplier's lot came in as), then every
    # lot made from them, all levels up.
    lots: tuple[TracedLot, ...]
    # What work orders consumed of those lots, whether or not they have produced anything yet.
    consumed: tuple[WorkOrderUse, ...]
    made: tuple[Made, ...]
    receipts: tuple[Receipt, ...]
    shipments: tuple[Shipment, ...]

    @property
    def work_orders(self) -> tuple[str, ...]:
        return _work_orders(self.consumed)


@dataclass(frozen=True, order=True)
class RecallLine:
    """What one customer received of one lot, on all their sales orders together."""

    customer: str
    lot: StockLot
    quantity: Decimal
    sales_orders: tuple[str, ...]


@dataclass(frozen=True)
class Recall:
    lines: tuple[RecallLine, ...]
    # Every lot of the trace: stock puts on hold whatever of them has not been shipped.
    hold: tuple[StockLot, ...]

    @property
    def customers(self) -> tuple[str, ...]:
        return tuple(sorted({line.customer for line in self.lines}))


class Genealogy:
    def __init__(
        self,
        receipts: Iterable[Receipt] = (),
        work_order_movements: Iterable[WorkOrderMovement] = (),
        shipments: Iterable[Shipment] = (),
    ) -> None:
        self._receipts = tuple(receipts)
        self._shipments = tuple(shipments)
        self._received: dict[StockLot, list[Receipt]] = defaultdict(list)
        for receipt in self._receipts:
            self._received[receipt.lot].append(receipt)
        self._shipped: dict[StockLot, list[Shipment]] = defaultdict(list)
        for shipment in self._shipments:
            self._shipped[shipment.lot].append(shipment)
        self._consumed: dict[StockLot, list[WorkOrderUse]] = defaultdict(list)
        self._produced: dict[StockLot, list[WorkOrderUse]] = defaultdict(list)
        self._into: dict[StockLot, list[Made]] = defaultdict(list)
        self._from: dict[StockLot, list[Made]] = defaultdict(list)
        net: dict[str, dict[StockLot, Decimal]] = {}
        for work_order, lot, quantity in work_order_movements:
            lots = net.setdefault(work_order, {})
            lots[lot] = lots[lot] + quantity if lot in lots else quantity
        for work_order, lots in sorted(net.items()):
            consumed = sorted(WorkOrderUse(work_order, lot, -q) for lot, q in lots.items() if q < 0)
            produced = sorted(WorkOrderUse(work_order, lot, q) for lot, q in lots.items() if q > 0)
            for use in consumed:
                self._consumed[use.lot].append(use)
            for use in produced:
                self._produced[use.lot].append(use)
            for c in consumed:
                for p in produced:
                    made = Made(work_order, c.lot, c.quantity, p.lot, p.quantity)
                    self._into[c.lot].append(made)
                    self._from[p.lot].append(made)
        # Lots a work order moved that net to nothing (returned unused, reworked in place) are still known.
        self._moved = {lot for lots in net.values() for lot in lots}

    def backward(self, lot: StockLot) -> BackwardTrace:
        """Where `lot` came from: the work orders that made it and its components, every
        component lot down to the suppliers' receipts."""
        self._require_known(lot)
        reached, made = _walk([lot], self._from, lambda step: step.component)
        every = [lot, *(traced.lot for traced in reached)]
        return BackwardTrace(
            lot,
            tuple(reached),
            tuple(use for each in every for use in self._produced.get(each, ())),
            tuple(made),
            tuple(receipt for each in every for receipt in self._received.get(each, ())),
        )

    def forward(self, start: StockLot | SupplierLot) -> ForwardTrace:
        """Where `start` went: every work order that consumed it, every lot made from it, all
        levels up, and every shipment of any of them."""
        receipts = self._receipts_of(start)
        starts = sorted({receipt.lot for receipt in receipts}) if isinstance(start, SupplierLot) else [start]
        further, made = _walk(starts, self._into, lambda step: step.product)
        reached = [TracedLot(0, lot) for lot in starts] + further
        return ForwardTrace(
            start,
            tuple(reached),
            tuple(use for traced in reached for use in self._consumed.get(traced.lot, ())),
            tuple(made),
            receipts,
            tuple(shipment for traced in reached for shipment in self._shipped.get(traced.lot, ())),
        )

    def recall(self, start: StockLot | SupplierLot) -> Recall:
        """The forward trace as the customers who received any of it, with what each received
        per lot, and the lots whose unshipped units are to be held."""
        trace = self.forward(start)
        shipped: dict[tuple[str, StockLot], list[Shipment]] = defaultdict(list)
        for shipment in trace.shipments:
            shipped[(shipment.customer, shipment.lot)].append(shipment)
        lines = sorted(
            RecallLine(
                customer,
                lot,
                sum((s.quantity for s in shipments), Decimal(0)),
                tuple(sorted({s.sales_order for s in shipments})),
            )
            for (customer, lot), shipments in shipped.items()
        )
        return Recall(tuple(lines), tuple(sorted(traced.lot for traced in trace.lots)))

    def _receipts_of(self, start: StockLot | SupplierLot) -> tuple[Receipt, ...]:
        if isinstance(start, StockLot):
            self._require_known(start)
            return tuple(self._received.get(start, ()))
        found = tuple(receipt for receipt in self._receipts if receipt.supplier_lot == start)
        if not found:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"no receipt of {start.item_sku} from {start.supplier} with lot {quoted(start.number)} is recorded",
                "supplier_lot",
            )
        return found

    def _require_known(self, lot: StockLot) -> None:
        if lot not in self._received and lot not in self._moved and lot not in self._shipped:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"nothing is recorded of lot {quoted(lot.lot)} of {lot.item_sku}", "lot"
            )


def _walk(
    starts: Sequence[StockLot], edges: Mapping[StockLot, list[Made]], across: Callable[[Made], StockLot]
) -> tuple[list[TracedLot], list[Made]]:
    """The lots reached from `starts` over `edges` (to the end `across` names), breadth first,
    each once, with the steps taken."""
    visited = set(starts)
    reached: list[TracedLot] = []
    steps: list[Made] = []
    frontier = list(starts)
    level = 0
    while frontier:
        level += 1
        following: list[StockLot] = []
        for lot in frontier:
            for step in edges.get(lot, ()):
                steps.append(step)
                other = across(step)
                if other not in visited:
                    visited.add(other)
                    reached.append(TracedLot(level, other))
                    following.append(other)
        frontier = following
    return sorted(reached), steps


def _work_orders(uses: Iterable[WorkOrderUse]) -> tuple[str, ...]:
    return tuple(sorted({use.work_order for use in uses}))
