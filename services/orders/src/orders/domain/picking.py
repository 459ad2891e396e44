"""Pick lists: where to take each open line of a sales order from, in the order to walk them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from orders.domain.sales import OPEN_STATES, OrderLine, SalesOrder


@dataclass(frozen=True)
class Shelf:
    """AVAILABLE stock of an item at a place of the line's warehouse, less what was picked
    there and not shipped yet (it is still on the book until it is issued)."""

    location: str
    lot: str
    quantity: Decimal
    # The lot's expiry date, where it has one.
    expiry: date | None = None


@dataclass(frozen=True)
class PickListEntry:
    line: int
    item_sku: str
    location: str
    lot: str
    # In the item's base unit.
    quantity: Decimal
    unit: str


def pick_list(
    order: SalesOrder, shelves: Mapping[str, Sequence[Shelf]], lot_tracked: Collection[str]
) -> list[PickListEntry]:
    """Each line's reserved and unpicked quantity taken from the shelves holding its item:
    lot by lot for a lot-tracked item, the first to expire first (lots with no expiry date
    last, then by lot code), else location by location, never
    from a place where the line's picker already found the shelf short. Ordered by location
    code, the walk order. An order that is not open for picking has none."""
    if order.state not in OPEN_STATES:
        return []
    left = {(sku, shelf.location, shelf.lot): shelf.quantity for sku, found in shelves.items() for shelf in found}
    entries: list[PickListEntry] = []
    for line in order.lines:
        for shelf, take in _takes(order, line, shelves.get(line.item_sku, ()), line.item_sku in lot_tracked, left):
            entries.append(PickListEntry(line.line, line.item_sku, shelf.location, shelf.lot, take, line.base_unit))
    return sorted(entries, key=lambda e: (e.location, e.line, e.lot))


def _takes(
    order: SalesOrder,
    line: OrderLine,
    shelves: Sequence[Shelf],
    by_lot: bool,
    left: dict[tuple[str, str, str], Decimal],
) -> list[tuple[Shelf, Decimal]]:
    short = {(p.location, p.lot) for p in order.picks if p.line == line.line and p.expected is not None}
    need = line.to_pick
    takes = []
    for shelf in sorted(shelves, key=_first_expiring_first if by_lot else lambda s: (s.location, s.lot)):
        place = (line.item_sku, shelf.location, shelf.lot)
        take = min(need, left[place])
        if need <= 0:
            break
        if take <= 0 or (shelf.location, shelf.lot) in short:
            continue
        takes.append((shelf, take))
        left[place] -= take
        need -= take
    return takes


def _first_expiring_first(shelf: Shelf) -> tuple[bool, date, str, str]:
    return (shelf.expiry is None, shelf.expiry or date.max, shelf.lot, shelf.location)
