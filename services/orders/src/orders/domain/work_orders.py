"""Work orders: making a finished item from the components its BOM names.

A work order is DRAFT until it is released. Release pins the BOM version in effect that day
by keeping the exploded requirement of each direct component on the order (a later change
of the BOM does not touch it), and reserves the components through stock (partial allowed:
what is short is listed, and a short sub-assembly is suggested as a child work order).
Components are issued up to their requirement plus the item's issue tolerance; beyond that
only what a supervisor approved, on a request by someone else, is issued, once. Unused
material comes back; finished goods are received as they are completed (into QC_HOLD when
the item is inspected on production). Close gives back what is still reserved and reports
the material variance per component: issued - returned - standard for the quantity completed.

A rework order reworks goods quality rejected: it names the non-conformance record and where
the rejected goods lie, pins no BOM, and its one component is the item itself, issued whole
from REJECTED at its release. Nothing else is issued to it and nothing returned from it: what
it completes goes to inspection again (QC_HOLD), which is the only way back for its goods.

Every quantity is in the item's base unit, exact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum

from invariant_kernel.decimals import QUANTITY_PLACES
from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.limits import TEXT, bounded
from invariant_kernel.units import decimal_text

NUMBER_PREFIX = "WO-"
OVER_ISSUE_PREFIX = "OI-"
# The document type stock's reservations and movements name a work order by.
DOCUMENT_TYPE = "WORK_ORDER"
# Numbers are given per kind of document; over-issue requests are numbered apart.
OVER_ISSUE_KIND = "OVER_ISSUE"
# Who may approve or reject an over-issue request (never the one who asked for it).
APPROVER_ROLES = frozenset({"supervisor", "manager", "admin"})
MAX_TOLERANCE_PERCENT = Decimal(100)
_PLACE = Decimal(1).scaleb(-QUANTITY_PLACES)


class WorkOrderState(StrEnum):
    DRAFT = "DRAFT"
    RELEASED = "RELEASED"
    # Everything ordered has been received; material may still be issued or returned.
    COMPLETED = "COMPLETED"
    CLOSED = "CLOSED"


class WorkOrderKind(StrEnum):
    PRODUCTION = "PRODUCTION"
    REWORK = "REWORK"


class OverIssueState(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    # Approved and issued: an approval allows its quantity once.
    USED = "USED"


class PostingKind(StrEnum):
    ISSUE = "ISSUE"
    RETURN = "RETURN"
    RECEIPT = "RECEIPT"


def work_order_number(sequence: int) -> str:
    return f"{NUMBER_PREFIX}{sequence:06d}"


def over_issue_number(sequence: int) -> str:
    return f"{OVER_ISSUE_PREFIX}{sequence:06d}"


def tolerance_percent(raw: str, field: str) -> Decimal:
    try:
        percent = Decimal(raw.strip() or "0")
    except ArithmeticError:
        raise DomainError(ErrorCode.INVALID_FORMAT, f"{field} must be a decimal number", field) from None
    if not percent.is_finite() or not 0 <= percent <= MAX_TOLERANCE_PERCENT:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} must be 0 to {MAX_TOLERANCE_PERCENT} percent", field)
    exponent = percent.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise DomainError(ErrorCode.TOO_PRECISE, f"{field} has more than 2 decimal places", field)
    return percent


def whole_places(quantity: Decimal) -> Decimal:
    """A requirement in whole millionths of the base unit, rounded up: stock keeps quantities
    to that many places, and a shop floor short of material by a rounding stops."""
    return quantity.quantize(_PLACE, rounding=ROUND_CEILING).normalize() + 0


@dataclass(frozen=True)
class ReworkSource:
    """The rejected goods a rework order reworks: the record that rejected them (document
    type, id and line) and where they lie in the order's warehouse."""

    document_type: str
    document_id: str
    document_line: str
    location: str
    lot: str


@dataclass(frozen=True)
class Requirement:
    """A direct component as the pinned BOM explodes it for the whole order."""

    item_sku: str
    base_unit: str
    required: Decimal
    # The component has a BOM of its own: a short one is suggested as a child work order.
    has_bom: bool
    tolerance_percent: Decimal


@dataclass(frozen=True)
class Component:
    item_sku: str
    base_unit: str
    required: Decimal
    has_bom: bool
    tolerance_percent: Decimal
    reservation_id: str = ""
    # Granted by stock at release; the shortfall is what it could not grant.
    reserved: Decimal = Decimal(0)
    shortfall: Decimal = Decimal(0)
    issued: Decimal = Decimal(0)
    returned: Decimal = Decimal(0)
    # Issued beyond the requirement and tolerance on approved over-issue requests.
    over_issued: Decimal = Decimal(0)
    # Still held for the order by stock, as orders last knew it.
    still_reserved: Decimal = Decimal(0)
    # Fixed at close: the standard for what was completed, and the standard cost then.
    standard: Decimal | None = None
    standard_cost: Decimal | None = None

    @property
    def net_issued(self) -> Decimal:
        return self.issued - self.returned

    @property
    def allowed(self) -> Decimal:
        """What may be issued (net) without an approved request: requirement plus tolerance."""
        with localcontext() as context:
            context.prec = 80
            return self.required + self.required * self.tolerance_percent / 100

    @property
    def variance(self) -> Decimal | None:
        return None if self.standard is None else self.net_issued - self.standard

    @property
    def variance_value(self) -> Decimal | None:
        variance = self.variance
        return None if variance is None or self.standard_cost is None else variance * self.standard_cost


@dataclass(frozen=True)
class SuggestedChild:
    """A short sub-assembly: a work order the planner may raise for it."""

    item_sku: str
    quantity: Decimal
    warehouse: str
    due_date: date | None


@dataclass(frozen=True)
class OverIssueRequest:
    number: str
    item_sku: str
    quantity: Decimal
    reason: str
    state: OverIssueState
    requested_by: str
    requested_at: datetime
    decided_by: str = ""
    decided_at: datetime | None = None
    decision_reason: str = ""


@dataclass(frozen=True)
class Posting:
    """A stock movement posted for the order: components issued or returned, goods received."""

    kind: PostingKind
    item_sku: str
    quantity: Decimal
    location: str
    lot: str
    movement_ids: tuple[str, ...]
    actor: str
    at: datetime


@dataclass(frozen=True)
class Transition:
    state: WorkOrderState
    actor: str
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class Take:
    """What one issue line takes of a component: its quantity and the approvals it draws on."""

    item_sku: str
    quantity: Decimal
    draws: Decimal
    field: str


@dataclass
class WorkOrder:
    id: str
    number: str
    item_sku: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    base_unit: str
    warehouse: str
    due_date: date | None
    state: WorkOrderState
    created_at: datetime
    transitions: list[Transition]
    kind: WorkOrderKind = WorkOrderKind.PRODUCTION
    rework: ReworkSource | None = None
    bom_id: str = ""
    bom_version: int = 0
    released_on: date | None = None
    completed: Decimal = Decimal(0)
    components: list[Component] = field(default_factory=list)
    over_issues: list[OverIssueRequest] = field(default_factory=list)
    postings: list[Posting] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        *,
        id: str,
        number: str,
        item_sku: str,
        quantity: Decimal,
        unit: str,
        base_quantity: Decimal,
        base_unit: str,
        warehouse: str,
        due_date: date | None,
        actor: str,
        now: datetime,
        rework: ReworkSource | None = None,
    ) -> WorkOrder:
        return cls(
            id=id,
            number=number,
            item_sku=item_sku,
            quantity=quantity,
            unit=unit,
            base_quantity=base_quantity,
            base_unit=base_unit,
            warehouse=warehouse,
            due_date=due_date,
            state=WorkOrderState.DRAFT,
            created_at=now,
            transitions=[Transition(WorkOrderState.DRAFT, actor, now)],
            kind=WorkOrderKind.PRODUCTION if rework is None else WorkOrderKind.REWORK,
            rework=rework,
        )

    # state

    def require(self, doing: str, *states: WorkOrderState) -> None:
        if self.state not in states:
            allowed = " or ".join(str(s) for s in states)
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"work order {self.number} is {self.state}; only a {allowed} work order can be {doing}",
                "number",
            )

    def require_open(self, doing: str) -> None:
        self.require(doing, WorkOrderState.RELEASED, WorkOrderState.COMPLETED)

    def require_production(self, doing: str) -> None:
        if self.kind is WorkOrderKind.REWORK:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"work order {self.number} reworks rejected goods, issued whole at its release; nothing is {doing} "
                "it, and what it completes goes to inspection",
                "number",
            )

    def _enter(self, state: WorkOrderState, actor: str, now: datetime, reason: str = "") -> None:
        self.state = state
        self.transitions.append(Transition(state, actor, now, reason))

    # release

    def release(
        self,
        *,
        bom_id: str,
        bom_version: int,
        on: date,
        requirements: Sequence[Requirement],
        grants: Mapping[str, tuple[str, Decimal]],
        actor: str,
        now: datetime,
    ) -> None:
        """Pin the BOM's requirements and what stock granted of each (reservation id, quantity)."""
        self.require("released", WorkOrderState.DRAFT)
        if self.kind is WorkOrderKind.REWORK:
            raise DomainError(ErrorCode.INVALID_STATE, f"work order {self.number} reworks; it has no BOM", "number")
        if not requirements:
            raise DomainError(ErrorCode.INVALID_STATE, f"the BOM of {self.item_sku} names no component", "number")
        self.bom_id, self.bom_version, self.released_on = bom_id, bom_version, on
        self.components = []
        for r in requirements:
            reservation_id, granted = grants.get(r.item_sku, ("", Decimal(0)))
            self.components.append(
                Component(
                    item_sku=r.item_sku,
                    base_unit=r.base_unit,
                    required=r.required,
                    has_bom=r.has_bom,
                    tolerance_percent=r.tolerance_percent,
                    reservation_id=reservation_id,
                    reserved=granted,
                    shortfall=max(Decimal(0), r.required - granted),
                    still_reserved=granted,
                )
            )
        self._enter(WorkOrderState.RELEASED, actor, now)

    def release_rework(self, *, on: date, issued: Posting, actor: str, now: datetime) -> None:
        """Record the rejected goods stock issued to the order (`issued`, its whole quantity)
        as its one component, the item itself."""
        self.require("released", WorkOrderState.DRAFT)
        if self.kind is not WorkOrderKind.REWORK:
            raise DomainError(ErrorCode.INVALID_STATE, f"work order {self.number} is no rework", "number")
        self.released_on = on
        self.components = [
            Component(
                item_sku=self.item_sku,
                base_unit=self.base_unit,
                required=self.base_quantity,
                has_bom=False,
                tolerance_percent=Decimal(0),
                issued=issued.quantity,
            )
        ]
        self.postings.append(issued)
        self._enter(WorkOrderState.RELEASED, actor, now)

    @property
    def suggested_children(self) -> list[SuggestedChild]:
        return [
            SuggestedChild(c.item_sku, c.shortfall, self.warehouse, self.due_date)
            for c in self.components
            if c.has_bom and c.shortfall > 0
        ]

    def component(self, sku: str, field: str) -> Component:
        for c in self.components:
            if c.item_sku == sku:
                return c
        raise DomainError(ErrorCode.NOT_FOUND, f"work order {self.number} has no component {sku}", field)

    def _replace(self, sku: str, **changes: object) -> None:
        self.components = [dataclasses.replace(c, **changes) if c.item_sku == sku else c for c in self.components]  # type: ignore[arg-type]

    # issues and returns

    def plan_issue(
        self,
        lines: Sequence[tuple[str, Decimal, str]],
        strict: bool = True,
        claimed: Mapping[str, Decimal] | None = None,
    ) -> list[Take]:
        """Check issue lines (component, quantity, field) against what each component may
        still take: its requirement and tolerance, then its approved, unused over-issues,
        less what other issues under way `claimed`. Not `strict`: what stock posted
        already, drawing on approvals as far as they go."""
        self.require_open("issued to")
        self.require_production("issued to")
        taking: dict[str, Decimal] = dict(claimed or {})
        takes: list[Take] = []
        for sku, quantity, where in lines:
            component = self.component(sku, f"{where}.component_sku")
            before = component.net_issued + taking.get(sku, Decimal(0))
            after = before + quantity
            # What the issue takes beyond the requirement and tolerance, less what approvals covered already.
            beyond = max(Decimal(0), after - component.allowed - component.over_issued)
            approved = self.approved_open(sku)
            drawn_before = sum((t.draws for t in takes if t.item_sku == sku), Decimal(0))
            if strict and beyond > approved:
                raise DomainError(
                    ErrorCode.OUT_OF_RANGE,
                    f"{where}: issuing {decimal_text(quantity)} {component.base_unit} of {sku} brings it to "
                    f"{decimal_text(after)}, beyond its requirement {decimal_text(component.required)} and "
                    f"tolerance {decimal_text(component.tolerance_percent)} %"
                    + (f" and {decimal_text(approved)} approved" if approved else "")
                    + "; ask for an over-issue and have a supervisor approve it",
                    f"{where}.quantity",
                )
            draws = max(Decimal(0), min(beyond, approved) - drawn_before)
            takes.append(Take(sku, quantity, draws, f"{where}.quantity"))
            taking[sku] = taking.get(sku, Decimal(0)) + quantity
        return takes

    def approved_open(self, sku: str) -> Decimal:
        """Approved over-issue of a component not issued yet."""
        granted = sum((r.quantity for r in self._approvals(sku)), Decimal(0))
        return granted - next((c.over_issued for c in self.components if c.item_sku == sku), Decimal(0))

    def _approvals(self, sku: str) -> list[OverIssueRequest]:
        kept = (OverIssueState.APPROVED, OverIssueState.USED)
        return [r for r in self.over_issues if r.item_sku == sku and r.state in kept]

    def issue(self, takes: Sequence[Take], postings: Sequence[Posting], consumed: Mapping[str, Decimal]) -> None:
        """Record issues planned by `plan_issue` and posted by stock; `consumed` is what each
        component's reservation gave of them."""
        self.require_open("issued to")
        for take in takes:
            c = self.component(take.item_sku, take.field)
            self._replace(take.item_sku, issued=c.issued + take.quantity, over_issued=c.over_issued + take.draws)
            if take.draws:
                self._use_approvals(take.item_sku)
        for sku, quantity in consumed.items():
            c = self.component(sku, "lines")
            self._replace(sku, still_reserved=max(Decimal(0), c.still_reserved - quantity))
        self.postings.extend(postings)

    def _use_approvals(self, sku: str) -> None:
        """Approvals are drawn on oldest first; one is USED once its whole quantity is issued."""
        drawn = self.component(sku, "lines").over_issued
        used: set[str] = set()
        for request in self._approvals(sku):
            if request.quantity > drawn:
                break
            drawn -= request.quantity
            used.add(request.number)
        self.over_issues = [
            dataclasses.replace(r, state=OverIssueState.USED) if r.number in used else r for r in self.over_issues
        ]

    def plan_return(self, lines: Sequence[tuple[str, Decimal, str]]) -> None:
        self.require_open("returned to")
        self.require_production("returned from")
        giving: dict[str, Decimal] = {}
        for sku, quantity, where in lines:
            component = self.component(sku, f"{where}.component_sku")
            giving[sku] = giving.get(sku, Decimal(0)) + quantity
            if giving[sku] > component.net_issued:
                raise DomainError(
                    ErrorCode.OUT_OF_RANGE,
                    f"{where}: only {decimal_text(component.net_issued)} {component.base_unit} of {sku} "
                    "is issued to the order and not returned",
                    f"{where}.quantity",
                )

    def give_back(self, lines: Sequence[tuple[str, Decimal, str]], postings: Sequence[Posting]) -> None:
        """Record returns checked by `plan_return` and posted by stock."""
        for sku, quantity, where in lines:
            c = self.component(sku, where)
            self._replace(sku, returned=c.returned + quantity)
        self.postings.extend(postings)

    # over-issues

    def request_over_issue(
        self, number: str, sku: str, quantity: Decimal, reason: str, actor: str, now: datetime
    ) -> OverIssueRequest:
        self.require_open("issued to")
        self.require_production("issued to")
        self.component(sku, "component_sku")
        why = bounded(reason.strip(), "reason", TEXT)
        if not why:
            raise DomainError(ErrorCode.REQUIRED, "an over-issue request needs a reason", "reason")
        request = OverIssueRequest(number, sku, quantity, why, OverIssueState.PENDING, actor, now)
        self.over_issues.append(request)
        return request

    def decide_over_issue(
        self, number: str, approve: bool, reason: str, actor: str, roles: frozenset[str], now: datetime
    ) -> OverIssueRequest:
        self.require_open("issued to")
        request = next((r for r in self.over_issues if r.number == number), None)
        if request is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"work order {self.number} has no over-issue request {number}", "request"
            )
        doing = "approve" if approve else "reject"
        if not roles & APPROVER_ROLES:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                f"only a {' or '.join(sorted(APPROVER_ROLES))} may {doing} an over-issue request",
                "request",
            )
        if actor == request.requested_by:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                f"{number} was requested by {actor}; someone else must {doing} it",
                "request",
            )
        if request.state is not OverIssueState.PENDING:
            raise DomainError(ErrorCode.INVALID_STATE, f"{number} is {request.state}, not PENDING", "request")
        decided = dataclasses.replace(
            request,
            state=OverIssueState.APPROVED if approve else OverIssueState.REJECTED,
            decided_by=actor,
            decided_at=now,
            decision_reason=bounded(reason.strip(), "reason", TEXT),
        )
        self.over_issues = [decided if r.number == number else r for r in self.over_issues]
        return decided

    # completion and close

    def complete(self, quantity: Decimal, posting: Posting, actor: str, now: datetime) -> None:
        """Record finished goods checked by `check_completion` and received by stock."""
        self.completed += quantity
        self.postings.append(posting)
        if self.state is WorkOrderState.RELEASED and self.completed >= self.base_quantity:
            self._enter(WorkOrderState.COMPLETED, actor, now)

    def check_completion(self, quantity: Decimal) -> None:
        if self.completed + quantity > self.base_quantity:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"{decimal_text(self.completed)} of {decimal_text(self.base_quantity)} {self.base_unit} are "
                f"completed already; {decimal_text(quantity)} more is beyond the order",
                "quantity",
            )

    def close(
        self, costs: Mapping[str, Decimal | None], actor: str, now: datetime, reason: str = ""
    ) -> list[Component]:
        """Fix the variance of each component for what was completed; the components whose
        reservations are still to be given back."""
        self.require_open("closed")
        why = bounded(reason.strip(), "reason", TEXT)
        self.components = [
            dataclasses.replace(c, standard=self.standard_for(c), standard_cost=costs.get(c.item_sku))
            for c in self.components
        ]
        self._enter(WorkOrderState.CLOSED, actor, now, why)
        return [c for c in self.components if c.still_reserved > 0 and c.reservation_id]

    def standard_for(self, component: Component) -> Decimal:
        """The component's requirement scaled to what was completed: exact when everything was
        completed, else kept to the places stock keeps (half to even)."""
        if self.completed == self.base_quantity:
            return component.required
        with localcontext() as context:
            context.prec = 80
            share = component.required * self.completed / self.base_quantity
        return share.quantize(_PLACE, rounding=ROUND_HALF_EVEN).normalize() + 0

    def reservation_released(self, sku: str, still: Decimal) -> None:
        self._replace(sku, still_reserved=still)
