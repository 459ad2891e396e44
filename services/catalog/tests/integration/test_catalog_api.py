"""The catalog over real gRPC, on a real database, publishing to real NATS JetStream."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import grpc
import nats
import pytest
from google.type.decimal_pb2 import Decimal as PbDecimal

from invariant.catalog.v1 import catalog_pb2 as pb
from invariant.events.v1 import catalog_pb2 as events
from invariant.events.v1 import envelope_pb2
from invariant_core import bus, identity
from invariant_core.rpc import from_rpc_error
from invariant_core.testing import EventBus
from invariant_kernel.errors import DomainError, ErrorCode


def d(value: str) -> PbDecimal:
    return PbDecimal(value=value)


def key() -> str:
    return str(uuid.uuid4())


def sku() -> str:
    return f"T-{uuid.uuid4().hex[:10].upper()}"


def item_request(code: str, **overrides: object) -> pb.CreateItemRequest:
    fields: dict[str, object] = {
        "idempotency_key": key(),
        "sku": code,
        "name": f"Item {code}",
        "base_unit": "EA",
        "units": [pb.UnitConversion(unit="BOX", factor=d("12"))],
        "standard_cost": d("2.50"),
    }
    fields.update(overrides)
    return pb.CreateItemRequest(**fields)  # type: ignore[arg-type]


async def refused(call: object) -> DomainError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return from_rpc_error(caught.value)


async def test_an_item_is_created_with_units_and_barcodes_and_found_by_barcode(catalog) -> None:  # type: ignore[no-untyped-def]
    code = sku()
    created = await catalog.stub.CreateItem(
        item_request(code, barcodes=[pb.Barcode(code="4006381333931")], lot_tracked=True)
    )
    assert created.sku == code and created.lot_tracked
    assert created.barcodes[0].symbology == "EAN13"

    found = await catalog.stub.GetItemByBarcode(pb.GetItemByBarcodeRequest(code="4006381333931"))
    assert found.id == created.id
    converted = await catalog.stub.ConvertQuantity(
        pb.ConvertQuantityRequest(sku=code, quantity=d("3"), from_unit="BOX", to_unit="EA")
    )
    assert converted.quantity.value == "36" and converted.unit == "EA"


async def test_a_retried_command_returns_the_first_result_and_writes_nothing_new(catalog) -> None:  # type: ignore[no-untyped-def]
    request = item_request(sku())
    first = await catalog.stub.CreateItem(request)
    second = await catalog.stub.CreateItem(request)
    assert second == first
    audit = await catalog.stub.ListAudit(pb.ListAuditRequest(sku=request.sku))
    assert [e.action for e in audit.entries] == ["CREATED"]

    reused = pb.CreateItemRequest()
    reused.CopyFrom(request)
    reused.name = "Something else"
    error = await refused(catalog.stub.CreateItem(reused))
    assert (error.code, error.field) == (ErrorCode.IDEMPOTENCY_KEY_REUSED, "idempotency_key")


async def test_concurrent_retries_of_one_command_create_one_item(catalog) -> None:  # type: ignore[no-untyped-def]
    request = item_request(sku())
    replies = await asyncio.gather(*(catalog.stub.CreateItem(request) for _ in range(5)))
    assert len({r.id for r in replies}) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"sku": ""}, "sku", ErrorCode.REQUIRED),
        ({"sku": "bad sku!"}, "sku", ErrorCode.INVALID_FORMAT),
        ({"barcodes": [pb.Barcode(code="4006381333932")]}, "barcodes[0].code", ErrorCode.INVALID_FORMAT),
        ({"standard_cost": d("-1")}, "standard_cost", ErrorCode.OUT_OF_RANGE),
        ({"standard_cost": d("NaN")}, "standard_cost", ErrorCode.INVALID_FORMAT),
        ({"standard_cost": d("1.23456")}, "standard_cost", ErrorCode.TOO_PRECISE),
        ({"units": [pb.UnitConversion(unit="BOX", factor=d("0"))]}, "units[0].factor", ErrorCode.OUT_OF_RANGE),
        ({"units": [pb.UnitConversion(unit="BOX", factor=d("-12"))]}, "units[0].factor", ErrorCode.OUT_OF_RANGE),
        ({"units": [pb.UnitConversion(unit="BOX", factor=d("1.0000001"))]}, "units[0].factor", ErrorCode.TOO_PRECISE),
    ],
)
async def test_bad_item_input_is_refused_naming_the_field_and_nothing_is_written(
    catalog, overrides: dict[str, object], field: str, code: ErrorCode
) -> None:  # type: ignore[no-untyped-def]
    request = item_request(sku(), **overrides)
    error = await refused(catalog.stub.CreateItem(request))
    assert (error.field, error.code) == (field, code)
    page = await catalog.stub.SearchItems(pb.SearchItemsRequest(prefix="T-"))
    assert list(page.items) == []


async def test_duplicate_sku_and_duplicate_barcode_are_refused(catalog) -> None:  # type: ignore[no-untyped-def]
    code = sku()
    await catalog.stub.CreateItem(item_request(code, barcodes=[pb.Barcode(code="036000291452")]))
    error = await refused(catalog.stub.CreateItem(item_request(code)))
    assert (error.code, error.field) == (ErrorCode.ALREADY_EXISTS, "sku")
    error = await refused(catalog.stub.CreateItem(item_request(sku(), barcodes=[pb.Barcode(code="036000291452")])))
    assert (error.code, error.field) == (ErrorCode.ALREADY_EXISTS, "barcodes[0].code")


async def test_thresholds_refuse_max_below_safety_and_are_audited(catalog) -> None:  # type: ignore[no-untyped-def]
    code = sku()
    await catalog.stub.CreateItem(item_request(code))
    error = await refused(
        catalog.stub.SetThresholds(
            pb.SetThresholdsRequest(
                idempotency_key=key(), sku=code, warehouse="WH1", safety_stock=d("10"), max_stock=d("5")
            )
        )
    )
    assert error.field == "max_stock"
    item = await catalog.stub.SetThresholds(
        pb.SetThresholdsRequest(
            idempotency_key=key(), sku=code, warehouse="WH1", safety_stock=d("10"), max_stock=d("50")
        )
    )
    assert [(t.warehouse, t.safety_stock.value, t.max_stock.value) for t in item.thresholds] == [("WH1", "10", "50")]
    audit = await catalog.stub.ListAudit(pb.ListAuditRequest(sku=code))
    assert [e.entity for e in audit.entries] == ["ITEM", "THRESHOLDS"]
    assert audit.entries[1].actor == "tester"
    assert {c.field: c.after for c in audit.entries[1].changes}["thresholds[WH1].max_stock"] == '"50"'


async def test_a_command_without_an_actor_is_refused(catalog) -> None:  # type: ignore[no-untyped-def]
    with identity.acting(identity.Identity()):
        error = await refused(catalog.stub.CreateItem(item_request(sku())))
    assert error.code == ErrorCode.UNAUTHENTICATED


async def test_search_pages_through_items_by_prefix(catalog) -> None:  # type: ignore[no-untyped-def]
    prefix = f"P{uuid.uuid4().hex[:6].upper()}"
    for n in range(5):
        await catalog.stub.CreateItem(item_request(f"{prefix}-{n}"))
    seen: list[str] = []
    token = ""
    while True:
        page = await catalog.stub.SearchItems(
            pb.SearchItemsRequest(prefix=prefix.lower(), page_size=2, page_token=token)
        )
        seen += [i.sku for i in page.items]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"{prefix}-{n}" for n in range(5)]


async def make_bom(catalog, parent: str, lines: list[tuple[str, str, str, str]]) -> pb.BomVersion:  # type: ignore[no-untyped-def]
    bom = await catalog.stub.CreateBomVersion(pb.CreateBomVersionRequest(idempotency_key=key(), parent_sku=parent))
    for component, quantity, unit, scrap in lines:
        bom = await catalog.stub.AddBomLine(
            pb.AddBomLineRequest(
                idempotency_key=key(),
                bom_id=bom.id,
                component_sku=component,
                quantity=d(quantity),
                unit=unit,
                scrap_percent=d(scrap),
            )
        )
    return await catalog.stub.ActivateBomVersion(pb.ActivateBomVersionRequest(idempotency_key=key(), bom_id=bom.id))


async def test_a_three_level_bom_explodes_with_scrap_and_units_and_refuses_a_cycle(catalog) -> None:  # type: ignore[no-untyped-def]
    bike, frame, tube, bolt = sku(), sku(), sku(), sku()
    for code in (bike, frame, tube, bolt):
        await catalog.stub.CreateItem(item_request(code))
    await make_bom(catalog, tube, [(bolt, "2", "", "0")])
    await make_bom(catalog, frame, [(tube, "3", "", "10"), (bolt, "1", "BOX", "0")])
    await make_bom(catalog, bike, [(frame, "1", "", "0"), (bolt, "4", "", "0")])

    explosion = await catalog.stub.ExplodeBom(pb.ExplodeBomRequest(parent_sku=bike, quantity=d("10")))
    totals = {r.component_sku: r.quantity.value for r in explosion.requirements}
    # tubes: 10 x 3 x 1.10 = 33; bolts: 10 x 4 + 10 x 12 + 33 x 2 = 226
    assert {k: Decimal(v) for k, v in totals.items()} == {frame: 10, tube: 33, bolt: 226}
    assert max(n.level for n in explosion.tree) == 3

    used = await catalog.stub.WhereUsed(pb.WhereUsedRequest(component_sku=bolt))
    assert {u.parent_sku for u in used.usages} == {tube, frame, bike}
    paged, pages, token = [], 0, ""
    while True:
        page = await catalog.stub.WhereUsed(pb.WhereUsedRequest(component_sku=bolt, page_size=2, page_token=token))
        paged += [(tuple(u.path), u.bom_id) for u in page.usages]
        pages += 1
        if not (token := page.next_page_token):
            break
    assert (paged, pages) == ([(tuple(u.path), u.bom_id) for u in used.usages], 3)

    draft = await catalog.stub.CreateBomVersion(pb.CreateBomVersionRequest(idempotency_key=key(), parent_sku=bolt))
    error = await refused(
        catalog.stub.AddBomLine(
            pb.AddBomLineRequest(idempotency_key=key(), bom_id=draft.id, component_sku=bike, quantity=d("1"))
        )
    )
    assert error.code == ErrorCode.CYCLE and error.field == "component_sku"
    assert bike in error.message and bolt in error.message


async def test_an_active_bom_cannot_be_edited(catalog) -> None:  # type: ignore[no-untyped-def]
    parent, part = sku(), sku()
    for code in (parent, part):
        await catalog.stub.CreateItem(item_request(code))
    active = await make_bom(catalog, parent, [(part, "1", "", "0")])
    error = await refused(
        catalog.stub.AddBomLine(
            pb.AddBomLineRequest(idempotency_key=key(), bom_id=active.id, component_sku=part, quantity=d("2"))
        )
    )
    assert error.code == ErrorCode.INVALID_STATE


async def test_activating_a_new_version_obsoletes_the_previous_one(catalog) -> None:  # type: ignore[no-untyped-def]
    parent, part = sku(), sku()
    for code in (parent, part):
        await catalog.stub.CreateItem(item_request(code))
    first = await make_bom(catalog, parent, [(part, "1", "", "0")])
    second = await make_bom(catalog, parent, [(part, "2", "", "0")])
    versions = await catalog.stub.ListBomVersions(pb.ListBomVersionsRequest(parent_sku=parent))
    assert [(v.id, v.state) for v in versions.versions] == [(first.id, "OBSOLETE"), (second.id, "ACTIVE")]
    latest = await catalog.stub.ListBomVersions(pb.ListBomVersionsRequest(parent_sku=parent, page_size=1, reverse=True))
    assert [v.id for v in latest.versions] == [second.id]
    older = pb.ListBomVersionsRequest(parent_sku=parent, page_size=1, page_token=latest.next_page_token, reverse=True)
    assert [v.id for v in (await catalog.stub.ListBomVersions(older)).versions] == [first.id]


async def test_item_and_bom_events_reach_jetstream_through_the_outbox(catalog, event_bus: EventBus) -> None:  # type: ignore[no-untyped-def]
    parent, part = sku(), sku()
    nc = await nats.connect(event_bus.url)
    js = nc.jetstream()
    await bus.ensure_stream(js, event_bus.stream)
    sub = await js.subscribe(
        event_bus.subject("inventory.catalog.>"), ordered_consumer=True, deliver_policy=nats.js.api.DeliverPolicy.NEW
    )
    await catalog.stub.CreateItem(item_request(parent))
    await catalog.stub.CreateItem(item_request(part))
    bom = await make_bom(catalog, parent, [(part, "1", "", "0")])
    seen: dict[str, list[envelope_pb2.Envelope]] = {}
    while len(seen.get("inventory.catalog.bom.activated", [])) < 1:
        msg = await sub.next_msg(timeout=10)
        envelope = envelope_pb2.Envelope.FromString(msg.data)
        seen.setdefault(envelope.type, []).append(envelope)
    upserted = [events.ItemUpserted() for _ in seen["inventory.catalog.item.upserted"]]
    for message, envelope in zip(upserted, seen["inventory.catalog.item.upserted"], strict=True):
        envelope.payload.Unpack(message)
    assert {parent, part} <= {m.sku for m in upserted}
    activated = events.BomActivated()
    seen["inventory.catalog.bom.activated"][-1].payload.Unpack(activated)
    assert activated.bom_id == bom.id
    assert all(e.actor == "tester" and e.producer == "catalog" for es in seen.values() for e in es)
    await sub.unsubscribe()
    await nc.close()
