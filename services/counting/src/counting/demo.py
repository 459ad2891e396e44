"""A demo count for `make run`: a blind cycle count of the main warehouse's A-01 shelf, open
and assigned to the development user, so a handheld's steps can be tried in GraphiQL.

Every command carries a fixed idempotency key, so loading it again changes nothing.
"""

from __future__ import annotations

from invariant.counting.v1 import counting_pb2 as pb
from invariant.counting.v1 import counting_pb2_grpc


async def load(counting: counting_pb2_grpc.CountingServiceStub) -> None:
    count = await counting.CreateCount(
        pb.CreateCountRequest(
            idempotency_key="demo-count-main-a01",
            warehouse="MAIN",
            kind="CYCLE",
            blind=True,
            locations=["A-01"],
            counters=["dev", "demo-counter"],
            note="Demo: count shelf A-01 of the main warehouse",
        )
    )
    await counting.OpenCount(pb.OpenCountRequest(idempotency_key="demo-open-main-a01", count_id=count.id))
