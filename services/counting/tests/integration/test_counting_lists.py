"""Counting's lists page both ways, and what a client fetches again by id comes in one call."""

from __future__ import annotations

from counting_support import (
    Suite,
    acting,
    create_count,
    create_item,
    create_warehouse,
    key,
    open_count,
    receive,
    refused,
)

from invariant.counting.v1 import counting_pb2 as pb
from invariant_kernel.errors import ErrorCode

SUPERVISOR = ("sam", "supervisor")
ANN = ("ann", "operator")


async def test_counts_are_listed_in_the_order_they_were_created_forward_and_backward(suite: Suite) -> None:
    await create_warehouse(suite)
    with acting(*SUPERVISOR):
        made = [(await create_count(suite, note=f"count {n}")).id for n in range(5)]
        first = await suite.counting.ListCounts(pb.ListCountsRequest(page_size=2))
        rest = await suite.counting.ListCounts(pb.ListCountsRequest(page_size=3, page_token=first.next_page_token))
        newest = await suite.counting.ListCounts(pb.ListCountsRequest(page_size=2, reverse=True))
        # Back from the third count's cursor: the two made before it, nearest first.
        before = await suite.counting.ListCounts(
            pb.ListCountsRequest(page_size=5, page_token=rest.cursors[0], reverse=True)
        )
        forged = await refused(suite.counting.ListCounts(pb.ListCountsRequest(page_token=first.cursors[0][:-4])))
    assert [c.id for c in [*first.counts, *rest.counts]] == made
    assert (len(first.cursors), bool(first.next_page_token), rest.next_page_token) == (2, True, "")
    assert [c.id for c in newest.counts] == [made[4], made[3]] and newest.next_page_token
    assert ([c.id for c in before.counts], before.next_page_token) == ([made[1], made[0]], "")
    assert (forged.code, forged.field) == (ErrorCode.INVALID_FORMAT, "page_token")


async def test_a_counts_lines_page_both_ways_and_up_to_a_thousand_at_a_time(suite: Suite) -> None:
    await create_warehouse(suite, ("A-01", "A-02", "A-03"))
    sku = await create_item(suite)
    for location in ("A-01", "A-02", "A-03"):
        await receive(suite, sku, 5, location)
    with acting(*SUPERVISOR):
        count = await open_count(suite, (await create_count(suite, item_skus=[sku])).id)
        ask = pb.ListLinesRequest(count_id=count.id, page_size=2)
        first = await suite.counting.ListLines(ask)
        rest = await suite.counting.ListLines(pb.ListLinesRequest(count_id=count.id, page_token=first.next_page_token))
        ask.reverse = True
        last = await suite.counting.ListLines(ask)
        ask.page_token = last.next_page_token
        back = await suite.counting.ListLines(ask)
        widest = await suite.counting.ListLines(pb.ListLinesRequest(count_id=count.id, page_size=1000))
        too_wide = await refused(suite.counting.ListLines(pb.ListLinesRequest(count_id=count.id, page_size=1001)))
    assert [line.location for line in [*first.lines, *rest.lines]] == ["A-01", "A-02", "A-03"]
    assert ([line.number for line in last.lines], [line.number for line in back.lines]) == ([3, 2], [1])
    assert (back.next_page_token, len(widest.lines)) == ("", 3)
    assert (too_wide.code, too_wide.field) == (ErrorCode.OUT_OF_RANGE, "page_size")


async def test_reason_codes_page_in_code_order_with_the_defaults_and_those_a_warehouse_added(suite: Suite) -> None:
    with acting(*SUPERVISOR):
        added = pb.ReasonCode(code="AAA_FIRST", name="First", active=True)
        await suite.counting.SetReasonCode(pb.SetReasonCodeRequest(idempotency_key=key(), reason_code=added))
        retired = pb.ReasonCode(code="COUNTING_ERROR", name="Counting error", active=False)
        await suite.counting.SetReasonCode(pb.SetReasonCodeRequest(idempotency_key=key(), reason_code=retired))
        every = await suite.counting.ListReasonCodes(pb.ListReasonCodesRequest(include_inactive=True, page_size=100))
        first = await suite.counting.ListReasonCodes(pb.ListReasonCodesRequest(page_size=2))
        following = await suite.counting.ListReasonCodes(
            pb.ListReasonCodesRequest(page_size=100, page_token=first.next_page_token)
        )
        last = await suite.counting.ListReasonCodes(pb.ListReasonCodesRequest(page_size=2, reverse=True))
    codes = [c.code for c in every.reason_codes]
    assert codes == sorted(codes) and codes[0] == "AAA_FIRST" and len(codes) == 11
    active = [c for c in codes if c != "COUNTING_ERROR"]
    assert [c.code for c in [*first.reason_codes, *following.reason_codes]] == active
    assert [c.code for c in last.reason_codes] == [active[-1], active[-2]]


async def test_counts_and_lines_are_fetched_by_their_ids_in_one_call_as_the_caller_may_see_them(
    suite: Suite,
) -> None:
    await create_warehouse(suite)
    sku = await create_item(suite)
    await receive(suite, sku, 7)
    with acting(*SUPERVISOR):
        blind = await open_count(suite, (await create_count(suite, blind=True, item_skus=[sku])).id)
        seen = await create_count(suite, item_skus=[sku])
        [line] = (await suite.counting.ListLines(pb.ListLinesRequest(count_id=blind.id))).lines
        too_many = await refused(suite.counting.GetCounts(pb.GetCountsRequest(count_ids=[key() for _ in range(101)])))
    with acting(*ANN):
        counts = await suite.counting.GetCounts(pb.GetCountsRequest(count_ids=[seen.id, key(), blind.id]))
        lines = await suite.counting.GetLines(pb.GetLinesRequest(line_ids=[key(), line.id]))
    assert sorted(c.id for c in counts.counts) == sorted([seen.id, blind.id])
    assert [(found.id, found.item_sku, found.HasField("book_at_open")) for found in lines.lines] == [
        (line.id, sku, False)
    ]
    assert line.HasField("book_at_open")
    assert (too_many.code, too_many.field) == (ErrorCode.OUT_OF_RANGE, "count_ids")
