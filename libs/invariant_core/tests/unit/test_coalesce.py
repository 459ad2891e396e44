"""Coalescing: what queues while a batch runs goes together into the next, each call keeps its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from invariant_core import identity
from invariant_core.coalesce import Call, Coalescer


class Recorder:
    """A batch runner that remembers its batches, holds each until released, then takes `runs` seconds."""

    def __init__(self, runs: float = 0.0) -> None:
        self.runs = runs
        self.batches: list[list[Call[int]]] = []
        self.running = 0
        self.most_at_once = 0
        self.gate = asyncio.Event()

    async def run(self, calls: Sequence[Call[int]]) -> list[int | Exception]:
        self.batches.append(list(calls))
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await self.gate.wait()
        await asyncio.sleep(self.runs)
        self.running -= 1
        return [ValueError(f"odd {c.argument}") if c.argument % 2 else c.argument * 10 for c in calls]


async def settle(*calls: asyncio.Future[int]) -> list[int | BaseException]:
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def test_calls_made_while_a_batch_runs_go_together_into_the_next() -> None:
    recorder = Recorder()
    coalescer: Coalescer[int, int] = Coalescer(recorder.run)
    first = asyncio.ensure_future(coalescer.submit(0))
    await asyncio.sleep(0)
    waiting = [asyncio.ensure_future(coalescer.submit(n)) for n in (2, 4, 6)]
    await asyncio.sleep(0)
    recorder.gate.set()
    assert await settle(first, *waiting) == [0, 20, 40, 60]
    assert [[c.argument for c in batch] for batch in recorder.batches] == [[0], [2, 4, 6]]


async def test_a_refused_call_does_not_fail_the_others_in_its_batch() -> None:
    recorder = Recorder()
    recorder.gate.set()
    coalescer: Coalescer[int, int] = Coalescer(recorder.run)
    outcomes = await settle(*(asyncio.ensure_future(coalescer.submit(n)) for n in (2, 3, 4)))
    assert outcomes[0] == 20 and outcomes[2] == 40
    assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "odd 3"


async def test_a_batch_that_fails_fails_each_of_its_calls_and_the_next_batch_still_runs() -> None:
    attempts = 0

    async def breaks_once(calls: Sequence[Call[int]]) -> list[int | Exception]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionError("database gone")
        return [c.argument for c in calls]

    coalescer: Coalescer[int, int] = Coalescer(breaks_once)
    failed = await settle(*(asyncio.ensure_future(coalescer.submit(n)) for n in (1, 2)))
    assert all(isinstance(outcome, ConnectionError) for outcome in failed)
    assert await coalescer.submit(7) == 7


async def test_each_call_keeps_the_identity_of_its_caller() -> None:
    recorder = Recorder()
    recorder.gate.set()
    coalescer: Coalescer[int, int] = Coalescer(recorder.run)

    async def as_(actor: str, n: int) -> int:
        with identity.acting(identity.Identity(actor=actor)):
            return await coalescer.submit(n)

    await asyncio.gather(as_("alice", 2), as_("bob", 4))
    assert {(c.caller.actor, c.argument) for batch in recorder.batches for c in batch} == {("alice", 2), ("bob", 4)}


async def test_one_batch_runs_at_a_time_and_a_batch_holds_at_most_max_batch_calls() -> None:
    recorder = Recorder()
    coalescer: Coalescer[int, int] = Coalescer(recorder.run, max_batch=2)
    calls = [asyncio.ensure_future(coalescer.submit(n * 2)) for n in range(5)]
    await asyncio.sleep(0.01)
    recorder.gate.set()
    assert await settle(*calls) == [0, 20, 40, 60, 80]
    assert recorder.most_at_once == 1
    assert [len(batch) for batch in recorder.batches] == [2, 2, 1]


async def test_a_caller_that_gives_up_leaves_its_batch_to_finish() -> None:
    recorder = Recorder()
    coalescer: Coalescer[int, int] = Coalescer(recorder.run)
    impatient = asyncio.ensure_future(coalescer.submit(2))
    patient = asyncio.ensure_future(coalescer.submit(4))
    await asyncio.sleep(0)
    impatient.cancel()
    recorder.gate.set()
    assert await patient == 40
    assert [c.argument for c in recorder.batches[0]] == [2, 4]


async def test_after_a_batch_of_several_the_next_waits_for_as_many_callers() -> None:
    recorder = Recorder(runs=0.5)  # long enough a batch for the next to wait 10 ms
    recorder.gate.set()
    coalescer: Coalescer[int, int] = Coalescer(recorder.run, linger=3600)
    await settle(*(asyncio.ensure_future(coalescer.submit(n)) for n in (0, 2, 4)))
    recorder.runs = 0
    early = asyncio.ensure_future(coalescer.submit(6))
    await asyncio.sleep(0.01)
    late = [asyncio.ensure_future(coalescer.submit(n)) for n in (8, 10)]
    assert await asyncio.wait_for(settle(early, *late), timeout=5) == [60, 80, 100]
    assert [[c.argument for c in batch] for batch in recorder.batches] == [[0, 2, 4], [6, 8, 10]]


async def test_callers_that_queued_behind_a_batch_count_towards_the_next() -> None:
    recorder = Recorder(runs=0.5)
    coalescer: Coalescer[int, int] = Coalescer(recorder.run, linger=3600)
    first = asyncio.ensure_future(coalescer.submit(0))
    await asyncio.sleep(0)
    queued = [asyncio.ensure_future(coalescer.submit(n)) for n in (2, 4)]
    await asyncio.sleep(0)
    recorder.gate.set()
    assert await first == 0
    recorder.runs = 0
    # Two waited behind a batch of one: the next batch waits for the first caller's next call too.
    await asyncio.sleep(0.01)
    again = asyncio.ensure_future(coalescer.submit(6))
    assert await asyncio.wait_for(settle(*queued, again), timeout=5) == [20, 40, 60]
    assert [[c.argument for c in batch] for batch in recorder.batches] == [[0], [2, 4, 6]]


async def test_a_batch_lingers_no_longer_than_linger_and_a_lone_caller_not_at_all() -> None:
    recorder = Recorder()
    recorder.gate.set()
    coalescer: Coalescer[int, int] = Coalescer(recorder.run, linger=0.01)
    await settle(*(asyncio.ensure_future(coalescer.submit(n)) for n in (0, 2)))
    assert await asyncio.wait_for(coalescer.submit(4), timeout=5) == 40
    patient: Coalescer[int, int] = Coalescer(recorder.run, linger=3600)
    assert await asyncio.wait_for(patient.submit(6), timeout=5) == 60
    assert await asyncio.wait_for(patient.submit(8), timeout=5) == 80
    assert [[c.argument for c in batch] for batch in recorder.batches] == [[0, 2], [4], [6], [8]]


async def test_a_batch_lingers_no_longer_than_the_last_batch_ran() -> None:
    recorder = Recorder(runs=0.05)
    recorder.gate.set()
    coalescer: Coalescer[int, int] = Coalescer(recorder.run, linger=3600)
    await settle(*(asyncio.ensure_future(coalescer.submit(n)) for n in (0, 2)))
    # One caller of the two came back: its batch waits for the other only as long as a batch runs.
    assert await asyncio.wait_for(coalescer.submit(4), timeout=5) == 40
    assert [[c.argument for c in batch] for batch in recorder.batches] == [[0, 2], [4]]
