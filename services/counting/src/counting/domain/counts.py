"""A stock count's rules: states, tolerance, rounds, reasons and approval routing.

Variance is always `counted - book as of the count time` (DESIGN 3.3): movements posted
while the warehouse kept working are kept, and the adjustment is only the difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from invariant_kernel.decimals import MONEY_PLACES
from invariant_kernel.errors import DomainError, ErrorCode, quoted
from invariant_kernel.units import decimal_text


class CountState(StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    COUNTING = "COUNTING"
    REVIEW = "REVIEW"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    APPROVED = "APPROVED"
    POSTED = "POSTED"
    CANCELLED = "CANCELLED"


# Cancelling is allowed until the adjustment has gone to stock.
CANCELLABLE = frozenset(
    {CountState.DRAFT, CountState.OPEN, CountState.COUNTING, CountState.REVIEW, CountState.AWAITING_APPROVAL}
)
# While these last, a counter of a blind count sees no book and no variance.
BLIND_WHILE = frozenset({CountState.DRAFT, CountState.OPEN, CountState.COUNTING})


class CountKind(StrEnum):
    FULL = "FULL"
    CYCLE = "CYCLE"
    SPOT = "SPOT"


class LineState(StrEnum):
    TO_COUNT = "TO_COUNT"
    COUNTED = "COUNTED"
    RECOUNT = "RECOUNT"
    INVESTIGATION = "INVESTIGATION"
    FINAL = "FINAL"
    POSTED = "POSTED"


# Lines that still take entries in the current round.
OPEN_LINE_STATES = frozenset({LineState.TO_COUNT, LineState.COUNTED, LineState.RECOUNT})


class Origin(StrEnum):
    BOOK = "BOOK"
    FOUND = "FOUND"


class Level(StrEnum):
    SUPERVISOR = "SUPERVISOR"
    FINANCE = "FINANCE"
    MANAGER = "MANAGER"


LEVEL_ORDER = (Level.SUPERVISOR, Level.FINANCE, Level.MANAGER)
# The roles that may approve at each level (an admin may stand in for any).
LEVEL_ROLES: Mapping[Level, frozenset[str]] = {
    Level.SUPERVISOR: frozenset({"supervisor", "admin"}),
    Level.FINANCE: frozenset({"finance", "admin"}),
    Level.MANAGER: frozenset({"manager", "admin"}),
}
# Roles that see a blind count's book while it is being counted.
REVIEWER_ROLES = frozenset({"supervisor", "finance", "manager", "admin"})

DEFAULT_REASON_CODES: tuple[tuple[str, str], ...] = (
    ("DAMAGE_NOT_RECORDED", "Damage or scrap not recorded"),
    ("GIFT_OR_SAMPLE_NOT_RECORDED", "Gift or sample not recorded"),
    ("RECEIPT_NOT_RECORDED", "Receipt not recorded"),
    ("ISSUE_NOT_RECORDED", "Issue not recorded"),
    ("TRANSFER_NOT_RECORDED", "Transfer not recorded"),
    ("UNIT_OF_MEASURE_ERROR", "Unit-of-measure error"),
    ("ENTRY_ERROR", "Entry error"),
    ("COUNTING_ERROR", "Counting error"),
    ("SUPPLIER_SHORT_DELIVERY", "Supplier short delivery"),
    ("THEFT_OR_UNKNOWN", "Theft or unknown"),
)

E = TypeVar("E", bound=StrEnum)

DEFAULT_SUPERVISOR_LIMIT = Decimal(1000)
DEFAULT_FINANCE_LIMIT = Decimal(10000)


def parse_enum(kind: type[E], raw: str, field: str, default: E | None = None) -> E:
    text = raw.strip().upper()
    if not text and default is not None:
        return default
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise DomainError(
            ErrorCode.INVALID_FORMAT, f"{field} must be one of {allowed}, got {quoted(raw)}", field
        ) from None


@dataclass(frozen=True)
class Tolerance:
    """How far counted may be from book before a recount. Unset limits do not apply.

    A variance is within tolerance when it is inside every limit that is set; a zero
    variance always is. The percent is of the book, so stock the book did not know is
    always outside a percent limit.
    """

    quantity: Decimal | None = None
    percent: Decimal | None = None
    value: Decimal | None = None

    def allows(self, variance: Decimal, book: Decimal, cost: Decimal) -> bool:
        size = abs(variance)
        if size == 0:
            return True
        if self.quantity is not None and size > self.quantity:
            return False
        if self.percent is not None and size * 100 > self.percent * abs(book):
            return False
        return self.value is None or size * cost <= self.value


# When a count sets none, by the ABC class of its scope; C's for an unclassified count.
DEFAULT_TOLERANCES: Mapping[str, Tolerance] = {
    "A": Tolerance(percent=Decimal(1), value=Decimal(50)),
    "B": Tolerance(percent=Decimal(2), value=Decimal(100)),
    "C": Tolerance(percent=Decimal(5), value=Decimal(200)),
}


def tolerance_for(abc_class: str, given: Tolerance) -> Tolerance:
    if given.quantity is None and given.percent is None and given.value is None:
        return DEFAULT_TOLERANCES.get(abc_class, DEFAULT_TOLERANCES["C"])
    return given


_CENT = Decimal(1).scaleb(-MONEY_PLACES)


def value_of(quantity: Decimal, cost: Decimal) -> Decimal:
    return (quantity * cost).quantize(_CENT)


class Outcome(StrEnum):
    STANDS = "STANDS"
    RECOUNT = "RECOUNT"
    INVESTIGATE = "INVESTIGATE"


@dataclass(frozen=True)
class RoundFound:
    round: int
    counted: Decimal
    book: Decimal

    @property
    def variance(self) -> Decimal:
        return self.counted - self.book


def judge(found: RoundFound, earlier: RoundFound | None, tolerance: Tolerance, cost: Decimal) -> Outcome:
    """What a closed round means for its line.

    Within tolerance of the book, the round stands. Outside it, a first round asks for
    a recount; a recount that agrees with the round before (within tolerance of it)
    confirms the difference, and one that agrees with neither goes to a supervisor.
    """
    if tolerance.allows(found.variance, found.book, cost):
        return Outcome.STANDS
    if earlier is None:
        return Outcome.RECOUNT
    if tolerance.allows(found.counted - earlier.counted, earlier.counted, cost):
        return Outcome.STANDS
    return Outcome.INVESTIGATE


def levels_needed(absolute_value: Decimal, supervisor_limit: Decimal, finance_limit: Decimal) -> list[Level]:
    """Approval levels for a count whose variances are worth `absolute_value` in all.

    The total is at least any single line's value, so one figure decides both rules.
    """
    if absolute_value <= supervisor_limit:
        return [Level.SUPERVISOR]
    if absolute_value <= finance_limit:
        return [Level.SUPERVISOR, Level.FINANCE]
    return list(LEVEL_ORDER)


def check_reasons(variance: Decimal, reasons: Sequence[tuple[str, Decimal]], known: frozenset[str]) -> None:
    """Reasons name active codes once each, and their sizes add up to the variance's."""
    if variance == 0:
        if reasons:
            raise DomainError(ErrorCode.INVALID_STATE, "a line without variance takes no reasons", "reasons")
        return
    if not reasons:
        raise DomainError(ErrorCode.REQUIRED, "reasons must explain the variance", "reasons")
    seen: set[str] = set()
    for index, (code, quantity) in enumerate(reasons):
        if code not in known:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"reason code {quoted(code)} does not exist or is inactive",
                f"reasons[{index}].reason_code",
            )
        if code in seen:
            raise DomainError(
                ErrorCode.ALREADY_EXISTS, f"reason code {code} is given twice", f"reasons[{index}].reason_code"
            )
        seen.add(code)
        if quantity <= 0:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE, "a reason's quantity must be above zero", f"reasons[{index}].quantity"
            )
    total = sum((quantity for _, quantity in reasons), Decimal(0))
    if total != abs(variance):
        raise DomainError(
            ErrorCode.OUT_OF_RANGE,
            f"reasons add up to {decimal_text(total)}, the variance is {decimal_text(variance)}",
            "reasons",
        )


def require_state(state: CountState, allowed: frozenset[CountState], doing: str) -> None:
    if state not in allowed:
        names = " or ".join(sorted(allowed))
        raise DomainError(
            ErrorCode.INVALID_STATE, f"cannot {doing} a count that is {state}; it must be {names}", "count_id"
        )


class Grouping(StrEnum):
    WAREHOUSE = "WAREHOUSE"
    ABC_CLASS = "ABC_CLASS"
    COUNTER = "COUNTER"
    REASON = "REASON"
    MONTH = "MONTH"


@dataclass(frozen=True)
class CountedLine:
    """A posted line as accuracy sees it; `groups` are the line's keys for the grouping asked."""

    groups: tuple[str, ...]
    first_round_within: bool
    book_value: Decimal
    absolute_variance_value: Decimal


@dataclass(frozen=True)
class AccuracyFigure:
    group: str
    lines: int
    within: int
    record_accuracy: Decimal
    value_accuracy: Decimal


def accuracy(counted: Sequence[CountedLine]) -> list[AccuracyFigure]:
    """Inventory record accuracy per group: the share of lines right at the first count,
    and the value accuracy 1 - |variance value| / book value (1 when nothing was on the book
    and nothing was found)."""
    totals: dict[str, list[Decimal]] = {}
    for line in counted:
        for group in line.groups:
            lines, within, book, off = totals.setdefault(group, [Decimal(0)] * 4)
            totals[group] = [
                lines + 1,
                within + line.first_round_within,
                book + line.book_value,
                off + line.absolute_variance_value,
            ]
    figures = []
    for group in sorted(totals):
        lines, within, book, off = totals[group]
        value = Decimal(1) - off / book if book else Decimal(0 if off else 1)
        figures.append(
            AccuracyFigure(
                group,
                int(lines),
                int(within),
                (within / lines).quantize(Decimal("0.0001")),
                max(value, Decimal(0)).quantize(Decimal("0.0001")),
            )
        )
    return figures
