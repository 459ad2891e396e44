"""A service's dead letters as an admin reads them over real gRPC from a real database: in
pages either way, oldest first, and several at once by their ids."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.message import Message
from plumbing_support import metadata, scratch_uows
from sqlalchemy import insert

from invariant.operations.v1 import dead_letters_pb2 as pb
from invariant.operations.v1 import dead_letters_pb2_grpc
from invariant_core import dead_letters, identity, rpc
from invariant_core.rpc import from_rpc_error
from invariant_core.testing import DatabaseFactory
from invariant_kernel.errors import ErrorCode

Stub = dead_letters_pb2_grpc.DeadLetterServiceStub
ADMIN = identity.Identity(actor="ada", roles=frozenset({"admin"}))
# Two letters set aside at the same instant: the id orders them.
SET_ASIDE = [datetime(2026, 3, 1, 8, tzinfo=UTC) + timedelta(minutes=minutes) for minutes in (0, 1, 1, 2, 3)]


def no_events(event: object) -> tuple[str, Message]:
    raise AssertionError(f"no events expected, got {event!r}")


@pytest.fixture
async def operator(new_database: DatabaseFactory) -> AsyncIterator[tuple[Stub, list[str]]]:
    """The dead letters' service over five letters, the fourth resolved; and their ids, oldest first."""
    async with scratch_uows(await new_database("letters"), metadata, no_events) as uows:
        ids = sorted(str(uuid.uuid4()) for _ in SET_ASIDE)
        async with uows() as uow:
            for index, (letter_id, at) in enumerate(zip(ids, SET_ASIDE, strict=True)):
                await uow.session.execute(
                    insert(metadata.tables["dead_letters"]).values(
                        id=letter_id,
                        source="stock-counting",
                        event_id=str(uuid.uuid4()),
                        subject="inventory.counting.adjustment.approved",
                        envelope=b"",
                        error="refused",
                        attempts=1,
                        created_at=at,
                        resolution="DISCARDED" if index == 3 else None,
                    )
                )
            await uow.commit()
        server = rpc.build_server(
            "127.0.0.1", 0, [dead_letters.registrar(uows)], [dead_letters.SERVICE_NAME], reflect=False
        )
        await server.start()
        try:
            async with rpc.channel(f"127.0.0.1:{server.port}", [dead_letters.SERVICE_NAME]) as channel:
                with identity.acting(ADMIN):
                    yield dead_letters_pb2_grpc.DeadLetterServiceStub(channel), ids  # type: ignore[no-untyped-call]
        finally:
            await server.stop(0)


async def test_dead_letters_are_paged_oldest_first_forward_and_backward(
    operator: tuple[Stub, list[str]],
) -> None:
    stub, ids = operator

    async def read(**paging: object) -> pb.ListDeadLettersResponse:
        reply: pb.ListDeadLettersResponse = await stub.ListDeadLetters(
            pb.ListDeadLettersRequest(include_resolved=True, page_size=2, **paging)  # type: ignore[arg-type]
        )
        return reply

    forward, token = [], ""
    while True:
        page = await read(page_token=token)
        forward.append([letter.id for letter in page.dead_letters])
        if not (token := page.next_page_token):
            break
    latest = await read(reverse=True)
    earlier = await read(reverse=True, page_token=latest.next_page_token)
    from_the_third = await read(page_token=(await read()).cursors[1])
    before_the_third = await read(reverse=True, page_token=from_the_third.cursors[0])
    open_ones = await stub.ListDeadLetters(pb.ListDeadLettersRequest())

    assert forward == [ids[:2], ids[2:4], ids[4:]]
    assert [letter.id for letter in latest.dead_letters] == [ids[4], ids[3]]
    assert [letter.id for letter in earlier.dead_letters] == [ids[2], ids[1]]
    assert [letter.id for letter in from_the_third.dead_letters] == ids[2:4]
    assert [letter.id for letter in before_the_third.dead_letters] == [ids[1], ids[0]]
    assert before_the_third.next_page_token == ""
    assert [letter.id for letter in open_ones.dead_letters] == [ids[0], ids[1], ids[2], ids[4]]


async def test_dead_letters_are_fetched_by_their_ids_in_one_call_and_unknown_ids_are_left_out(
    operator: tuple[Stub, list[str]],
) -> None:
    stub, ids = operator

    found = await stub.GetDeadLetters(pb.GetDeadLettersRequest(ids=[ids[3], "no-such-letter", ids[0]]))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.GetDeadLetters(pb.GetDeadLettersRequest(ids=[str(n) for n in range(101)]))
    error = from_rpc_error(refused.value)

    assert sorted(letter.id for letter in found.dead_letters) == [ids[0], ids[3]]
    assert (error.code, error.field) == (ErrorCode.OUT_OF_RANGE, "ids")
