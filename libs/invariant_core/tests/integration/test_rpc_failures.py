"""Failures that are not refusals, as a caller over real gRPC sees them: what a retry can
cure is retried by the channel, and nothing else shows the service's internals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from invariant.operations.v1 import dead_letters_pb2 as pb
from invariant.operations.v1 import dead_letters_pb2_grpc
from invariant_core import identity, rpc

# Faults injected on purpose: `make test-faults` runs these alone.
pytestmark = pytest.mark.fault


ADMIN = identity.Identity(actor="ada", roles=frozenset({"admin"}), correlation_id="corr-42")


class DeadlockDetectedError(Exception):
    """What the PostgreSQL driver raises for a deadlock."""

    sqlstate = "40P01"


class Failing(dead_letters_pb2_grpc.DeadLetterServiceServicer):
    """Fails as the request id says (`deadlockx1`: a deadlock, the first call only)."""

    def __init__(self) -> None:
        self.calls = 0
        self.port = 0

    async def ReplayDeadLetter(
        self, request: pb.ReplayDeadLetterRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeadLetter:
        self.calls += 1
        kind, _, times = request.id.partition("x")
        if self.calls <= int(times or "1000"):
            if kind == "deadlock":
                raise DBAPIError("UPDATE availability SET …", {}, DeadlockDetectedError("deadlock detected"))
            if kind == "gone":
                raise OperationalError("SELECT 1", {}, ConnectionResetError("connection reset"))
            raise RuntimeError("SELECT secret FROM ledger WHERE …")
        return pb.DeadLetter(id=request.id, resolution="REPLAYED")


@pytest.fixture
async def failing() -> AsyncIterator[tuple[Failing, dead_letters_pb2_grpc.DeadLetterServiceStub]]:
    servicer = Failing()

    def register(server: rpc.Registry) -> None:
        dead_letters_pb2_grpc.add_DeadLetterServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]

    name = pb.DESCRIPTOR.services_by_name["DeadLetterService"].full_name
    server = rpc.build_server("127.0.0.1", 0, [register], [name], reflect=False)
    await server.start()
    servicer.port = server.port
    channel = rpc.channel(f"127.0.0.1:{server.port}", [name])
    try:
        with identity.acting(ADMIN):
            yield servicer, dead_letters_pb2_grpc.DeadLetterServiceStub(channel)  # type: ignore[no-untyped-call]
    finally:
        await channel.close()
        await server.stop(0)


async def test_a_deadlock_that_escapes_a_service_reaches_its_caller_as_aborted(failing) -> None:  # type: ignore[no-untyped-def]
    servicer, _ = failing
    # A channel without the suite's retry policy: what the server itself answers (the
    # dispatcher has already run the command again as often as it would).
    async with grpc.aio.insecure_channel(f"127.0.0.1:{servicer.port}") as bare:
        stub = dead_letters_pb2_grpc.DeadLetterServiceStub(bare)  # type: ignore[no-untyped-call]
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.ReplayDeadLetter(pb.ReplayDeadLetterRequest(id="deadlockx1"), metadata=ADMIN.to_metadata())
    assert (raised.value.code(), servicer.calls) == (grpc.StatusCode.ABORTED, 1)


async def test_a_deadlock_that_escapes_a_service_is_retried_by_the_channel_to_success(failing) -> None:  # type: ignore[no-untyped-def]
    servicer, stub = failing
    answer = await stub.ReplayDeadLetter(pb.ReplayDeadLetterRequest(id="deadlockx2"))
    assert (answer.resolution, servicer.calls) == ("REPLAYED", 3)


@pytest.mark.parametrize(
    ("kind", "code"),
    [("deadlock", grpc.StatusCode.ABORTED), ("gone", grpc.StatusCode.UNAVAILABLE), ("bug", grpc.StatusCode.INTERNAL)],
)
async def test_a_failure_reaches_the_caller_as_its_status_without_internals(
    failing, kind: str, code: grpc.StatusCode
) -> None:  # type: ignore[no-untyped-def]
    _, stub = failing
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.ReplayDeadLetter(pb.ReplayDeadLetterRequest(id=kind))
    assert raised.value.code() == code
    details = raised.value.details() or ""
    assert "SELECT" not in details and "UPDATE" not in details and "secret" not in details
    if code is grpc.StatusCode.INTERNAL:
        assert "corr-42" in details
