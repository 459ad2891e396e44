"""Quality types as the graph shows them, each built from its protobuf message.

Quantities are in the item's base unit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
from collections.abc import Awaitable, Callable, Iterable
from enum import Enum
from functools import partial
from typing import Annotated, TypeVar

import strawberry
from strawberry import relay

from gateway.context import Info
from gateway.convert import (
    decimal_from_proto,
    enum_from_proto,
    instant_from_proto,
    optional_decimal,
    timestamp_from_proto,
)
from gateway.errors import call_or_none
from gateway.nodes import FetchedNode, global_id
from gateway.orders.work_orders_types import WorkOrder
from gateway.stock.types import DocumentRef, Movement
from invariant.quality.v1 import quality_pb2 as pb

T = TypeVar("T")


@strawberry.enum(description="Where an inspection plan version stands: DRAFT, then ACTIVE, then SUPERSEDED.")
class InspectionPlanState(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Being set up: it may be revised, and judges no lot yet.")
    ACTIVE = strawberry.enum_value(
        "ACTIVE", description="In force for its item (and supplier): lots opened from now on are judged by it."
    )
    SUPERSEDED = strawberry.enum_value(
        "SUPERSEDED", description="Replaced by a later version; lots opened under it keep it."
    )


@strawberry.enum(description="MIL-STD-105E's general inspection levels: how large a sample a lot size asks.")
class InspectionLevel(Enum):
    I = strawberry.enum_value("I", description="Level I: smaller samples, less discrimination.")  # noqa: E741
    II = strawberry.enum_value("II", description="Level II, the standard's usual level and the default.")
    III = strawberry.enum_value("III", description="Level III: larger samples, more discrimination.")


@strawberry.enum(
    description="MIL-STD-105E's sample size code letters (Table I), from the smallest sample to the largest; the "
    "standard has no I and no O."
)
class SampleSizeCodeLetter(Enum):
    A = strawberry.enum_value("A", description="Sample of 2.")
    B = strawberry.enum_value("B", description="Sample of 3.")
    C = strawberry.enum_value("C", description="Sample of 5.")
    D = strawberry.enum_value("D", description="Sample of 8.")
    E = strawberry.enum_value("E", description="Sample of 13.")
    F = strawberry.enum_value("F", description="Sample of 20.")
    G = strawberry.enum_value("G", description="Sample of 32.")
    H = strawberry.enum_value("H", description="Sample of 50.")
    J = strawberry.enum_value("J", description="Sample of 80.")
    K = strawberry.enum_value("K", description="Sample of 125.")
    L = strawberry.enum_value("L", description="Sample of 200.")
    M = strawberry.enum_value("M", description="Sample of 315.")
    N = strawberry.enum_value("N", description="Sample of 500.")
    P = strawberry.enum_value("P", description="Sample of 800.")
    Q = strawberry.enum_value("Q", description="Sample of 1250.")
    R = strawberry.enum_value("R", description="Sample of 2000.")


@strawberry.enum(description="Where an inspection lot stands: OPEN until decided; a hold by hand is HOLDING first.")
class InspectionLotState(Enum):
    HOLDING = strawberry.enum_value(
        "HOLDING", description="A hold by hand that stock has not put on hold yet (a moment, as a rule)."
    )
    NOT_HELD = strawberry.enum_value(
        "NOT_HELD", description="Stock refused the hold by hand (`holdRefusal` says why): nothing to inspect."
    )
    OPEN = strawberry.enum_value(
        "OPEN", description="The goods are on hold (QC_HOLD), waiting for results and a decision."
    )
    DECIDED = strawberry.enum_value(
        "DECIDED", description="Decided once and for all; stock moves the goods by the decision by itself."
    )


@strawberry.enum(description="What the plan's accept and reject numbers make of the results so far.")
class InspectionVerdict(Enum):
    UNDECIDED = strawberry.enum_value(
        "UNDECIDED",
        description="Not every sample is inspected, and the defective ones have not reached the reject number.",
    )
    ACCEPT = strawberry.enum_value(
        "ACCEPT", description="Every sample inspected, with at most the accept number of them defective."
    )
    REJECT = strawberry.enum_value("REJECT", description="The defective samples reached the reject number.")


@strawberry.enum(description="What a decision does with an inspection lot's quantity.")
class InspectionOutcome(Enum):
    ACCEPT = strawberry.enum_value("ACCEPT", description="All of it becomes AVAILABLE where it is held.")
    REJECT = strawberry.enum_value(
        "REJECT", description="All of it becomes REJECTED, moved into the warehouse's quarantine location."
    )
    PARTIAL = strawberry.enum_value(
        "PARTIAL",
        description="`accepted` becomes AVAILABLE and `rejected` REJECTED in quarantine; together they are the "
        "lot's quantity.",
    )


@strawberry.interface(description="Something a plan checks on every sample, by its code.")
class Characteristic:
    code: str = strawberry.field(description="The characteristic's code: what results name.")
    name: str = strawberry.field(description="What is checked, for a person.")


@strawberry.type(description="A value measured on each sample, conforming within its limits (inclusive).")
class MeasuredCharacteristic(Characteristic):
    nominal: decimal.Decimal = strawberry.field(description="The value aimed at, within the limits.")
    lower: decimal.Decimal | None = strawberry.field(description="The lowest conforming value; null: no lower limit.")
    upper: decimal.Decimal | None = strawberry.field(description="The highest conforming value; null: no upper limit.")
    unit: str = strawberry.field(description="The unit the values are in, e.g. MM.")


@strawberry.type(description="A check passed or failed on each sample; a failure names one of its defect codes.")
class AttributeCharacteristic(Characteristic):
    defect_codes: list[str] = strawberry.field(description="The defects a failed check may name.")


# Reached only through the interface, so the schema is told of them (gateway.schema).
CHARACTERISTIC_KINDS = (MeasuredCharacteristic, AttributeCharacteristic)


def _characteristic(proto: pb.Characteristic) -> Characteristic:
    if proto.WhichOneof("kind") == "measured":
        measured = proto.measured
        return MeasuredCharacteristic(
            code=proto.code,
            name=proto.name,
            nominal=decimal_from_proto(measured.nominal),
            lower=decimal_from_proto(measured.lower) if measured.HasField("lower") else None,
            upper=decimal_from_proto(measured.upper) if measured.HasField("upper") else None,
            unit=measured.unit,
        )
    return AttributeCharacteristic(code=proto.code, name=proto.name, defect_codes=list(proto.attribute.defect_codes))


@strawberry.type(description="A fixed number of units from every lot, accepted with at most `accept` defective.")
class FixedSampling:
    size: int = strawberry.field(description="How many units are inspected (every unit of a smaller lot).")
    accept: int = strawberry.field(description="The most defective units the lot is accepted with.")


@strawberry.type(
    description="Samples by lot size and AQL from MIL-STD-105E single sampling, normal inspection: each lot's "
    "code letter, sample size, accept and reject numbers are read from the standard's tables."
)
class AqlSampling:
    level: InspectionLevel = strawberry.field(description="The general inspection level.")
    aql: decimal.Decimal = strawberry.field(
        description="The acceptable quality level, in percent defective, one of the standard's series (e.g. 2.5)."
    )


Sampling = Annotated[
    FixedSampling | AqlSampling,
    strawberry.union("Sampling", description="How much of each lot a plan inspects: a fixed sample, or by AQL."),
]


def _sampling(proto: pb.Sampling) -> FixedSampling | AqlSampling:
    if proto.WhichOneof("kind") == "fixed":
        return FixedSampling(size=proto.fixed.size, accept=proto.fixed.accept)
    return AqlSampling(
        level=enum_from_proto(InspectionLevel, pb.InspectionLevel, proto.aql.level),
        aql=decimal_from_proto(proto.aql.aql),
    )


async def _each(ids: Iterable[str], get: Callable[[str], Awaitable[T]]) -> list[T]:
    """Those of `ids` found, each read by its own call, side by side."""
    found = await asyncio.gather(*(call_or_none(partial(get, node_id)) for node_id in ids))
    return [node for node in found if node is not None]


@strawberry.type(
    description="One version of what is checked of an item (or of one supplier's deliveries of it) and how much "
    "of each lot; `node(id:)` fetches it again by its `id`."
)
class InspectionPlan(FetchedNode):
    id: relay.NodeID[str]
    item_sku: str = strawberry.field(description="The SKU of the item inspected.")
    supplier: str | None = strawberry.field(
        description="The supplier whose deliveries it judges (it wins over the item's own plan); null: every "
        "supplier's."
    )
    version: int = strawberry.field(
        description="1 for the item's (and supplier's) first plan, one more for each new one; 0 is the default "
        "visual check an item gets until it has a plan of its own."
    )
    state: InspectionPlanState = strawberry.field(description="DRAFT, ACTIVE or SUPERSEDED.")
    characteristics: list[Characteristic] = strawberry.field(
        description="What is checked on every sample, in the order given."
    )
    sampling: Sampling = strawberry.field(description="How much of each lot is inspected.")
    created_by: str = strawberry.field(description="The user id of who drafted it.")
    created_at: dt.datetime = strawberry.field(description="When it was drafted.")
    activated_at: dt.datetime | None = strawberry.field(description="When it was put in force; null for a draft.")
    superseded_at: dt.datetime | None = strawberry.field(
        description="When a later version replaced it; null unless SUPERSEDED."
    )

    @classmethod
    def from_proto(cls, proto: pb.InspectionPlan) -> InspectionPlan:
        return cls(
            id=proto.id,
            item_sku=proto.item_sku,
            supplier=proto.supplier or None,
            version=proto.version,
            state=enum_from_proto(InspectionPlanState, pb.PlanState, proto.state),
            characteristics=[_characteristic(characteristic) for characteristic in proto.characteristics],
            sampling=_sampling(proto.sampling),
            created_by=proto.created_by,
            created_at=instant_from_proto(proto.created_at),
            activated_at=timestamp_from_proto(proto.activated_at),
            superseded_at=timestamp_from_proto(proto.superseded_at),
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[InspectionPlan]:
        stub = info.context.stubs.quality
        found = await _each(ids, lambda plan_id: stub.GetPlan(pb.GetPlanRequest(plan_id=plan_id)))
        return [cls.from_proto(plan) for plan in found]


@strawberry.type(description="What the plan asks of one lot's size: the sample and the numbers that judge it.")
class LotSampling:
    table_letter: SampleSizeCodeLetter | None = strawberry.field(
        description="The lot size's code letter by Table I; null for a fixed sample."
    )
    code_letter: SampleSizeCodeLetter | None = strawberry.field(
        description="The code letter whose plan applies once Table II-A's arrows are followed (the sample size "
        "comes with it); null for a fixed sample."
    )
    sample_size: int = strawberry.field(description="How many units are inspected: samples 1 to this.")
    accept: int = strawberry.field(description="Accept number (Ac): the lot passes with at most this many defective.")
    reject: int = strawberry.field(description="Reject number (Re): the lot fails with this many defective.")
    every_unit: bool = strawberry.field(description="The sample is the whole lot (a lot no larger than the sample).")
    lot_size: decimal.Decimal = strawberry.field(
        description="The whole units the sample was sized for: the lot's quantity, a part unit counting as one."
    )

    @classmethod
    def from_proto(cls, proto: pb.SamplingPlan) -> LotSampling:
        return cls(
            table_letter=SampleSizeCodeLetter(proto.table_letter) if proto.table_letter else None,
            code_letter=SampleSizeCodeLetter(proto.code_letter) if proto.code_letter else None,
            sample_size=proto.sample_size,
            accept=proto.accept,
            reject=proto.reject,
            every_unit=proto.every_unit,
            lot_size=decimal.Decimal(proto.lot_size),
        )


@strawberry.type(description="One characteristic checked on one sample, by whom and when.")
class InspectionResult:
    sample: int = strawberry.field(description="The sample's number, 1 to the lot's sample size.")
    characteristic: str = strawberry.field(description="The code of the plan's characteristic checked.")
    conforming: bool = strawberry.field(
        description="Whether it passed: a value within the limits, or an attribute passed."
    )
    value: decimal.Decimal | None = strawberry.field(description="The value measured; null for an attribute.")
    defect_code: str | None = strawberry.field(
        description="The defect a failed attribute names; null when it passed or was measured."
    )
    inspector: str = strawberry.field(description="The user id of who recorded it.")
    recorded_at: dt.datetime = strawberry.field(description="When it was recorded.")

    @classmethod
    def from_proto(cls, proto: pb.Result) -> InspectionResult:
        return cls(
            sample=proto.sample,
            characteristic=proto.characteristic,
            conforming=proto.conforming,
            value=decimal_from_proto(proto.value) if proto.HasField("value") else None,
            defect_code=proto.defect_code or None,
            inspector=proto.inspector,
            recorded_at=instant_from_proto(proto.recorded_at),
        )


@strawberry.type(description="How a lot was decided, by whom and when, and what it moves.")
class InspectionDecision:
    outcome: InspectionOutcome = strawberry.field(description="Accepted, rejected, or split.")
    accepted: decimal.Decimal = strawberry.field(description="What stock makes AVAILABLE where it is held.")
    rejected: decimal.Decimal = strawberry.field(
        description="What stock makes REJECTED, moved into the warehouse's quarantine location."
    )
    verdict: InspectionVerdict = strawberry.field(
        description="The verdict shown when it was decided; a decision may overrule it."
    )
    plan_version: int = strawberry.field(description="The version of the plan the lot was judged by.")
    decided_by: str = strawberry.field(description="The user id of who decided.")
    decided_at: dt.datetime = strawberry.field(description="When it was decided.")


@strawberry.type(description="Where an inspection lot's goods are held (status QC_HOLD).")
class HeldPlace:
    warehouse: str = strawberry.field(description="The warehouse's code.")
    location: str = strawberry.field(description="The location's code.")
    lot: str | None = strawberry.field(description="The stock lot, as printed; null for an item without lots.")


@strawberry.type(
    description="Goods on hold waiting for inspection: opened by itself for every receipt or return into QC_HOLD, "
    "or by a hold by hand; results are recorded against its sample and a decision moves the stock. `node(id:)` "
    "fetches it again by its `id`."
)
class InspectionLot(FetchedNode):
    id: relay.NodeID[str]
    number: str = strawberry.field(
        description="The number stock's movements name it by (document INSPECTION), the decision's id as the line."
    )
    movement_id: strawberry.ID | None = strawberry.field(
        description="The `id` of stock's movement that put the goods on hold (`node` fetches it); null for a hold by "
        "hand until stock has posted it."
    )
    item_sku: str = strawberry.field(description="The SKU of the item held.")
    place: HeldPlace = strawberry.field(description="Where the goods are held.")
    quantity: decimal.Decimal = strawberry.field(description="How much is held, in the item's base unit.")
    document: DocumentRef | None = strawberry.field(
        description="What brought the goods: PURCHASE_ORDER and line, WORK_ORDER, RMA; MANUAL_HOLD for a hold by "
        "hand; null when the movement named none."
    )
    supplier: str | None = strawberry.field(description="The supplier's code, where known; null otherwise.")
    supplier_lot: str | None = strawberry.field(
        description="The supplier's own lot number where it differs from the stock lot; null when none was given."
    )
    plan_id: strawberry.ID = strawberry.field(description="The `id` of the plan version it is judged by.")
    plan_version: int = strawberry.field(description="That plan's version, kept whatever versions come later.")
    sampling: LotSampling = strawberry.field(description="The sample the plan asks of this lot's size.")
    state: InspectionLotState = strawberry.field(description="Where the lot stands.")
    results: list[InspectionResult] = strawberry.field(
        description="Every result recorded, in the order recorded: at most one per sample and characteristic."
    )
    inspected_samples: int = strawberry.field(description="Samples with every characteristic recorded.")
    defective_samples: int = strawberry.field(description="Samples with at least one nonconforming result.")
    verdict: InspectionVerdict = strawberry.field(
        description="What the plan's accept and reject numbers make of the results, shown before the decision."
    )
    decision: InspectionDecision | None = strawberry.field(description="How it was decided; null until DECIDED.")
    opened_by: str = strawberry.field(description="The user id behind the movement or the hold by hand.")
    opened_at: dt.datetime = strawberry.field(description="When it was opened.")
    reason: str | None = strawberry.field(description="Why the stock was held by hand; null for other lots.")
    hold_refusal: str | None = strawberry.field(
        description="Why stock refused the hold by hand (NOT_HELD); null otherwise."
    )

    @classmethod
    def from_proto(cls, proto: pb.InspectionLot) -> InspectionLot:
        document = proto.document
        return cls(
            id=proto.id,
            number=proto.id,
            movement_id=global_id(Movement, proto.movement_id) if proto.movement_id else None,
            item_sku=proto.item_sku,
            place=HeldPlace(
                warehouse=proto.place.warehouse, location=proto.place.location, lot=proto.place.lot or None
            ),
            quantity=decimal_from_proto(proto.quantity),
            document=DocumentRef(type=document.type, number=document.id, line=document.line or None)
            if document.type or document.id
            else None,
            supplier=proto.supplier or None,
            supplier_lot=proto.supplier_lot or None,
            plan_id=global_id(InspectionPlan, proto.plan_id),
            plan_version=proto.plan_version,
            sampling=LotSampling.from_proto(proto.sampling),
            state=enum_from_proto(InspectionLotState, pb.LotState, proto.state),
            results=[InspectionResult.from_proto(result) for result in proto.results],
            inspected_samples=proto.inspected_samples,
            defective_samples=proto.defective_samples,
            verdict=enum_from_proto(InspectionVerdict, pb.Verdict, proto.verdict),
            decision=_decision(proto) if proto.HasField("decision") else None,
            opened_by=proto.opened_by,
            opened_at=instant_from_proto(proto.opened_at),
            reason=proto.reason or None,
            hold_refusal=proto.hold_refusal or None,
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[InspectionLot]:
        stub = info.context.stubs.quality
        found = await _each(
            ids, lambda lot_id: stub.GetInspectionLot(pb.GetInspectionLotRequest(inspection_lot_id=lot_id))
        )
        return [cls.from_proto(lot) for lot in found]


def _decision(proto: pb.InspectionLot) -> InspectionDecision:
    decision = proto.decision
    return InspectionDecision(
        outcome=enum_from_proto(InspectionOutcome, pb.Outcome, decision.outcome),
        accepted=decimal_from_proto(decision.accepted),
        rejected=decimal_from_proto(decision.rejected),
        verdict=enum_from_proto(InspectionVerdict, pb.Verdict, decision.verdict),
        plan_version=proto.plan_version,
        decided_by=decision.decided_by,
        decided_at=instant_from_proto(decision.decided_at),
    )


@strawberry.enum(description="Where a non-conformance record stands: OPEN until every rejected unit is accounted for.")
class NonConformanceState(Enum):
    OPEN = strawberry.enum_value(
        "OPEN", description="Some rejected units are not carried out yet: dispositions are planned here."
    )
    CLOSED = strawberry.enum_value(
        "CLOSED", description="Every rejected unit's disposition was carried out, and someone closed it."
    )


@strawberry.enum(description="What is done with rejected units.")
class DispositionKind(Enum):
    RETURN_TO_SUPPLIER = strawberry.enum_value(
        "RETURN_TO_SUPPLIER", description="Stock issues them from REJECTED back to the supplier, the NCR as document."
    )
    SCRAP = strawberry.enum_value("SCRAP", description="Stock scraps them from REJECTED.")
    REWORK = strawberry.enum_value(
        "REWORK", description="Orders makes a rework work order, which issues them from REJECTED at its release."
    )
    USE_AS_IS = strawberry.enum_value(
        "USE_AS_IS",
        description="Stock makes them AVAILABLE where they are, once a manager other than who asked approved.",
    )


@strawberry.enum(description="Where a disposition stands.")
class DispositionState(Enum):
    PLANNED = strawberry.enum_value(
        "PLANNED", description="Holding its quantity; stock is asked once it may be carried out (`requested`)."
    )
    CARRIED_OUT = strawberry.enum_value("CARRIED_OUT", description="Stock's movement carried it out (`movementId`).")
    WITHDRAWN = strawberry.enum_value("WITHDRAWN", description="Taken back before stock was asked; holds nothing.")


@strawberry.type(description="A defect the inspection found, and on how many results.")
class DefectCount:
    code: str = strawberry.field(description="The defect code (a failed measurement is named by its characteristic).")
    count: int = strawberry.field(description="How many results named it.")


@strawberry.type(description="What is done with some of an NCR's rejected units, by whom and when.")
class Disposition:
    disposition_id: strawberry.ID = strawberry.field(
        description="Its id within the NCR, as approveUseAsIs and withdrawDisposition name it, and the line of "
        "stock's movement that carries it out."
    )
    kind: DispositionKind = strawberry.field(description="What is done with the units.")
    quantity: decimal.Decimal = strawberry.field(description="How many units, in the item's base unit.")
    state: DispositionState = strawberry.field(description="Where it stands.")
    planned_by: str = strawberry.field(description="The user id of who planned (asked for) it.")
    planned_at: dt.datetime = strawberry.field(description="When it was planned.")
    approved_by: str | None = strawberry.field(description="For USE_AS_IS: the manager who approved it; else null.")
    approved_at: dt.datetime | None = strawberry.field(description="When it was approved; null until then.")
    requested: bool = strawberry.field(description="Stock has been asked to carry it out.")
    refusal: str | None = strawberry.field(
        description="Why stock refused it (withdraw it and plan another); null otherwise."
    )
    movement_id: strawberry.ID | None = strawberry.field(
        description="The `id` of stock's movement that carried it out (`node` fetches it); null until then."
    )
    carried_out_by: str | None = strawberry.field(description="The user id stock's movement names; null until then.")
    carried_out_at: dt.datetime | None = strawberry.field(description="When it was carried out; null until then.")
    withdrawn_by: str | None = strawberry.field(description="The user id of who withdrew it; null unless WITHDRAWN.")
    withdrawn_at: dt.datetime | None = strawberry.field(description="When it was withdrawn; null unless WITHDRAWN.")
    work_order_id: strawberry.ID | None = strawberry.field(
        description="For REWORK: the `id` of the rework work order orders made for it (`node` fetches it), "
        "carried out once stock issued the goods to it; null until orders made it."
    )

    @classmethod
    def from_proto(cls, proto: pb.Disposition) -> Disposition:
        return cls(
            disposition_id=strawberry.ID(proto.id),
            kind=enum_from_proto(DispositionKind, pb.DispositionKind, proto.kind),
            quantity=decimal_from_proto(proto.quantity),
            state=enum_from_proto(DispositionState, pb.DispositionState, proto.state),
            planned_by=proto.planned_by,
            planned_at=instant_from_proto(proto.planned_at),
            approved_by=proto.approved_by or None,
            approved_at=timestamp_from_proto(proto.approved_at),
            requested=proto.requested,
            refusal=proto.refusal or None,
            movement_id=global_id(Movement, proto.movement_id) if proto.movement_id else None,
            carried_out_by=proto.carried_out_by or None,
            carried_out_at=timestamp_from_proto(proto.carried_out_at),
            withdrawn_by=proto.withdrawn_by or None,
            withdrawn_at=timestamp_from_proto(proto.withdrawn_at),
            work_order_id=global_id(WorkOrder, proto.work_order) if proto.work_order else None,
        )


@strawberry.type(
    description="A non-conformance record (NCR), opened by itself by a decision that rejects: what was found, "
    "where the rejected goods are, and what is done with every rejected unit. `node(id:)` fetches it again."
)
class NonConformance(FetchedNode):
    id: relay.NodeID[str]
    number: str = strawberry.field(
        description="The number stock's movements name it by (document NCR), a disposition's id as the line."
    )
    inspection_lot_id: strawberry.ID = strawberry.field(
        description="The `id` of the inspection lot whose decision opened it (`node` fetches it)."
    )
    item_sku: str = strawberry.field(description="The SKU of the item rejected.")
    supplier: str | None = strawberry.field(description="The supplier's code, where the lot named one; else null.")
    place: HeldPlace = strawberry.field(
        description="Where the rejected goods are: where they were held until stock has put them aside "
        "(`located` false), then the warehouse's quarantine location stock put them in."
    )
    located: bool = strawberry.field(description="Stock has put the rejected goods aside, at `place`.")
    rejected: decimal.Decimal = strawberry.field(description="How many units the decision rejected.")
    defects: list[DefectCount] = strawberry.field(
        description="The defects the lot's results found, the most frequent first."
    )
    state: NonConformanceState = strawberry.field(description="OPEN or CLOSED.")
    photos: list[str] = strawberry.field(description="References to photos (URLs or object keys), as added.")
    root_cause: str | None = strawberry.field(description="The root cause as stated; null until someone states it.")
    dispositions: list[Disposition] = strawberry.field(description="Every disposition, in the order planned.")
    unplanned: decimal.Decimal = strawberry.field(description="Rejected units no live disposition holds.")
    carried_out: decimal.Decimal = strawberry.field(description="Rejected units whose disposition was carried out.")
    opened_by: str = strawberry.field(description="The user id of who decided the lot.")
    opened_at: dt.datetime = strawberry.field(description="When it was opened (the decision's moment).")
    closed_by: str | None = strawberry.field(description="The user id of who closed it; null while OPEN.")
    closed_at: dt.datetime | None = strawberry.field(description="When it was closed; null while OPEN.")

    @classmethod
    def from_proto(cls, proto: pb.NonConformance) -> NonConformance:
        return cls(
            id=proto.id,
            number=proto.id,
            inspection_lot_id=global_id(InspectionLot, proto.inspection_lot_id),
            item_sku=proto.item_sku,
            supplier=proto.supplier or None,
            place=HeldPlace(
                warehouse=proto.place.warehouse, location=proto.place.location, lot=proto.place.lot or None
            ),
            located=proto.located,
            rejected=decimal_from_proto(proto.rejected),
            defects=[DefectCount(code=defect.code, count=defect.count) for defect in proto.defects],
            state=enum_from_proto(NonConformanceState, pb.NcrState, proto.state),
            photos=list(proto.photos),
            root_cause=proto.root_cause or None,
            dispositions=[Disposition.from_proto(disposition) for disposition in proto.dispositions],
            unplanned=decimal_from_proto(proto.unplanned),
            carried_out=decimal_from_proto(proto.carried_out),
            opened_by=proto.opened_by,
            opened_at=instant_from_proto(proto.opened_at),
            closed_by=proto.closed_by or None,
            closed_at=timestamp_from_proto(proto.closed_at),
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[NonConformance]:
        stub = info.context.stubs.quality
        found = await _each(ids, lambda ncr_id: stub.GetNonConformance(pb.GetNonConformanceRequest(ncr_id=ncr_id)))
        return [cls.from_proto(ncr) for ncr in found]


@strawberry.type(description="A stock lot a trace reached, and how many work orders away from where it started.")
class TracedLot:
    item_sku: str = strawberry.field(description="The item's SKU.")
    lot: str = strawberry.field(description="The stock lot, as printed.")
    level: int = strawberry.field(description="Work orders away from the start: 0 for the start's own lots.")

    @classmethod
    def from_proto(cls, proto: pb.TracedLot) -> TracedLot:
        return cls(item_sku=proto.item_sku, lot=proto.lot, level=proto.level)


@strawberry.type(description="What a work order consumed or produced of one lot, net of what it returned.")
class WorkOrderUse:
    work_order: str = strawberry.field(description="The work order's number.")
    item_sku: str = strawberry.field(description="The item's SKU.")
    lot: str = strawberry.field(description="The stock lot, as printed.")
    quantity: decimal.Decimal = strawberry.field(description="How much, in the item's base unit.")


@strawberry.type(description="A purchase receipt a trace reached: which supplier's lot came in as which stock lot.")
class TraceReceipt:
    supplier: str | None = strawberry.field(description="The supplier's code; null where the receipt named none.")
    supplier_lot: str | None = strawberry.field(description="The supplier's own lot number; null where none was given.")
    item_sku: str = strawberry.field(description="The item's SKU.")
    lot: str = strawberry.field(description="The stock lot it came in as.")
    purchase_order: str = strawberry.field(description="The purchase order's number.")
    line: str | None = strawberry.field(description="The purchase order's line; null where the receipt named none.")
    quantity: decimal.Decimal = strawberry.field(description="How much came in, in the item's base unit.")


@strawberry.type(description="A shipment a trace reached: which customer received how much of a lot.")
class TraceShipment:
    item_sku: str = strawberry.field(description="The item's SKU.")
    lot: str = strawberry.field(description="The stock lot shipped.")
    sales_order: str = strawberry.field(description="The sales order's number.")
    customer: str = strawberry.field(description="The customer's code.")
    quantity: decimal.Decimal = strawberry.field(description="How much was shipped, in the item's base unit.")


@strawberry.type(
    description="A lot's genealogy from quality's own record of stock's movements and orders' shipments, each kept "
    "once; no call to stock."
)
class Trace:
    lots: list[TracedLot] = strawberry.field(
        description="Backward: every component lot; forward: the start's own lots (level 0) and every lot made from "
        "them. By level, then SKU and lot."
    )
    work_orders: list[str] = strawberry.field(description="The work orders the trace passed through.")
    uses: list[WorkOrderUse] = strawberry.field(
        description="Backward: what the work orders produced; forward: what they consumed."
    )
    receipts: list[TraceReceipt] = strawberry.field(description="The purchase receipts of the lots reached.")
    shipments: list[TraceShipment] = strawberry.field(description="The shipments of the lots reached.")
    suppliers: list[str] = strawberry.field(description="The suppliers' codes of those receipts, each once.")

    @classmethod
    def from_proto(cls, proto: pb.Trace) -> Trace:
        return cls(
            lots=[TracedLot.from_proto(lot) for lot in proto.lots],
            work_orders=list(proto.work_orders),
            uses=[
                WorkOrderUse(
                    work_order=use.work_order,
                    item_sku=use.item_sku,
                    lot=use.lot,
                    quantity=decimal_from_proto(use.quantity),
                )
                for use in proto.uses
            ],
            receipts=[
                TraceReceipt(
                    supplier=receipt.supplier or None,
                    supplier_lot=receipt.supplier_lot or None,
                    item_sku=receipt.item_sku,
                    lot=receipt.lot,
                    purchase_order=receipt.purchase_order,
                    line=receipt.line or None,
                    quantity=decimal_from_proto(receipt.quantity),
                )
                for receipt in proto.receipts
            ],
            shipments=[
                TraceShipment(
                    item_sku=shipment.item_sku,
                    lot=shipment.lot,
                    sales_order=shipment.sales_order,
                    customer=shipment.customer,
                    quantity=decimal_from_proto(shipment.quantity),
                )
                for shipment in proto.shipments
            ],
            suppliers=list(proto.suppliers),
        )


@strawberry.type(description="What one customer received of one lot reached by a recall.")
class RecallLine:
    customer: str = strawberry.field(description="The customer's code.")
    item_sku: str = strawberry.field(description="The item's SKU.")
    lot: str = strawberry.field(description="The stock lot shipped.")
    quantity: decimal.Decimal = strawberry.field(description="How much, over all their shipments of it.")
    sales_orders: list[str] = strawberry.field(description="The sales orders it was shipped on.")


@strawberry.type(description="A forward trace as a recall reads it: who received what, and the lots to hold.")
class Recall:
    lines: list[RecallLine] = strawberry.field(description="Per customer, item and lot, by customer.")
    customers: list[str] = strawberry.field(description="The customers to contact, each once.")
    hold: list[TracedLot] = strawberry.field(
        description="Every lot of the trace: what of them is still AVAILABLE in stock holdRecalledLots holds."
    )

    @classmethod
    def from_proto(cls, proto: pb.RecallResponse) -> Recall:
        return cls(
            lines=[
                RecallLine(
                    customer=line.customer,
                    item_sku=line.item_sku,
                    lot=line.lot,
                    quantity=decimal_from_proto(line.quantity),
                    sales_orders=list(line.sales_orders),
                )
                for line in proto.lines
            ],
            customers=list(proto.customers),
            hold=[TracedLot.from_proto(lot) for lot in proto.hold],
        )


@strawberry.enum(description="What quality figures are grouped by, besides the month.")
class QualityFiguresDimension(Enum):
    SUPPLIER = strawberry.enum_value("SUPPLIER", description="The supplier of the lots (purchase receipts).")
    WORK_ORDER = strawberry.enum_value("WORK_ORDER", description="The work order that made them (production).")
    FINISHED_ITEM = strawberry.enum_value("FINISHED_ITEM", description="The item made (production).")
    OPERATOR = strawberry.enum_value(
        "OPERATOR", description="Who reported the work: the actor of the work order's completion into QC_HOLD."
    )


@strawberry.type(description="What one lot's rejects cost, at the item's standard cost.")
class RejectCost:
    inspection_lot_id: strawberry.ID = strawberry.field(description="The inspection lot's `id`.")
    lot: str | None = strawberry.field(description="The stock lot, as printed; null for an item without lots.")
    rejected: decimal.Decimal = strawberry.field(description="The units rejected.")
    standard_cost: decimal.Decimal = strawberry.field(description="The item's standard cost per base unit.")
    cost: decimal.Decimal = strawberry.field(description="`rejected` times `standardCost`, exact.")


@strawberry.type(
    description="Quality figures of one supplier, work order, finished item or operator in one month (UTC), with "
    "the lots each figure came from."
)
class QualityFigures:
    key: str = strawberry.field(
        description="Whose figures: a supplier's code, a work order's number, an SKU or a user id, as the dimension "
        "asked."
    )
    month: str = strawberry.field(description="The month, as 2026-12.")
    inspection_lot_ids: list[strawberry.ID] = strawberry.field(
        description="The `id`s of the inspection lots decided in it, which every figure is made of."
    )
    lots_inspected: int = strawberry.field(description="Lots decided.")
    lots_accepted: int = strawberry.field(description="Lots decided with nothing rejected.")
    units_inspected: decimal.Decimal = strawberry.field(description="Units decided.")
    units_accepted: decimal.Decimal = strawberry.field(description="Units made AVAILABLE.")
    units_rejected: decimal.Decimal = strawberry.field(description="Units made REJECTED.")
    lot_acceptance_rate: decimal.Decimal | None = strawberry.field(
        description="`lotsAccepted` / `lotsInspected`, from 0 to 1; null when nothing was decided."
    )
    unit_acceptance_rate: decimal.Decimal | None = strawberry.field(
        description="`unitsAccepted` / `unitsInspected`, from 0 to 1; null when nothing was decided."
    )
    defect_ppm: decimal.Decimal | None = strawberry.field(
        description="Units rejected per million inspected; null when nothing was decided."
    )
    top_defects: list[DefectCount] = strawberry.field(description="The defects most often found, the most first.")
    reject_costs: list[RejectCost] = strawberry.field(description="What each lot's rejects cost.")
    reject_cost: decimal.Decimal = strawberry.field(description="The sum of `rejectCosts`, exact.")
    opened_non_conformance_ids: list[strawberry.ID] = strawberry.field(
        description="The `id`s of the NCRs opened in the month."
    )
    closed_non_conformance_ids: list[strawberry.ID] = strawberry.field(
        description="The `id`s of the NCRs closed in the month."
    )

    @classmethod
    def from_proto(cls, proto: pb.FiguresRow) -> QualityFigures:
        return cls(
            key=proto.key,
            month=proto.month,
            inspection_lot_ids=[global_id(InspectionLot, lot) for lot in proto.inspection_lots],
            lots_inspected=proto.lots_inspected,
            lots_accepted=proto.lots_accepted,
            units_inspected=decimal_from_proto(proto.units_inspected),
            units_accepted=decimal_from_proto(proto.units_accepted),
            units_rejected=decimal_from_proto(proto.units_rejected),
            lot_acceptance_rate=optional_decimal(proto.lot_acceptance_rate, proto.HasField("lot_acceptance_rate")),
            unit_acceptance_rate=optional_decimal(proto.unit_acceptance_rate, proto.HasField("unit_acceptance_rate")),
            defect_ppm=optional_decimal(proto.defect_ppm, proto.HasField("defect_ppm")),
            top_defects=[DefectCount(code=defect.code, count=defect.count) for defect in proto.top_defects],
            reject_costs=[
                RejectCost(
                    inspection_lot_id=global_id(InspectionLot, cost.inspection_lot_id),
                    lot=cost.lot or None,
                    rejected=decimal_from_proto(cost.rejected),
                    standard_cost=decimal_from_proto(cost.standard_cost),
                    cost=decimal_from_proto(cost.cost),
                )
                for cost in proto.reject_costs
            ],
            reject_cost=decimal_from_proto(proto.reject_cost),
            opened_non_conformance_ids=[global_id(NonConformance, ncr) for ncr in proto.ncrs_opened],
            closed_non_conformance_ids=[global_id(NonConformance, ncr) for ncr in proto.ncrs_closed],
        )
