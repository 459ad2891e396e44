"""Inspection plans: what to check on an item and how much of a lot to check.

A plan is kept per item, or per item and supplier (which then wins over the item's own). Its
characteristics are measured (a value against limits) or attributes (pass or fail, with the
defect codes a failure may name). It samples either a fixed number of units or by AQL
through MIL-STD-105E. Plans are versioned as bills of materials are: a draft is edited,
activated, and supersedes the version it replaces; an inspection lot keeps the version it
was opened with, so a decision always names the plan it was judged by.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from invariant_kernel.decimals import parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, quoted
from invariant_kernel.limits import CODE, NAME, bounded
from quality.domain.sampling import InspectionLevel, SamplingPlan, aql_column, plan_for_lot, sized_to_lot

# Characteristics per plan: every sample is checked against each of them.
MAX_CHARACTERISTICS = 50
# The version of the plan an item flagged for inspection gets when it has none of its own.
DEFAULT_VERSION = 0
VISUAL_CHECK = "VISUAL"
# Lots judged by the default plan are sampled at the AQL most receiving inspections use for
# general visual defects, at the standard's general inspection level.
DEFAULT_AQL = Decimal("2.5")
DEFAULT_DEFECT_CODES = ("DAMAGED", "WRONG_ITEM", "CONTAMINATED", "MISLABELLED", "OTHER")


class PlanState(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    SUPERSEDED = "SUPERSEDED"


@dataclass(frozen=True)
class Measured:
    """A value measured on each sample, conforming within [lower, upper] (a missing limit
    leaves that side open)."""

    code: str
    name: str
    nominal: Decimal
    lower: Decimal | None
    upper: Decimal | None
    unit: str

    @classmethod
    def of(cls, code: str, name: str, nominal: str, lower: str, upper: str, unit: str) -> Measured:
        low = parse_decimal(lower, "lower") if lower.strip() else None
        high = parse_decimal(upper, "upper") if upper.strip() else None
        middle = parse_decimal(nominal, "nominal")
        if low is None and high is None:
            raise DomainError(ErrorCode.REQUIRED, "a measured characteristic needs a lower or an upper limit", "lower")
        if low is not None and high is not None and low >= high:
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"upper ({high}) must be above lower ({low})", "upper")
        if (low is not None and middle < low) or (high is not None and middle > high):
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"nominal ({middle}) must lie within the limits", "nominal")
        unit_code = _required(unit.strip(), "unit")
        return cls(_code(code, "code"), _name(name), middle, low, high, unit_code)

    def conforms(self, value: Decimal) -> bool:
        return (self.lower is None or value >= self.lower) and (self.upper is None or value <= self.upper)


@dataclass(frozen=True)
class Attribute:
    """A pass or fail check on each sample; a failure names one of `defect_codes`."""

    code: str
    name: str
    defect_codes: tuple[str, ...]

    @classmethod
    def of(cls, code: str, name: str, defect_codes: Sequence[str]) -> Attribute:
        codes = tuple(_code(defect, "defect_codes") for defect in defect_codes)
        if not codes:
            raise DomainError(ErrorCode.REQUIRED, "an attribute needs at least one defect code", "defect_codes")
        if len(set(codes)) != len(codes):
            raise DomainError(ErrorCode.ALREADY_EXISTS, "an attribute names each defect code once", "defect_codes")
        return cls(_code(code, "code"), _name(name), codes)


Characteristic = Measured | Attribute


@dataclass(frozen=True)
class FixedSample:
    """A fixed number of units, accepted with at most `accept` of them defective."""

    size: int
    accept: int

    @classmethod
    def of(cls, size: int, accept: int) -> FixedSample:
        if size < 1:
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"sample_size must be at least 1, not {size}", "sample_size")
        if not 0 <= accept < size:
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"accept must be from 0 to {size - 1}, not {accept}", "accept")
        return cls(size, accept)

    def for_lot(self, lot_size: int) -> SamplingPlan:
        return sized_to_lot(SamplingPlan(self.size, self.accept, self.accept + 1), lot_size)


@dataclass(frozen=True)
class AqlSampling:
    """A sample by lot size and AQL from MIL-STD-105E, normal inspection."""

    level: InspectionLevel
    aql: Decimal

    @classmethod
    def of(cls, level: str, aql: str) -> AqlSampling:
        try:
            chosen = InspectionLevel(level.strip() or InspectionLevel.II)
        except ValueError:
            raise DomainError(ErrorCode.OUT_OF_RANGE, "level must be I, II or III", "level") from None
        aql_column(aql)
        return cls(chosen, Decimal(aql.strip()))

    def for_lot(self, lot_size: int) -> SamplingPlan:
        return plan_for_lot(lot_size, self.aql, self.level)


Sampling = FixedSample | AqlSampling


@dataclass(frozen=True)
class PlanActivated:
    plan_id: str
    item_sku: str
    supplier: str
    version: int
    superseded_plan_id: str


@dataclass
class InspectionPlan:
    id: str
    item_sku: str
    # Empty: the item's plan for every supplier.
    supplier: str
    version: int
    state: PlanState
    characteristics: tuple[Characteristic, ...]
    sampling: Sampling
    created_by: str
    created_at: datetime
    activated_at: datetime | None = None
    superseded_at: datetime | None = None
    events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def new_draft(
        cls,
        *,
        id: str,
        item_sku: str,
        supplier: str,
        version: int,
        characteristics: Sequence[Characteristic],
        sampling: Sampling,
        actor: str,
        now: datetime,
    ) -> InspectionPlan:
        """Version `version` of the item's (and supplier's) plan; the caller numbers it one
        above the highest it has."""
        require_aware(now)
        plan = cls(id, item_sku, supplier, version, PlanState.DRAFT, (), sampling, actor, now)
        plan.revise(characteristics, sampling)
        return plan

    def revise(self, characteristics: Sequence[Characteristic], sampling: Sampling) -> None:
        """Replace a draft's characteristics and sampling; an active plan is changed by a new version."""
        if self.state is not PlanState.DRAFT:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"version {self.version} of the plan for {self.item_sku} is {self.state}; make a new version",
                "plan_id",
            )
        if not characteristics:
            raise DomainError(ErrorCode.REQUIRED, "a plan checks at least one characteristic", "characteristics")
        if len(characteristics) > MAX_CHARACTERISTICS:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"a plan checks at most {MAX_CHARACTERISTICS} characteristics",
                "characteristics",
            )
        codes = [characteristic.code for characteristic in characteristics]
        if len(set(codes)) != len(codes):
            raise DomainError(
                ErrorCode.ALREADY_EXISTS, "each characteristic of a plan has its own code", "characteristics"
            )
        self.characteristics = tuple(characteristics)
        self.sampling = sampling

    def activate(self, in_force: InspectionPlan | None, now: datetime) -> None:
        """Put this draft in force, superseding the version it replaces (the same item and
        supplier's active plan, if any)."""
        require_aware(now)
        if self.state is not PlanState.DRAFT:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"version {self.version} of the plan for {self.item_sku} is {self.state}; only a draft is activated",
                "plan_id",
            )
        superseded = ""
        if in_force is not None:
            if (in_force.item_sku, in_force.supplier) != (self.item_sku, self.supplier):
                raise ValueError(f"plan {in_force.id} is not one of {self.item_sku}/{self.supplier}'s")
            if in_force.version >= self.version:
                raise DomainError(
                    ErrorCode.INVALID_STATE,
                    f"version {in_force.version} is in force; version {self.version} cannot supersede it",
                    "plan_id",
                )
            in_force.state = PlanState.SUPERSEDED
            in_force.superseded_at = now
            superseded = in_force.id
        self.state = PlanState.ACTIVE
        self.activated_at = now
        self.events.append(PlanActivated(self.id, self.item_sku, self.supplier, self.version, superseded))

    def characteristic(self, code: str) -> Characteristic:
        for characteristic in self.characteristics:
            if characteristic.code == code.strip().upper():
                return characteristic
        raise DomainError(
            ErrorCode.NOT_FOUND,
            f"version {self.version} of the plan for {self.item_sku} has no characteristic {quoted(code)}",
            "characteristic",
        )


def default_plan(item_sku: str, now: datetime) -> InspectionPlan:
    """The plan of an item flagged for inspection that has none of its own: one visual check
    of each sample, sampled at AQL 2.5, level II. It is version 0, in force from `now`."""
    visual = Attribute(VISUAL_CHECK, "Visual check", DEFAULT_DEFECT_CODES)
    sampling = AqlSampling(InspectionLevel.II, DEFAULT_AQL)
    return InspectionPlan(
        f"default:{item_sku}", item_sku, "", DEFAULT_VERSION, PlanState.ACTIVE, (visual,), sampling, "", now, now
    )


def plan_in_force(plans: Iterable[InspectionPlan], item_sku: str, supplier: str, now: datetime) -> InspectionPlan:
    """The plan a lot of `item_sku` from `supplier` is inspected by: the supplier's own active
    plan for the item, else the item's, else the default one."""
    active = {plan.supplier: plan for plan in plans if plan.item_sku == item_sku and plan.state is PlanState.ACTIVE}
    return active.get(supplier) or active.get("") or default_plan(item_sku, now)


def _code(value: str, field: str) -> str:
    """Codes are upper-case, so that a result names a characteristic or defect however it is typed."""
    return _required(value.strip().upper(), field)


def _required(text: str, field: str) -> str:
    bounded(text, field, CODE)
    if not text:
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    return text


def _name(value: str) -> str:
    return bounded(value.strip(), "name", NAME)


def require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("times are timezone-aware")
