"""The quality service's commands, as its servicer hands them to the dispatcher: what was
sent, still as text (decimals as strings), checked by the handlers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CharacteristicInput:
    code: str
    name: str
    # MEASURED or ATTRIBUTE; empty when the request gave neither.
    kind: str
    nominal: str = ""
    lower: str = ""
    upper: str = ""
    unit: str = ""
    defect_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SamplingInput:
    # FIXED or AQL; empty when the request gave neither.
    kind: str
    size: int = 0
    accept: int = 0
    level: str = ""
    aql: str = ""


@dataclass(frozen=True)
class DraftPlan:
    item_sku: str
    supplier: str
    characteristics: tuple[CharacteristicInput, ...]
    sampling: SamplingInput


@dataclass(frozen=True)
class RevisePlan:
    plan_id: str
    characteristics: tuple[CharacteristicInput, ...]
    sampling: SamplingInput


@dataclass(frozen=True)
class ActivatePlan:
    plan_id: str


@dataclass(frozen=True)
class OpenManualLot:
    item_sku: str
    warehouse: str
    location: str
    lot: str
    quantity: str
    reason: str
    supplier: str
    supplier_lot: str


@dataclass(frozen=True)
class ResultInput:
    sample: int
    characteristic: str
    # Set for a measured characteristic; None for an attribute's pass or fail.
    value: str | None
    passed: bool
    defect_code: str


@dataclass(frozen=True)
class RecordResults:
    inspection_lot_id: str
    results: tuple[ResultInput, ...]


@dataclass(frozen=True)
class DecideLot:
    inspection_lot_id: str
    # ACCEPT, REJECT or PARTIAL; empty when the request gave none.
    outcome: str
    accepted: str
    rejected: str


@dataclass(frozen=True)
class HeldMovement:
    """A stock movement that put goods into QC_HOLD, as quality's consumer reads it."""

    movement_id: str
    movement_type: str
    item_sku: str
    quantity: str
    warehouse: str
    location: str
    lot: str
    status: str
    document_type: str
    document_id: str
    document_line: str
    # Who posted the movement: the lot is opened in their name.
    actor: str
    # A purchase receipt's supplier, and the supplier's lot number where it differs.
    supplier: str = ""
    supplier_lot: str = ""


@dataclass(frozen=True)
class UpdateNonConformance:
    ncr_id: str
    # None leaves the root cause as it is.
    root_cause: str | None
    # Added to those kept.
    photos: tuple[str, ...]


@dataclass(frozen=True)
class PlanDisposition:
    ncr_id: str
    # RETURN_TO_SUPPLIER, SCRAP, REWORK or USE_AS_IS; empty when the request gave none.
    kind: str
    quantity: str


@dataclass(frozen=True)
class ApproveUseAsIs:
    ncr_id: str
    disposition_id: str


@dataclass(frozen=True)
class WithdrawDisposition:
    ncr_id: str
    disposition_id: str


@dataclass(frozen=True)
class CloseNonConformance:
    ncr_id: str


@dataclass(frozen=True)
class TraceStart:
    """A stock lot (item and lot), or a supplier's lot (item, supplier and their number)."""

    item_sku: str
    lot: str
    supplier: str
    supplier_lot: str


@dataclass(frozen=True)
class HoldRecalledLots:
    start: TraceStart
    reason: str
