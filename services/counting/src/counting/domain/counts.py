"""A stock count: its states, tolerance, rounds, reasons and approval routing, and the
`Count` aggregate that holds them.

Variance is always `counted - book as of the count time` (DESIGN 3.3): movements posted
while the warehouse kept working are kept, and the adjustment is only the difference.

A count's lines stay where they are kept and change in bulk: the aggregate is handed the
few lines a rule needs (those an upload counts, the one a supervisor decides) and the
figures of the rest (`LineSummary`, `VarianceTotals`), and returns what is to change, so
that no command loads a 100,000-line count into objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, TypeVar

from counting.domain.entries import CountedEntry, Lookup, Taken, take
from counting.domain.events import AdjustmentApproved, ApprovedLine, CountPosted
from counting.domain.lines import Line, LineState, LineSummary, Origin, RoundRecord, Standing, VarianceTotals
from counting.domain.policies import ApprovalLimits
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.decimals import MONEY_PLACES, QUANTITY_PLACES, parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, not_found, quoted
from invariant_kernel.limits import ID, bounded
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
# A count takes entries, and closes rounds, while it is in these.
BEING_COUNTED = frozenset({CountState.OPEN, CountState.COUNTING})
EXPORTABLE = frozenset({CountState.APPROVED, CountState.POSTED})


class CountKind(StrEnum):
    FULL = "FULL"
    CYCLE = "CYCLE"
    SPOT = "SPOT"


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

# Lines per approved-adjustment message: each stays well under the bus's 1 MB message size
# (about 150 bytes a line, more with many reasons), and stock posts each in one transaction.
PART_LINES = 1000

E = TypeVar("E", bound=StrEnum)


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

    @classmethod
    def parse(cls, quantity: str, percent: str, value: str) -> Tolerance:
        """Limits as given (decimal strings, empty where unset), none below zero."""

        def limit(raw: str, name: str, places: int) -> Decimal | None:
            if not raw:
                return None
            return parse_decimal(raw, f"tolerance.{name}", places=places, minimum=Decimal(0))

        return cls(
            limit(quantity, "quantity", QUANTITY_PLACES),
            limit(percent, "percent", 4),
            limit(value, "value", MONEY_PLACES),
        )

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


class RoundFound(NamedTuple):
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


def standing(found: RoundFound, counted_at: datetime, cost: Decimal, tolerance: Tolerance) -> Standing:
    """What a round that stands puts on its line."""
    variance = found.variance
    return Standing(
        found.counted,
        counted_at,
        found.book,
        variance,
        value_of(variance, cost),
        tolerance.allows(variance, found.book, cost),
    )


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


def parse_reasons(given: Sequence[tuple[str, str]], field: str) -> list[tuple[str, Decimal]]:
    """(reason code, quantity) as given: codes in capitals, quantities above zero."""
    return [
        (code.strip().upper(), parse_decimal(quantity, f"{field}[{index}].quantity", strictly_positive=True))
        for index, (code, quantity) in enumerate(given)
    ]


def require_state(state: CountState, allowed: frozenset[CountState], doing: str) -> None:
    if state not in allowed:
        names = " or ".join(sorted(allowed))
        raise DomainError(
            ErrorCode.INVALID_STATE, f"cannot {doing} a count that is {state}; it must be {names}", "count_id"
        )


class BookBalance(NamedTuple):
    """A balance stock holds in the count's scope, in one status."""

    item_sku: str
    location: str
    lot: str
    quantity: Decimal


@dataclass(frozen=True)
class Transition:
    from_state: str
    to_state: str
    actor: str
    at: datetime
    comment: str = ""


@dataclass(frozen=True)
class Approval:
    level: Level
    actor: str
    at: datetime
    comment: str


@dataclass(frozen=True)
class Acting:
    """Who does something to a count, and when."""

    actor: str
    roles: frozenset[str]
    at: datetime


@dataclass(eq=False)
class Count:
    """A stock count from plan to posted adjustment: what it covers, the state it is in and
    the rules of every step. It keeps the transitions and approvals it makes until they are
    saved (`new_transitions`, `new_approvals`, `approvals_voided`) and records the events
    it causes (`events`)."""

    id: str
    warehouse: str
    kind: CountKind
    blind: bool
    locations: tuple[str, ...]
    item_skus: tuple[str, ...]
    abc_class: str
    given_tolerance: Tolerance
    counters: tuple[str, ...]
    note: str
    state: CountState
    levels_required: tuple[Level, ...]
    created_by: str
    created_at: datetime
    opened_at: datetime | None = None
    # The approvals in force: a rejection voids those given before it.
    approvals: list[Approval] = field(default_factory=list)
    events: list[object] = field(default_factory=list)
    new_transitions: list[Transition] = field(default_factory=list)
    new_approvals: list[Approval] = field(default_factory=list)
    approvals_voided: bool = False

    @classmethod
    def plan(
        cls,
        *,
        warehouse: str,
        kind: str,
        blind: bool,
        locations: Sequence[str],
        item_skus: Sequence[str],
        abc_class: str,
        tolerance: Tolerance,
        counters: Sequence[str],
        note: str,
        in_transit_location: str,
        acting: Acting,
    ) -> Count:
        """A DRAFT count; goods on the road are counted where they arrive, never in transit."""
        for index, location in enumerate(locations):
            if in_transit_location and location.strip().upper() == in_transit_location:
                raise DomainError(
                    ErrorCode.OUT_OF_RANGE,
                    f"{location.strip()} is the warehouse's in-transit location: goods on the road are counted "
                    "where they arrive",
                    f"locations[{index}]",
                )
        parsed_kind = parse_enum(CountKind, kind, "kind", CountKind.SPOT)
        abc = abc_class.strip().upper()
        if abc not in ("", "A", "B", "C"):
            raise DomainError(ErrorCode.INVALID_FORMAT, "abc_class must be A, B or C", "abc_class")
        for index, counter in enumerate(counters):
            bounded(counter.strip(), f"counters[{index}]", ID)
        count = cls(
            id=str(uuid.uuid4()),
            warehouse=normalise_warehouse(warehouse),
            kind=parsed_kind,
            blind=blind,
            locations=tuple(sorted({loc.strip().upper() for loc in locations if loc.strip()})),
            item_skus=tuple(sorted({sku.strip().upper() for sku in item_skus if sku.strip()})),
            abc_class=abc,
            given_tolerance=tolerance,
            counters=tuple(sorted({c.strip() for c in counters if c.strip()})),
            note=note.strip(),
            state=CountState.DRAFT,
            levels_required=(),
            created_by=acting.actor,
            created_at=acting.at,
        )
        count.new_transitions.append(Transition("", CountState.DRAFT, acting.actor, acting.at))
        return count

    def saved(self) -> None:
        """What it changed is kept: nothing is waiting to be."""
        self.new_transitions.clear()
        self.new_approvals.clear()
        self.approvals_voided = False

    @property
    def tolerance(self) -> Tolerance:
        """The tolerance its rounds are judged by: its own, else its ABC class's default."""
        return tolerance_for(self.abc_class, self.given_tolerance)

    def blind_to(self, roles: frozenset[str]) -> bool:
        """Whether someone with these roles is shown no book and no variance of it now."""
        return self.blind and self.state in BLIND_WHILE and not roles & REVIEWER_ROLES

    def require_shown(self, roles: frozenset[str], what: str, field: str) -> None:
        """`what` shows the book: refused to whom the count is blind."""
        if self.blind_to(roles):
            raise DomainError(ErrorCode.PERMISSION_DENIED, f"{what} hidden while it is counted", field)

    def _require(self, allowed: frozenset[CountState], doing: str) -> None:
        require_state(self.state, allowed, doing)

    def _move(self, to: CountState, acting: Acting, comment: str = "") -> None:
        self.new_transitions.append(Transition(self.state, to, acting.actor, acting.at, comment))
        self.state = to

    # opening

    def check_opens(self) -> None:
        self._require(frozenset({CountState.DRAFT}), "open")

    def open(self, balances: Iterable[BookBalance], opened_at: datetime, acting: Acting) -> list[Line]:
        """DRAFT → OPEN: a line per place in scope that stock holds, numbered in (location,
        item, lot) order. A line is a place as a counter finds it: its book is every status
        there, summed (DESIGN 3.3)."""
        self.check_opens()
        book: dict[tuple[str, str, str], Decimal] = {}
        for b in balances:
            key = (b.location, b.item_sku, b.lot)
            book[key] = book.get(key, Decimal(0)) + b.quantity
        self.opened_at = opened_at
        self._move(CountState.OPEN, acting)
        return [
            Line(
                str(uuid.uuid4()),
                self.id,
                number,
                sku,
                location,
                lot,
                Origin.BOOK,
                LineState.TO_COUNT,
                1,
                quantity,
                opened_at,
            )
            for number, ((location, sku, lot), quantity) in enumerate(sorted(book.items()), start=1)
        ]

    # counting

    def check_takes_entries(self) -> None:
        self._require(BEING_COUNTED, "count on")

    def take_entries(self, entries: Sequence[CountedEntry], lookup: Lookup, acting: Acting) -> Taken:
        """An upload: every entry is taken or none (see `entries.take`); the first entry
        moves an OPEN count to COUNTING."""
        self.check_takes_entries()
        taken = take(self.id, entries, lookup, acting.actor, acting.at)
        if taken.entries and self.state is CountState.OPEN:
            self._move(CountState.COUNTING, acting)
        return taken

    def check_round_closes(self, summary: LineSummary, first_pending: int) -> None:
        """A round closes once every line of it is counted (`first_pending`: the number of
        the first that is not, when one is not)."""
        self._require(BEING_COUNTED, "finish a round of")
        if summary.pending:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"{summary.pending} lines are not counted yet (first: line {first_pending}); count them, zero if empty",
                "count_id",
            )

    def settle(self, summary: LineSummary, acting: Acting) -> None:
        """After lines were closed or decided: REVIEW once every line stands, COUNTING while some do not."""
        if not summary.unsettled and self.state is not CountState.REVIEW:
            self._move(CountState.REVIEW, acting)
        elif summary.unsettled and self.state is CountState.OPEN:
            self._move(CountState.COUNTING, acting)

    def decide(
        self,
        line: Line | None,
        line_id: str,
        rounds: Sequence[RoundRecord],
        chosen: int,
        cost: Decimal,
        comment: str,
        acting: Acting,
    ) -> Standing:
        """A supervisor decides which round of a line under investigation stands; the line
        (None where `line_id` is not on the count) takes what it found."""
        self._require(frozenset({CountState.COUNTING}), "decide a line of")
        if line is None:
            raise not_found("line", line_id, "line_id")
        if line.state != LineState.INVESTIGATION:
            raise DomainError(
                ErrorCode.INVALID_STATE, f"line {line.number} is {line.state}, not under investigation", "line_id"
            )
        stands = next((r for r in rounds if r.round == chosen), None)
        if stands is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"line {line.number} has no round {chosen}", "round")
        found = RoundFound(stands.round, stands.counted, stands.book)
        self._move(self.state, acting, f"line {line.number}: round {chosen} stands. {comment}".strip())
        return standing(found, stands.counted_at, cost, self.tolerance)

    # review and approval

    def explain(
        self, given: Sequence[tuple[str, Sequence[tuple[str, str]]]], lines: Mapping[str, Line], active: frozenset[str]
    ) -> dict[str, list[tuple[str, Decimal]]]:
        """Reasons for these lines (line id, (code, quantity) as given), each checked against
        its line's variance: every line is explained or none, a refusal naming the first bad one."""
        self._require(frozenset({CountState.REVIEW}), "explain lines of")
        explained: dict[str, list[tuple[str, Decimal]]] = {}
        for index, (line_id, raw) in enumerate(given):
            field = f"lines[{index}]"
            if line_id in explained:
                raise DomainError(ErrorCode.ALREADY_EXISTS, "line_id is given twice in one call", f"{field}.line_id")
            line = lines.get(line_id)
            if line is None:
                raise not_found("line", line_id, f"{field}.line_id")
            reasons = parse_reasons(raw, f"{field}.reasons")
            try:
                check_reasons(line.variance or Decimal(0), reasons, active)
            except DomainError as error:
                raise DomainError(
                    error.code, f"line {line.number}: {error.message}", f"{field}.{error.field}"
                ) from None
            explained[line.id] = reasons
        return explained

    def submit(self, unexplained: int, totals: VarianceTotals, limits: ApprovalLimits, acting: Acting) -> None:
        """REVIEW → AWAITING_APPROVAL at the levels its variances' value needs; with nothing
        differing it is approved and posted at once."""
        self._require(frozenset({CountState.REVIEW}), "submit")
        if unexplained:
            raise DomainError(ErrorCode.REQUIRED, f"{unexplained} differing lines have no reasons yet", "reasons")
        if not totals.differing:
            self._move(CountState.APPROVED, acting, "nothing differs")
            self.posted(totals, acting)
            return
        self.levels_required = tuple(levels_needed(totals.absolute, limits.supervisor, limits.finance))
        self._move(CountState.AWAITING_APPROVAL, acting)

    def approve(self, level_given: str, counted_here: bool, comment: str, acting: Acting) -> bool:
        """An approval at the next level required, by someone who holds its role, did not count
        and has not approved at another level; True once the last level has approved."""
        level = parse_enum(Level, level_given, "level")
        self._require(frozenset({CountState.AWAITING_APPROVAL}), "approve")
        done = {a.level for a in self.approvals}
        expected = next((x for x in self.levels_required if x not in done), None)
        if level != expected:
            raise DomainError(ErrorCode.INVALID_STATE, f"the count waits for {expected} approval, not {level}", "level")
        if not acting.roles & LEVEL_ROLES[level]:
            raise DomainError(ErrorCode.PERMISSION_DENIED, f"approving at {level} level needs the role for it", "level")
        if counted_here:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED, f"{acting.actor} counted in this count and cannot approve it", "count_id"
            )
        if any(a.actor == acting.actor for a in self.approvals):
            raise DomainError(
                ErrorCode.PERMISSION_DENIED, f"{acting.actor} already approved this count at another level", "level"
            )
        approval = Approval(level, acting.actor, acting.at, comment.strip())
        self.approvals.append(approval)
        self.new_approvals.append(approval)
        if level != self.levels_required[-1]:
            return False
        self._move(CountState.APPROVED, acting, comment.strip())
        return True

    def send(self, differing: Sequence[ApprovedLine]) -> None:
        """An approved count's differences go to stock, in parts. It differs: a count that
        does not is posted when submitted."""
        self._require(frozenset({CountState.APPROVED}), "send")
        parts = (len(differing) + PART_LINES - 1) // PART_LINES
        for part in range(parts):
            chunk = tuple(differing[part * PART_LINES : (part + 1) * PART_LINES])
            self.events.append(AdjustmentApproved(self.id, self.warehouse, part + 1, parts, chunk))

    def reject(self, level_given: str, comment: str, acting: Acting) -> None:
        """Back to REVIEW with the comment; the approvals given so far are void."""
        level = parse_enum(Level, level_given, "level")
        self._require(frozenset({CountState.AWAITING_APPROVAL}), "reject")
        if not comment.strip():
            raise DomainError(ErrorCode.REQUIRED, "a rejection needs a comment", "comment")
        if not acting.roles & LEVEL_ROLES[level]:
            raise DomainError(ErrorCode.PERMISSION_DENIED, f"rejecting at {level} level needs the role for it", "level")
        self.approvals.clear()
        self.approvals_voided = True
        self.levels_required = ()
        self._move(CountState.REVIEW, acting, f"rejected at {level}: {comment.strip()}")

    def cancel(self, reason: str, acting: Acting) -> None:
        self._require(CANCELLABLE, "cancel")
        self._move(CountState.CANCELLED, acting, reason.strip())

    # posting

    def awaits_stock(self) -> bool:
        """Whether stock's confirmations still apply: those of a count posted already are redeliveries."""
        return self.state is CountState.APPROVED

    def posted(self, totals: VarianceTotals, acting: Acting) -> None:
        """Stock posted every difference: the count is done."""
        self._require(frozenset({CountState.APPROVED}), "post")
        self._move(CountState.POSTED, acting)
        self.events.append(CountPosted(self.id, self.warehouse, totals.lines, totals.differing, totals.net))

    def check_exports(self) -> None:
        if self.state not in EXPORTABLE:
            raise DomainError(
                ErrorCode.INVALID_STATE, f"the count is {self.state}; only an approved count exports", "count_id"
            )
