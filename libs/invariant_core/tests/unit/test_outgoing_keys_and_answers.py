"""The pure parts of outgoing commands: their keys, their retries, what an answer means."""

from __future__ import annotations

import re

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invariant.stock.v1 import stock_pb2 as pb
from invariant_core import outgoing, rpc
from invariant_core.idempotency import MAX_KEY_LENGTH
from invariant_core.outgoing import Command, OutgoingCommands, Unanswered, classify, command_key, retry_delay
from invariant_kernel.errors import DomainError, ErrorCode

EVENT = "6f1c1c8e-2d3b-4a51-9a55-0b7f3c2e9d10"
RESERVE = "/invariant.stock.v1.StockService/Reserve"

names = st.text(alphabet="abcXYZ019._:-", min_size=1, max_size=outgoing.PURPOSE_LENGTH)
causes = st.text(min_size=1, max_size=64)


def test_a_commands_key_names_the_sending_service_its_purpose_and_the_event_that_caused_it() -> None:
    assert command_key("orders", "reserve:SO-7:2", EVENT) == f"orders/reserve:SO-7:2/{EVENT}"


@given(
    st.tuples(st.sampled_from(["orders", "quality"]), names, causes),
    st.tuples(st.sampled_from(["orders", "quality"]), names, causes),
)
def test_two_commands_share_a_key_only_when_service_purpose_and_cause_are_the_same(
    one: tuple[str, str, str], other: tuple[str, str, str]
) -> None:
    assert (command_key(*one) == command_key(*other)) == (one == other)
    assert len(command_key(*one)) <= MAX_KEY_LENGTH


@pytest.mark.parametrize(
    ("service", "purpose", "cause", "refused"),
    [
        ("orders", "reserve/SO-7", EVENT, "purpose"),
        ("orders", "", EVENT, "purpose"),
        ("orders", "x" * (outgoing.PURPOSE_LENGTH + 1), EVENT, "purpose"),
        ("or/ders", "reserve", EVENT, "service"),
        ("orders", "reserve", "", "cause"),
        ("orders", "reserve", "e" * 65, "cause"),
    ],
)
def test_a_key_that_could_meet_another_or_outgrow_the_receivers_is_refused_naming_what(
    service: str, purpose: str, cause: str, refused: str
) -> None:
    with pytest.raises(ValueError, match=refused):
        command_key(service, purpose, cause)


def test_retries_double_from_half_a_second_up_to_a_minute_each_at_a_random_point_of_its_upper_half() -> None:
    assert [retry_delay(attempt, 0.0) for attempt in (1, 2, 3, 4)] == [0.25, 0.5, 1.0, 2.0]
    assert [retry_delay(attempt, 0.999999) for attempt in (1, 2)] == pytest.approx([0.5, 1.0])
    assert retry_delay(8, 0.0) == outgoing.LAST_RETRY_SECONDS / 2
    assert retry_delay(10_000, 0.5) == outgoing.LAST_RETRY_SECONDS * 0.75


def rpc_error(code: grpc.StatusCode, refusal: DomainError | None = None) -> grpc.aio.AioRpcError:
    """A failed call as the client sees it; with `refusal`, the structured status a service answers."""
    trailing = grpc.aio.Metadata()
    if refusal is not None:
        trailing.add("grpc-status-details-bin", rpc.to_status(refusal).SerializeToString())
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, details="what the peer said")


def test_a_refusal_the_receiver_answers_is_an_outcome_with_its_code_and_field() -> None:
    refused = classify(
        rpc_error(
            grpc.StatusCode.FAILED_PRECONDITION,
            DomainError(ErrorCode.INSUFFICIENT_STOCK, "only 3 EA available", "lines[0].quantity"),
        )
    )
    assert isinstance(refused, DomainError)
    assert (refused.code, refused.message, refused.field) == (
        ErrorCode.INSUFFICIENT_STOCK,
        "only 3 EA available",
        "lines[0].quantity",
    )


@pytest.mark.parametrize(
    "code", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED]
)
def test_a_peer_that_is_down_slow_or_in_conflict_is_away_and_is_waited_for(code: grpc.StatusCode) -> None:
    assert classify(rpc_error(code)) is Unanswered.AWAY


def test_a_peer_that_says_one_of_its_own_peers_is_unavailable_is_away_too() -> None:
    unavailable = DomainError(ErrorCode.UNAVAILABLE, "the catalog did not answer")
    assert classify(rpc_error(grpc.StatusCode.UNAVAILABLE, unavailable)) is Unanswered.AWAY


@pytest.mark.parametrize(
    "error",
    [
        rpc_error(grpc.StatusCode.INTERNAL),
        rpc_error(grpc.StatusCode.UNIMPLEMENTED),
        rpc_error(grpc.StatusCode.INVALID_ARGUMENT),
        RuntimeError("the settle callback broke"),
    ],
)
def test_anything_else_is_a_failure_that_counts_towards_the_dead_letters(error: Exception) -> None:
    assert classify(error) is Unanswered.FAILED


def test_a_refusal_with_a_code_this_build_does_not_know_is_a_failure_not_an_outcome() -> None:
    error = rpc_error(grpc.StatusCode.FAILED_PRECONDITION, DomainError(ErrorCode.INVALID_STATE, "later"))
    details = error.trailing_metadata()["grpc-status-details-bin"].replace(b"INVALID_STATE", b"NEW_STATE_XYZ")
    renamed = grpc.aio.AioRpcError(
        error.code(), grpc.aio.Metadata(), grpc.aio.Metadata(("grpc-status-details-bin", details))
    )
    assert classify(renamed) is Unanswered.FAILED


def test_a_command_is_declared_against_the_peers_proto_and_must_be_keyed() -> None:
    reserve = Command("reserve", "stock", RESERVE, pb.ReserveRequest, pb.ReserveResponse)
    assert reserve.service == "invariant.stock.v1.StockService"
    with pytest.raises(ValueError, match=re.escape("takes invariant.stock.v1.ReserveRequest")):
        Command("reserve", "stock", RESERVE, pb.ReleaseRequest, pb.ReserveResponse)
    with pytest.raises(ValueError, match="names no gRPC method"):
        Command("reserve", "stock", "/invariant.stock.v1.StockService/Reserves", pb.ReserveRequest, pb.ReserveResponse)
    with pytest.raises(ValueError, match="has no idempotency_key"):
        Command(
            "post",
            "stock",
            "/invariant.stock.v1.StockService/PostCountAdjustments",
            pb.PostCountAdjustmentsRequest,
            pb.PostCountAdjustmentsResponse,
        )


def test_a_service_declares_each_command_once_and_calls_each_peer_on_one_channel() -> None:
    reserve = Command("reserve", "stock", RESERVE, pb.ReserveRequest, pb.ReserveResponse)
    release = Command("release", "stock", "/invariant.stock.v1.StockService/Release", pb.ReleaseRequest, pb.Reservation)
    assert OutgoingCommands("orders", [reserve, release]).services_by_peer() == {
        "stock": ["invariant.stock.v1.StockService"]
    }
    with pytest.raises(ValueError, match="two commands share a name"):
        OutgoingCommands("orders", [reserve, reserve])
