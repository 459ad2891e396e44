"""The catalog's item handlers over an in-memory repository: what they store, audit,
publish and refuse (the rules of an item itself are in test_catalog_items)."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest
from catalog_fakes import Attempt, Query, add_item, new_catalog

from catalog.domain import FieldChange, ItemUpserted, Thresholds, ThresholdsChanged, commands
from catalog.service import handlers
from invariant_core import identity
from invariant_core.paging import PageQuery
from invariant_core.testing import refusal
from invariant_kernel.errors import ErrorCode

PLANNER = identity.Identity(actor="planner-7", roles=frozenset({"planner"}), correlation_id="c-42")
# GS1 barcodes with valid check digits.
EAN = "4006381333931"
UPC = "036000291452"


async def test_a_new_item_is_stored_audited_field_by_field_and_published() -> None:
    catalog = new_catalog()
    with identity.acting(PLANNER):
        item = await catalog.run(
            handlers.create_item,
            commands.CreateItem(
                sku=" bolt-m8 ",
                name=" Bolt M8 ",
                base_unit="ea",
                units=[("box", "100")],
                barcodes=[(EAN, "")],
                standard_cost="0.12",
                lot_tracked=True,
                inspect_on_receipt=True,
                inspect_on_production=False,
            ),
        )

    assert catalog.repo.items == {"BOLT-M8": item}
    [(sku, entry)] = catalog.repo.audit
    assert (sku, entry.entity, entry.entity_id, entry.action) == ("BOLT-M8", "ITEM", item.id, "CREATED")
    assert (entry.actor, entry.correlation_id, entry.at) == ("planner-7", "c-42", item.updated_at)
    assert entry.changes == [FieldChange(field, None, value) for field, value in item.snapshot().items()]
    upserted = ItemUpserted(
        item_id=item.id,
        sku="BOLT-M8",
        name="Bolt M8",
        base_unit="EA",
        units=(("BOX", Decimal(100)),),
        barcodes=(EAN,),
        standard_cost=Decimal("0.12"),
        lot_tracked=True,
        inspect_on_receipt=True,
        inspect_on_production=False,
        status="ACTIVE",
        version=1,
    )
    assert catalog.outbox == [(upserted, PLANNER)]


async def test_creating_an_item_twice_is_refused_naming_the_sku_and_writes_nothing() -> None:
    catalog = new_catalog()
    first = await add_item(catalog, "BOLT")
    catalog.relay()

    error = await refusal(add_item(catalog, " bolt ", name="Another bolt"))

    assert (error.code, error.field) == (ErrorCode.ALREADY_EXISTS, "sku")
    assert catalog.repo.items == {"BOLT": first}
    assert len(catalog.repo.audit) == 1
    assert catalog.relay() == []


async def test_a_new_item_may_not_take_a_barcode_of_another_item() -> None:
    catalog = new_catalog()
    await add_item(catalog, "NUT", barcodes=[(EAN, "")])

    error = await refusal(add_item(catalog, "BOLT", barcodes=[(UPC, ""), (EAN, "")]))

    assert (error.code, error.field) == (ErrorCode.ALREADY_EXISTS, "barcodes[1].code")
    assert "NUT" in error.message
    assert list(catalog.repo.items) == ["NUT"]


async def test_an_update_stores_audits_and_publishes_only_what_changed() -> None:
    catalog = new_catalog()
    item = await add_item(catalog, "BOLT", name="Bolt")
    catalog.relay()

    with identity.acting(PLANNER):
        updated = await catalog.run(
            handlers.update_item, commands.UpdateItem(sku="bolt", name="Hex bolt", standard_cost="0.20")
        )

    assert catalog.repo.items["BOLT"] == updated
    assert (updated.name, updated.standard_cost, updated.version) == ("Hex bolt", Decimal("0.20"), 2)
    _, entry = catalog.repo.audit[-1]
    assert (entry.entity_id, entry.action, entry.actor) == (item.id, "UPDATED", "planner-7")
    assert entry.changes == [FieldChange("name", "Bolt", "Hex bolt"), FieldChange("standard_cost", "1.5", "0.2")]
    [upserted] = catalog.relay()
    assert isinstance(upserted, ItemUpserted)
    assert (upserted.name, upserted.standard_cost, upserted.version) == ("Hex bolt", Decimal("0.20"), 2)


async def test_an_update_that_changes_nothing_writes_and_publishes_nothing() -> None:
    catalog = new_catalog()
    item = await add_item(catalog, "BOLT", name="Bolt")
    catalog.relay()

    await catalog.run(handlers.update_item, commands.UpdateItem(sku="BOLT", name=" Bolt ", lot_tracked=False))

    assert catalog.repo.items["BOLT"] == item
    assert len(catalog.repo.audit) == 1
    assert catalog.relay() == []


async def test_an_update_may_keep_the_items_own_barcodes_but_not_take_another_items() -> None:
    catalog = new_catalog()
    await add_item(catalog, "NUT", barcodes=[(EAN, "")])
    bolt = await add_item(catalog, "BOLT", barcodes=[(UPC, "")])
    catalog.relay()

    taking = commands.UpdateItem(sku="BOLT", barcodes=[(UPC, ""), (EAN, "")])
    error = await refusal(catalog.run(handlers.update_item, taking))
    assert (error.code, error.field) == (ErrorCode.ALREADY_EXISTS, "barcodes[1].code")
    assert catalog.repo.items["BOLT"] == bolt
    assert catalog.relay() == []

    keeping = commands.UpdateItem(sku="BOLT", barcodes=[(UPC, ""), ("BOLT-1", "")])
    kept = await catalog.run(handlers.update_item, keeping)
    assert (
        [barcode.code for barcode in catalog.repo.items["BOLT"].barcodes]
        == [UPC, "BOLT-1"]
        == [barcode.code for barcode in kept.barcodes]
    )


async def test_thresholds_are_stored_audited_per_warehouse_and_published_once() -> None:
    catalog = new_catalog()
    item = await add_item(catalog, "BOLT")
    catalog.relay()
    thresholds = commands.SetThresholds(sku="bolt", warehouse=" wh1 ", safety_stock="5", max_stock="50")

    await catalog.run(handlers.set_thresholds, thresholds)
    await catalog.run(handlers.set_thresholds, thresholds)

    stored = catalog.repo.items["BOLT"]
    assert stored.thresholds == {"WH1": Thresholds("WH1", Decimal(5), Decimal(50))}
    assert stored.version == 2
    [(_, entry)] = catalog.repo.audit[1:]
    assert (entry.entity, entry.entity_id, entry.action) == ("THRESHOLDS", f"{item.id}/WH1", "UPDATED")
    assert entry.changes == [
        FieldChange("thresholds[WH1].safety_stock", None, "5"),
        FieldChange("thresholds[WH1].max_stock", None, "50"),
    ]
    assert catalog.relay() == [ThresholdsChanged(item.id, "BOLT", "WH1", Decimal(5), Decimal(50))]


@pytest.mark.parametrize(
    "change",
    [
        lambda catalog: catalog.run(handlers.update_item, commands.UpdateItem(sku="NONE", name="Nothing")),
        lambda catalog: catalog.run(
            handlers.set_thresholds,
            commands.SetThresholds(sku="NONE", warehouse="WH1", safety_stock="1", max_stock="2"),
        ),
    ],
)
async def test_changing_an_unknown_item_is_not_found_on_its_sku(change: Attempt) -> None:
    catalog = new_catalog()

    error = await refusal(change(catalog))

    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "sku")
    assert catalog.repo.audit == []


async def test_an_item_is_found_by_its_sku_its_id_or_its_barcode() -> None:
    catalog = new_catalog()
    item = await add_item(catalog, "BOLT", barcodes=[(EAN, "")])

    assert await handlers.get_item(catalog.repo, sku=" bolt ") == item
    assert await handlers.get_item(catalog.repo, item_id=item.id) == item
    assert await handlers.get_item_by_barcode(catalog.repo, code=f" {EAN} ") == item


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (partial(handlers.get_item, sku="NONE"), "sku"),
        (partial(handlers.get_item, item_id="no-such-id"), "id"),
        (partial(handlers.get_item_by_barcode, code=UPC), "code"),
        (partial(handlers.convert_quantity, sku="NONE", quantity="1", from_unit="", to_unit=""), "sku"),
        (partial(handlers.list_audit, sku="NONE", page=PageQuery(10, None, reverse=False)), "sku"),
    ],
)
async def test_an_unknown_item_or_barcode_is_not_found_on_the_field_asked(query: Query, field: str) -> None:
    catalog = new_catalog()
    await add_item(catalog, "BOLT", barcodes=[(EAN, "")])

    error = await refusal(query(catalog.repo))

    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, field)


async def test_a_quantity_converts_between_the_items_units_the_base_unit_by_default() -> None:
    catalog = new_catalog()
    await add_item(catalog, "SPOKE", units=[("BOX", "100"), ("BAG", "40")])

    boxes = partial(handlers.convert_quantity, catalog.repo, sku="spoke", quantity="2.5")
    assert await boxes(from_unit="box", to_unit="") == (Decimal(250), "EA")
    assert await boxes(from_unit="box", to_unit=" bag ") == (Decimal("6.25"), "BAG")
    error = await refusal(boxes(from_unit="crate", to_unit=""))
    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "from_unit")


async def test_an_items_audit_is_read_in_pages_without_other_items_entries() -> None:
    catalog = new_catalog()
    await add_item(catalog, "BOLT")
    await add_item(catalog, "NUT")
    for name in ("Bolt 2", "Bolt 3"):
        await catalog.run(handlers.update_item, commands.UpdateItem(sku="BOLT", name=name))

    first = await handlers.list_audit(catalog.repo, sku="bolt", page=PageQuery(1, None, reverse=False))
    rest = await handlers.list_audit(catalog.repo, sku="BOLT", page=PageQuery(2, (first[0].seq,), reverse=False))
    latest = await handlers.list_audit(catalog.repo, sku="BOLT", page=PageQuery(1, None, reverse=True))

    # A page's read takes one entry more than the page, which tells that more follow.
    assert [entry.action for entry in first[:1] + rest] == ["CREATED", "UPDATED", "UPDATED"]
    assert [entry.changes[0].after for entry in latest] == ["Bolt 3", "Bolt 2"]
