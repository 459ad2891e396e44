"""Random sequences of stock commands, sent to the real service over gRPC, keep the book true.

A hypothesis state machine sends receipts, returns, issues, transfers (within a warehouse,
and between warehouses through the destination's in-transit location), scrap, inspection
decisions, adjustments, reservations (one or several lines, either policy, some expiring),
releases and issues against reservations. A small model says what each should do, refusals
included; after every step the service's own answers about the items it touched must
match the model and show that every balance is the sum of its movements, none is negative,
reserved is the sum of the open reservations and stays within AVAILABLE on hand unless a
scrap or loss made a shortage, and CheckIntegrity finds no drift.

State machines are synchronous: the services live on one event loop (asyncio.Runner) that
each step drives until its calls are answered. One pair of services serves every example;
each example works on items of its own.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from google.protobuf.message import Message
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from stock_support import (
    WAREHOUSES,
    Refusal,
    Spot,
    answer,
    availability,
    balances,
    create_item,
    create_warehouses,
    d,
    key,
    listed_reservations,
    movement,
    movements,
    nonzero,
    sum_of_movements,
)

from invariant.stock.v1 import stock_pb2 as pb
from invariant_core.db import utcnow
from invariant_core.testing import scratch_databases
from invariant_kernel.errors import ErrorCode
from stock.adapters.repository import SqlStockRepository
from stock.service.handlers import expire_reservations

T = TypeVar("T")

STORAGE = ("A-01", "B-01")
IN_TRANSIT = "IN_TRANSIT"
LOTS = ("L1", "L2")
AVAILABLE, QC_HOLD, REJECTED = "STOCK_STATUS_AVAILABLE", "STOCK_STATUS_QC_HOLD", "STOCK_STATUS_REJECTED"
RECEIPT, ISSUE, TRANSFER, SCRAP = "RECEIPT", "ISSUE", "TRANSFER", "SCRAP"
RETURN, ADJUSTMENT, STATUS_CHANGE = "RETURN", "ADJUSTMENT", "STATUS_CHANGE"
INCOMING = (RECEIPT, RETURN, ADJUSTMENT)
# The status changes there are: an inspection decision on stock in QC_HOLD (here an admin's
# correction with a reason), a quality hold, and use as is (the tester is an admin).
STATUS_CHANGES = frozenset({(QC_HOLD, AVAILABLE), (QC_HOLD, REJECTED), (AVAILABLE, QC_HOLD), (REJECTED, AVAILABLE)})
UNITS = {"": Decimal(1), "BOX": Decimal(10)}
Refused = tuple[ErrorCode, str]


@dataclass
class Held:
    """A reservation as the model sees it."""

    sku: str
    warehouse: str
    open: Decimal
    expires: bool
    consumed: Decimal = Decimal(0)
    released: Decimal = Decimal(0)
    state: str = "OPEN"

    def settle(self) -> None:
        if self.open == 0:
            self.state = "CONSUMED" if self.consumed else "RELEASED"


@dataclass
class Ledger:
    """What the service should hold for the items of one example."""

    lot_tracked: dict[str, bool] = field(default_factory=dict)
    balances: Counter[tuple[str, Spot]] = field(default_factory=Counter)
    lots: dict[str, set[str]] = field(default_factory=dict)
    reservations: dict[str, Held] = field(default_factory=dict)
    # (item, warehouse) whose AVAILABLE on hand a scrap or a loss took below what is reserved.
    short: set[tuple[str, str]] = field(default_factory=set)
    postings: Counter[str] = field(default_factory=Counter)

    def buckets(self, sku: str, warehouse: str) -> dict[str, Decimal]:
        found = dict.fromkeys(("on_hand", "qc_hold", "rejected", "in_transit"), Decimal(0))
        for (item, (where, location, _, status)), quantity in self.balances.items():
            if (item, where) == (sku, warehouse):
                bucket = {AVAILABLE: "on_hand", QC_HOLD: "qc_hold", REJECTED: "rejected"}[status]
                found["in_transit" if location == IN_TRANSIT else bucket] += quantity
        found["reserved"] = self.reserved(sku, warehouse)
        found["atp"] = found["on_hand"] - found["reserved"]
        return found

    def reserved(self, sku: str, warehouse: str) -> Decimal:
        return sum(
            (h.open for h in self.reservations.values() if (h.sku, h.warehouse, h.state) == (sku, warehouse, "OPEN")),
            Decimal(0),
        )

    def atp(self, sku: str, warehouse: str) -> Decimal:
        return self.buckets(sku, warehouse)["atp"]

    def known_lot(self, sku: str, lot: str) -> bool:
        return not self.lot_tracked[sku] or lot in self.lots[sku]

    def movement_refusal(
        self, kind: str, sku: str, quantity: Decimal, source: Spot | None, target: Spot | None
    ) -> Refused | None:
        for side, spot in (("from", source), ("to", target)):
            if spot and not self.known_lot(sku, spot[2]) and not (side == "to" and kind in INCOMING):
                return ErrorCode.NOT_FOUND, f"{side}.lot"
        if kind == STATUS_CHANGE and source and target and (source[3], target[3]) not in STATUS_CHANGES:
            return ErrorCode.INVALID_STATE, "to.status"
        if kind == TRANSFER and source and target and source[:2] == target[:2]:
            return ErrorCode.INVALID_STATE, "to.location"
        if source is not None:
            # Taking AVAILABLE stock out of a warehouse must leave what is reserved there.
            guarded = (
                kind in (ISSUE, TRANSFER)
                and source[3] == AVAILABLE
                and source[1] != IN_TRANSIT
                and (target is None or target[0] != source[0])
            )
            if guarded and self.atp(sku, source[0]) < quantity:
                return ErrorCode.INSUFFICIENT_STOCK, "quantity"
            if self.balances[(sku, source)] < quantity:
                return ErrorCode.INSUFFICIENT_STOCK, "quantity"
        return None

    def post(self, kind: str, sku: str, quantity: Decimal, source: Spot | None, target: Spot | None) -> None:
        if source is not None:
            self.balances[(sku, source)] -= quantity
        if target is not None:
            self.balances[(sku, target)] += quantity
            if self.lot_tracked[sku]:
                self.lots[sku].add(target[2])
        self.postings[sku] += 1
        # A quality hold takes AVAILABLE stock as a loss does.
        self.note_shortages(sku, by_loss=kind in (SCRAP, ADJUSTMENT, STATUS_CHANGE))

    def note_shortages(self, sku: str, by_loss: bool = False) -> None:
        for warehouse in WAREHOUSES:
            found = self.buckets(sku, warehouse)
            if found["on_hand"] >= found["reserved"]:
                self.short.discard((sku, warehouse))
            elif by_loss:
                self.short.add((sku, warehouse))

    def grant(self, all_or_nothing: bool, lines: list[tuple[str, str, Decimal]]) -> list[Decimal] | Refused:
        left: dict[tuple[str, str], Decimal] = {}
        granted = []
        for index, (sku, warehouse, quantity) in enumerate(lines):
            there = left.get((sku, warehouse), max(self.atp(sku, warehouse), Decimal(0)))
            if all_or_nothing and quantity > there:
                return ErrorCode.INSUFFICIENT_STOCK, f"lines[{index}].quantity"
            granted.append(min(quantity, there))
            left[(sku, warehouse)] = there - granted[-1]
        return granted

    def take_from(self, held: Held, quantity: Decimal | None) -> Refused | None:
        """Whether a reservation can give `quantity` (None: all that is open)."""
        if held.state != "OPEN":
            return ErrorCode.INVALID_STATE, "reservation_id"
        if quantity is not None and quantity > held.open:
            return ErrorCode.OUT_OF_RANGE, "quantity"
        return None


@dataclass(frozen=True)
class World:
    """The running services, and how a synchronous step waits for a coroutine."""

    runner: asyncio.Runner
    services: Any

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    def send(self, method: Callable[[Any], Awaitable[Any]], request: Message) -> Any:
        """The reply, or the Refusal. The stub is called inside the loop: its metadata
        (the actor) comes from the loop's context, not from the synchronous caller's."""

        async def call() -> Any:
            return await answer(method(request))

        return self.run(call())


# Shrinking moves towards the first of each: AVAILABLE stock at WH1/A-01, lot L1.
warehouses = st.sampled_from(WAREHOUSES)
storage = st.sampled_from(STORAGE)
quantities = st.integers(1, 16).map(lambda halves: Decimal(halves) / 2)
deliveries = st.integers(1, 40).map(Decimal)
ANY_STATUS = (AVAILABLE, QC_HOLD, REJECTED)
# What releases and issues draw from; hypothesis favours the latest, likely still open.
reservations = Bundle("reservations")


class StockMachine(RuleBasedStateMachine):
    """Choices drawn from the model come in the model's own order, never sorted by SKU or
    reservation id: those are new in every run, and hypothesis needs a run to draw alike
    when it replays it."""

    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger()
        self.skus: list[str] = []
        # The items the last step sent commands for: the check reads those (the other item's
        # book cannot have changed, and its next check would show it if it had).
        self.touched: set[str] = set()

    @property
    def stock(self) -> Any:
        return self.world.services.stock

    @initialize(opening=st.integers(1, 30).map(Decimal))
    def new_items(self, opening: Decimal) -> None:
        """A plain item and a lot-tracked one, new for each example, with stock in both warehouses."""
        for tracked in (False, True):
            sku = self.world.run(create_item(self.world.services, lot_tracked=tracked))
            self.skus.append(sku)
            self.ledger.lot_tracked[sku] = tracked
            self.ledger.lots[sku] = set()
            for warehouse in WAREHOUSES:
                self.post(RECEIPT, sku, opening, target=(warehouse, "A-01", "L1" if tracked else "", AVAILABLE))

    def anywhere(
        self, data: st.DataObject, statuses: tuple[str, ...] = ANY_STATUS, locations: tuple[str, ...] = STORAGE
    ) -> tuple[str, Spot]:
        """An item and a place of it, whether it holds stock or not."""
        sku, warehouse, location, lot, status = data.draw(
            st.tuples(
                st.sampled_from(self.skus),
                warehouses,
                st.sampled_from(locations),
                st.sampled_from(LOTS),
                st.sampled_from(statuses),
            )
        )
        return sku, (warehouse, location, lot if self.ledger.lot_tracked[sku] else "", status)

    def stocked(
        self, data: st.DataObject, statuses: tuple[str, ...] = ANY_STATUS, locations: tuple[str, ...] = STORAGE
    ) -> tuple[str, Spot]:
        """Mostly a place that holds stock, so that what takes stock gets through; else anywhere."""
        held = [
            (sku, spot)
            for (sku, spot), quantity in self.ledger.balances.items()
            if quantity > 0 and spot[1] in locations and spot[3] in statuses
        ]
        if held and data.draw(st.booleans()):
            return data.draw(st.sampled_from(held))
        return self.anywhere(data, statuses, locations)

    def post(
        self,
        kind: str,
        sku: str,
        quantity: Decimal,
        source: Spot | None = None,
        target: Spot | None = None,
        unit: str = "",
        reason_code: str = "",
    ) -> None:
        base = quantity * UNITS[unit]
        self.touched.add(sku)
        expected = self.ledger.movement_refusal(kind, sku, base, source, target)
        request = movement(
            pb.MovementType.Value(f"MOVEMENT_TYPE_{kind}"),
            sku,
            str(quantity),
            source=stock_place(source),
            target=stock_place(target),
            unit=unit,
            reason_code=reason_code,
            document=pb.DocumentRef(type="TEST", id="STATEFUL"),
        )
        refusal = self.world.send(self.stock.PostMovement, request)
        assert why(refusal) == expected, (kind, source, target, base)
        event(f"{kind}: {expected[0] if expected else 'posted'}")
        if expected is None:
            self.ledger.post(kind, sku, base, source, target)
            if self.ledger.short:
                event("a scrap or loss left less on hand than is reserved")

    @rule(
        data=st.data(),
        status=st.sampled_from((AVAILABLE, QC_HOLD)),
        quantity=deliveries,
        unit=st.sampled_from(tuple(UNITS)),
        returned=st.booleans(),
    )
    def receive(self, data: st.DataObject, status: str, quantity: Decimal, unit: str, returned: bool) -> None:
        """From a supplier into AVAILABLE or QC_HOLD, or back from a customer into QC_HOLD."""
        if returned:
            sku, target = self.anywhere(data, (QC_HOLD,))
            self.post(RETURN, sku, quantity, target=target, unit=unit)
        else:
            sku, target = self.anywhere(data, (status,))
            self.post(RECEIPT, sku, quantity, target=target, unit=unit)

    @rule(data=st.data(), quantity=quantities, to_supplier=st.booleans())
    def issue(self, data: st.DataObject, quantity: Decimal, to_supplier: bool) -> None:
        """AVAILABLE stock to a customer or production, or REJECTED stock back to the supplier."""
        if to_supplier:
            sku, source = self.stocked(data, (REJECTED,))
            self.post(ISSUE, sku, quantity, source=source, reason_code="RETURN_TO_SUPPLIER")
        else:
            sku, source = self.stocked(data, (AVAILABLE,))
            self.post(ISSUE, sku, quantity, source=source)

    @rule(data=st.data(), quantity=quantities, everything=st.booleans())
    def scrap(self, data: st.DataObject, quantity: Decimal, everything: bool) -> None:
        """Any status, reservations or not: scrapping all of a place is how shortages happen."""
        sku, source = self.stocked(data)
        if everything and self.ledger.balances[(sku, source)] > 0:
            quantity = self.ledger.balances[(sku, source)]
        self.post(SCRAP, sku, quantity, source=source)

    @rule(
        data=st.data(),
        route=st.sampled_from(("within", "within", "within", "same place", "out", "in")),
        quantity=quantities,
    )
    def transfer(self, data: st.DataObject, route: str, quantity: Decimal) -> None:
        """Within a warehouse (to the same place is refused), out to the other warehouse's
        in-transit location, or in from a warehouse's in-transit location to a shelf."""
        if route == "out":
            sku, source = self.stocked(data, locations=(*STORAGE, IN_TRANSIT))
            warehouse, _, lot, status = source
            destination = next(w for w in WAREHOUSES if w != warehouse)
            target = (destination, IN_TRANSIT, lot, status)
        elif route == "in":
            sku, source = self.stocked(data, locations=(IN_TRANSIT,))
            warehouse, _, lot, status = source
            target = (warehouse, data.draw(storage), lot, status)
        else:
            sku, source = self.stocked(data)
            warehouse, here, lot, status = source
            there = here if route == "same place" else next(location for location in STORAGE if location != here)
            target = (warehouse, there, lot, status)
        self.post(TRANSFER, sku, quantity, source=source, target=target)

    @rule(data=st.data(), after=st.sampled_from((AVAILABLE, REJECTED, QC_HOLD)), quantity=quantities)
    def change_status(self, data: st.DataObject, after: str, quantity: Decimal) -> None:
        """An admin's correction of QC_HOLD, a quality hold, use as is; anything else is refused."""
        sku, source = self.stocked(data, (QC_HOLD, QC_HOLD, REJECTED, AVAILABLE))
        self.post(STATUS_CHANGE, sku, quantity, source=source, target=(*source[:3], after), reason_code="ENTRY_ERROR")

    @rule(
        data=st.data(),
        gain=st.booleans(),
        quantity=quantities,
        reason=st.sampled_from(("COUNTING_ERROR", "DAMAGE_NOT_RECORDED", "")),
    )
    def adjust(self, data: st.DataObject, gain: bool, quantity: Decimal, reason: str) -> None:
        if gain:
            sku, target = self.anywhere(data, locations=(*STORAGE, IN_TRANSIT))
            self.post(ADJUSTMENT, sku, quantity, target=target, reason_code=reason)
        else:
            sku, source = self.stocked(data, locations=(*STORAGE, IN_TRANSIT))
            self.post(ADJUSTMENT, sku, quantity, source=source, reason_code=reason)

    @rule(
        target=reservations,
        order=st.tuples(
            st.lists(st.tuples(st.integers(0, 1), warehouses, quantities), min_size=1, max_size=3),
            st.booleans(),
            st.booleans(),
        ),
    )
    def reserve(self, order: tuple[list[tuple[int, str, Decimal]], bool, bool]) -> MultipleResults[str]:
        """One to three lines, all or nothing or partly, expiring in an hour or not."""
        lines, all_or_nothing, expiring = order
        wanted = [(self.skus[item], warehouse, quantity) for item, warehouse, quantity in lines]
        self.touched.update(sku for sku, _, _ in wanted)
        expected = self.ledger.grant(all_or_nothing, wanted)
        request = pb.ReserveRequest(
            idempotency_key=key(),
            lines=[pb.ReservationLine(item_sku=s, warehouse=w, quantity=d(q)) for s, w, q in wanted],
            policy=pb.RESERVATION_POLICY_ALL_OR_NOTHING if all_or_nothing else pb.RESERVATION_POLICY_PARTIAL,
        )
        if expiring:
            # Far enough ahead that only time_passes() expires it, not the service's own sweep.
            request.expires_at.FromDatetime(utcnow() + timedelta(hours=1))
        reply = self.world.send(self.stock.Reserve, request)
        if isinstance(expected, tuple):
            assert why(reply) == expected
            event(f"reserve: {expected[0]}")
            return multiple()
        assert isinstance(reply, pb.ReserveResponse), reply
        event(f"reserve {len(lines)} line(s): {'in full' if sum(expected) == sum(q for *_, q in wanted) else 'partly'}")
        made = list(reply.reservations)
        assert [(r.item_sku, r.warehouse, Decimal(r.requested.value), Decimal(r.open.value)) for r in made] == [
            (s, w, q, g) for (s, w, q), g in zip(wanted, expected, strict=True)
        ]
        for reservation, (sku, warehouse, _), granted in zip(made, wanted, expected, strict=True):
            held = Held(sku, warehouse, granted, expiring)
            held.settle()
            self.ledger.reservations[reservation.id] = held
        return multiple(*(r.id for r in made))

    def held(self, reservation: str) -> Held:
        held = self.ledger.reservations[reservation]
        self.touched.add(held.sku)
        return held

    @rule(reservation=reservations, asked=st.none() | quantities)
    def release(self, reservation: str, asked: Decimal | None) -> None:
        """Part of what is open, or (None) all of it."""
        held = self.held(reservation)
        expected = self.ledger.take_from(held, asked)
        request = pb.ReleaseRequest(idempotency_key=key(), reservation_id=reservation)
        if asked is not None:
            request.quantity.CopyFrom(d(asked))
        refusal = self.world.send(self.stock.Release, request)
        assert why(refusal) == expected
        event(f"release: {expected[0] if expected else 'released'}")
        if expected is None:
            given_back = held.open if asked is None else asked
            held.open -= given_back
            held.released += given_back
            held.settle()
            self.ledger.note_shortages(held.sku)

    @rule(reservation=reservations, data=st.data(), location=storage, quantity=quantities, all_of_it=st.booleans())
    def issue_against_a_reservation(
        self, reservation: str, data: st.DataObject, location: str, quantity: Decimal, all_of_it: bool
    ) -> None:
        held = self.held(reservation)
        if all_of_it and held.open > 0:
            quantity = held.open
        stocked = [
            spot
            for (sku, spot), on_hand in self.ledger.balances.items()
            if (sku, spot[0], spot[3]) == (held.sku, held.warehouse, AVAILABLE) and spot[1] in STORAGE and on_hand > 0
        ]
        if stocked and data.draw(st.booleans()):
            _, location, lot, _ = data.draw(st.sampled_from(stocked))
        elif not self.ledger.lot_tracked[held.sku]:
            lot = ""
        elif self.ledger.lots[held.sku]:
            lot = data.draw(st.sampled_from(sorted(self.ledger.lots[held.sku])))
        else:
            return
        source = (held.warehouse, location, lot, AVAILABLE)
        expected = self.ledger.take_from(held, quantity)
        if expected is None and self.ledger.balances[(held.sku, source)] < quantity:
            expected = ErrorCode.INSUFFICIENT_STOCK, "quantity"
        request = pb.IssueReservationRequest(
            idempotency_key=key(), reservation_id=reservation, quantity=d(quantity), location=location, lot=lot
        )
        refusal = self.world.send(self.stock.IssueReservation, request)
        assert why(refusal) == expected
        event(f"issue against a reservation: {expected[0] if expected else 'issued'}")
        if expected is None:
            held.open -= quantity
            held.consumed += quantity
            held.settle()
            self.ledger.post(ISSUE, held.sku, quantity, source, None)

    @rule(hours=st.integers(2, 48))
    def time_passes(self, hours: int) -> None:
        """Hours later, the sweep gives back what the expiring reservations held."""
        later = utcnow() + timedelta(hours=hours)
        uows = self.world.services.running.uows

        async def sweep() -> None:
            while True:
                async with uows() as uow:
                    expired = await expire_reservations(uow, SqlStockRepository(uow.session), now=later)
                    await uow.commit()
                if not expired:
                    return

        self.world.run(sweep())
        for held in self.ledger.reservations.values():
            if held.expires and held.state == "OPEN":
                event("a reservation expired")
                held.released += held.open
                held.open = Decimal(0)
                held.state = "EXPIRED"
        for sku in self.skus:
            self.ledger.note_shortages(sku)
        self.touched.update(self.skus)

    @invariant()
    def the_book_is_true(self) -> None:
        checked = sorted(self.touched)
        self.touched.clear()
        observed, report = self.world.run(self.observe(checked))
        for sku, (history, found, held, buckets) in zip(checked, observed, strict=True):
            assert len(history) == self.ledger.postings[sku], "a refused command posted, or a posted one is missing"
            assert nonzero(found) == nonzero(sum_of_movements(history)), "a balance is not the sum of its movements"
            assert all(quantity >= 0 for quantity in found.values()), found
            assert nonzero(found) == {spot: q for (item, spot), q in self.ledger.balances.items() if item == sku and q}
            assert {
                r.id: (r.state, Decimal(r.open.value), Decimal(r.consumed.value), Decimal(r.released.value))
                for r in held
            } == {
                rid: (h.state, h.open, h.consumed, h.released)
                for rid, h in self.ledger.reservations.items()
                if h.sku == sku
            }
            for warehouse, shown in zip(WAREHOUSES, buckets, strict=True):
                assert shown == self.ledger.buckets(sku, warehouse), (sku, warehouse)
                open_here = [r for r in held if r.warehouse == warehouse and r.state == "OPEN"]
                assert shown["reserved"] == sum((Decimal(r.open.value) for r in open_here), Decimal(0))
                if shown["reserved"] > shown["on_hand"]:
                    assert (sku, warehouse) in self.ledger.short, "reserved above on hand without a scrap or loss"
        assert list(report.drifts) == []

    async def observe(self, skus: list[str]) -> tuple[list[tuple[Any, ...]], pb.IntegrityReport]:
        """Per item its history, balances, reservations and availability per warehouse; the integrity report."""
        services = self.world.services

        async def item(sku: str) -> tuple[Any, ...]:
            history, found, held, *buckets = await asyncio.gather(
                movements(services, sku),
                balances(services, sku),
                listed_reservations(services, item_sku=sku),
                *(availability(services, sku, w) for w in WAREHOUSES),
            )
            return history, found, held, buckets

        *observed, report = await asyncio.gather(
            *(item(sku) for sku in skus), services.stock.CheckIntegrity(pb.CheckIntegrityRequest())
        )
        return observed, report


def why(reply: object) -> Refused | None:
    """How a call was refused, as the model says it: code and field; None for an answer."""
    return (reply.code, reply.field) if isinstance(reply, Refusal) else None


def stock_place(spot: Spot | None) -> pb.StockPlace | None:
    if spot is None:
        return None
    warehouse, location, lot, status = spot
    return pb.StockPlace(warehouse=warehouse, location=location, lot=lot, status=pb.StockStatus.Value(status))


def test_random_stock_commands_keep_the_ledger_true(start_services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with asyncio.Runner() as runner:
        stack = AsyncExitStack()
        databases = runner.run(stack.enter_async_context(scratch_databases(tmp_path)))
        try:
            services = runner.run(stack.enter_async_context(start_services(databases)))
            runner.run(create_warehouses(services, locations=STORAGE))
            StockMachine.world = World(runner, services)
            run_state_machine_as_test(
                StockMachine,
                settings=settings(
                    max_examples=30,
                    stateful_step_count=20,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow],
                ),
            )
        finally:
            runner.run(stack.aclose())
