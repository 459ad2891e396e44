"""Explaining a supervisor's selection of lines in one call: all of them or none."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from counting_support import (
    Suite,
    acting,
    book,
    create_count,
    create_item,
    create_warehouse,
    d,
    finish,
    is_posted,
    key,
    lines,
    open_count,
    receive,
    refused,
)
from sqlalchemy import event
from sqlalchemy.engine import Engine

from counting.domain import counts
from invariant.counting.v1 import counting_pb2 as pb
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode

SUPERVISOR = ("sam", "supervisor")
ANN = ("ann", "operator")
LOCATIONS = [f"A-{n:02}" for n in range(1, 11)]


async def reviewed(suite: Suite) -> tuple[pb.Count, list[pb.CountLine]]:
    """A count in REVIEW with one line per location, each 10 on the book: line n is n short."""
    await create_warehouse(suite, LOCATIONS)
    sku = await create_item(suite)
    for location in LOCATIONS:
        await receive(suite, sku, 10, location)
    with acting(*SUPERVISOR):
        count = await create_count(suite, item_skus=[sku], counters=["ann"], tolerance=pb.Tolerance(quantity=d(1000)))
        count = await open_count(suite, count.id)
    with acting(*ANN):
        opened = await lines(suite, count.id)
        await suite.counting.SubmitEntries(
            pb.SubmitEntriesRequest(
                count_id=count.id,
                entries=[pb.Entry(entry_id=key(), line_id=line.id, quantity=d(10 - line.number)) for line in opened],
            )
        )
    with acting(*SUPERVISOR):
        count = await finish(suite, count.id)
        found = await lines(suite, count.id)
    assert count.state == "REVIEW" and [Decimal(line.variance.value) for line in found] == list(range(-1, -11, -1))
    return count, found


def explained_by(line: pb.CountLine, *reasons: tuple[str, Decimal]) -> pb.LineReasons:
    return pb.LineReasons(
        line_id=line.id, reasons=[pb.ReasonQuantity(reason_code=c, quantity=d(q)) for c, q in reasons]
    )


def fully(line: pb.CountLine) -> pb.LineReasons:
    """Reasons that add up to the line's variance: all counting error but one entry error."""
    size = abs(Decimal(line.variance.value))
    if size == 1:
        return explained_by(line, ("COUNTING_ERROR", size))
    return explained_by(line, ("COUNTING_ERROR", size - 1), ("ENTRY_ERROR", Decimal(1)))


def reasons_of(found: Sequence[pb.CountLine]) -> dict[str, list[tuple[str, Decimal]]]:
    return {line.id: sorted((r.reason_code, Decimal(r.quantity.value)) for r in line.reasons) for line in found}


@contextmanager
def statements_on_lines() -> Iterator[list[str]]:
    """The SQL that reads count lines or writes their reasons, in any service of this process."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if re.search(r"\bFROM lines\b|\bline_reasons\b", statement):
            seen.append(statement[:80])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_a_selection_of_lines_is_explained_in_one_call_and_the_count_goes_to_approval(suite: Suite) -> None:
    count, found = await reviewed(suite)
    request = pb.ExplainLinesRequest(idempotency_key=key(), count_id=count.id, lines=[fully(line) for line in found])
    with acting(*SUPERVISOR):
        with statements_on_lines() as statements:
            answer = await suite.counting.ExplainLines(request)
        assert answer.explained == len(found) == 10
        # Set-based: the lines read once, their reasons replaced by one delete and one insert
        # (on PostgreSQL a COPY, which passes no statement through the engine's events).
        kinds = sorted(statement.split()[0] for statement in statements)
        assert kinds in (["DELETE", "INSERT", "SELECT"], ["DELETE", "SELECT"]), statements
        assert reasons_of(await lines(suite, count.id)) == reasons_of(
            [pb.CountLine(id=line.id, reasons=one.reasons) for line, one in zip(found, request.lines, strict=True)]
        )
        submitted = await suite.counting.SubmitForApproval(
            pb.SubmitForApprovalRequest(idempotency_key=key(), count_id=count.id)
        )
        assert (submitted.state, list(submitted.levels_required)) == ("AWAITING_APPROVAL", ["SUPERVISOR"])

        # A retry after a lost reply is answered as the first call was, though the count moved on.
        assert await suite.counting.ExplainLines(request) == answer
        changed = pb.ExplainLinesRequest()
        changed.CopyFrom(request)
        del changed.lines[-1]
        reused = await refused(suite.counting.ExplainLines(changed))
        assert (reused.code, reused.field) == (ErrorCode.IDEMPOTENCY_KEY_REUSED, "idempotency_key")
        again = await refused(
            suite.counting.ExplainLines(
                pb.ExplainLinesRequest(idempotency_key=key(), count_id=count.id, lines=[fully(found[0])])
            )
        )
        assert (again.code, again.field) == (ErrorCode.INVALID_STATE, "count_id")


async def test_a_count_approved_in_several_parts_posts_each_line_once(
    suite: Suite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An approved count reaches stock in parts (1,000 lines each); with parts of three, ten
    differing lines go in four, and the count is posted when the last is confirmed."""
    monkeypatch.setattr(counts, "PART_LINES", 3)
    count, found = await reviewed(suite)
    with acting(*SUPERVISOR):
        await suite.counting.ExplainLines(
            pb.ExplainLinesRequest(idempotency_key=key(), count_id=count.id, lines=[fully(line) for line in found])
        )
        await suite.counting.SubmitForApproval(pb.SubmitForApprovalRequest(idempotency_key=key(), count_id=count.id))
        await suite.counting.Approve(pb.ApproveRequest(idempotency_key=key(), count_id=count.id, level="SUPERVISOR"))
        await eventually(lambda: is_posted(suite, count.id), "every part of the count is posted")
        posted = await lines(suite, count.id)
    assert len({line.movement_id for line in posted if line.movement_id}) == len(found)
    for line in posted:
        assert await book(suite, line.item_sku, line.location) == 10 - line.number


async def test_one_bad_line_refuses_the_whole_call_naming_it_and_nothing_is_written(suite: Suite) -> None:
    count, found = await reviewed(suite)
    good = [fully(line) for line in found]

    def with_line(index: int, bad: pb.LineReasons) -> list[pb.LineReasons]:
        return [*good[:index], bad, *good[index + 1 :]]

    three, five = found[3], found[5]
    cases: list[tuple[list[pb.LineReasons], ErrorCode, str]] = [
        (with_line(3, explained_by(three, ("COUNTING_ERROR", Decimal(3)))), ErrorCode.OUT_OF_RANGE, "lines[3].reasons"),
        (
            with_line(5, explained_by(five, ("COUNTING_ERROR", Decimal(5)), ("MISPLACED", Decimal(1)))),
            ErrorCode.NOT_FOUND,
            "lines[5].reasons[1].reason_code",
        ),
        (
            with_line(2, pb.LineReasons(line_id="no-such-line", reasons=good[2].reasons)),
            ErrorCode.NOT_FOUND,
            "lines[2].line_id",
        ),
        ([*good, good[4]], ErrorCode.ALREADY_EXISTS, "lines[10].line_id"),
        (with_line(7, explained_by(found[7])), ErrorCode.REQUIRED, "lines[7].reasons"),
        (
            with_line(1, explained_by(found[1], ("COUNTING_ERROR", Decimal(-2)))),
            ErrorCode.OUT_OF_RANGE,
            "lines[1].reasons[0].quantity",
        ),
        ([], ErrorCode.REQUIRED, "lines"),
        ([good[0]] * 5001, ErrorCode.OUT_OF_RANGE, "lines"),
    ]
    with acting(*SUPERVISOR):
        for given, code, field in cases:
            error = await refused(
                suite.counting.ExplainLines(
                    pb.ExplainLinesRequest(idempotency_key=key(), count_id=count.id, lines=given)
                )
            )
            assert (error.code, error.field) == (code, field), error
        # ExplainLine is the same rule for one line, naming its fields flat.
        one = await refused(
            suite.counting.ExplainLine(
                pb.ExplainLineRequest(idempotency_key=key(), count_id=count.id, line_id="no-such-line")
            )
        )
        assert (one.code, one.field) == (ErrorCode.NOT_FOUND, "line_id")
        too_big = await refused(suite.counting.ListLines(pb.ListLinesRequest(count_id=count.id, page_size=1001)))
        assert (too_big.code, too_big.field) == (ErrorCode.OUT_OF_RANGE, "page_size")

        assert all(not line.reasons for line in await lines(suite, count.id))
        unexplained = await refused(
            suite.counting.SubmitForApproval(pb.SubmitForApprovalRequest(idempotency_key=key(), count_id=count.id))
        )
        assert (unexplained.code, unexplained.field) == (ErrorCode.REQUIRED, "reasons")
        assert "10 differing lines" in unexplained.message
