"""Suggested causes for a count variance: the ledger of one (item, location, lot) since its
last posted count, read for the mistakes that most often leave the book and the shelf apart.

The variance is counted - book in the item's base unit, so a shortage on the shelf is
negative. Movements carry their signed effect on the key. rank_suspects returns suspects,
most likely first; it is pure and deterministic, so a supervisor who opens the same line
twice sees the same list.

Ranks, and why they are in this order:

| rank     | kind                    | why there                                                         |
|----------|-------------------------|-------------------------------------------------------------------|
| 100 + d  | MISSED_OR_DOUBLED_ENTRY | one movement equals the variance (or its opposite): a single       |
| (<= 109) |                         | missed or doubled posting reproduces the whole difference to the   |
|          |                         | unit, which is rarely chance. One suspect per movement. When the  |
|          |                         | movement repeats an earlier one (same type, document line and      |
|          |                         | quantity) it is the likelier double: d grows with what makes a     |
|          |                         | double entry likely (the same operator, close in time).           |
| 80       | PACK_SIZE_CONFUSION     | pack arithmetic also reproduces the whole difference, but whole    |
|          |                         | packs (12, 24, 36...) match by coincidence more often than one     |
|          |                         | particular movement does.                                          |
| 60       | CORRECTION_OR_BACKDATED | the book was touched after the fact, so it may not be what the    |
|          |                         | shelf saw; it says where to look, not how much went missing.      |
| 50       | IN_TRANSIT              | stock the ledger still has on the way or on QC hold, which a       |
| 50       | INSPECTION_UNDECIDED    | counter may not see on the shelf. It can explain a shortage only   |
|          |                         | (not a surplus) and only up to its quantity, so it is offered      |
|          |                         | only for a shortage.                                              |
| 40 + n   | RECURRING_OPERATOR      | a pattern about a person, not evidence about this line: it grows   |
| (<= 59)  |                         | with n, the operator's other variance lines, but is capped below   |
|          |                         | 60 so it never outranks a concrete movement.                      |

Equal ranks are ordered by kind as SuspectKind declares them, then by the canonical order of
the inputs (movements by business time, posting time and id; pack units by code; operators
by name), so the list does not depend on the order the ledger was read in.

Pack sizes: a unit of factor f > 1 explains the variance when the variance is a whole
number of such packs, or when one movement of quantity m was keyed in the wrong unit:
keyed in the base unit where packs were meant, the shelf moved m * f and the variance is
m * (f - 1); keyed in packs where the base unit was meant, the shelf moved m / f and the
variance is -m * (f - 1) / f. A whole-pack suspect for a unit is left out when a movement
already explains the variance with that unit, because it would repeat it with less detail.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, localcontext
from enum import StrEnum

from invariant_kernel.units import decimal_text

EXACT_MATCH_RANK = 100
# Added to an exact match that repeats an earlier movement: the later of two twins is the
# likelier double entry, more so by the same hand and soon after (see _double_entry_weight).
REPEATED_MOVEMENT_WEIGHT = 5
SAME_OPERATOR_WEIGHT = 2
SOON_AFTER_WEIGHT = 2
SOON_AFTER = timedelta(hours=1)
PACK_SIZE_RANK = 80
CORRECTION_OR_BACKDATED_RANK = 60
WAITING_STOCK_RANK = 50
RECURRING_OPERATOR_BASE_RANK = 40
RECURRING_OPERATOR_MAX_RANK = 59
DEFAULT_BACKDATED_AFTER = timedelta(hours=1)

# Quantities reach 18 significant digits and pack factors add more; the default 28 could round a product.
_ARITHMETIC = Context(prec=80)
# A supervisor reads a few movements in a sentence; the suspect carries all of them.
_LISTED_MOVEMENTS = 3


class SuspectKind(StrEnum):
    MISSED_OR_DOUBLED_ENTRY = "MISSED_OR_DOUBLED_ENTRY"
    PACK_SIZE_CONFUSION = "PACK_SIZE_CONFUSION"
    IN_TRANSIT = "IN_TRANSIT"
    INSPECTION_UNDECIDED = "INSPECTION_UNDECIDED"
    CORRECTION_OR_BACKDATED = "CORRECTION_OR_BACKDATED"
    RECURRING_OPERATOR = "RECURRING_OPERATOR"


_KIND_ORDER = {kind: index for index, kind in enumerate(SuspectKind)}


@dataclass(frozen=True)
class TracedMovement:
    """One ledger movement as it touched the counted key."""

    movement_id: str
    type: str
    quantity: Decimal
    document_type: str
    document_id: str
    actor: str
    business_time: datetime
    posted_at: datetime
    corrects_movement_id: str = ""
    document_line: str = ""

    def __post_init__(self) -> None:
        _finite(self.quantity, f"movement {self.movement_id} quantity")
        for name, moment in (("business_time", self.business_time), ("posted_at", self.posted_at)):
            # A naive time would be read as the server's local time and shift the backdating test.
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"movement {self.movement_id} {name} must be timezone-aware")


@dataclass(frozen=True)
class Suspect:
    kind: SuspectKind
    explanation: str
    rank: int
    movements: tuple[TracedMovement, ...]


def rank_suspects(
    variance: Decimal,
    movements: Sequence[TracedMovement],
    *,
    pack_sizes: Mapping[str, Decimal],
    in_transit: Decimal = Decimal(0),
    in_inspection: Decimal = Decimal(0),
    other_variance_lines_by_actor: Mapping[str, int] | None = None,
    backdated_after: timedelta = DEFAULT_BACKDATED_AFTER,
) -> list[Suspect]:
    """Suspects for a variance (counted - book, base unit), sorted by rank descending, then kind.

    pack_sizes maps the item's unit codes to base units per unit; in_transit and in_inspection
    are quantities still on the way or on QC hold for the key; other_variance_lines_by_actor
    says on how many other variance lines each operator appears.
    """
    variance = _finite(variance, "variance")
    in_transit = _finite(in_transit, "in_transit")
    in_inspection = _finite(in_inspection, "in_inspection")
    packs = sorted((code, _finite(factor, f"pack size {code}")) for code, factor in pack_sizes.items())
    if backdated_after < timedelta(0):
        raise ValueError(f"backdated_after must not be negative, not {backdated_after}")
    if variance == 0:
        return []
    ordered = sorted(movements, key=_canonical)
    with localcontext(_ARITHMETIC):
        suspects = [
            *_exact_matches(variance, ordered),
            *_pack_size_confusions(variance, ordered, [(code, factor) for code, factor in packs if factor > 1]),
            *_corrections_or_backdated(ordered, backdated_after),
            *_waiting_stock(variance, in_transit, in_inspection),
            *_recurring_operators(ordered, other_variance_lines_by_actor or {}),
        ]
    # sorted is stable, so equal rank and kind keep the canonical order they were found in.
    return sorted(suspects, key=lambda suspect: (-suspect.rank, _KIND_ORDER[suspect.kind]))


def _exact_matches(variance: Decimal, ordered: Sequence[TracedMovement]) -> Iterator[Suspect]:
    for index, movement in enumerate(ordered):
        if movement.quantity == variance:
            reading = "the same movement may have happened again on the shelf without being posted (a missed entry)"
            relation = "equals"
            weight, twin = 0, None
        elif movement.quantity == -variance:
            reading = "it may have been posted twice or without the goods moving (a doubled entry)"
            relation = "is the reverse of"
            weight, twin = _double_entry_weight(movement, ordered[:index])
        else:
            continue
        why = f"The {_variance_text(variance)} {relation} {_describe(movement)}: {reading}."
        if twin is not None:
            why += f" {_repeat_text(movement, twin)}."
        yield Suspect(SuspectKind.MISSED_OR_DOUBLED_ENTRY, why, EXACT_MATCH_RANK + weight, (movement,))


def _double_entry_weight(
    movement: TracedMovement, earlier: Sequence[TracedMovement]
) -> tuple[int, TracedMovement | None]:
    """How much likelier `movement` is a double entry for repeating an earlier movement, and that movement.

    Two equal receipts of one document line can be two real deliveries, so a repeat alone
    weighs a little; the same operator and a short interval make a slip of the hand likelier.
    """
    twins = [
        other
        for other in earlier
        if (other.type, other.document_type, other.document_id, other.document_line, other.quantity)
        == (movement.type, movement.document_type, movement.document_id, movement.document_line, movement.quantity)
        and (movement.document_type or movement.document_id)
    ]
    if not twins:
        return 0, None
    twin = twins[-1]
    weight = REPEATED_MOVEMENT_WEIGHT
    if twin.actor and twin.actor == movement.actor:
        weight += SAME_OPERATOR_WEIGHT
    if movement.posted_at - twin.posted_at <= SOON_AFTER:
        weight += SOON_AFTER_WEIGHT
    return weight, twin


def _repeat_text(movement: TracedMovement, twin: TracedMovement) -> str:
    document = " ".join(part for part in (twin.document_type, twin.document_id) if part)
    line = f" line {twin.document_line}" if twin.document_line else ""
    who = (
        "by the same operator"
        if twin.actor and twin.actor == movement.actor
        else f"by {movement.actor or 'an unrecorded operator'} after {twin.actor or 'an unrecorded operator'}"
    )
    gap = _duration(movement.posted_at - twin.posted_at)
    return f"It is the second {movement.type} for {document}{line} of the same quantity, {gap} after the first, {who}"


def _pack_size_confusions(
    variance: Decimal, ordered: Sequence[TracedMovement], packs: Sequence[tuple[str, Decimal]]
) -> Iterator[Suspect]:
    for code, factor in packs:
        pack = f"{code} (of {decimal_text(factor)})"
        explained = False
        for movement in ordered:
            quantity = movement.quantity
            if quantity == 0:
                continue
            # The shelf moved what was meant, which is what was posted plus the variance.
            meant = quantity + variance
            if variance == quantity * (factor - 1):
                keyed = f"{decimal_text(abs(quantity))} in the base unit where {decimal_text(abs(quantity))} {pack}"
            elif variance * factor == -quantity * (factor - 1):
                keyed = f"{decimal_text(abs(meant))} {pack} where {decimal_text(abs(meant))} in the base unit"
            else:
                continue
            explained = True
            yield Suspect(
                SuspectKind.PACK_SIZE_CONFUSION,
                f"{_describe(movement)} may have been keyed as {keyed} was meant: it posted "
                f"{decimal_text(abs(quantity))} instead of {decimal_text(abs(meant))}, which accounts for the "
                f"{_variance_text(variance)}.",
                PACK_SIZE_RANK,
                (movement,),
            )
        if not explained and variance % factor == 0:
            yield Suspect(
                SuspectKind.PACK_SIZE_CONFUSION,
                f"The {_variance_text(variance)} is exactly {decimal_text(abs(variance) / factor)} {pack}: whole "
                f"{code} may have been missed or counted twice, or moved without being posted.",
                PACK_SIZE_RANK,
                (),
            )


def _corrections_or_backdated(ordered: Sequence[TracedMovement], backdated_after: timedelta) -> Iterator[Suspect]:
    for movement in ordered:
        reasons: list[str] = []
        if movement.corrects_movement_id:
            reasons.append(f"corrects movement {movement.corrects_movement_id}")
        late = movement.posted_at - movement.business_time
        if late > backdated_after:
            reasons.append(f"was posted at {_when(movement.posted_at)}, {_duration(late)} after its business time")
        if reasons:
            yield Suspect(
                SuspectKind.CORRECTION_OR_BACKDATED,
                f"{_describe(movement)} {' and '.join(reasons)}, so the book compared with the count may not be "
                "what the shelf held at the time.",
                CORRECTION_OR_BACKDATED_RANK,
                (movement,),
            )


def _waiting_stock(variance: Decimal, in_transit: Decimal, in_inspection: Decimal) -> Iterator[Suspect]:
    # Stock the ledger has on the road or on hold is stock a counter does not find on the shelf:
    # it can make the shelf look short, never long.
    if variance >= 0:
        return
    shortage = -variance
    if in_transit > 0:
        yield Suspect(
            SuspectKind.IN_TRANSIT,
            f"{decimal_text(in_transit)} of this item is still in transit for the warehouse and could account for "
            f"{decimal_text(min(in_transit, shortage))} of the shortage of {decimal_text(shortage)} if it left the "
            "shelf on a transfer that has not been completed.",
            WAITING_STOCK_RANK,
            (),
        )
    if in_inspection > 0:
        yield Suspect(
            SuspectKind.INSPECTION_UNDECIDED,
            f"{decimal_text(in_inspection)} is still on QC hold for this item, location and lot and could account for "
            f"{decimal_text(min(in_inspection, shortage))} of the shortage of {decimal_text(shortage)} if held stock "
            "was set apart and not counted.",
            WAITING_STOCK_RANK,
            (),
        )


def _recurring_operators(ordered: Sequence[TracedMovement], other_lines: Mapping[str, int]) -> Iterator[Suspect]:
    by_actor: dict[str, list[TracedMovement]] = {}
    for movement in ordered:
        if movement.actor:
            by_actor.setdefault(movement.actor, []).append(movement)
    for actor in sorted(by_actor):
        lines = other_lines.get(actor, 0)
        if lines <= 0:
            continue
        own = by_actor[actor]
        listed = "; ".join(_describe(movement, with_actor=False) for movement in own[:_LISTED_MOVEMENTS])
        if len(own) > _LISTED_MOVEMENTS:
            listed += f"; and {len(own) - _LISTED_MOVEMENTS} more"
        yield Suspect(
            SuspectKind.RECURRING_OPERATOR,
            f"{actor} posted {_count(len(own), 'movement')} on this line ({listed}) and appears on "
            f"{_count(lines, 'other variance line')}.",
            min(RECURRING_OPERATOR_BASE_RANK + lines, RECURRING_OPERATOR_MAX_RANK),
            tuple(own),
        )


def _canonical(movement: TracedMovement) -> tuple[datetime, datetime, str, str, Decimal, str, str, str, str]:
    return (
        movement.business_time,
        movement.posted_at,
        movement.movement_id,
        movement.type,
        movement.quantity,
        movement.document_type,
        movement.document_id,
        movement.actor,
        movement.corrects_movement_id,
    )


def _finite(value: Decimal, field: str) -> Decimal:
    # A float would already carry binary rounding error into an exact comparison.
    if not isinstance(value, Decimal):
        raise TypeError(f"{field} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{field} must be a finite number, not {value}")
    return value


def _describe(movement: TracedMovement, *, with_actor: bool = True) -> str:
    document = " ".join(part for part in (movement.document_type, movement.document_id) if part) or "no document"
    actor = f" by {movement.actor or 'an unrecorded operator'}" if with_actor else ""
    return f"{movement.type} {_signed(movement.quantity)} on {document}{actor} at {_when(movement.business_time)}"


def _variance_text(variance: Decimal) -> str:
    return f"{'shortage' if variance < 0 else 'surplus'} of {decimal_text(abs(variance))}"


def _signed(quantity: Decimal) -> str:
    text = decimal_text(quantity)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
