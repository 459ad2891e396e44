from __future__ import annotations

from gateway.app import create_app

from support import Catalog, Service, StartGateway, gateway_settings, running, unused_port

HEALTH = "{ health { service status } }"


async def test_health_lists_every_peer_as_unknown_when_nothing_listens() -> None:
    settings = gateway_settings(f"127.0.0.1:{unused_port()}")
    async with running(create_app(settings)) as client:
        reply = (await client.post("/graphql", json={"query": HEALTH})).json()
    statuses = {entry["service"]: entry["status"] for entry in reply["data"]["health"]}
    assert statuses == dict.fromkeys(("CATALOG", "STOCK", "ORDERS", "QUALITY", "COUNTING"), "UNKNOWN")


async def test_health_reports_the_serving_peers(
    start_gateway: StartGateway,
    catalog: Catalog,
    stock: Service,
    orders: Service,
    quality: Service,
    counting: Service,
) -> None:
    async with start_gateway(
        STOCK_ADDR=stock.address,
        ORDERS_ADDR=orders.address,
        QUALITY_ADDR=quality.address,
        COUNTING_ADDR=counting.address,
    ) as client:
        reply = (await client.post("/graphql", json={"query": HEALTH})).json()
    statuses = {entry["service"]: entry["status"] for entry in reply["data"]["health"]}
    assert statuses == dict.fromkeys(("CATALOG", "STOCK", "ORDERS", "QUALITY", "COUNTING"), "SERVING")
    assert catalog.calls == {"Check": 1}
    assert stock.calls == {"Check": 1}
    assert orders.calls == {"Check": 1}
    assert quality.calls == {"Check": 1}
    assert counting.calls == {"Check": 1}
