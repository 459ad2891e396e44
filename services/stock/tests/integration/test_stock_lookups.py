"""Warehouses and locations in pages, and what a client refetches by key in one call."""

from __future__ import annotations

from stock_support import create_item, create_warehouses, d, key, place, refused

from invariant.stock.v1 import stock_pb2 as pb
from invariant_kernel.errors import ErrorCode


async def test_warehouses_and_their_locations_are_paged_by_code_forward_and_backward(services) -> None:  # type: ignore[no-untyped-def]
    await create_warehouses(services, locations=("B-02", "A-01", "C-03"))

    first = await services.stock.ListWarehouses(pb.ListWarehousesRequest(page_size=1))
    rest = await services.stock.ListWarehouses(pb.ListWarehousesRequest(page_size=1, page_token=first.next_page_token))
    assert [w.code for w in [*first.warehouses, *rest.warehouses]] == ["WH1", "WH2"]
    assert (rest.next_page_token, list(first.locations)) == ("", [])
    last = await services.stock.ListWarehouses(pb.ListWarehousesRequest(page_size=1, reverse=True))
    assert ([w.code for w in last.warehouses], last.cursors) == (["WH2"], rest.cursors)

    page = await services.stock.ListLocations(pb.ListLocationsRequest(warehouse="wh1", page_size=2))
    assert [(loc.warehouse, loc.code) for loc in page.locations] == [("WH1", "A-01"), ("WH1", "B-02")]
    after = await services.stock.ListLocations(
        pb.ListLocationsRequest(warehouse="WH1", page_size=5, page_token=page.next_page_token)
    )
    assert ([loc.code for loc in after.locations], after.next_page_token) == (["C-03", "IN_TRANSIT"], "")
    assert after.locations[1].kind == pb.LOCATION_KIND_IN_TRANSIT
    back = await services.stock.ListLocations(
        pb.ListLocationsRequest(warehouse="WH1", page_size=5, page_token=after.cursors[0], reverse=True)
    )
    assert [loc.code for loc in back.locations] == ["B-02", "A-01"]

    unknown = await refused(services.stock.ListLocations(pb.ListLocationsRequest(warehouse="WH9")))
    assert (unknown.code, unknown.field) == (ErrorCode.NOT_FOUND, "warehouse")


async def test_the_first_or_last_page_of_several_warehouses_locations_comes_from_one_call(services) -> None:  # type: ignore[no-untyped-def]
    await create_warehouses(services, locations=("B-02", "A-01", "C-03"))

    first = await services.stock.ListLocationPages(pb.ListLocationPagesRequest(warehouses=["wh2", "WH1"], page_size=2))
    assert [[(loc.warehouse, loc.code) for loc in page.locations] for page in first.pages] == [
        [("WH2", "A-01"), ("WH2", "B-02")],
        [("WH1", "A-01"), ("WH1", "B-02")],
    ]
    # Each page reads on by itself.
    rest = await services.stock.ListLocations(
        pb.ListLocationsRequest(warehouse="WH1", page_size=5, page_token=first.pages[1].next_page_token)
    )
    assert [loc.code for loc in rest.locations] == ["C-03", "IN_TRANSIT"]
    last = await services.stock.ListLocationPages(
        pb.ListLocationPagesRequest(warehouses=["WH1"], page_size=1, reverse=True)
    )
    assert ([loc.code for loc in last.pages[0].locations], last.pages[0].cursors) == (["IN_TRANSIT"], rest.cursors[1:])

    unknown = await refused(services.stock.ListLocationPages(pb.ListLocationPagesRequest(warehouses=["WH1", "WH9"])))
    assert (unknown.code, unknown.field) == (ErrorCode.NOT_FOUND, "warehouses[1]")


async def test_warehouses_locations_movements_and_reservations_are_fetched_by_key_in_one_call(services) -> None:  # type: ignore[no-untyped-def]
    await create_warehouses(services)
    sku = await create_item(services)
    received = [
        await services.stock.PostMovement(
            pb.PostMovementRequest(
                idempotency_key=key(), type=pb.MOVEMENT_TYPE_RECEIPT, item_sku=sku, quantity=d(n), to=place("WH1")
            )
        )
        for n in (1, 2)
    ]
    made = await services.stock.Reserve(
        pb.ReserveRequest(
            idempotency_key=key(),
            lines=[pb.ReservationLine(item_sku=sku, warehouse="WH1", quantity=d(1))] * 2,
            owner=pb.DocumentRef(type="SALES_ORDER", id="SO-1"),
        )
    )

    warehouses = await services.stock.GetWarehouses(pb.GetWarehousesRequest(codes=["WH2", "WH9", "wh1"]))
    assert [(w.code, w.name, w.in_transit_location) for w in warehouses.warehouses] == [
        ("WH1", "WH1", "IN_TRANSIT"),
        ("WH2", "WH2", "IN_TRANSIT"),
    ]
    keys = [pb.LocationKey(warehouse="WH2", code="IN_TRANSIT"), pb.LocationKey(warehouse="WH1", code="Z-99")]
    locations = await services.stock.GetLocations(pb.GetLocationsRequest(keys=keys))
    assert [(loc.warehouse, loc.code, loc.kind) for loc in locations.locations] == [
        ("WH2", "IN_TRANSIT", pb.LOCATION_KIND_IN_TRANSIT)
    ]
    movements = await services.stock.GetMovements(
        pb.GetMovementsRequest(ids=[received[1].id, "no-such-movement", received[0].id])
    )
    assert list(movements.movements) == received
    reservations = await services.stock.GetReservations(
        pb.GetReservationsRequest(ids=[made.reservations[1].id, made.reservations[0].id, received[0].id])
    )
    assert sorted(r.id for r in reservations.reservations) == sorted(r.id for r in made.reservations)

    too_many = await refused(services.stock.GetMovements(pb.GetMovementsRequest(ids=[received[0].id] * 101)))
    assert (too_many.code, too_many.field) == (ErrorCode.OUT_OF_RANGE, "ids")
