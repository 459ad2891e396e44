"""Count entries: what a counter says a shelf holds, and the rules an upload of them keeps.

An entry names its line, or else the item (by SKU or barcode) and where it was found; its
quantity, in any unit of the item, is converted exactly to the base unit. Entries are
kept as they came: the trail of who counted what, when.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence, Sized
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from counting.domain.commands import GivenEntry
from counting.domain.lines import OPEN_LINE_STATES, Key, Line, LineState, Origin
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from invariant_kernel.limits import ID, bounded
from invariant_kernel.units import ItemView

MAX_ENTRIES = 5000


class CountedEntry(NamedTuple):
    """An entry with its place and item resolved and its quantity in the base unit;
    `field` names it in the upload."""

    entry_id: str
    line_id: str
    item_sku: str
    location: str
    lot: str
    quantity: Decimal
    entered: str
    unit: str
    counted_at: datetime
    field: str


class KnownEntry(NamedTuple):
    """An entry taken before: a retried upload is answered with it."""

    count_id: str
    line_id: str
    round: int


class EntryRecord(NamedTuple):
    """An entry as it is kept."""

    entry_id: str
    count_id: str
    line_id: str
    round: int
    counter: str
    quantity: Decimal
    entered: str
    unit: str
    counted_at: datetime
    received_at: datetime


class Accepted(NamedTuple):
    entry_id: str
    line_id: str
    round: int
    # Taken before: not counted again.
    duplicate: bool


@dataclass
class Taken:
    """What an upload changes: its answers, the lines it found, its entries and the lines
    it counts for the first time this round."""

    answers: list[Accepted] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    entries: list[EntryRecord] = field(default_factory=list)
    counted: list[str] = field(default_factory=list)


def check_batch(items: Sized, field: str, limit: int) -> None:
    """A call's list of things to do: at least one, at most `limit`."""
    if not items:
        raise DomainError(ErrorCode.REQUIRED, f"{field} must hold at least one", field)
    if len(items) > limit:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"at most {limit} {field} per call", field)


def checked(given: Sequence[GivenEntry]) -> list[GivenEntry]:
    """An upload's entries as given, trimmed: each with an id, and a line or an item and a place."""
    check_batch(given, "entries", MAX_ENTRIES)
    found = []
    for index, entry in enumerate(given):
        at = f"entries[{index}]"
        entry_id = entry.entry_id.strip()
        if not entry_id:
            raise DomainError(ErrorCode.REQUIRED, f"{at}.entry_id is required", f"{at}.entry_id")
        bounded(entry_id, f"{at}.entry_id", ID)
        if entry.line_id:
            found.append(entry._replace(entry_id=entry_id))
            continue
        if not entry.barcode.strip() and not entry.item_sku.strip():
            raise DomainError(ErrorCode.REQUIRED, f"{at} needs a line_id, an item_sku or a barcode", f"{at}.line_id")
        location = entry.location.strip().upper()
        if not location:
            raise DomainError(ErrorCode.REQUIRED, f"{at}.location is required", f"{at}.location")
        found.append(
            GivenEntry(
                entry_id,
                "",
                entry.item_sku.strip().upper(),
                entry.barcode.strip(),
                location,
                entry.lot.strip(),
                entry.quantity,
                entry.unit,
                entry.counted_at,
            )
        )
    return found


def counted(entry: GivenEntry, place: Key, item: ItemView, at: str, now: datetime) -> CountedEntry:
    """An entry at its place: a lot where the item is lot-tracked and none where it is not,
    a quantity in one of its units (zero for an empty shelf), counted no later than now."""
    sku, location, lot = place
    if item.lot_tracked and not lot:
        raise DomainError(ErrorCode.REQUIRED, f"item {sku} is lot-tracked: {at}.lot is required", f"{at}.lot")
    if lot and not item.lot_tracked:
        raise DomainError(ErrorCode.INVALID_STATE, f"item {sku} is not lot-tracked", f"{at}.lot")
    quantity = item.to_base(entry.quantity, entry.unit, f"{at}.quantity", f"{at}.unit", zero_allowed=True)
    counted_at = entry.counted_at or now
    if counted_at > now:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{at}.counted_at is in the future", f"{at}.counted_at")
    unit = item.unit_code(entry.unit, f"{at}.unit")
    return CountedEntry(
        entry.entry_id, entry.line_id, sku, location, lot, quantity, entry.quantity.strip(), unit, counted_at, at
    )


@dataclass(frozen=True)
class Lookup:
    """What an upload's entries were looked up against: the entries taken before (by id),
    their lines (by id, and by place for entries that name none), who counted each
    recounted line's round before, and the number for a line of stock the book did not know."""

    known: Mapping[str, KnownEntry]
    lines: Mapping[str, Line]
    at_places: Mapping[Key, Line]
    counted_before: Mapping[tuple[str, int], Sequence[str]]
    next_number: int


def take(count_id: str, entries: Sequence[CountedEntry], lookup: Lookup, who: str, now: datetime) -> Taken:
    """Entries for their lines, every one or none.

    An entry taken before is answered as it was; stock the book did not know gets a line
    of its own, numbered from `next_number`. A line takes entries while its round is open,
    and a recount only from someone who did not count the round before.
    """
    taken = Taken()
    found: dict[Key, Line] = {}
    # The state of each line counted now, so that the round's first entry marks it COUNTED.
    states: dict[str, str] = {}
    seen: set[str] = set()
    for entry in entries:
        prior = lookup.known.get(entry.entry_id)
        if prior is not None:
            if prior.count_id != count_id:
                raise DomainError(
                    ErrorCode.IDEMPOTENCY_KEY_REUSED, "entry_id was used on another count", f"{entry.field}.entry_id"
                )
            taken.answers.append(Accepted(entry.entry_id, prior.line_id, prior.round, True))
            continue
        if entry.entry_id in seen:
            raise DomainError(
                ErrorCode.ALREADY_EXISTS, "entry_id is given twice in one upload", f"{entry.field}.entry_id"
            )
        seen.add(entry.entry_id)
        line = _line_of(entry, lookup, found)
        if line is None:
            place = (entry.item_sku, entry.location, entry.lot)
            line = found[place] = _found_line(count_id, place, lookup.next_number + len(found), now)
        else:
            _require_open_to(who, line, lookup.counted_before.get((line.id, line.round - 1), ()), entry.field)
            states.setdefault(line.id, line.state)
        taken.entries.append(
            EntryRecord(
                entry.entry_id,
                count_id,
                line.id,
                line.round,
                who,
                entry.quantity,
                entry.entered,
                entry.unit,
                entry.counted_at,
                now,
            )
        )
        taken.answers.append(Accepted(entry.entry_id, line.id, line.round, False))
    taken.lines = list(found.values())
    taken.counted = [line_id for line_id, state in states.items() if state != LineState.COUNTED]
    return taken


def _line_of(entry: CountedEntry, lookup: Lookup, found: Mapping[Key, Line]) -> Line | None:
    """The entry's line; None for stock the book did not know and no entry found yet."""
    if entry.line_id:
        line = lookup.lines.get(entry.line_id)
        if line is None:
            raise not_found("line", entry.line_id, f"{entry.field}.line_id")
        return line
    place = (entry.item_sku, entry.location, entry.lot)
    return lookup.at_places.get(place) or found.get(place)


def _found_line(count_id: str, place: Key, number: int, now: datetime) -> Line:
    sku, location, lot = place
    return Line(
        str(uuid.uuid4()), count_id, number, sku, location, lot, Origin.FOUND, LineState.COUNTED, 1, Decimal(0), now
    )


def _require_open_to(who: str, line: Line, counted_before: Sequence[str], at: str) -> None:
    """A line takes entries while it is being counted, and a recount only from someone who did
    not count its previous round (`counted_before`)."""
    if line.state not in OPEN_LINE_STATES:
        raise DomainError(ErrorCode.INVALID_STATE, f"line {line.number} is {line.state} and takes no more entries", at)
    if line.round > 1 and who in counted_before:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            f"{who} counted line {line.number} in round {line.round - 1}; a recount needs another counter",
            at,
        )
