"""Mutation inputs, each turned into its gRPC request by `to_proto`.

`FIELDS` (or `fields`) names the request's fields that an input calls otherwise (it gives
them flat, or nests them), so that a refusal names the field the client sent. Ids of counts
and lines are the graph's global ids, turned into the service's here.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import ClassVar

import strawberry

from gateway.convert import decimal_to_proto, timestamp_to_proto
from gateway.counting.types import AbcClass, ApprovalLevel, Count, CountKind, CountLine
from gateway.idempotency import IDEMPOTENCY_KEY_HELP, key
from gateway.nodes import local_id
from gateway.stock.inputs import ReasonQuantityInput
from invariant.counting.v1 import counting_pb2 as pb
from invariant_kernel.errors import DomainError, ErrorCode

# An entry's fields as the service names them, and where an entry input has them.
ENTRY_PATHS = {
    "entry_id": "entryId",
    "line_id": "target.lineId",
    "item_sku": "target.place.item.sku",
    "barcode": "target.place.item.barcode",
    "location": "target.place.location",
    "lot": "target.place.lot",
    "quantity": "quantity",
    "unit": "unit",
    "counted_at": "countedAt",
}


def _flat(prefix: str, names: Iterable[str]) -> dict[str, str]:
    """The request's `prefix.name` fields, which the input gives without the prefix."""
    return {f"{prefix}.{name}": name for name in names}


@strawberry.input(
    description="How far counted may be from book before a recount. Limits left null do not apply; "
    "no limit at all means the ABC class's default. None may be below zero."
)
class ToleranceInput:
    quantity: decimal.Decimal | None = strawberry.field(
        default=None, description="Most the variance may be, in the item's base unit."
    )
    percent: decimal.Decimal | None = strawberry.field(
        default=None, description="Most the variance may be, in percent of the book (2 means 2%)."
    )
    value: decimal.Decimal | None = strawberry.field(
        default=None, description="Most the variance may be worth at standard cost."
    )

    def to_proto(self) -> pb.Tolerance:
        tolerance = pb.Tolerance()
        for name in ("quantity", "percent", "value"):
            limit = getattr(self, name)
            if limit is not None:
                getattr(tolerance, name).CopyFrom(decimal_to_proto(limit))
        return tolerance


@strawberry.input(description="A count in DRAFT, to be opened when the counters are ready.")
class CreateCountInput:
    warehouse: str = strawberry.field(description="The code of the warehouse to count; stock must know it.")
    kind: CountKind = strawberry.field(default=CountKind.SPOT, description="Why it is made.")
    blind: bool = strawberry.field(
        default=False, description="Counters see no book quantity or variance while they count."
    )
    locations: list[str] = strawberry.field(
        default_factory=list,
        description="Location codes to count; empty: every location. Not the in-transit location: goods on "
        "the road are counted where they arrive.",
    )
    item_skus: list[str] = strawberry.field(default_factory=list, description="SKUs to count; empty: every item.")
    abc_class: AbcClass | None = strawberry.field(
        default=None,
        description="The class the count is for: it picks the default tolerance and the count's group in accuracy; "
        "null: unclassified. It does not narrow the scope.",
    )
    tolerance: ToleranceInput | None = strawberry.field(default=None, description="Null: the ABC class's default.")
    counters: list[str] = strawberry.field(
        default_factory=list, description="The user ids assigned to count: their `myOpenCounts` list it."
    )
    note: str | None = strawberry.field(default=None, description="Free text shown with the count.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.CreateCountRequest:
        return pb.CreateCountRequest(
            idempotency_key=key(self.idempotency_key),
            warehouse=self.warehouse,
            kind=self.kind.name,
            blind=self.blind,
            locations=self.locations,
            item_skus=self.item_skus,
            abc_class=self.abc_class.name if self.abc_class else "",
            tolerance=self.tolerance.to_proto() if self.tolerance is not None else None,
            counters=self.counters,
            note=self.note or "",
        )


# The bases are inputs only so that their fields are strawberry's; the schema never names them.
@strawberry.input
class _CountCommandInput:
    count_id: strawberry.ID = strawberry.field(description="The count's `id`.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    @property
    def local_count_id(self) -> str:
        """The service's id of the count."""
        return local_id(self.count_id, Count, "countId")


@strawberry.input(
    description="DRAFT → OPEN: one line per balance in scope, with the book as it stands now. Only a DRAFT count opens."
)
class OpenCountInput(_CountCommandInput):
    def to_proto(self) -> pb.OpenCountRequest:
        return pb.OpenCountRequest(idempotency_key=key(self.idempotency_key), count_id=self.local_count_id)


@strawberry.input(
    description="Closes the round: variances against the book as of each count time. Every line of the round must be "
    "counted first (zero for an empty shelf)."
)
class FinishRoundInput(_CountCommandInput):
    def to_proto(self) -> pb.FinishRoundRequest:
        return pb.FinishRoundRequest(idempotency_key=key(self.idempotency_key), count_id=self.local_count_id)


@strawberry.input(
    description="REVIEW → AWAITING_APPROVAL, or straight to APPROVED when nothing differs. Every differing line "
    "needs its reasons first."
)
class SubmitForApprovalInput(_CountCommandInput):
    def to_proto(self) -> pb.SubmitForApprovalRequest:
        return pb.SubmitForApprovalRequest(idempotency_key=key(self.idempotency_key), count_id=self.local_count_id)


@strawberry.input(description="Cancels a count before it is approved; nothing goes to stock.")
class CancelCountInput(_CountCommandInput):
    reason: str | None = strawberry.field(default=None, description="Why, kept in the count's transitions.")

    def to_proto(self) -> pb.CancelCountRequest:
        return pb.CancelCountRequest(
            idempotency_key=key(self.idempotency_key), count_id=self.local_count_id, reason=self.reason or ""
        )


@strawberry.input(
    description="An approval at the next level the count waits for, by someone with that level's role who did not "
    "count in it and has not approved it at another level."
)
class ApproveCountInput(_CountCommandInput):
    level: ApprovalLevel = strawberry.field(description="The level the caller approves at, the next one required.")
    comment: str | None = strawberry.field(default=None, description="Kept with the approval.")

    def to_proto(self) -> pb.ApproveRequest:
        return pb.ApproveRequest(
            idempotency_key=key(self.idempotency_key),
            count_id=self.local_count_id,
            level=self.level.name,
            comment=self.comment or "",
        )


@strawberry.input(description="Back to REVIEW; the approvals given so far are void.")
class RejectCountInput(_CountCommandInput):
    level: ApprovalLevel = strawberry.field(description="The level the caller rejects at; they need its role.")
    comment: str = strawberry.field(description="What to look at again; required.")

    def to_proto(self) -> pb.RejectRequest:
        return pb.RejectRequest(
            idempotency_key=key(self.idempotency_key),
            count_id=self.local_count_id,
            level=self.level.name,
            comment=self.comment,
        )


@strawberry.input(description="Which round of a line under investigation stands.")
class DecideLineInput(_CountCommandInput):
    line_id: strawberry.ID = strawberry.field(description="The line, in INVESTIGATION.")
    round: int = strawberry.field(description="The round that stands, one of the line's `rounds`.")
    comment: str | None = strawberry.field(default=None, description="Why, kept in the count's transitions.")

    def to_proto(self) -> pb.DecideLineRequest:
        return pb.DecideLineRequest(
            idempotency_key=key(self.idempotency_key),
            count_id=self.local_count_id,
            line_id=local_id(self.line_id, CountLine, "lineId"),
            round=self.round,
            comment=self.comment or "",
        )


REASONS_HELP = "Active reason codes, once each, their quantities adding up to the variance's size."


def _reasons(reasons: Iterable[ReasonQuantityInput]) -> list[pb.ReasonQuantity]:
    return [
        pb.ReasonQuantity(reason_code=reason.reason_code, quantity=decimal_to_proto(reason.quantity))
        for reason in reasons
    ]


@strawberry.input(description="Why a line differs; replaces the reasons given before.")
class ExplainLineInput(_CountCommandInput):
    line_id: strawberry.ID = strawberry.field(description="The line; its count must be in REVIEW.")
    reasons: list[ReasonQuantityInput] = strawberry.field(description=REASONS_HELP)

    def to_proto(self) -> pb.ExplainLineRequest:
        return pb.ExplainLineRequest(
            idempotency_key=key(self.idempotency_key),
            count_id=self.local_count_id,
            line_id=local_id(self.line_id, CountLine, "lineId"),
            reasons=_reasons(self.reasons),
        )


@strawberry.input(description="One line of `explainLines` and why it differs.")
class LineReasonsInput:
    line_id: strawberry.ID = strawberry.field(description="A line of the count.")
    reasons: list[ReasonQuantityInput] = strawberry.field(description=REASONS_HELP)


@strawberry.input(description="Why several lines differ (a selection): every line is explained or none.")
class ExplainLinesInput(_CountCommandInput):
    lines: list[LineReasonsInput] = strawberry.field(description="At most 5,000, each line once.")

    def to_proto(self) -> pb.ExplainLinesRequest:
        return pb.ExplainLinesRequest(
            idempotency_key=key(self.idempotency_key),
            count_id=self.local_count_id,
            lines=[
                pb.LineReasons(
                    line_id=local_id(line.line_id, CountLine, f"lines[{index}].lineId"), reasons=_reasons(line.reasons)
                )
                for index, line in enumerate(self.lines)
            ],
        )


@strawberry.input(
    one_of=True,
    description="The item found on a shelf: by its SKU or by a barcode scanned, exactly one of them.",
)
class EntryItemInput:
    sku: str | None = strawberry.field(default=strawberry.UNSET, description="The item's SKU.")
    barcode: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A barcode of the item as scanned; the entry's `unit` is then the barcode's unless given.",
    )

    def fill(self, entry: pb.Entry, at: str) -> None:
        # @oneOf lets exactly one member through, possibly as an empty string, which names no item.
        if isinstance(self.sku, str):
            entry.item_sku = _named(self.sku, f"{at}.sku")
        elif isinstance(self.barcode, str):
            entry.barcode = _named(self.barcode, f"{at}.barcode")


def _named(value: str, field: str) -> str:
    if not value.strip():
        raise DomainError(ErrorCode.REQUIRED, f"{field} is empty: give the item's SKU or a barcode scanned", field)
    return value


@strawberry.input(description="Where an item was found, for an entry that names no line.")
class EntryPlaceInput:
    item: EntryItemInput = strawberry.field(description="The item found.")
    location: str = strawberry.field(description="The location code where it was found.")
    lot: str | None = strawberry.field(default=None, description="For a lot-tracked item, its lot; null otherwise.")


@strawberry.input(
    one_of=True,
    description="What an entry counts, exactly one of: a line of the count, or the item and the place where it was "
    "found (the count's line there, or a new FOUND line for stock the book did not know).",
)
class EntryTargetInput:
    line_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The `id` of a line of the count, as `countLines` or `nextLine` gave it."
    )
    place: EntryPlaceInput | None = strawberry.field(
        default=strawberry.UNSET, description="The item and where it was found."
    )

    def fill(self, entry: pb.Entry, at: str) -> None:
        # @oneOf lets exactly one member through; the one not given is UNSET, which is false.
        if isinstance(self.line_id, str):
            entry.line_id = local_id(self.line_id, CountLine, f"{at}.lineId")
        elif self.place:
            self.place.item.fill(entry, f"{at}.place.item")
            entry.location, entry.lot = self.place.location, self.place.lot or ""


@strawberry.input(description="What was found on a shelf, and what it counts for.")
class EntryInput:
    entry_id: strawberry.ID = strawberry.field(
        description="Made by the handheld, one per entry: an entry sent again (a retried upload) counts once. Not "
        "an `id` of the graph: any text up to 64 characters."
    )
    target: EntryTargetInput = strawberry.field(description="The line counted, or the item and where it was found.")
    quantity: decimal.Decimal = strawberry.field(
        description="What is there, in `unit`; zero for an empty shelf. A line's entries in a round add up."
    )
    unit: str | None = strawberry.field(default=None, description="Any unit of the item; null: its base unit.")
    counted_at: dt.datetime | None = strawberry.field(
        default=None, description="When the shelf was counted (a handheld uploading later); null means now."
    )

    def to_entry(self, field_prefix: str) -> pb.Entry:
        entry = pb.Entry(entry_id=self.entry_id, quantity=decimal_to_proto(self.quantity), unit=self.unit or "")
        self.target.fill(entry, f"{field_prefix}target")
        if self.counted_at is not None:
            entry.counted_at.CopyFrom(timestamp_to_proto(self.counted_at, f"{field_prefix}countedAt"))
        return entry


def _entry_paths(at: str, given: str) -> dict[str, str]:
    """The service's fields of the entry it calls `at`, by where the input (as `given`) has them."""
    return {f"{at}.{name}": f"{given}{path}" for name, path in ENTRY_PATHS.items()}


@strawberry.input(description="One entry, as a handheld sends it when it is online.")
class SubmitEntryInput(EntryInput):
    count_id: strawberry.ID = strawberry.field(description="The count's `id`, OPEN or COUNTING.")

    # The request carries a list of one entry, which this input gives flat; the entry as a whole is no field.
    FIELDS: ClassVar[Mapping[str, str]] = {**_entry_paths("entries[0]", ""), "entries[0]": ""}

    @property
    def fields(self) -> Mapping[str, str]:
        return self.FIELDS

    def to_proto(self) -> pb.SubmitEntriesRequest:
        return pb.SubmitEntriesRequest(count_id=local_id(self.count_id, Count, "countId"), entries=[self.to_entry("")])


@strawberry.input(description="Entries uploaded together (a handheld back online): all are taken or none.")
class SubmitEntriesInput:
    count_id: strawberry.ID = strawberry.field(description="The count's `id`, OPEN or COUNTING.")
    entries: list[EntryInput] = strawberry.field(description="At most 5,000.")

    @property
    def fields(self) -> Mapping[str, str]:
        return {
            at: path
            for index in range(len(self.entries))
            for at, path in _entry_paths(f"entries[{index}]", f"entries[{index}].").items()
        }

    def to_proto(self) -> pb.SubmitEntriesRequest:
        return pb.SubmitEntriesRequest(
            count_id=local_id(self.count_id, Count, "countId"),
            entries=[entry.to_entry(f"entries[{index}].") for index, entry in enumerate(self.entries)],
        )


@strawberry.input(
    description="Up to `supervisorLimit` of absolute variance value a supervisor alone approves, "
    "up to `financeLimit` finance also, above it a manager too."
)
class SetApprovalPolicyInput:
    warehouse: str = strawberry.field(description="The warehouse's code.")
    supervisor_limit: decimal.Decimal = strawberry.field(
        description="Absolute variance value, at standard cost, up to which a supervisor alone approves; "
        "not below zero."
    )
    finance_limit: decimal.Decimal = strawberry.field(
        description="Up to this finance approves too, above it a manager also; at least `supervisorLimit`."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    FIELDS: ClassVar[Mapping[str, str]] = _flat("policy", ("warehouse", "supervisor_limit", "finance_limit"))

    def to_proto(self) -> pb.SetApprovalPolicyRequest:
        policy = pb.ApprovalPolicy(
            warehouse=self.warehouse,
            supervisor_limit=decimal_to_proto(self.supervisor_limit),
            finance_limit=decimal_to_proto(self.finance_limit),
        )
        return pb.SetApprovalPolicyRequest(idempotency_key=key(self.idempotency_key), policy=policy)


@strawberry.input(description="A reason code, new or changed; an inactive one explains no new variance.")
class SetReasonCodeInput:
    code: str = strawberry.field(
        description="Up to 40 characters, kept in capitals; an existing code is changed, a new one added."
    )
    name: str = strawberry.field(description="What it means, for people; up to 200 characters.")
    active: bool = strawberry.field(default=True, description="False retires it: it explains no new variance.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    FIELDS: ClassVar[Mapping[str, str]] = _flat("reason_code", ("code", "name", "active"))

    def to_proto(self) -> pb.SetReasonCodeRequest:
        reason_code = pb.ReasonCode(code=self.code, name=self.name, active=self.active)
        return pb.SetReasonCodeRequest(idempotency_key=key(self.idempotency_key), reason_code=reason_code)


@strawberry.input(description="ABC classes from the value of each item's issues in [fromTime, toTime).")
class ComputeAbcClassesInput:
    warehouse: str = strawberry.field(description="The warehouse's code.")
    from_time: dt.datetime | None = strawberry.field(default=None, description="Null: a year before toTime.")
    to_time: dt.datetime | None = strawberry.field(default=None, description="Null: now.")
    a_percent: decimal.Decimal | None = strawberry.field(
        default=None, description="Cumulative share of issue value, in percent, that is A; null: 80."
    )
    b_percent: decimal.Decimal | None = strawberry.field(
        default=None, description="Cumulative share that is A or B, at least `aPercent`; null: 95."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.ComputeAbcClassesRequest:
        request = pb.ComputeAbcClassesRequest(idempotency_key=key(self.idempotency_key), warehouse=self.warehouse)
        if self.from_time is not None:
            request.from_time.CopyFrom(timestamp_to_proto(self.from_time, "fromTime"))
        if self.to_time is not None:
            request.to_time.CopyFrom(timestamp_to_proto(self.to_time, "toTime"))
        if self.a_percent is not None:
            request.a_percent.CopyFrom(decimal_to_proto(self.a_percent))
        if self.b_percent is not None:
            request.b_percent.CopyFrom(decimal_to_proto(self.b_percent))
        return request


@strawberry.input(description="How often each class is counted, and how big a planned count may be.")
class SetCyclePolicyInput:
    warehouse: str = strawberry.field(description="The warehouse's code.")
    a_days: int = strawberry.field(default=30, description="Days between counts of an A item; at least 1.")
    b_days: int = strawberry.field(default=91, description="Days between counts of a B item; at least 1.")
    c_days: int = strawberry.field(
        default=182, description="Days between counts of a C or unclassified item; at least 1."
    )
    capacity: int = strawberry.field(
        default=200, description="Most lines expected in one planned count; an item is never split across counts."
    )
    large_adjustment_value: decimal.Decimal = strawberry.field(
        default=decimal.Decimal(500),
        description="An item whose last count adjusted more than this, at standard cost, is due again.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    FIELDS: ClassVar[Mapping[str, str]] = _flat(
        "policy", ("warehouse", "a_days", "b_days", "c_days", "capacity", "large_adjustment_value")
    )

    def to_proto(self) -> pb.SetCyclePolicyRequest:
        policy = pb.CyclePolicy(
            warehouse=self.warehouse,
            a_days=self.a_days,
            b_days=self.b_days,
            c_days=self.c_days,
            capacity=self.capacity,
            large_adjustment_value=decimal_to_proto(self.large_adjustment_value),
        )
        return pb.SetCyclePolicyRequest(idempotency_key=key(self.idempotency_key), policy=policy)


@strawberry.input(description="Cycle counts for the items due on a day, split by the policy's capacity.")
class PlanCountsInput:
    warehouse: str = strawberry.field(description="The warehouse's code.")
    date: dt.datetime | None = strawberry.field(default=None, description="The day the counts are for; null: today.")
    counters: list[str] = strawberry.field(default_factory=list, description="The users assigned to count.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> pb.PlanCountsRequest:
        request = pb.PlanCountsRequest(
            idempotency_key=key(self.idempotency_key), warehouse=self.warehouse, counters=self.counters
        )
        if self.date is not None:
            request.date.CopyFrom(timestamp_to_proto(self.date, "date"))
        return request
