"""A full count from open to posted adjustment, step by step, against a bulk insert of its lines.

Starts catalog, stock and counting as real processes on PostgreSQL (BENCH_DATABASE_URL, default the local
server) with embedded NATS. Stock is seeded with LINES item-locations (items x 100
locations; default 100,000, as the issue asks), every balance an opening-balance count
adjustment, then one count runs through the counting service over gRPC:

  open      CreateCount (FULL, not blind) + OpenCount: one line per balance
  entries   SubmitEntries, every line counted, 5,000 entries per call
  variance  FinishRound: every line judged against stock's book (GetBooks)
  post      the 10 % that differ are explained (ExplainLines, 5,000 lines per call), submitted,
            approved at every level required and posted by stock; until the count's posted event

The tolerance is wide, so the differing lines stand at the first round. The baseline is
the same lines inserted straight through asyncpg into the count's own table on a database
of the same server: executemany (what the ratios use) and, for reference, COPY. Every
step's rate is of the count's lines (the post step also reports its rate of the lines
it adjusts, a tenth of them). At the end stock must report no drift and its balances must
have moved by exactly the sum of the variances.
Writes bench/results/counting.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

import asyncpg
import nats
from google.type.decimal_pb2 import Decimal as PbDecimal
from postgres import settle
from running import asyncpg_dsn, started

from catalog.bootstrap import SERVICE_NAME as CATALOG_SERVICE
from counting.bootstrap import MIGRATIONS as COUNTING_MIGRATIONS
from counting.bootstrap import SERVICE_NAME as COUNTING_SERVICE
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant.counting.v1 import counting_pb2 as pb
from invariant.counting.v1 import counting_pb2_grpc
from invariant.events.v1 import counting_pb2 as counting_events
from invariant.events.v1.envelope_pb2 import Envelope
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core import identity, migrations, rpc
from invariant_core.bus import STREAM
from invariant_core.testing import scratch_databases
from stock.bootstrap import SERVICE_NAME as STOCK_SERVICE

# A multiple of LOCATIONS; LINES=10000 makes a quick run.
LINES = int(os.environ.get("LINES", "100000"))
LOCATIONS = 100
ITEMS = LINES // LOCATIONS
ON_HAND = 50
COST = Decimal(2)
DIFFERING_EVERY = 10  # every tenth line differs from the book
SEED_BATCH = 5000  # PostCountAdjustments takes at most this many
SEED_CLIENTS = 2
OPENING_REASON = "OPENING_BALANCE"
ENTRY_BATCH = 5000  # SubmitEntries takes at most this many
ENTRY_CLIENTS = 4  # handhelds uploading at once
EXPLAIN_BATCH = 5000  # ExplainLines takes at most this many
LINES_PAGE = 1000  # ListLines gives at most this many
# Wide enough that every planted variance stands at the first round: no recount.
TOLERANCE = Decimal(1000)
# The suite's default deadline is 10 s; a 100,000-line open or round may take longer.
LONG = 600.0
WAREHOUSE = "BENCH"
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
STEPS = ("open", "entries", "variance", "post")
RESULTS = Path(__file__).parent / "results" / "counting.json"
POSTED_SUBJECT = "inventory.counting.count.posted"

SUPERVISOR = identity.Identity(actor="sam", roles=frozenset({"supervisor"}))
COUNTER = identity.Identity(actor="cora", roles=frozenset({"operator"}))
# Approvers by level: each has the level's role, none of them counted.
APPROVERS = {
    "SUPERVISOR": SUPERVISOR,
    "FINANCE": identity.Identity(actor="fay", roles=frozenset({"finance"})),
    "MANAGER": identity.Identity(actor="max", roles=frozenset({"manager"})),
}
GAIN_REASON, LOSS_REASON = "RECEIPT_NOT_RECORDED", "THEFT_OR_UNKNOWN"

# Who the benchmark acts as: it seeds and calls as an admin.
BENCH = identity.Identity(actor="bench", roles=frozenset({"admin"}))


def sku(n: int) -> str:
    return f"CNT-{n:05d}"


def location(n: int) -> str:
    return f"L-{n:03d}"


def keys() -> Iterator[tuple[str, str]]:
    """Every item-location, in the order the count numbers its lines (location, then item)."""
    for loc in range(LOCATIONS):
        for item in range(ITEMS):
            yield sku(item), location(loc)


def planted_variance(n: int) -> int:
    """What the shelf differs from the book by on the n-th key: gains and losses alternate."""
    if n % DIFFERING_EVERY:
        return 0
    return 3 if (n // DIFFERING_EVERY) % 2 == 0 else -2


def progress(what: str) -> None:
    """Where a long run has got to, on stderr: the table and the JSON stay clean."""
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


def quantity(value: Decimal | int) -> PbDecimal:
    return PbDecimal(value=str(value))


async def gathered(calls: list[Callable[[], Awaitable[object]]], width: int) -> None:
    """Run the calls `width` at a time (a gRPC call starts when it is made, not awaited)."""
    gate = asyncio.Semaphore(width)

    async def one(call: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one(call) for call in calls))


# starting the services


async def consumers_settled(nats_url: str) -> None:
    """Wait until every event of the seeding is published and every consumer has applied
    it, so that none works through a backlog during the run (counting, for one, follows
    stock's issues)."""
    client = await nats.connect(nats_url)
    try:
        published = -1
        while True:
            js = client.jetstream()
            behind = [c for c in await js.consumers_info(STREAM) if c.num_pending or c.num_ack_pending]
            now = (await js.stream_info(STREAM)).state.messages
            if not behind and now == published:
                return
            published = now
            await asyncio.sleep(1.0)
    finally:
        await client.close()


# seeding


async def seed(
    catalog: catalog_pb2_grpc.CatalogServiceStub, stock: stock_pb2_grpc.StockServiceStub, nats_url: str
) -> dict[str, float]:
    """Items, the warehouse's locations and a receipt per item-location; the receipts timed."""
    await gathered(
        [
            partial(
                catalog.CreateItem,
                catalog_pb2.CreateItemRequest(
                    idempotency_key=f"item-{n}", sku=sku(n), name=sku(n), base_unit="EA", standard_cost=quantity(COST)
                ),
            )
            for n in range(ITEMS)
        ],
        32,
    )
    await stock.CreateWarehouse(stock_pb2.CreateWarehouseRequest(idempotency_key="wh", code=WAREHOUSE, name="Bench"))
    await gathered(
        [
            partial(
                stock.CreateLocation,
                stock_pb2.CreateLocationRequest(idempotency_key=f"loc-{n}", warehouse=WAREHOUSE, code=location(n)),
            )
            for n in range(LOCATIONS)
        ],
        8,
    )
    # Stock resolves a call's items from its replica of the catalog: let it fill first.
    await consumers_settled(nats_url)
    progress(f"{ITEMS} items and {LOCATIONS} locations; {LINES} opening balances")
    # Opening balances as a go-live count posts them: count adjustments, SEED_BATCH lines a call.
    lines = [
        stock_pb2.CountAdjustment(
            line=str(number),
            item_sku=item,
            place=stock_pb2.StockPlace(warehouse=WAREHOUSE, location=loc, status=stock_pb2.STOCK_STATUS_AVAILABLE),
            variance=quantity(ON_HAND),
            reasons=[stock_pb2.ReasonQuantity(reason_code=OPENING_REASON, quantity=quantity(ON_HAND))],
        )
        for number, (item, loc) in enumerate(keys(), start=1)
    ]
    started = time.perf_counter()
    await gathered(
        [
            partial(
                stock.PostCountAdjustments,
                stock_pb2.PostCountAdjustmentsRequest(count_id="OPENING", lines=lines[start : start + SEED_BATCH]),
                timeout=LONG,
            )
            for start in range(0, LINES, SEED_BATCH)
        ],
        SEED_CLIENTS,
    )
    seconds = time.perf_counter() - started
    progress(f"seeded in {seconds:.0f} s")
    return {"seed_seconds": round(seconds, 1), "seed_balances_per_s": round(LINES / seconds, 1)}


async def stock_total(stock: stock_pb2_grpc.StockServiceStub) -> tuple[int, Decimal]:
    """How many balances the warehouse has and what they add up to."""
    balances, total = 0, Decimal(0)
    async for batch in stock.StreamBalances(stock_pb2.StreamBalancesRequest(warehouse=WAREHOUSE)):
        balances += len(batch.balances)
        total += sum((Decimal(b.quantity.value) for b in batch.balances), Decimal(0))
    return balances, total


# the baseline


async def baseline(dsn: str) -> dict[str, float]:
    """The count's lines straight into its own table (indexes and all): executemany, then COPY."""
    count_id, opened_at = str(uuid.uuid4()), datetime.now(UTC)
    rows = [
        (str(uuid.uuid4()), count_id, number, item, loc, "", "BOOK", "TO_COUNT", 1, Decimal(ON_HAND), opened_at, False)
        for number, (item, loc) in enumerate(keys(), start=1)
    ]
    columns = [
        "id",
        "count_id",
        "number",
        "item_sku",
        "location",
        "lot",
        "origin",
        "state",
        "round",
        "book_at_open",
        "opened_at",
        "moved_during_count",
    ]
    insert = f"INSERT INTO lines ({', '.join(columns)}) VALUES ({', '.join(f'${i}' for i in range(1, 13))})"
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        async with connection.transaction():
            await connection.executemany(insert, rows)
        executemany = time.perf_counter() - started
        await connection.execute("TRUNCATE lines")
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table("lines", records=rows, columns=columns)
        copy = time.perf_counter() - started
    finally:
        await connection.close()
    return {
        "baseline_rows_per_s": round(LINES / executemany, 1),
        "baseline_copy_rows_per_s": round(LINES / copy, 1),
    }


# the count


async def run_count(
    counting: counting_pb2_grpc.CountingServiceStub, nats_url: str
) -> tuple[dict[str, float], list[pb.CountLine]]:
    """The count's four steps, each timed; the differing lines as the count reports them."""
    seconds: dict[str, float] = {}
    # The count is known to be posted by its event, as any other service learns it: asking
    # GetCount over and over would take CPU from the services posting it.
    client = await nats.connect(nats_url)
    posted_counts = await client.subscribe(POSTED_SUBJECT)

    with identity.acting(SUPERVISOR):
        started = time.perf_counter()
        count = await counting.CreateCount(
            pb.CreateCountRequest(
                idempotency_key="count",
                warehouse=WAREHOUSE,
                kind="FULL",
                blind=False,
                tolerance=pb.Tolerance(quantity=quantity(TOLERANCE)),
                counters=[COUNTER.actor],
            )
        )
        count = await counting.OpenCount(pb.OpenCountRequest(idempotency_key="open", count_id=count.id), timeout=LONG)
        seconds["open"] = time.perf_counter() - started
    progress(f"opened in {seconds['open']:.1f} s")
    expect(count.state == "OPEN" and count.lines == LINES, f"opened {count.lines} lines, {count.state}")

    entries = [
        pb.Entry(entry_id=f"e-{n}", item_sku=item, location=loc, quantity=quantity(ON_HAND + planted_variance(n)))
        for n, (item, loc) in enumerate(keys())
    ]
    with identity.acting(COUNTER):
        started = time.perf_counter()
        await gathered(
            [
                partial(
                    counting.SubmitEntries,
                    pb.SubmitEntriesRequest(count_id=count.id, entries=entries[start : start + ENTRY_BATCH]),
                    timeout=LONG,
                )
                for start in range(0, LINES, ENTRY_BATCH)
            ],
            ENTRY_CLIENTS,
        )
        seconds["entries"] = time.perf_counter() - started
    progress(f"entries in {seconds['entries']:.1f} s")

    with identity.acting(SUPERVISOR):
        started = time.perf_counter()
        count = await counting.FinishRound(
            pb.FinishRoundRequest(idempotency_key="round-1", count_id=count.id), timeout=LONG
        )
        seconds["variance"] = time.perf_counter() - started
        progress(f"round finished in {seconds['variance']:.1f} s")
        differing_expected = sum(1 for n in range(LINES) if planted_variance(n))
        expect(
            count.state == "REVIEW" and count.lines_differing == differing_expected,
            f"after the round: {count.state}, {count.lines_differing} lines differ of {differing_expected} planted",
        )

        # Reasons are given in review; the post step starts with them.
        started = time.perf_counter()
        differing = await differing_lines(counting, count.id)
        for start in range(0, len(differing), EXPLAIN_BATCH):
            await counting.ExplainLines(
                pb.ExplainLinesRequest(
                    idempotency_key=f"explain-{start}",
                    count_id=count.id,
                    lines=[
                        pb.LineReasons(
                            line_id=line.id,
                            reasons=[
                                pb.ReasonQuantity(
                                    reason_code=GAIN_REASON if Decimal(line.variance.value) > 0 else LOSS_REASON,
                                    quantity=quantity(abs(Decimal(line.variance.value))),
                                )
                            ],
                        )
                        for line in differing[start : start + EXPLAIN_BATCH]
                    ],
                ),
                timeout=LONG,
            )
        seconds["explain"] = time.perf_counter() - started
        progress(f"{len(differing)} lines explained in {seconds['explain']:.1f} s")

        started = time.perf_counter()
        count = await counting.SubmitForApproval(
            pb.SubmitForApprovalRequest(idempotency_key="submit", count_id=count.id), timeout=LONG
        )
    for level in count.levels_required:
        with identity.acting(APPROVERS[level]):
            count = await counting.Approve(
                pb.ApproveRequest(idempotency_key=f"approve-{level}", count_id=count.id, level=level), timeout=LONG
            )
    seconds["approval"] = time.perf_counter() - started
    progress(f"approved at {', '.join(count.levels_required)} in {seconds['approval']:.1f} s")
    expect(count.state == "APPROVED", f"after {list(count.levels_required)} approvals the count is {count.state}")

    started = time.perf_counter()
    try:
        while True:
            envelope = Envelope.FromString((await posted_counts.next_msg(timeout=LONG)).data)
            posted = counting_events.CountPosted()
            envelope.payload.Unpack(posted)
            if posted.count_id == count.id:
                break
        seconds["posting"] = time.perf_counter() - started
    finally:
        await client.close()
    with identity.acting(SUPERVISOR):
        count = await counting.GetCount(pb.GetCountRequest(count_id=count.id), timeout=LONG)
    expect(count.state == "POSTED", f"the count's posted event came, but the count is {count.state}")
    progress(f"posted in {seconds['posting']:.1f} s")
    seconds["post"] = seconds["explain"] + seconds["approval"] + seconds["posting"]
    return seconds, differing


async def differing_lines(counting: counting_pb2_grpc.CountingServiceStub, count_id: str) -> list[pb.CountLine]:
    found: list[pb.CountLine] = []
    token = ""
    while True:
        page = await counting.ListLines(
            pb.ListLinesRequest(count_id=count_id, differing_only=True, page_size=LINES_PAGE, page_token=token)
        )
        found.extend(page.lines)
        token = page.next_page_token
        if not token:
            return found


class CorrectnessError(Exception):
    pass


def expect(holds: bool, what: str) -> None:
    if not holds:
        raise CorrectnessError(what)


# the run


async def run(data: Path) -> dict[str, float | int]:
    async with (
        scratch_databases(data, SERVER) as make,
        started(data, ("catalog", "stock", "counting"), make) as running,
        rpc.channel(running.address("catalog"), [CATALOG_SERVICE]) as catalog_channel,
        rpc.channel(running.address("stock"), [STOCK_SERVICE]) as stock_channel,
        rpc.channel(running.address("counting"), [COUNTING_SERVICE]) as counting_channel,
    ):
        baseline_url = await make("baseline")
        await migrations.upgrade(COUNTING_MIGRATIONS, baseline_url)
        dsn = asyncpg_dsn(baseline_url)
        stock = stock_pb2_grpc.StockServiceStub(stock_channel)
        figures = await seed(catalog_pb2_grpc.CatalogServiceStub(catalog_channel), stock, running.nats_url)
        # Counting values the variances at the replica's standard cost: it must be there.
        await consumers_settled(running.nats_url)
        progress("every consumer has caught up")
        # Seeding writes hundreds of megabytes of WAL: the baseline and the steps start clean.
        await settle(dsn, vacuum=False)
        figures |= await baseline(dsn)
        return figures | await measure(counting_pb2_grpc.CountingServiceStub(counting_channel), stock, running.nats_url)


async def measure(
    counting: counting_pb2_grpc.CountingServiceStub, stock: stock_pb2_grpc.StockServiceStub, nats_url: str
) -> dict[str, float | int]:
    balances, before = await stock_total(stock)
    expect(balances == LINES, f"stock holds {balances} balances, {LINES} were seeded")
    started = time.perf_counter()
    seconds, differing = await run_count(counting, nats_url)
    total = time.perf_counter() - started
    variances = sum((Decimal(line.variance.value) for line in differing), Decimal(0))
    _, after = await stock_total(stock)
    report = await stock.CheckIntegrity(stock_pb2.CheckIntegrityRequest(), timeout=LONG)
    adjusted = len(differing)
    figures: dict[str, float | int] = {
        "lines": LINES,
        "adjusted_lines": adjusted,
        "total_seconds": round(total, 2),
        "explain_seconds": round(seconds["explain"], 2),
        "explain_lines_per_s": round(adjusted / seconds["explain"], 1),
        "approval_seconds": round(seconds["approval"], 2),
        "posting_seconds": round(seconds["posting"], 2),
        "planted_variance": sum(planted_variance(n) for n in range(LINES)),
        "count_variance": int(variances),
        "stock_change": int(after - before),
        "drifts": len(report.drifts),
    }
    for step in STEPS:
        figures[f"{step}_seconds"] = round(seconds[step], 2)
        figures[f"{step}_lines_per_s"] = round(LINES / seconds[step], 1)
    figures["post_adjusted_lines_per_s"] = round(adjusted / seconds["post"], 1)
    return figures


def main() -> None:
    if LINES < LOCATIONS or LINES % LOCATIONS:
        sys.exit(f"LINES must be a multiple of {LOCATIONS} (items x {LOCATIONS} locations), got {LINES}")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with identity.acting(BENCH):
                figures = asyncio.run(run(Path(tmp)))
        except CorrectnessError as failure:
            sys.exit(f"the count went wrong: {failure}")
    base = figures["baseline_rows_per_s"]
    for step in STEPS:
        figures[f"{step}_ratio"] = round(figures[f"{step}_lines_per_s"] / base, 3)
    print(
        f"\ncounting, {LINES:,} lines ({ITEMS:,} items x {LOCATIONS} locations), {figures['adjusted_lines']:,} differ"
    )
    print(f"{'step':<22}{'lines':>9}{'seconds':>10}{'lines/s':>11}{'ratio':>8}")
    for step in STEPS:
        print(
            f"{step:<22}{LINES:>9}{figures[step + '_seconds']:>10}"
            f"{figures[step + '_lines_per_s']:>11}{figures[step + '_ratio']:>8}"
        )
    for part in ("explain", "approval", "posting"):
        print(f"  {'post: ' + part:<20}{'':>9}{figures[part + '_seconds']:>10}")
    adjusted = figures["post_adjusted_lines_per_s"]
    print(f"  {'post: adjusted lines':<20}{figures['adjusted_lines']:>9}{'':>10}{adjusted:>11}")
    print(f"{'baseline executemany':<22}{LINES:>9}{'':>10}{base:>11}{1:>8}")
    print(f"{'baseline COPY':<22}{LINES:>9}{'':>10}{figures['baseline_copy_rows_per_s']:>11}")
    print(f"total {figures['total_seconds']} s; seeding {figures['seed_balances_per_s']} balances/s")
    print(
        f"variances: planted {figures['planted_variance']}, on the count {figures['count_variance']}, "
        f"stock moved {figures['stock_change']}; integrity drifts {figures['drifts']}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    sys.stdout.flush()
    if figures["drifts"] or not figures["planted_variance"] == figures["count_variance"] == figures["stock_change"]:
        sys.exit("stock drifted or did not move by the count's variances")


if __name__ == "__main__":
    main()
