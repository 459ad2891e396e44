"""Quality mutation inputs, each turned into its gRPC request by `to_proto`.

Plans and lots are named by their global ids, read back to the service's ids here. `fields`
names the request's fields that an input holds elsewhere, so that a refusal names the field
the client sent: a characteristic's limits are in its `measured` member, a hold's place is
the input's own `warehouse` and `location`.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping

import strawberry

from gateway.convert import decimal_to_proto, enum_to_proto
from gateway.idempotency import IDEMPOTENCY_KEY_HELP, key
from gateway.nodes import local_id
from gateway.quality.types import (
    DispositionKind,
    InspectionLevel,
    InspectionLot,
    InspectionOutcome,
    InspectionPlan,
    NonConformance,
)
from invariant.quality.v1 import quality_pb2 as pb

CODE_HELP = "The characteristic's code, unique within the plan, kept upper-case: what results name (case is ignored)."
NAME_HELP = "What is checked, for a person; required."
# The service's names of a characteristic's fields, as each member of CharacteristicInput has them.
MEASURED_FIELDS = {name: name for name in ("code", "name", "nominal", "lower", "upper", "unit")}
ATTRIBUTE_FIELDS = {"code": "code", "name": "name", "defect_codes": "defectCodes"}
# The service's names of a hold's place, which HoldForInspectionInput holds as its own fields.
HOLD_FIELDS = {"place.warehouse": "warehouse", "place.location": "location", "place.lot": "lot"}
# The service's name of the record every NCR command names.
NCR_FIELDS = {"ncr_id": "nonConformanceId"}
# The service's names of a sampling's fields, and where SamplingInput has them.
SAMPLING_FIELDS = {
    "sampling.sample_size": "sampling.fixed.size",
    "sampling.accept": "sampling.fixed.accept",
    "sampling.level": "sampling.aql.level",
    "sampling.aql": "sampling.aql.aql",
}


@strawberry.input(description="A value measured on each sample, conforming within its limits (inclusive).")
class MeasuredCharacteristicInput:
    code: str = strawberry.field(description=CODE_HELP)
    name: str = strawberry.field(description=NAME_HELP)
    nominal: decimal.Decimal = strawberry.field(description="The value aimed at; it must lie within the limits.")
    lower: decimal.Decimal | None = strawberry.field(
        default=None, description="The lowest conforming value; null: no lower limit (one of the two is required)."
    )
    upper: decimal.Decimal | None = strawberry.field(
        default=None, description="The highest conforming value, above `lower`; null: no upper limit."
    )
    unit: str = strawberry.field(description="The unit the values are in, e.g. MM.")

    def to_proto(self) -> pb.Characteristic:
        measured = pb.MeasuredCharacteristic(nominal=decimal_to_proto(self.nominal), unit=self.unit)
        if self.lower is not None:
            measured.lower.CopyFrom(decimal_to_proto(self.lower))
        if self.upper is not None:
            measured.upper.CopyFrom(decimal_to_proto(self.upper))
        return pb.Characteristic(code=self.code, name=self.name, measured=measured)


@strawberry.input(description="A check passed or failed on each sample; a failure names one of its defect codes.")
class AttributeCharacteristicInput:
    code: str = strawberry.field(description=CODE_HELP)
    name: str = strawberry.field(description=NAME_HELP)
    defect_codes: list[str] = strawberry.field(
        description="The defects a failed check may name, at least one, each once; a result names one exactly."
    )

    def to_proto(self) -> pb.Characteristic:
        attribute = pb.AttributeCharacteristic(defect_codes=self.defect_codes)
        return pb.Characteristic(code=self.code, name=self.name, attribute=attribute)


@strawberry.input(one_of=True, description="One characteristic a plan checks: measured or an attribute, exactly one.")
class CharacteristicInput:
    measured: MeasuredCharacteristicInput | None = strawberry.field(
        default=strawberry.UNSET, description="A value measured against limits."
    )
    attribute: AttributeCharacteristicInput | None = strawberry.field(
        default=strawberry.UNSET, description="A pass or fail with defect codes."
    )

    def to_proto(self) -> pb.Characteristic:
        # @oneOf lets exactly one member through, and never as null.
        return self.measured.to_proto() if self.measured else self.attribute.to_proto()  # type: ignore[union-attr]

    def fields(self, at: str) -> dict[str, str]:
        """Where this input has each of the service's fields of the characteristic at `at`."""
        member, names = ("measured", MEASURED_FIELDS) if self.measured else ("attribute", ATTRIBUTE_FIELDS)
        return {f"{at}.{name}": f"{at}.{member}.{path}" for name, path in names.items()}


@strawberry.input(description="A fixed number of units from every lot.")
class FixedSamplingInput:
    size: int = strawberry.field(description="How many units to inspect, at least 1 (every unit of a smaller lot).")
    accept: int = strawberry.field(
        default=0, description="The most defective units a lot passes with, from 0 to one below `size`."
    )


@strawberry.input(description="Samples by lot size and AQL from MIL-STD-105E single sampling, normal inspection.")
class AqlSamplingInput:
    aql: decimal.Decimal = strawberry.field(
        description="The acceptable quality level in percent defective, one of the standard's series: 0.010, 0.015, "
        "0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10, 15, 25, 40, 65, 100, 150, "
        "250, 400, 650, 1000."
    )
    level: InspectionLevel = strawberry.field(
        default=InspectionLevel.II, description="The general inspection level; II unless given."
    )


@strawberry.input(
    one_of=True, description="How much of each lot a plan inspects: exactly one of a fixed sample or AQL."
)
class SamplingInput:
    fixed: FixedSamplingInput | None = strawberry.field(default=strawberry.UNSET, description="A fixed sample.")
    aql: AqlSamplingInput | None = strawberry.field(
        default=strawberry.UNSET, description="By lot size and AQL (MIL-STD-105E)."
    )

    def to_proto(self) -> pb.Sampling:
        if self.fixed:
            return pb.Sampling(fixed=pb.FixedSampling(size=self.fixed.size, accept=self.fixed.accept))
        chosen: AqlSamplingInput = self.aql  # type: ignore[assignment]
        level = enum_to_proto(pb.InspectionLevel, chosen.level)
        return pb.Sampling(aql=pb.AqlSampling(level=level, aql=decimal_to_proto(chosen.aql)))


def plan_fields(characteristics: list[CharacteristicInput]) -> Mapping[str, str]:
    """Where a plan's input has each field of the service's plan request that it names otherwise."""
    named = dict(SAMPLING_FIELDS)
    for index, characteristic in enumerate(characteristics):
        named |= characteristic.fields(f"characteristics[{index}]")
    return named


CHARACTERISTICS_HELP = "What to check on every sample, 1 or more, each with its own code."


@strawberry.input(
    description="A new plan version for an item (optionally for one supplier's deliveries of it), as a DRAFT: "
    "one above the highest version there is."
)
class DraftInspectionPlanInput:
    item_sku: str = strawberry.field(description="The item's SKU; case is ignored. An unknown item is refused.")
    characteristics: list[CharacteristicInput] = strawberry.field(description=CHARACTERISTICS_HELP)
    sampling: SamplingInput = strawberry.field(description="How much of each lot to inspect.")
    supplier: str | None = strawberry.field(
        default=None,
        description="A supplier's code: the plan judges only that supplier's deliveries, ahead of the item's own "
        "plan; null for every supplier.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.DraftPlanRequest:
        return pb.DraftPlanRequest(
            idempotency_key=key(self.idempotency_key),
            item_sku=self.item_sku,
            supplier=self.supplier or "",
            characteristics=[characteristic.to_proto() for characteristic in self.characteristics],
            sampling=self.sampling.to_proto(),
        )


@strawberry.input(description="A DRAFT plan's characteristics and sampling, replaced as a whole.")
class ReviseInspectionPlanInput:
    plan_id: strawberry.ID = strawberry.field(description="The DRAFT plan's `id`.")
    characteristics: list[CharacteristicInput] = strawberry.field(description=CHARACTERISTICS_HELP)
    sampling: SamplingInput = strawberry.field(description="How much of each lot to inspect.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.RevisePlanRequest:
        return pb.RevisePlanRequest(
            idempotency_key=key(self.idempotency_key),
            plan_id=local_id(self.plan_id, InspectionPlan, "planId"),
            characteristics=[characteristic.to_proto() for characteristic in self.characteristics],
            sampling=self.sampling.to_proto(),
        )


@strawberry.input(
    description="Puts a DRAFT plan in force; the version in force for its item and supplier is SUPERSEDED."
)
class ActivateInspectionPlanInput:
    plan_id: strawberry.ID = strawberry.field(description="The DRAFT plan's `id`.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ActivatePlanRequest:
        return pb.ActivatePlanRequest(
            idempotency_key=key(self.idempotency_key), plan_id=local_id(self.plan_id, InspectionPlan, "planId")
        )


@strawberry.input(
    description="One characteristic checked on one sample: a `value` for a measured characteristic; `passed`, or "
    "a failure naming `defectCode`, for an attribute."
)
class InspectionResultInput:
    sample: int = strawberry.field(description="The sample's number, 1 to the lot's sample size.")
    characteristic: str = strawberry.field(
        description="The code of one of the plan's characteristics; case is ignored."
    )
    value: decimal.Decimal | None = strawberry.field(
        default=None, description="The value measured, for a measured characteristic; null for an attribute."
    )
    passed: bool = strawberry.field(default=False, description="For an attribute: whether the check passed.")
    defect_code: str | None = strawberry.field(
        default=None, description="For a failed attribute: one of its defect codes; null when it passed."
    )

    def to_proto(self) -> pb.ResultInput:
        result = pb.ResultInput(
            sample=self.sample,
            characteristic=self.characteristic,
            passed=self.passed,
            defect_code=self.defect_code or "",
        )
        if self.value is not None:
            result.value.CopyFrom(decimal_to_proto(self.value))
        return result


@strawberry.input(description="Results for an inspection lot, all recorded or none, as the caller (the inspector).")
class RecordInspectionResultsInput:
    inspection_lot_id: strawberry.ID = strawberry.field(description="The lot's `id`.")
    results: list[InspectionResultInput] = strawberry.field(
        description="At least one; each sample and characteristic once over all the lot's results."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.RecordResultsRequest:
        return pb.RecordResultsRequest(
            idempotency_key=key(self.idempotency_key),
            inspection_lot_id=local_id(self.inspection_lot_id, InspectionLot, "inspectionLotId"),
            results=[result.to_proto() for result in self.results],
        )


@strawberry.input(
    description="Decides an OPEN inspection lot once: accept or reject all of it, or PARTIAL with `accepted` + "
    "`rejected` = its quantity. Stock then moves the goods by itself."
)
class DecideInspectionLotInput:
    inspection_lot_id: strawberry.ID = strawberry.field(description="The lot's `id`.")
    outcome: InspectionOutcome = strawberry.field(description="ACCEPT, REJECT or PARTIAL.")
    accepted: decimal.Decimal | None = strawberry.field(
        default=None, description="For PARTIAL only: what becomes AVAILABLE, at least 0, in the item's base unit."
    )
    rejected: decimal.Decimal | None = strawberry.field(
        default=None, description="For PARTIAL only: what becomes REJECTED in quarantine, at least 0."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.DecideLotRequest:
        request = pb.DecideLotRequest(
            idempotency_key=key(self.idempotency_key),
            inspection_lot_id=local_id(self.inspection_lot_id, InspectionLot, "inspectionLotId"),
            outcome=enum_to_proto(pb.Outcome, self.outcome),
        )
        if self.accepted is not None:
            request.accepted.CopyFrom(decimal_to_proto(self.accepted))
        if self.rejected is not None:
            request.rejected.CopyFrom(decimal_to_proto(self.rejected))
        return request


@strawberry.input(
    description="Puts AVAILABLE stock on hold for inspection by hand (a complaint, a suspect batch): a lot is "
    "opened and stock moves the quantity to QC_HOLD where it is; what reservations held there becomes a shortage."
)
class HoldForInspectionInput:
    item_sku: str = strawberry.field(description="The item's SKU; case is ignored.")
    warehouse: str = strawberry.field(description="The warehouse's code; case is ignored.")
    location: str = strawberry.field(description="The location's code in that warehouse; case is ignored.")
    lot: str | None = strawberry.field(
        default=None, description="The stock lot, as printed; null for an item without lots."
    )
    quantity: decimal.Decimal = strawberry.field(
        description="How much, in the item's base unit: above zero, AVAILABLE there."
    )
    reason: str = strawberry.field(description="Why it is held; required, kept on the lot.")
    supplier: str | None = strawberry.field(
        default=None, description="Whose goods they are, where known: that supplier's plan then applies."
    )
    supplier_lot: str | None = strawberry.field(
        default=None, description="The supplier's own lot number, where it differs from the stock lot."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.OpenManualLotRequest:
        return pb.OpenManualLotRequest(
            idempotency_key=key(self.idempotency_key),
            item_sku=self.item_sku,
            place=pb.HeldPlace(warehouse=self.warehouse, location=self.location, lot=self.lot or ""),
            quantity=decimal_to_proto(self.quantity),
            reason=self.reason,
            supplier=self.supplier or "",
            supplier_lot=self.supplier_lot or "",
        )


NCR_HELP = "The NCR's `id`."


def _ncr(value: strawberry.ID) -> str:
    return local_id(value, NonConformance, "nonConformanceId")


@strawberry.input(description="States an NCR's root cause and adds photo references; what is not given stays.")
class UpdateNonConformanceInput:
    non_conformance_id: strawberry.ID = strawberry.field(description=NCR_HELP)
    root_cause: str | None = strawberry.field(
        default=None, description="The root cause found, replacing the one stated before; null leaves it."
    )
    photos: list[str] = strawberry.field(
        default_factory=list, description="References to photos (URLs or object keys), added to those kept."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.UpdateNonConformanceRequest:
        request = pb.UpdateNonConformanceRequest(
            idempotency_key=key(self.idempotency_key), ncr_id=_ncr(self.non_conformance_id), photos=self.photos
        )
        if self.root_cause is not None:
            request.root_cause = self.root_cause
        return request


@strawberry.input(
    description="Plans what is done with some of an NCR's rejected units, within those no disposition holds yet."
)
class PlanDispositionInput:
    non_conformance_id: strawberry.ID = strawberry.field(description=NCR_HELP)
    kind: DispositionKind = strawberry.field(description="What is done with the units.")
    quantity: decimal.Decimal = strawberry.field(
        description="How many units, in the item's base unit: above zero, at most the NCR's `unplanned`."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.PlanDispositionRequest:
        return pb.PlanDispositionRequest(
            idempotency_key=key(self.idempotency_key),
            ncr_id=_ncr(self.non_conformance_id),
            kind=enum_to_proto(pb.DispositionKind, self.kind),
            quantity=decimal_to_proto(self.quantity),
        )


@strawberry.input(description="One disposition of an NCR.")
class _DispositionInput:
    non_conformance_id: strawberry.ID = strawberry.field(description=NCR_HELP)
    disposition_id: strawberry.ID = strawberry.field(description="The disposition's `dispositionId`.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)


@strawberry.input(description="A manager's approval of a USE_AS_IS disposition someone else asked for.")
class ApproveUseAsIsInput(_DispositionInput):
    def to_proto(self) -> pb.ApproveUseAsIsRequest:
        return pb.ApproveUseAsIsRequest(
            idempotency_key=key(self.idempotency_key),
            ncr_id=_ncr(self.non_conformance_id),
            disposition_id=self.disposition_id,
        )


@strawberry.input(description="Takes back a PLANNED disposition stock has not been asked to carry out.")
class WithdrawDispositionInput(_DispositionInput):
    def to_proto(self) -> pb.WithdrawDispositionRequest:
        return pb.WithdrawDispositionRequest(
            idempotency_key=key(self.idempotency_key),
            ncr_id=_ncr(self.non_conformance_id),
            disposition_id=self.disposition_id,
        )


@strawberry.input(description="Closes an NCR whose every rejected unit was carried out.")
class CloseNonConformanceInput:
    non_conformance_id: strawberry.ID = strawberry.field(description=NCR_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CloseNonConformanceRequest:
        return pb.CloseNonConformanceRequest(
            idempotency_key=key(self.idempotency_key), ncr_id=_ncr(self.non_conformance_id)
        )


@strawberry.input(description="A stock lot: an item's lot as printed on it.")
class StockLotInput:
    item_sku: str = strawberry.field(description="The item's SKU; case is ignored.")
    lot: str = strawberry.field(description="The stock lot, as printed.")


@strawberry.input(description="A supplier's lot, by the supplier's own number, as its receipts recorded it.")
class SupplierLotInput:
    item_sku: str = strawberry.field(description="The item's SKU; case is ignored.")
    supplier: str = strawberry.field(description="The supplier's code.")
    supplier_lot: str = strawberry.field(description="The supplier's own lot number.")


@strawberry.input(one_of=True, description="Where a trace starts: a stock lot or a supplier's lot, exactly one.")
class TraceStartInput:
    stock_lot: StockLotInput | None = strawberry.field(default=strawberry.UNSET, description="A stock lot.")
    supplier_lot: SupplierLotInput | None = strawberry.field(
        default=strawberry.UNSET, description="A supplier's lot: every stock lot it came in as."
    )

    def to_proto(self) -> pb.TraceStart:
        if self.stock_lot:
            return pb.TraceStart(item_sku=self.stock_lot.item_sku, lot=self.stock_lot.lot)
        chosen: SupplierLotInput = self.supplier_lot  # type: ignore[assignment]
        return pb.TraceStart(item_sku=chosen.item_sku, supplier=chosen.supplier, supplier_lot=chosen.supplier_lot)

    def fields(self, at: str) -> dict[str, str]:
        """Where this input has each of the service's fields of a trace's start."""
        member, names = (
            ("stockLot", ("item_sku", "lot"))
            if self.stock_lot
            else (
                "supplierLot",
                ("item_sku", "supplier", "supplier_lot"),
            )
        )
        return {name: f"{at}.{member}.{name}" for name in names}


@strawberry.input(
    description="Puts every unit of a recall's lots still AVAILABLE in stock on hold, one inspection lot per place."
)
class HoldRecalledLotsInput:
    start: TraceStartInput = strawberry.field(description="The lot the recall starts from.")
    reason: str = strawberry.field(description="Why; required, kept on every inspection lot opened.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.HoldRecalledLotsRequest:
        return pb.HoldRecalledLotsRequest(
            idempotency_key=key(self.idempotency_key), start=self.start.to_proto(), reason=self.reason
        )
