"""Inspection lots: goods on hold for inspection, their results, verdict and decision.

A lot is opened once per stock movement that put goods on hold (keyed by the movement's id),
with the plan in force then and the sample that plan asks of the lot's size. Inspectors
record a result per sample and characteristic; the verdict follows from the plan (the
number of defective samples against the accept and reject numbers) and is shown before
anyone decides. The decision accepts, rejects or splits the lot's quantity exactly, once;
it is taken by someone who inspected the lot, or by a supervisor, and records the event
stock moves the goods by.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from invariant_kernel.decimals import parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.limits import ID, TEXT, bounded
from quality.domain.plans import Attribute, InspectionPlan, Measured, PlanState, require_aware
from quality.domain.sampling import SamplingPlan, units_of

# Roles that may decide a lot they did not inspect: a supervisor, or those above one.
SUPERVISOR_ROLES = frozenset({"supervisor", "manager", "admin"})


class DocumentType(StrEnum):
    PURCHASE_ORDER = "PURCHASE_ORDER"
    WORK_ORDER = "WORK_ORDER"
    RMA = "RMA"
    MANUAL_HOLD = "MANUAL_HOLD"


@dataclass(frozen=True)
class DocumentRef:
    """What the goods came in on: a purchase order line, a work order, a return, or a hold
    someone put on stock by hand."""

    # One of DocumentType, or what else the movement that held the goods named.
    type: str
    id: str
    line: str = ""


@dataclass(frozen=True)
class Place:
    """Where the goods are held, in status QC_HOLD."""

    warehouse: str
    location: str
    lot: str = ""


class LotState(StrEnum):
    # A lot opened by hand, until stock has put its goods on hold.
    HOLDING = "HOLDING"
    # Stock refused the hold by hand: nothing is on hold, nothing is to be decided.
    NOT_HELD = "NOT_HELD"
    OPEN = "OPEN"
    DECIDED = "DECIDED"


class Verdict(StrEnum):
    UNDECIDED = "UNDECIDED"
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"


class Outcome(StrEnum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    PARTIAL = "PARTIAL"


@dataclass(frozen=True)
class Result:
    """One characteristic checked on one sample: a measured value, or an attribute's pass or
    fail with the defect it found."""

    sample: int
    characteristic: str
    conforming: bool
    value: Decimal | None
    defect_code: str
    inspector: str
    at: datetime


@dataclass(frozen=True)
class Decision:
    id: str
    outcome: Outcome
    accepted: Decimal
    rejected: Decimal
    # The verdict shown when the decision was taken; a decision may overrule it.
    verdict: Verdict
    decided_by: str
    at: datetime


@dataclass(frozen=True)
class InspectionLotOpened:
    lot: InspectionLot


@dataclass(frozen=True)
class InspectionDecided:
    """What stock moves the goods by and orders books the document's line by
    (events/v1/quality.proto InspectionDecided)."""

    decision_id: str
    inspection_lot_id: str
    movement_id: str
    item_sku: str
    place: Place
    document: DocumentRef
    accepted: Decimal
    rejected: Decimal
    decided_by: str
    plan_version: int
    decided_at: datetime


@dataclass
class InspectionLot:
    id: str
    movement_id: str
    item_sku: str
    place: Place
    # In the item's base unit.
    quantity: Decimal
    document: DocumentRef
    supplier: str
    supplier_lot: str
    plan: InspectionPlan
    sampling: SamplingPlan
    opened_at: datetime
    results: list[Result] = field(default_factory=list)
    decision: Decision | None = None
    opened_by: str = ""
    # Why stock was put on hold by hand.
    reason: str = ""
    # Why stock refused a hold by hand.
    hold_refusal: str = ""
    events: list[object] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def open(
        cls,
        *,
        id: str,
        movement_id: str,
        item_sku: str,
        place: Place,
        quantity: Decimal,
        document: DocumentRef,
        supplier: str,
        supplier_lot: str,
        plan: InspectionPlan,
        now: datetime,
        opened_by: str = "",
    ) -> InspectionLot:
        """The lot for the goods one stock movement put on hold, judged by `plan` (the one in force)."""
        if not movement_id:
            raise DomainError(
                ErrorCode.REQUIRED, "an inspection lot names the movement that held its goods", "movement_id"
            )
        return cls._new(
            id, movement_id, item_sku, place, quantity, document, supplier, supplier_lot, plan, now, opened_by, ""
        )

    @classmethod
    def hold_by_hand(
        cls,
        *,
        id: str,
        item_sku: str,
        place: Place,
        quantity: Decimal,
        reason: str,
        supplier: str,
        supplier_lot: str,
        plan: InspectionPlan,
        actor: str,
        now: datetime,
    ) -> InspectionLot:
        """A lot for AVAILABLE stock someone puts on hold: HOLDING until stock has posted the
        hold (`held`), the lot itself being the hold's document."""
        why = bounded(reason.strip(), "reason", TEXT)
        if not why:
            raise DomainError(ErrorCode.REQUIRED, "a hold by hand says why", "reason")
        if not place.warehouse or not place.location:
            raise DomainError(
                ErrorCode.REQUIRED, "a hold names the warehouse and location of the stock", "place.location"
            )
        document = DocumentRef(DocumentType.MANUAL_HOLD, id)
        return cls._new(id, "", item_sku, place, quantity, document, supplier, supplier_lot, plan, now, actor, why)

    @classmethod
    def _new(
        cls,
        id: str,
        movement_id: str,
        item_sku: str,
        place: Place,
        quantity: Decimal,
        document: DocumentRef,
        supplier: str,
        supplier_lot: str,
        plan: InspectionPlan,
        now: datetime,
        opened_by: str,
        reason: str,
    ) -> InspectionLot:
        require_aware(now)
        amount = parse_decimal(quantity, "quantity", strictly_positive=True)
        if plan.state is not PlanState.ACTIVE or plan.item_sku != item_sku:
            raise ValueError(f"plan {plan.id} ({plan.state}, {plan.item_sku}) is not in force for {item_sku}")
        lot = cls(
            id,
            movement_id,
            item_sku,
            place,
            amount,
            document,
            bounded(supplier.strip(), "supplier", ID),
            bounded(supplier_lot.strip(), "supplier_lot", ID),
            plan,
            plan.sampling.for_lot(units_of(amount)),
            now,
            opened_by=opened_by,
            reason=reason,
        )
        lot.events.append(InspectionLotOpened(lot))
        return lot

    # the hold by hand

    @property
    def state(self) -> LotState:
        if self.decision is not None:
            return LotState.DECIDED
        if self.hold_refusal:
            return LotState.NOT_HELD
        return LotState.OPEN if self.movement_id else LotState.HOLDING

    def held(self, movement_id: str) -> None:
        """Stock posted the hold by hand as `movement_id`: the lot is open for a decision."""
        if self.state is LotState.HOLDING:
            self.movement_id = movement_id

    def not_held(self, refusal: str) -> None:
        """Stock refused the hold by hand (not that much AVAILABLE there, say)."""
        if self.state is LotState.HOLDING:
            self.hold_refusal = refusal or "refused by stock"

    # results

    def record_measurement(
        self, sample: int, characteristic: str, value: Decimal, inspector: str, now: datetime
    ) -> Result:
        """A value measured on `sample`, conforming if it lies within the characteristic's limits."""
        checked = self._open_for_result(sample, characteristic, now)
        if not isinstance(checked, Measured):
            raise DomainError(
                ErrorCode.INVALID_FORMAT, f"{characteristic} is an attribute: record pass or fail, not a value", "value"
            )
        measured = parse_decimal(value, "value")
        return self._add(Result(sample, characteristic, checked.conforms(measured), measured, "", inspector, now))

    def record_attribute(
        self, sample: int, characteristic: str, passed: bool, defect_code: str, inspector: str, now: datetime
    ) -> Result:
        """An attribute checked on `sample`: a pass names no defect, a fail one of those allowed."""
        checked = self._open_for_result(sample, characteristic, now)
        if not isinstance(checked, Attribute):
            raise DomainError(
                ErrorCode.INVALID_FORMAT, f"{characteristic} is measured: record its value, not pass or fail", "passed"
            )
        defect = defect_code.strip().upper()
        if passed and defect:
            raise DomainError(ErrorCode.MUTUALLY_EXCLUSIVE, "a passed check names no defect", "defect_code")
        if not passed and defect not in checked.defect_codes:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE if defect else ErrorCode.REQUIRED,
                f"a failed {characteristic} check names one of {', '.join(checked.defect_codes)}",
                "defect_code",
            )
        return self._add(Result(sample, characteristic, passed, None, defect, inspector, now))

    def _open_for_result(self, sample: int, characteristic: str, now: datetime) -> Measured | Attribute:
        require_aware(now)
        self._require_undecided()
        if self.state is LotState.NOT_HELD:
            refusal = f"stock refused to hold lot {self.id}: {self.hold_refusal}"
            raise DomainError(ErrorCode.INVALID_STATE, refusal, "inspection_lot_id")
        if not 1 <= sample <= self.sampling.sample_size:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE, f"sample must be from 1 to {self.sampling.sample_size}, not {sample}", "sample"
            )
        checked = self.plan.characteristic(characteristic)
        if any(r.sample == sample and r.characteristic == characteristic for r in self.results):
            raise DomainError(
                ErrorCode.ALREADY_EXISTS, f"sample {sample} already has a result for {characteristic}", "sample"
            )
        return checked

    def _add(self, result: Result) -> Result:
        self.results.append(result)
        return result

    # verdict

    @property
    def defective_samples(self) -> int:
        """Samples with at least one nonconforming result: each counts once however many
        characteristics it fails."""
        return len({result.sample for result in self.results if not result.conforming})

    @property
    def inspected_samples(self) -> int:
        """Samples with a result for every characteristic of the plan."""
        wanted = len(self.plan.characteristics)
        per_sample: dict[int, int] = {}
        for result in self.results:
            per_sample[result.sample] = per_sample.get(result.sample, 0) + 1
        return sum(1 for count in per_sample.values() if count == wanted)

    @property
    def verdict(self) -> Verdict:
        """REJECT once the defective samples reach the reject number; ACCEPT once every sample
        is inspected with no more than the accept number defective; UNDECIDED before."""
        if self.defective_samples >= self.sampling.reject:
            return Verdict.REJECT
        if self.inspected_samples == self.sampling.sample_size:
            return Verdict.ACCEPT
        return Verdict.UNDECIDED

    @property
    def inspectors(self) -> frozenset[str]:
        return frozenset(result.inspector for result in self.results)

    # decision

    def decide(
        self,
        *,
        decision_id: str,
        outcome: Outcome,
        actor: str,
        roles: Collection[str],
        now: datetime,
        accepted: Decimal | None = None,
        rejected: Decimal | None = None,
    ) -> Decision:
        """Decide the lot once: accept or reject all of it, or (PARTIAL) accept `accepted` and
        reject `rejected`, which add up to its quantity. Only someone who recorded a result
        on it decides, unless they hold a supervisor's role."""
        require_aware(now)
        self._require_undecided()
        if self.state is not LotState.OPEN:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"lot {self.id} is {self.state}: only stock on hold is decided",
                "inspection_lot_id",
            )
        if actor not in self.inspectors and not SUPERVISOR_ROLES & set(roles):
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                f"{actor} recorded no result on lot {self.id}; deciding it needs a supervisor",
                "decided_by",
            )
        kept, refused = self._split(outcome, accepted, rejected)
        decision = Decision(decision_id, outcome, kept, refused, self.verdict, actor, now)
        self.decision = decision
        self.events.append(
            InspectionDecided(
                decision_id,
                self.id,
                self.movement_id,
                self.item_sku,
                self.place,
                self.document,
                kept,
                refused,
                actor,
                self.plan.version,
                now,
            )
        )
        return decision

    def _split(self, outcome: Outcome, accepted: Decimal | None, rejected: Decimal | None) -> tuple[Decimal, Decimal]:
        if outcome is not Outcome.PARTIAL:
            if accepted is not None or rejected is not None:
                raise DomainError(
                    ErrorCode.MUTUALLY_EXCLUSIVE,
                    f"{outcome} takes the whole lot; quantities are for PARTIAL",
                    "accepted",
                )
            nothing = Decimal(0)
            return (self.quantity, nothing) if outcome is Outcome.ACCEPT else (nothing, self.quantity)
        if accepted is None or rejected is None:
            raise DomainError(
                ErrorCode.REQUIRED,
                "a partial decision gives the accepted and the rejected quantity",
                "accepted" if accepted is None else "rejected",
            )
        kept = parse_decimal(accepted, "accepted", minimum=Decimal(0))
        refused = parse_decimal(rejected, "rejected", minimum=Decimal(0))
        if kept + refused != self.quantity:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"accepted {kept} and rejected {refused} make {kept + refused}, not the lot's {self.quantity}",
                "rejected",
            )
        return kept, refused

    def _require_undecided(self) -> None:
        if self.decision is not None:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"lot {self.id} was decided ({self.decision.outcome}) by {self.decision.decided_by}",
                "inspection_lot_id",
            )
