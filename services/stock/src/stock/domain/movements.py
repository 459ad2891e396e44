"""Movements: the only way stock changes. plan_movement checks one and says what it does.

| type          | from                        | to                           |
|---------------|-----------------------------|------------------------------|
| RECEIPT       | unset                       | AVAILABLE or QC_HOLD         |
| RETURN        | unset                       | QC_HOLD (returns are inspected) |
| ISSUE         | AVAILABLE (REJECTED with reason RETURN_TO_SUPPLIER or REWORK, by document) | unset |
| SCRAP         | any status                  | unset                        |
| TRANSFER      | any status                  | same status and lot, another location |
| STATUS_CHANGE | QC_HOLD                     | AVAILABLE, or REJECTED (same place, or a QUARANTINE location) |
| STATUS_CHANGE | AVAILABLE                   | QC_HOLD at the same place, by document (a quality hold) |
| STATUS_CHANGE | REJECTED                    | AVAILABLE at the same place, by document ("use as is") |
| ADJUSTMENT    | a loss: from only, or a gain: to only, any status          |

A status change keeps the warehouse and the lot; it keeps the location too, except that
rejected stock may go into a QUARANTINE location of the same warehouse in the same movement.
Rejected stock leaves by SCRAP, or by ISSUE with reason RETURN_TO_SUPPLIER or REWORK and
its document. Who may post a status change (only quality's decisions release QC_HOLD, a
manager approves use as is) is the service's check, since it depends on the caller.

A transfer between warehouses is two movements, so that stock on the road is available in
neither: TRANSFER from (WH1, A) to the destination's in-transit location (WH2, IN_TRANSIT),
then, when it arrives, TRANSFER from (WH2, IN_TRANSIT) to (WH2, B). Stock enters and
leaves in-transit locations only by transfer, or by an adjustment when it is lost on the way.

Lots of a lot-tracked item must exist, except where stock comes in from outside (the to
side of a receipt, a return or a gain): an unknown lot there is created, and listed in the
plan's new_lots. Adjustments may give several reasons with quantities, in the movement's
unit, adding up to its quantity; their codes come from ADJUSTMENT_REASON_CODES.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from invariant_kernel.errors import DomainError, ErrorCode, not_found, quoted
from invariant_kernel.limits import CODE, bounded
from invariant_kernel.units import ItemView, decimal_text
from stock.domain.codes import LocationKind, MovementType, StockStatus
from stock.domain.places import LocationView, Place, StockKey, WarehouseView
from stock.domain.reservations import DocumentRef

ADJUSTMENT_REASON_CODES: tuple[str, ...] = (
    "DAMAGE_NOT_RECORDED",
    "GIFT_OR_SAMPLE_NOT_RECORDED",
    "RECEIPT_NOT_RECORDED",
    "ISSUE_NOT_RECORDED",
    "TRANSFER_NOT_RECORDED",
    "UNIT_OF_MEASURE_ERROR",
    "ENTRY_ERROR",
    "COUNTING_ERROR",
    "SUPPLIER_SHORT_DELIVERY",
    "THEFT_OR_UNKNOWN",
)
RETURN_TO_SUPPLIER = "RETURN_TO_SUPPLIER"
REWORK = "REWORK"
# The reasons rejected stock may be issued for.
REJECTED_ISSUE_REASONS: tuple[str, ...] = (RETURN_TO_SUPPLIER, REWORK)

STATUS_TRANSITIONS: frozenset[tuple[StockStatus, StockStatus]] = frozenset(
    {
        (StockStatus.QC_HOLD, StockStatus.AVAILABLE),
        (StockStatus.QC_HOLD, StockStatus.REJECTED),
        (StockStatus.AVAILABLE, StockStatus.QC_HOLD),
        (StockStatus.REJECTED, StockStatus.AVAILABLE),
    }
)
# Status changes that must name the document deciding them: a quality hold, and use as is.
_DOCUMENTED_CHANGES = frozenset(
    {(StockStatus.AVAILABLE, StockStatus.QC_HOLD), (StockStatus.REJECTED, StockStatus.AVAILABLE)}
)

_LABELS = {
    MovementType.RECEIPT: "a receipt",
    MovementType.ISSUE: "an issue",
    MovementType.TRANSFER: "a transfer",
    MovementType.SCRAP: "scrap",
    MovementType.RETURN: "a return",
    MovementType.ADJUSTMENT: "an adjustment",
    MovementType.STATUS_CHANGE: "a status change",
}
_INCOMING = frozenset({MovementType.RECEIPT, MovementType.RETURN, MovementType.ADJUSTMENT})
_THROUGH_IN_TRANSIT = frozenset({MovementType.TRANSFER, MovementType.ADJUSTMENT})


@dataclass(frozen=True)
class ReasonQuantity:
    reason_code: str
    quantity: Decimal


@dataclass(frozen=True)
class MovementPlan:
    """A checked movement: quantities in the item's base unit, places normalised."""

    movement_type: MovementType
    item_sku: str
    quantity_base: Decimal
    unit: str
    from_place: Place | None
    to_place: Place | None
    # -quantity on from, +quantity on to.
    deltas: list[tuple[Place, Decimal]]
    reason_code: str
    reasons: list[ReasonQuantity]
    new_lots: frozenset[str]


@dataclass(frozen=True)
class AvailabilityDelta:
    """How the buckets of one item in one warehouse change."""

    available: Decimal = Decimal(0)
    qc_hold: Decimal = Decimal(0)
    rejected: Decimal = Decimal(0)
    in_transit: Decimal = Decimal(0)

    def __add__(self, other: AvailabilityDelta) -> AvailabilityDelta:
        return AvailabilityDelta(
            self.available + other.available,
            self.qc_hold + other.qc_hold,
            self.rejected + other.rejected,
            self.in_transit + other.in_transit,
        )

    def is_zero(self) -> bool:
        return not (self.available or self.qc_hold or self.rejected or self.in_transit)


def plan_movement(
    movement_type: MovementType,
    item: ItemView,
    quantity: str | Decimal,
    unit: str,
    from_place: Place | None,
    to_place: Place | None,
    *,
    locations: Mapping[tuple[str, str], LocationView],
    warehouses: Mapping[str, WarehouseView],
    known_lots: Collection[str] = frozenset(),
    reasons: Sequence[tuple[str, str]] = (),
    reason_code: str = "",
    adjustment_reasons: Collection[str] = ADJUSTMENT_REASON_CODES,
    document: DocumentRef | None = None,
    from_field: str = "from",
    to_field: str = "to",
) -> MovementPlan:
    """Check one movement and compute its balance deltas; raises DomainError naming the field.

    `locations` and `warehouses` hold at least the ones the places name; `known_lots` the
    item's lots; `document` the one the movement is posted for, if any. `from_field` and
    `to_field` name the request fields holding the places, so that a request with flat
    fields (IssueReservation's location and lot) passes "".
    """
    _check_shape(movement_type, from_place, to_place, from_field, to_field)
    quantity_base = item.to_base(quantity, unit)
    unit_code = item.unit_code(unit)
    code = bounded(reason_code.strip().upper(), "reason_code", CODE)
    new_lots: set[str] = set()
    for place, field, incoming in ((from_place, from_field, False), (to_place, to_field, True)):
        if place is None:
            continue
        _check_location(movement_type, place, field, locations, warehouses)
        lot = _check_lot(item, place, field, known_lots, may_create=incoming and movement_type in _INCOMING)
        if lot:
            new_lots.add(lot)
    _check_statuses(movement_type, from_place, to_place, code, from_field, to_field)
    _check_document(movement_type, from_place, to_place, code, document)
    if movement_type is MovementType.TRANSFER:
        assert from_place is not None and to_place is not None  # _check_shape made sure
        _check_transfer(from_place, to_place, to_field, locations, warehouses)
    elif movement_type is MovementType.STATUS_CHANGE:
        assert from_place is not None and to_place is not None  # _check_shape made sure
        _check_status_change_place(from_place, to_place, to_field, locations)
    checked_reasons = _check_reasons(movement_type, item, unit, quantity_base, reasons, code, adjustment_reasons)
    deltas: list[tuple[Place, Decimal]] = []
    if from_place is not None:
        deltas.append((from_place, -quantity_base))
    if to_place is not None:
        deltas.append((to_place, quantity_base))
    return MovementPlan(
        movement_type=movement_type,
        item_sku=item.sku,
        quantity_base=quantity_base,
        unit=unit_code,
        from_place=from_place,
        to_place=to_place,
        deltas=deltas,
        reason_code=code,
        reasons=checked_reasons,
        new_lots=frozenset(new_lots),
    )


def availability_deltas(
    plan: MovementPlan, locations: Mapping[tuple[str, str], LocationView]
) -> dict[StockKey, AvailabilityDelta]:
    """How each (item, warehouse) bucket changes; warehouses whose buckets do not change are left out.

    Stock in an in-transit location counts as in transit whatever its status: it is on the
    road and cannot be promised, inspected or issued until it arrives.
    """
    changes: dict[StockKey, AvailabilityDelta] = {}
    for place, delta in plan.deltas:
        location = locations.get((place.warehouse, place.location))
        if location is None:
            raise not_found("location", f"{place.warehouse}/{place.location}", "location")
        if location.kind is LocationKind.IN_TRANSIT:
            change = AvailabilityDelta(in_transit=delta)
        elif place.status is StockStatus.AVAILABLE:
            change = AvailabilityDelta(available=delta)
        elif place.status is StockStatus.QC_HOLD:
            change = AvailabilityDelta(qc_hold=delta)
        else:
            change = AvailabilityDelta(rejected=delta)
        key = StockKey(plan.item_sku, place.warehouse)
        changes[key] = changes.get(key, AvailabilityDelta()) + change
    return {key: change for key, change in changes.items() if not change.is_zero()}


def balances_after(
    plan: MovementPlan,
    balances: Mapping[Place, Decimal],
    warehouses: Mapping[str, WarehouseView],
    field: str = "quantity",
) -> dict[Place, Decimal]:
    """The item's balances at the plan's places once it is posted (missing balances are zero).

    Refuses with INSUFFICIENT_STOCK when a balance the movement lowers would go below zero
    in a warehouse that does not allow negative stock; a balance that is already negative
    may still be raised.
    """
    after: dict[Place, Decimal] = {}
    for place, delta in plan.deltas:
        before = after.get(place, balances.get(place, Decimal(0)))
        after[place] = before + delta
        warehouse = warehouses.get(place.warehouse)
        if warehouse is None:
            raise not_found("warehouse", place.warehouse, "warehouse")
        if delta < 0 and after[place] < 0 and not warehouse.allow_negative_stock:
            raise DomainError(
                ErrorCode.INSUFFICIENT_STOCK,
                f"item {plan.item_sku} has {decimal_text(before)} at {place}; taking "
                f"{decimal_text(-delta)} would leave {decimal_text(after[place])}, and warehouse "
                f"{place.warehouse} does not allow negative stock",
                field,
            )
    return after


def _field(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _check_shape(
    movement_type: MovementType,
    from_place: Place | None,
    to_place: Place | None,
    from_field: str,
    to_field: str,
) -> None:
    label = _LABELS[movement_type]
    if movement_type is MovementType.ADJUSTMENT:
        if from_place is not None and to_place is not None:
            raise DomainError(
                ErrorCode.INVALID_FORMAT,
                f"an adjustment is either a loss (from) or a gain (to), not both: leave {to_field or 'to'} "
                f"or {from_field or 'from'} unset",
                to_field,
            )
        if from_place is None and to_place is None:
            raise DomainError(
                ErrorCode.REQUIRED,
                f"an adjustment needs {to_field or 'to'} for a gain or {from_field or 'from'} for a loss",
                to_field,
            )
        return
    needs_from = movement_type in (
        MovementType.ISSUE,
        MovementType.SCRAP,
        MovementType.TRANSFER,
        MovementType.STATUS_CHANGE,
    )
    needs_to = movement_type not in (MovementType.ISSUE, MovementType.SCRAP)
    for place, field, needed in ((from_place, from_field, needs_from), (to_place, to_field, needs_to)):
        if needed and place is None:
            raise DomainError(ErrorCode.REQUIRED, f"{label} needs {field or 'a place'}", field)
        if not needed and place is not None:
            raise DomainError(ErrorCode.INVALID_FORMAT, f"{label} has no {field} place: leave it unset", field)


def _check_location(
    movement_type: MovementType,
    place: Place,
    prefix: str,
    locations: Mapping[tuple[str, str], LocationView],
    warehouses: Mapping[str, WarehouseView],
) -> None:
    if place.warehouse not in warehouses:
        raise not_found("warehouse", place.warehouse, _field(prefix, "warehouse"))
    location = locations.get((place.warehouse, place.location))
    field = _field(prefix, "location")
    if location is None:
        raise DomainError(
            ErrorCode.NOT_FOUND,
            f"location {place.location!r} does not exist in warehouse {place.warehouse}",
            field,
        )
    if location.kind is LocationKind.IN_TRANSIT and movement_type not in _THROUGH_IN_TRANSIT:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"{place.warehouse}/{place.location} is an in-transit location: stock enters and leaves it "
            f"only by transfer (or by an adjustment when it is lost on the way), not by {_LABELS[movement_type]}",
            field,
        )


def _check_lot(item: ItemView, place: Place, prefix: str, known_lots: Collection[str], *, may_create: bool) -> str:
    """The lot when it is new and may be created here, else ""."""
    field = _field(prefix, "lot")
    if not item.lot_tracked:
        if place.lot:
            raise DomainError(
                ErrorCode.INVALID_FORMAT, f"item {item.sku} is not lot-tracked: leave {field} empty", field
            )
        return ""
    if not place.lot:
        raise DomainError(ErrorCode.REQUIRED, f"item {item.sku} is lot-tracked: {field} is required", field)
    if place.lot in known_lots:
        return ""
    if not may_create:
        raise DomainError(ErrorCode.NOT_FOUND, f"item {item.sku} has no lot {quoted(place.lot)}", field)
    return place.lot


def _check_statuses(
    movement_type: MovementType,
    from_place: Place | None,
    to_place: Place | None,
    reason_code: str,
    from_field: str,
    to_field: str,
) -> None:
    to_status = _field(to_field, "status")
    from_status = _field(from_field, "status")
    if movement_type is MovementType.RECEIPT and to_place is not None and to_place.status is StockStatus.REJECTED:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "a receipt goes into AVAILABLE, or QC_HOLD when it is to be inspected; stock becomes REJECTED "
            "only by a status change after inspection",
            to_status,
        )
    if movement_type is MovementType.RETURN and to_place is not None and to_place.status is not StockStatus.QC_HOLD:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"returned stock goes into QC_HOLD to be inspected, not {to_place.status}",
            to_status,
        )
    if movement_type is MovementType.ISSUE and from_place is not None:
        leaving = from_place.status is StockStatus.REJECTED and reason_code in REJECTED_ISSUE_REASONS
        if from_place.status is not StockStatus.AVAILABLE and not leaving:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"only AVAILABLE stock can be issued, not {from_place.status}; rejected stock goes back to "
                f"the supplier with reason_code {RETURN_TO_SUPPLIER}, to rework with {REWORK}, or is scrapped",
                from_status,
            )
    if (
        movement_type is MovementType.TRANSFER
        and from_place is not None
        and to_place is not None
        and from_place.status is not to_place.status
    ):
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"a transfer moves stock and keeps its status ({from_place.status}); "
            f"change the status with a status change",
            to_status,
        )
    if (
        movement_type is MovementType.STATUS_CHANGE
        and from_place is not None
        and to_place is not None
        and (from_place.status, to_place.status) not in STATUS_TRANSITIONS
    ):
        allowed = ", ".join(sorted(f"{before} -> {after}" for before, after in STATUS_TRANSITIONS))
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"a status change from {from_place.status} to {to_place.status} is not allowed; "
            f"allowed are {allowed} (rejected stock is otherwise scrapped, returned to the supplier or reworked)",
            to_status,
        )


def _check_document(
    movement_type: MovementType,
    from_place: Place | None,
    to_place: Place | None,
    reason_code: str,
    document: DocumentRef | None,
) -> None:
    """A quality hold, use as is and an issue of rejected stock each name the document deciding them."""
    if from_place is None:
        return
    if movement_type is MovementType.STATUS_CHANGE and to_place is not None:
        needed = (from_place.status, to_place.status) in _DOCUMENTED_CHANGES
        what = f"a status change from {from_place.status} to {to_place.status}"
    else:
        needed = movement_type is MovementType.ISSUE and from_place.status is StockStatus.REJECTED
        what = f"an issue of rejected stock ({reason_code})"
    if not needed:
        return
    for name in ("type", "id"):
        if document is None or not getattr(document, name):
            raise DomainError(
                ErrorCode.REQUIRED, f"{what} is posted by document: document.{name} is required", f"document.{name}"
            )


def _check_transfer(
    from_place: Place,
    to_place: Place,
    to_field: str,
    locations: Mapping[tuple[str, str], LocationView],
    warehouses: Mapping[str, WarehouseView],
) -> None:
    if from_place.lot != to_place.lot:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"a transfer keeps the lot ({from_place.lot!r}); it cannot move stock into lot {to_place.lot!r}",
            _field(to_field, "lot"),
        )
    location_field = _field(to_field, "location")
    if (from_place.warehouse, from_place.location) == (to_place.warehouse, to_place.location):
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"transfer to the same location {to_place.warehouse}/{to_place.location}",
            location_field,
        )
    destination = warehouses[to_place.warehouse]
    if from_place.warehouse != to_place.warehouse:
        if to_place.location != destination.in_transit_location:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"stock moving from warehouse {from_place.warehouse} to {to_place.warehouse} goes first to "
                f"{to_place.warehouse}'s in-transit location {destination.in_transit_location}; post a transfer "
                f"from there to {to_place.location} when it arrives",
                location_field,
            )
    elif locations[(to_place.warehouse, to_place.location)].kind is LocationKind.IN_TRANSIT:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"{to_place.warehouse}/{to_place.location} receives stock only from other warehouses",
            location_field,
        )


def _check_status_change_place(
    from_place: Place, to_place: Place, to_field: str, locations: Mapping[tuple[str, str], LocationView]
) -> None:
    for name, before, after in (
        ("warehouse", from_place.warehouse, to_place.warehouse),
        ("lot", from_place.lot, to_place.lot),
    ):
        if before != after:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"a status change keeps the stock's {name}: {after!r} differs from {before!r}; move it with a transfer",
                _field(to_field, name),
            )
    if from_place.location == to_place.location:
        return
    # Rejected goods are put aside as they are rejected, so that no one picks them meanwhile.
    kind = locations[(to_place.warehouse, to_place.location)].kind
    if kind is not LocationKind.QUARANTINE or to_place.status is not StockStatus.REJECTED:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"a status change keeps the stock in {from_place.location}, except that REJECTED stock may go into a "
            f"QUARANTINE location of the warehouse; {to_place.warehouse}/{to_place.location} is {kind} and the "
            f"stock becomes {to_place.status}: move it with a transfer",
            _field(to_field, "location"),
        )


def _check_reasons(
    movement_type: MovementType,
    item: ItemView,
    unit: str,
    quantity_base: Decimal,
    reasons: Sequence[tuple[str, str]],
    reason_code: str,
    allowed: Collection[str],
) -> list[ReasonQuantity]:
    if movement_type is not MovementType.ADJUSTMENT:
        if reasons:
            raise DomainError(
                ErrorCode.INVALID_FORMAT,
                f"only adjustments list reasons with quantities, not {_LABELS[movement_type]}; give reason_code",
                "reasons",
            )
        return []
    if reason_code and reason_code not in allowed:
        raise DomainError(
            ErrorCode.INVALID_FORMAT,
            f"reason_code {reason_code!r} is not an adjustment reason; use one of {', '.join(allowed)}",
            "reason_code",
        )
    checked: list[ReasonQuantity] = []
    for index, (raw_code, raw_quantity) in enumerate(reasons):
        field = f"reasons[{index}].reason_code"
        code = raw_code.strip().upper()
        if not code:
            raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
        if code not in allowed:
            raise DomainError(
                ErrorCode.INVALID_FORMAT,
                f"{field} {raw_code!r} is not an adjustment reason; use one of {', '.join(allowed)}",
                field,
            )
        if any(reason.reason_code == code for reason in checked):
            raise DomainError(
                ErrorCode.ALREADY_EXISTS, f"{field} {code} is listed more than once; give it once with its total", field
            )
        checked.append(ReasonQuantity(code, item.to_base(raw_quantity, unit, f"reasons[{index}].quantity")))
    total = sum((reason.quantity for reason in checked), Decimal(0))
    if checked and total != quantity_base:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE,
            f"the reasons add up to {decimal_text(total)} {item.base_unit} but the quantity is "
            f"{decimal_text(quantity_base)} {item.base_unit}",
            "reasons",
        )
    return checked
