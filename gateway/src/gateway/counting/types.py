"""Counting types as the graph shows them, each built from its protobuf message.

Quantities are in the item's base unit. The service leaves book quantities and variances
out for a counter while a blind count is counted; they are null here then, and so is
what is judged from them. Money is valued at the items' standard cost.
"""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry
from google.protobuf.message import Message
from strawberry import relay

from gateway import described
from gateway.catalog.types import Item, load_item
from gateway.context import Info
from gateway.convert import (
    decimal_from_proto,
    enum_from_code,
    instant_from_proto,
    optional_decimal,
    timestamp_from_proto,
)
from gateway.errors import call
from gateway.nodes import FetchedNode, global_id
from gateway.pagination import After, Before, Connection, First, Last, connection, page_request
from gateway.stock.types import Movement, MovementType, ReasonQuantity, StockStatus
from invariant.counting.v1 import counting_pb2 as pb
from invariant.counting.v1 import counting_pb2_grpc

Stub = counting_pb2_grpc.CountingServiceStub

# The enums' names are the service's strings: requests send a member's `.name`, for
# strawberry.enum_value leaves `.value` typed as its own definition rather than a str.


@strawberry.enum(
    description="Why a count was made. It labels the count; `locations` and `itemSkus` set what it covers."
)
class CountKind(Enum):
    FULL = strawberry.enum_value("FULL", description="A stock-take of a whole warehouse or area, e.g. at year end.")
    CYCLE = strawberry.enum_value(
        "CYCLE", description="A cycle count, planned by `planCounts` from the items' ABC classes and triggers."
    )
    SPOT = strawberry.enum_value(
        "SPOT", description="An ad hoc count of a few places or items, e.g. after a failed pick; the default."
    )


@strawberry.enum(
    description="Where a count stands: DRAFT → OPEN → COUNTING → REVIEW → AWAITING_APPROVAL → APPROVED → POSTED, "
    "or CANCELLED before it is approved."
)
class CountState(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Planned, with no lines yet; `openCount` opens it.")
    OPEN = strawberry.enum_value(
        "OPEN", description="Lines opened from the book, ready for entries; the first entry makes it COUNTING."
    )
    COUNTING = strawberry.enum_value(
        "COUNTING",
        description="Entries coming in. `finishRound` closes a round; recounts and investigations keep it here.",
    )
    REVIEW = strawberry.enum_value(
        "REVIEW",
        description="Every line stands and the variances are known: explain the differing lines, then submit.",
    )
    AWAITING_APPROVAL = strawberry.enum_value(
        "AWAITING_APPROVAL", description="Waiting for the approvals in `levelsRequired`, one level after the other."
    )
    APPROVED = strawberry.enum_value(
        "APPROVED", description="Approved at every level; stock is posting the gains and losses."
    )
    POSTED = strawberry.enum_value(
        "POSTED", description="Stock posted every adjustment: the count is archived and counts towards accuracy."
    )
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled before approval; nothing went to stock.")


@strawberry.enum(description="Where a line stands in its count's rounds.")
class LineState(Enum):
    TO_COUNT = strawberry.enum_value("TO_COUNT", description="Not counted yet in the current round.")
    COUNTED = strawberry.enum_value(
        "COUNTED", description="Has entries in the current round; more entries add to them until the round closes."
    )
    RECOUNT = strawberry.enum_value(
        "RECOUNT",
        description="Outside tolerance: to be counted again, by someone who did not count the round before.",
    )
    INVESTIGATION = strawberry.enum_value(
        "INVESTIGATION",
        description="The recount agrees with neither the book nor the round before: a supervisor decides "
        "which round stands (`decideLine`).",
    )
    FINAL = strawberry.enum_value(
        "FINAL", description="A round stands and the variance is known; a line without variance stays FINAL."
    )
    POSTED = strawberry.enum_value("POSTED", description="Its gain or loss is posted in stock (see `movementId`).")


@strawberry.enum(description="Where a line came from.")
class LineOrigin(Enum):
    BOOK = strawberry.enum_value("BOOK", description="Opened from a balance the book held when the count opened.")
    FOUND = strawberry.enum_value(
        "FOUND", description="Stock the book did not know, entered at a place the count had no line for."
    )


@strawberry.enum(
    description="An item's class by the value of its issues: A the few items that make most of the value, "
    "counted most often, C the many that make little."
)
class AbcClass(Enum):
    A = strawberry.enum_value("A", description="The items that make the first `aPercent` (80%) of issue value.")
    B = strawberry.enum_value("B", description="The items that make the next share, up to `bPercent` (95%).")
    C = strawberry.enum_value("C", description="The rest, and the items with no issues.")


@strawberry.enum(
    description="Who approves a count's adjustment, in this order; the count's absolute variance value decides "
    "how many levels it needs. An admin may approve at any level."
)
class ApprovalLevel(Enum):
    SUPERVISOR = strawberry.enum_value(
        "SUPERVISOR", description="A warehouse supervisor: every count that differs needs this level."
    )
    FINANCE = strawberry.enum_value("FINANCE", description="Finance: needed above the policy's `supervisorLimit`.")
    MANAGER = strawberry.enum_value("MANAGER", description="Management: needed above the policy's `financeLimit`.")


@strawberry.enum(
    description="What kind of cause `lineTrace` suggests for a variance. A suspect points where to look; it "
    "proves nothing."
)
class SuspectKind(Enum):
    MISSED_OR_DOUBLED_ENTRY = strawberry.enum_value(
        "MISSED_OR_DOUBLED_ENTRY",
        description="One movement equals the variance: it happened on the shelf without being posted, or was "
        "posted twice or without the goods moving. Ranks 100 to 109, higher when it repeats an earlier movement.",
    )
    PACK_SIZE_CONFUSION = strawberry.enum_value(
        "PACK_SIZE_CONFUSION",
        description="The variance is whole packs of one of the item's units, or a movement keyed in the base unit "
        "where packs were meant (or the other way round) accounts for it. Rank 80.",
    )
    IN_TRANSIT = strawberry.enum_value(
        "IN_TRANSIT",
        description="Some of the item is still in transit for the warehouse and could account for a shortage "
        "(never a surplus), up to its quantity. Rank 50.",
    )
    INSPECTION_UNDECIDED = strawberry.enum_value(
        "INSPECTION_UNDECIDED",
        description="Some of the item is still on QC hold at the line's place and could account for a shortage "
        "(never a surplus) if it was set apart and not counted. Rank 50.",
    )
    CORRECTION_OR_BACKDATED = strawberry.enum_value(
        "CORRECTION_OR_BACKDATED",
        description="A movement corrects an earlier one, or was posted well after its business time, so the book "
        "compared with the count may not be what the shelf held. Rank 60.",
    )
    RECURRING_OPERATOR = strawberry.enum_value(
        "RECURRING_OPERATOR",
        description="Someone who posted movements at the line's place appears on other variance lines: a "
        "pattern about a person, not evidence about this line. Ranks 40 to 59.",
    )


@strawberry.enum(description="Why `planCounts` finds an item due for a count.")
class DueTrigger(Enum):
    DUE_BY_CLASS = strawberry.enum_value(
        "DUE_BY_CLASS",
        description="Its class's days (`aDays`, `bDays`, `cDays` of the cycle policy) have passed since it was "
        "last counted.",
    )
    NEVER_COUNTED = strawberry.enum_value(
        "NEVER_COUNTED", description="No posted count of the warehouse has counted it yet."
    )
    SHORTAGE = strawberry.enum_value(
        "SHORTAGE",
        description="Stock reported since its last count that less of it was available in the warehouse than "
        "was reserved.",
    )
    NEGATIVE_BALANCE_ATTEMPT = strawberry.enum_value(
        "NEGATIVE_BALANCE_ATTEMPT",
        description="Stock refused a movement of it since its last count because it would have taken a balance "
        "below zero: the book there is probably wrong.",
    )
    LARGE_ADJUSTMENT = strawberry.enum_value(
        "LARGE_ADJUSTMENT",
        description="Its last count adjusted more than the cycle policy's `largeAdjustmentValue`, at standard cost.",
    )
    FAILED_PICK = strawberry.enum_value(
        "FAILED_PICK",
        description="A pick of it found the shelf short since its last count. Due for that alone, it gets a SPOT "
        "count of the places the picks failed at instead of a cycle count.",
    )


def _decimal(message: Message, name: str) -> decimal.Decimal | None:
    """A decimal field the service may leave out, as null."""
    return optional_decimal(getattr(message, name), message.HasField(name))


@strawberry.type(
    description="How far counted may be from book before a recount. A variance is within it when it is inside "
    "every limit set; a zero variance always is."
)
class Tolerance:
    quantity: decimal.Decimal | None = strawberry.field(
        description="Most the variance may be, in the item's base unit; null: no limit on quantity."
    )
    percent: decimal.Decimal | None = strawberry.field(
        description="Most the variance may be, in percent of the book (2 means 2%); null: no limit. "
        "Stock the book did not know is always outside it."
    )
    value: decimal.Decimal | None = strawberry.field(
        description="Most the variance may be worth at standard cost; null: no limit on value."
    )

    @classmethod
    def from_proto(cls, proto: pb.Tolerance) -> Tolerance:
        return cls(
            quantity=_decimal(proto, "quantity"), percent=_decimal(proto, "percent"), value=_decimal(proto, "value")
        )


@strawberry.type(description="An approval given at one level; a rejection voids those given before it.")
class Approval:
    level: ApprovalLevel = strawberry.field(description="The level approved at.")
    actor: str = strawberry.field(description="The user id of who approved.")
    at: dt.datetime = strawberry.field(description="When it was approved.")
    comment: str | None = strawberry.field(description="The approver's comment; null when none was given.")

    @classmethod
    def from_proto(cls, proto: pb.Approval) -> Approval:
        return cls(
            level=ApprovalLevel(proto.level),
            actor=proto.actor,
            at=instant_from_proto(proto.at),
            comment=proto.comment or None,
        )


@strawberry.type(description="A change of a count's state, or a decision recorded on it.")
class Transition:
    from_state: CountState | None = strawberry.field(description="Null for the count's creation.")
    to_state: CountState = strawberry.field(
        description="The state after it: the same as `fromState` for a decision on a line."
    )
    actor: str = strawberry.field(description="The user id of who made it.")
    at: dt.datetime = strawberry.field(description="When it was made.")
    comment: str | None = strawberry.field(
        description="A cancellation's reason, a rejection's level and comment, or a line decided "
        "(`line 12: round 2 stands.`); null when none."
    )

    @classmethod
    def from_proto(cls, proto: pb.Transition) -> Transition:
        return cls(
            from_state=CountState(proto.from_state) if proto.from_state else None,
            to_state=CountState(proto.to_state),
            actor=proto.actor,
            at=instant_from_proto(proto.at),
            comment=proto.comment or None,
        )


@strawberry.type(
    description="A stock count: its scope, where it stands and what it found; `node(id:)` fetches it again by its "
    "`id`. To a counter of a blind count its variances are hidden (null) until it reaches REVIEW; supervisors, "
    "finance, managers and admins see them."
)
class Count(FetchedNode):
    id: relay.NodeID[str]
    warehouse: str = strawberry.field(description="The code of the warehouse counted.")
    kind: CountKind = strawberry.field(description="Why it was made.")
    blind: bool = strawberry.field(
        description="Counters see no book quantity or variance while the count is counted (until REVIEW)."
    )
    locations: list[str] = strawberry.field(description="The location codes in scope; empty: every location.")
    item_skus: list[str] = strawberry.field(description="The SKUs in scope; empty: every item.")
    abc_class: AbcClass | None = strawberry.field(
        description="The class the count is for, which picks its default tolerance and its group in accuracy by "
        "ABC_CLASS; null: unclassified. It does not narrow the scope."
    )
    tolerance: Tolerance = strawberry.field(
        description="The count's own, or else its class's default: A 1% and 50 in value, B 2% and 100, "
        "C or unclassified 5% and 200."
    )
    counters: list[str] = strawberry.field(
        description="The user ids assigned to count, whose `myOpenCounts` list it; others may enter too."
    )
    note: str | None = strawberry.field(description="Free text from whoever planned it; null when none.")
    state: CountState = strawberry.field(description="Where the count stands.")
    round: int = strawberry.field(description="The highest round a line is in: 1 until a line is recounted.")
    line_count: int = strawberry.field(description="Its lines, FOUND lines included; 0 until it is opened.")
    lines_counted: int = strawberry.field(description="Lines counted at least once: every line not TO_COUNT.")
    lines_differing: int | None = strawberry.field(
        description="Lines whose standing variance is not zero; null while hidden from the caller."
    )
    recounts_pending: int = strawberry.field(description="Lines waiting for a recount (RECOUNT).")
    investigations_pending: int = strawberry.field(
        description="Lines waiting for a supervisor's `decideLine` (INVESTIGATION)."
    )
    variance_value: decimal.Decimal | None = strawberry.field(
        description="Gains less losses of the lines that stand, at standard cost; null while hidden from the caller."
    )
    absolute_variance_value: decimal.Decimal | None = strawberry.field(
        description="Gains and losses added up as sizes, which decides the approval levels; null while hidden."
    )
    levels_required: list[ApprovalLevel] = strawberry.field(
        description="The levels that must approve, in order; empty until submitted, and again after a rejection."
    )
    approvals: list[Approval] = strawberry.field(
        description="The approvals in force, in the order given; a rejection empties it."
    )
    transitions: list[Transition] = strawberry.field(
        description="Its history, oldest first: every change of state and every line decided."
    )
    created_at: dt.datetime = strawberry.field(description="When it was created.")
    created_by: str = strawberry.field(description="The user id of who created or planned it.")

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[Count]:
        stub = info.context.stubs.counting
        reply = await call(lambda: stub.GetCounts(pb.GetCountsRequest(count_ids=ids)))
        return [cls.from_proto(count) for count in reply.counts]

    @classmethod
    def from_proto(cls, proto: pb.Count) -> Count:
        # The service hides the differing lines' number with the variance (its zero would read as "none differ").
        hidden = not proto.HasField("variance_value")
        return cls(
            id=proto.id,
            warehouse=proto.warehouse,
            kind=CountKind(proto.kind),
            blind=proto.blind,
            locations=list(proto.locations),
            item_skus=list(proto.item_skus),
            abc_class=AbcClass(proto.abc_class) if proto.abc_class else None,
            tolerance=Tolerance.from_proto(proto.tolerance),
            counters=list(proto.counters),
            note=proto.note or None,
            state=CountState(proto.state),
            round=proto.round,
            line_count=proto.lines,
            lines_counted=proto.lines_counted,
            lines_differing=None if hidden else proto.lines_differing,
            recounts_pending=proto.recounts_pending,
            investigations_pending=proto.investigations_pending,
            variance_value=_decimal(proto, "variance_value"),
            absolute_variance_value=_decimal(proto, "absolute_variance_value"),
            levels_required=[ApprovalLevel(level) for level in proto.levels_required],
            approvals=[Approval.from_proto(approval) for approval in proto.approvals],
            transitions=[Transition.from_proto(transition) for transition in proto.transitions],
            created_at=instant_from_proto(proto.created_at),
            created_by=proto.created_by,
        )


@strawberry.type(description="The part of a line's book in one stock status.")
class StatusQuantity:
    status: StockStatus = strawberry.field(
        description="The status: held stock (QC_HOLD, REJECTED) is on the shelf too, so it is counted."
    )
    quantity: decimal.Decimal = strawberry.field(description="How much, in the item's base unit; never zero.")


@strawberry.type(description="What one round of a line found.")
class RoundResult:
    round: int = strawberry.field(description="The round's number: 1 for the first count, 2 for the recount, ...")
    counted: decimal.Decimal = strawberry.field(
        description="The round's entries added up, in the item's base unit; shown even in a blind count."
    )
    counters: list[str] = strawberry.field(description="The user ids of who entered in the round.")
    counted_at: dt.datetime = strawberry.field(
        description="When the round's last entry was counted: the book is taken as of this time."
    )
    book: decimal.Decimal | None = strawberry.field(
        description="As of the count time, every stock status at the place summed (a counter counts what is "
        "there, held or not); null while hidden."
    )
    variance: decimal.Decimal | None = strawberry.field(
        description="Counted less book: positive a gain, negative a loss; null while hidden."
    )
    book_by_status: list[StatusQuantity] | None = strawberry.field(
        description="The book's non-zero parts by stock status; null while hidden."
    )

    @classmethod
    def from_proto(cls, proto: pb.RoundResult) -> RoundResult:
        return cls(
            round=proto.round,
            counted=decimal_from_proto(proto.counted),
            counters=list(proto.counters),
            counted_at=instant_from_proto(proto.counted_at),
            book=_decimal(proto, "book"),
            variance=_decimal(proto, "variance"),
            book_by_status=[
                StatusQuantity(status=StockStatus(part.status), quantity=decimal_from_proto(part.quantity))
                for part in proto.book_by_status
            ]
            if proto.HasField("book")
            else None,
        )


@strawberry.type(
    description="One item at one location (and lot) of a count; `node(id:)` fetches it again by its `id`. Its book "
    "and what is judged from it are null while hidden from a counter of a blind count."
)
class CountLine(FetchedNode):
    id: relay.NodeID[str]
    count_id: strawberry.ID = strawberry.field(description="The `id` of the count it belongs to.")
    number: int = strawberry.field(
        description="In location order, the order to walk the warehouse in; FOUND lines come after."
    )
    item_sku: str = strawberry.field(description="The item counted.")
    location: str = strawberry.field(description="The location code counted.")
    lot: str | None = strawberry.field(description="Null when the item is not lot-tracked.")
    unit: str = strawberry.field(description="The item's base unit, which every quantity here is in.")
    origin: LineOrigin = strawberry.field(
        description="BOOK: opened from a balance. FOUND: stock the book did not know."
    )
    state: LineState = strawberry.field(description="Where the line stands in the rounds.")
    round: int = strawberry.field(description="The round the line is in: its next entries count for it.")
    book_at_open: decimal.Decimal | None = strawberry.field(
        description="The book when the line was opened, every status summed (zero for a FOUND line); null while hidden."
    )
    opened_at: dt.datetime = strawberry.field(
        description="When the line was opened: when its count opened, or a FOUND line's first entry arrived."
    )
    rounds: list[RoundResult] = strawberry.field(description="The closed rounds, first first.")
    counted: decimal.Decimal | None = strawberry.field(
        description="Counted in the round that stands; null until one does, and while hidden."
    )
    variance: decimal.Decimal | None = strawberry.field(
        description="Counted less the book as of the count time, in the round that stands: positive a gain, "
        "negative a loss. Null until one stands, and while hidden."
    )
    variance_value: decimal.Decimal | None = strawberry.field(
        description="The variance at standard cost, signed; null until a round stands, and while hidden."
    )
    within_tolerance: bool | None = strawberry.field(
        description="Whether the variance is within the count's tolerance; null while there is no variance to judge."
    )
    moved_during_count: bool = strawberry.field(
        description="Stock moved at the line's place while it was counted: the variance allows for it, "
        "but a recount is advisable."
    )
    reasons: list[ReasonQuantity] = strawberry.field(
        description="What explains the variance, adding up to its size; empty until given."
    )
    movement_id: strawberry.ID | None = strawberry.field(
        description="The `id` of the stock adjustment that posted the line's gain or loss (a Movement); null until "
        "posted, and without variance."
    )

    @described.field("The item counted, from the catalog; null if the catalog does not know its SKU.")
    async def item(self, info: Info) -> Item | None:
        return await load_item(info, self.item_sku)

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[CountLine]:
        stub = info.context.stubs.counting
        reply = await call(lambda: stub.GetLines(pb.GetLinesRequest(line_ids=ids)))
        return [cls.from_proto(line) for line in reply.lines]

    @classmethod
    def from_proto(cls, proto: pb.CountLine) -> CountLine:
        return cls(
            id=proto.id,
            count_id=global_id(Count, proto.count_id),
            number=proto.number,
            item_sku=proto.item_sku,
            location=proto.location,
            lot=proto.lot or None,
            unit=proto.unit,
            origin=LineOrigin(proto.origin),
            state=LineState(proto.state),
            round=proto.round,
            book_at_open=_decimal(proto, "book_at_open"),
            opened_at=instant_from_proto(proto.opened_at),
            rounds=[RoundResult.from_proto(result) for result in proto.rounds],
            counted=_decimal(proto, "counted"),
            variance=_decimal(proto, "variance"),
            variance_value=_decimal(proto, "variance_value"),
            within_tolerance=proto.within_tolerance if proto.HasField("variance") else None,
            moved_during_count=proto.moved_during_count,
            reasons=[
                ReasonQuantity(reason_code=reason.reason_code, quantity=decimal_from_proto(reason.quantity))
                for reason in proto.reasons
            ],
            movement_id=global_id(Movement, proto.movement_id) if proto.movement_id else None,
        )


@strawberry.type(description="The caller's next line to count, and how many are left for them.")
class NextLine:
    line: CountLine | None = strawberry.field(description="Null when the caller has nothing left to count.")
    remaining: int = strawberry.field(
        description="Lines the caller may still count in the round, this one included; 0 when done."
    )

    @classmethod
    def from_proto(cls, proto: pb.NextLineResponse) -> NextLine:
        return cls(line=CountLine.from_proto(proto.line) if proto.HasField("line") else None, remaining=proto.remaining)


@strawberry.type(description="An entry the count took, now or on an earlier upload.")
class AcceptedEntry:
    entry_id: strawberry.ID = strawberry.field(description="The `entryId` as sent.")
    line_id: strawberry.ID = strawberry.field(
        description="The `id` of the line it counts for: the one named, the one at the place given, or a new FOUND "
        "line."
    )
    round: int = strawberry.field(description="The round it counts in.")
    duplicate: bool = strawberry.field(description="Accepted before with this entryId: not counted again.")

    @classmethod
    def from_proto(cls, proto: pb.AcceptedEntry) -> AcceptedEntry:
        return cls(
            entry_id=strawberry.ID(proto.entry_id),
            line_id=global_id(CountLine, proto.line_id),
            round=proto.round,
            duplicate=proto.duplicate,
        )


@strawberry.type(description="Who approves a count, by the absolute value of its variances.")
class ApprovalPolicy:
    warehouse: str = strawberry.field(description="The code of the warehouse it applies to.")
    supervisor_limit: decimal.Decimal = strawberry.field(
        description="Up to this a supervisor alone approves; 1000 until set."
    )
    finance_limit: decimal.Decimal = strawberry.field(
        description="Up to this finance also; above it a manager too. 10000 until set."
    )

    @classmethod
    def from_proto(cls, proto: pb.ApprovalPolicy) -> ApprovalPolicy:
        return cls(
            warehouse=proto.warehouse,
            supervisor_limit=decimal_from_proto(proto.supervisor_limit),
            finance_limit=decimal_from_proto(proto.finance_limit),
        )


@strawberry.type(description="A reason a line may differ by, e.g. DAMAGE_NOT_RECORDED.")
class ReasonCode:
    code: str = strawberry.field(description="The code, in capitals, as given in `reasons[].reasonCode`.")
    name: str = strawberry.field(description="What it means, for people: `Damage or scrap not recorded`.")
    active: bool = strawberry.field(
        description="An inactive code explains no new variance; lines explained by it keep it."
    )

    @classmethod
    def from_proto(cls, proto: pb.ReasonCode) -> ReasonCode:
        return cls(code=proto.code, name=proto.name, active=proto.active)


@strawberry.type(description="The gain/loss document of an approved count.")
class CountAdjustmentsCsv:
    filename: str = strawberry.field(
        description="A name to save it under: `count-<id>-adjustments.csv`, with the counting service's own id of "
        "the count (as in the `count` column), not the graph's `id`."
    )
    csv: str = strawberry.field(
        description="The CSV text, a header row first, then one row per line that differs: its book, counted, "
        "variance, GAIN or LOSS, standard cost, value, reasons and stock movement."
    )

    @classmethod
    def from_proto(cls, proto: pb.ExportAdjustmentsResponse) -> CountAdjustmentsCsv:
        return cls(filename=proto.filename, csv=proto.csv)


@strawberry.enum(description="What `accuracy` groups the lines of posted counts by.")
class AccuracyGrouping(Enum):
    WAREHOUSE = strawberry.enum_value("WAREHOUSE", description="A row per warehouse, named by its code.")
    ABC_CLASS = strawberry.enum_value(
        "ABC_CLASS", description="A row per class of the counts: A, B, C, or UNCLASSIFIED for counts without one."
    )
    COUNTER = strawberry.enum_value(
        "COUNTER", description="A row per user who counted a line's first round; a line counted by two is in both."
    )
    REASON = strawberry.enum_value(
        "REASON",
        description="A row per reason code given on lines; a line with several is in each, one with none in NONE.",
    )
    MONTH = strawberry.enum_value("MONTH", description="A row per month the lines were counted in, as `2025-03`.")


@strawberry.type(description="Inventory record accuracy of posted counts for one group.")
class AccuracyRow:
    group: str = strawberry.field(
        description="What the row is for: a warehouse code, an ABC class, a user id, a reason code or a month."
    )
    lines: int = strawberry.field(description="Lines of posted counts in the group.")
    lines_within_tolerance: int = strawberry.field(
        description="Of those, the lines whose first round was within tolerance."
    )
    record_accuracy: decimal.Decimal = strawberry.field(
        description="Share of lines within tolerance at the first count, from 0 to 1 (0.9750 is 97.5%)."
    )
    value_accuracy: decimal.Decimal = strawberry.field(
        description="1 - absolute variance value / book value, at standard cost, from 0 to 1; "
        "1 when nothing was on the book and nothing was found."
    )

    @classmethod
    def from_proto(cls, proto: pb.AccuracyRow) -> AccuracyRow:
        return cls(
            group=proto.group,
            lines=proto.lines,
            lines_within_tolerance=proto.lines_within_tolerance,
            record_accuracy=decimal_from_proto(proto.record_accuracy),
            value_accuracy=decimal_from_proto(proto.value_accuracy),
        )


@strawberry.type(description="A movement of the traced line's place, with its signed effect on the line.")
class TracedMovement:
    movement_id: strawberry.ID = strawberry.field(
        description="The `id` of the movement in the stock ledger: `node(id:)` fetches it."
    )
    type: MovementType = strawberry.field(
        description="What the movement did, as in the ledger. A STATUS_CHANGE within the place leaves its quantity "
        "as it was, so it is not traced; one moving rejected stock into quarantine is."
    )
    quantity: decimal.Decimal = strawberry.field(
        description="Its effect on the line's place, in the item's base unit: positive in, negative out."
    )
    document_type: str = strawberry.field(description="The kind of document it was posted for, e.g. SALES_ORDER.")
    document_id: str = strawberry.field(description="The document's id, e.g. SO-1.")
    actor: str = strawberry.field(description="The user id of who posted it.")
    business_time: dt.datetime = strawberry.field(description="When it happened in the warehouse.")
    posted_at: dt.datetime = strawberry.field(
        description="When it reached the ledger; well after `businessTime` for a backdated posting."
    )
    correction: bool = strawberry.field(description="It compensates for an earlier movement.")

    @classmethod
    def from_proto(cls, proto: pb.TracedMovement) -> TracedMovement:
        return cls(
            movement_id=global_id(Movement, proto.movement_id),
            type=enum_from_code(MovementType, proto.type, "TracedMovement.type"),
            quantity=decimal_from_proto(proto.quantity),
            document_type=proto.document_type,
            document_id=proto.document_id,
            actor=proto.actor,
            business_time=instant_from_proto(proto.business_time),
            posted_at=instant_from_proto(proto.posted_at),
            correction=proto.correction,
        )


@strawberry.type(description="A suggested cause of a variance, most likely first.")
class Suspect:
    kind: SuspectKind = strawberry.field(description="What kind of cause it is.")
    explanation: str = strawberry.field(description="What was found, in a sentence for the supervisor.")
    rank: int = strawberry.field(
        description="How likely: higher first. A movement that matches the variance ranks 100 to 109, "
        "a recurring operator 40 to 59."
    )
    movements: list[TracedMovement] = strawberry.field(description="The movements it points to; may be empty.")

    @classmethod
    def from_proto(cls, proto: pb.Suspect) -> Suspect:
        return cls(
            kind=enum_from_code(SuspectKind, proto.kind, "Suspect.kind"),
            explanation=proto.explanation,
            rank=proto.rank,
            movements=[TracedMovement.from_proto(m) for m in proto.movements],
        )


@strawberry.type(description="Where book and shelf parted: the line's ledger since its last posted count.")
class LineTrace:
    line: CountLine = strawberry.field(description="The line traced.")
    since: dt.datetime | None = strawberry.field(description="The line's last posted count; null: never counted.")
    suspects: list[Suspect] = strawberry.field(
        description="Suggested causes, most likely first; empty when nothing stands out."
    )
    movements: list[TracedMovement] = strawberry.field(
        description="Every movement at the line's place after `since`, up to its count time (now if not counted)."
    )

    @classmethod
    def from_proto(cls, proto: pb.LineTrace) -> LineTrace:
        return cls(
            line=CountLine.from_proto(proto.line),
            since=timestamp_from_proto(proto.since) if proto.HasField("since") else None,
            suspects=[Suspect.from_proto(s) for s in proto.suspects],
            movements=[TracedMovement.from_proto(m) for m in proto.movements],
        )


@strawberry.type(description="An item's ABC class in a warehouse and the issue value it was ranked by.")
class ItemClass:
    item_sku: str = strawberry.field(description="The item.")
    abc_class: AbcClass = strawberry.field(description="Its class.")
    issue_value: decimal.Decimal = strawberry.field(
        description="The value of its issues from the warehouse in the period, at standard cost."
    )

    @classmethod
    def from_proto(cls, proto: pb.AbcClass) -> ItemClass:
        return cls(
            item_sku=proto.item_sku,
            abc_class=AbcClass(proto.abc_class),
            issue_value=decimal_from_proto(proto.issue_value),
        )


@strawberry.type(description="A warehouse's ABC classes as last computed.")
class AbcClasses:
    warehouse: str = strawberry.field(description="The warehouse's code.")
    computed_at: dt.datetime | None = strawberry.field(description="Null: never computed.")

    @described.field(
        "Every item classified: the A items first, then the B, then the C, each class by item SKU; empty until "
        "computed. Pages read after the classes are computed again show the new ones."
    )
    async def classes(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[ItemClass]:
        page = page_request(first, after, last, before)
        request = pb.ListAbcClassesRequest(warehouse=self.warehouse, **page.fields)
        reply = await call(lambda: info.context.stubs.counting.ListAbcClasses(request))
        classes = [ItemClass.from_proto(c) for c in reply.classes]
        return connection(classes, reply.cursors, page, reply.next_page_token)

    @classmethod
    def from_proto(cls, proto: pb.AbcClasses) -> AbcClasses:
        return cls(
            warehouse=proto.warehouse,
            computed_at=timestamp_from_proto(proto.computed_at) if proto.HasField("computed_at") else None,
        )


@strawberry.type(
    description="How often each class is counted in a warehouse, and how big a planned count may be; "
    "the defaults hold until it is set."
)
class CyclePolicy:
    warehouse: str = strawberry.field(description="The warehouse's code.")
    a_days: int = strawberry.field(description="Days between counts of an A item; 30 by default.")
    b_days: int = strawberry.field(description="Days between counts of a B item; 91 by default.")
    c_days: int = strawberry.field(description="Days between counts of a C or unclassified item; 182 by default.")
    capacity: int = strawberry.field(
        description="Most lines expected in one planned count; 200 by default. An item is never split."
    )
    large_adjustment_value: decimal.Decimal = strawberry.field(
        description="An item whose last count adjusted more than this, at standard cost, is due again; 500 by default."
    )

    @classmethod
    def from_proto(cls, proto: pb.CyclePolicy) -> CyclePolicy:
        return cls(
            warehouse=proto.warehouse,
            a_days=proto.a_days,
            b_days=proto.b_days,
            c_days=proto.c_days,
            capacity=proto.capacity,
            large_adjustment_value=decimal_from_proto(proto.large_adjustment_value),
        )


@strawberry.type(description="An item a plan counts, and why it is due.")
class DueItem:
    item_sku: str = strawberry.field(description="The item due.")
    abc_class: AbcClass | None = strawberry.field(description="Its class; null while it has none.")
    triggers: list[DueTrigger] = strawberry.field(description="Why it is due: one or more reasons, never none.")

    @classmethod
    def from_proto(cls, proto: pb.DueItem) -> DueItem:
        return cls(
            item_sku=proto.item_sku,
            abc_class=AbcClass(proto.abc_class) if proto.abc_class else None,
            triggers=[enum_from_code(DueTrigger, trigger, "DueItem.triggers") for trigger in proto.triggers],
        )
