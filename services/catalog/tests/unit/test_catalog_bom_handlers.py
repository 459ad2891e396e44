"""The catalog's BOM handlers over an in-memory repository: versions, lines, activation,
explosion and where-used as the handlers store, audit, publish and read them (the rules
of a BOM version itself are in test_catalog_boms)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from catalog_fakes import Attempt, CatalogService, add_item, new_catalog

from catalog.domain import BomActivated, BomState, BomVersion, FieldChange, Requirement, Usage, commands
from catalog.service import handlers
from invariant_core.paging import PageQuery
from invariant_core.testing import refusal
from invariant_kernel.errors import ErrorCode

JAN_1 = date(2025, 1, 1)
JUL_1 = date(2025, 7, 1)
ALL = PageQuery(100, None, reverse=False)


async def bike_catalog() -> CatalogService:
    """A bike of a frame and wheels, wheels of spokes sold by the box of 100."""
    catalog = new_catalog()
    for sku in ("BIKE", "FRAME", "WHEEL"):
        await add_item(catalog, sku)
    await add_item(catalog, "SPOKE", units=[("BOX", "100")])
    catalog.relay()
    return catalog


async def draft(catalog: CatalogService, parent: str, *lines: tuple[str, str], starts: date = JAN_1) -> BomVersion:
    """A new draft of `parent` with (component, quantity) lines in base units."""
    bom = await catalog.run(handlers.create_bom_version, commands.CreateBomVersion(parent, starts, None))
    for component, quantity in lines:
        bom = await catalog.run(handlers.add_bom_line, commands.AddBomLine(bom.id, component, quantity, "", ""))
    return bom


async def activate(catalog: CatalogService, bom: BomVersion) -> BomVersion:
    return await catalog.run(handlers.activate_bom_version, commands.ActivateBomVersion(bom.id))


async def test_versions_of_a_parent_are_numbered_in_turn_and_audited() -> None:
    catalog = await bike_catalog()
    audited = len(catalog.repo.audit)

    first = await catalog.run(handlers.create_bom_version, commands.CreateBomVersion(" bike ", JAN_1, JUL_1))
    second = await catalog.run(handlers.create_bom_version, commands.CreateBomVersion("BIKE", None, None))

    assert catalog.repo.boms == {first.id: first, second.id: second}
    assert (first.parent_sku, first.version, first.state, first.effective_to) == ("BIKE", 1, BomState.DRAFT, JUL_1)
    assert (second.version, second.effective_from) == (2, date.today())
    entries = [entry for _, entry in catalog.repo.audit[audited:]]
    assert [(e.entity, e.entity_id, e.action) for e in entries] == [
        ("BOM", f"{first.id}@v1", "CREATED"),
        ("BOM", f"{second.id}@v2", "CREATED"),
    ]
    assert entries[0].changes == [FieldChange("version", None, 1)]
    assert catalog.relay() == []


async def test_a_new_version_may_copy_the_lines_of_another_version_of_its_own_parent_only() -> None:
    catalog = await bike_catalog()
    source = await draft(catalog, "BIKE", ("FRAME", "1"), ("WHEEL", "2"))
    wheel = await draft(catalog, "WHEEL", ("SPOKE", "36"))

    copied = await catalog.run(handlers.create_bom_version, commands.CreateBomVersion("BIKE", JUL_1, None, source.id))
    error = await refusal(
        catalog.run(handlers.create_bom_version, commands.CreateBomVersion("BIKE", JUL_1, None, wheel.id))
    )

    stored = catalog.repo.boms[copied.id]
    assert [(line.component_sku, line.quantity) for line in stored.lines] == [
        ("FRAME", Decimal(1)),
        ("WHEEL", Decimal(2)),
    ]
    assert not {line.id for line in stored.lines} & {line.id for line in source.lines}
    assert (error.code, error.field) == (ErrorCode.INVALID_STATE, "copy_from_bom_id")
    assert len(catalog.repo.boms) == 3


async def test_a_line_is_stored_in_the_components_unit_and_audited() -> None:
    catalog = await bike_catalog()
    wheel = await draft(catalog, "WHEEL")

    added = await catalog.run(handlers.add_bom_line, commands.AddBomLine(wheel.id, "spoke", "0.36", " box ", "2.5"))

    [line] = catalog.repo.boms[wheel.id].lines
    assert added.lines == [line]
    assert (line.component_sku, line.quantity, line.unit, line.scrap_percent) == (
        "SPOKE",
        Decimal("0.36"),
        "BOX",
        Decimal("2.5"),
    )
    _, entry = catalog.repo.audit[-1]
    assert (entry.entity_id, entry.action) == (f"{wheel.id}@v1", "LINE_ADDED")
    assert entry.changes == [FieldChange("lines[SPOKE]", None, line.snapshot())]


async def test_a_line_that_would_close_a_cycle_through_other_boms_is_refused_and_nothing_is_written() -> None:
    catalog = await bike_catalog()
    await draft(catalog, "BIKE", ("FRAME", "1"))
    await activate(catalog, await draft(catalog, "FRAME", ("WHEEL", "2")))
    wheel = await draft(catalog, "WHEEL")
    audited = len(catalog.repo.audit)

    error = await refusal(catalog.run(handlers.add_bom_line, commands.AddBomLine(wheel.id, "BIKE", "1", "", "")))

    assert (error.code, error.field) == (ErrorCode.CYCLE, "component_sku")
    assert "WHEEL → BIKE → FRAME → WHEEL" in error.message
    assert catalog.repo.boms[wheel.id].lines == []
    assert len(catalog.repo.audit) == audited


async def test_the_lines_of_obsolete_versions_close_no_cycle() -> None:
    catalog = await bike_catalog()
    old = await draft(catalog, "BIKE", ("FRAME", "1"))
    await catalog.run(handlers.obsolete_bom_version, commands.ObsoleteBomVersion(old.id))
    frame = await draft(catalog, "FRAME")

    await catalog.run(handlers.add_bom_line, commands.AddBomLine(frame.id, "BIKE", "1", "", ""))

    assert [line.component_sku for line in catalog.repo.boms[frame.id].lines] == ["BIKE"]


async def test_removing_a_line_stores_and_audits_what_it_held() -> None:
    catalog = await bike_catalog()
    bike = await draft(catalog, "BIKE", ("FRAME", "1"), ("WHEEL", "2"))
    frame_line = bike.lines[0]

    await catalog.run(handlers.remove_bom_line, commands.RemoveBomLine(bike.id, frame_line.id))
    error = await refusal(catalog.run(handlers.remove_bom_line, commands.RemoveBomLine(bike.id, frame_line.id)))

    assert [line.component_sku for line in catalog.repo.boms[bike.id].lines] == ["WHEEL"]
    _, entry = catalog.repo.audit[-1]
    assert (entry.action, entry.changes) == (
        "LINE_REMOVED",
        [FieldChange("lines[FRAME]", frame_line.snapshot(), None)],
    )
    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "line_id")


async def test_activating_a_version_obsoletes_the_active_one_and_publishes_what_it_replaced() -> None:
    catalog = await bike_catalog()
    first = await activate(catalog, await draft(catalog, "BIKE", ("FRAME", "1")))
    assert catalog.relay() == [BomActivated(first.id, "BIKE", 1, "")]
    second = await draft(catalog, "BIKE", ("FRAME", "1"), ("WHEEL", "2"), starts=JUL_1)
    audited = len(catalog.repo.audit)

    await activate(catalog, second)

    replaced, active = catalog.repo.boms[first.id], catalog.repo.boms[second.id]
    assert (replaced.state, replaced.effective_to) == (BomState.OBSOLETE, JUL_1)
    assert active.state is BomState.ACTIVE
    assert [(e.entity_id, e.action, e.changes) for _, e in catalog.repo.audit[audited:]] == [
        (f"{first.id}@v1", "OBSOLETED", [FieldChange("state", "ACTIVE", "OBSOLETE")]),
        (f"{second.id}@v2", "ACTIVATED", [FieldChange("state", "DRAFT", "ACTIVE")]),
    ]
    assert catalog.relay() == [BomActivated(second.id, "BIKE", 2, first.id)]


async def test_a_version_without_lines_is_not_activated_and_nothing_is_written() -> None:
    catalog = await bike_catalog()
    active = await activate(catalog, await draft(catalog, "BIKE", ("FRAME", "1")))
    empty = await draft(catalog, "BIKE")
    catalog.relay()
    audited = len(catalog.repo.audit)

    error = await refusal(activate(catalog, empty))

    assert (error.code, error.field) == (ErrorCode.INVALID_STATE, "bom_id")
    assert catalog.repo.boms[active.id].state is BomState.ACTIVE
    assert catalog.repo.boms[empty.id].state is BomState.DRAFT
    assert len(catalog.repo.audit) == audited
    assert catalog.relay() == []


async def test_a_version_is_made_obsolete_once_and_audited_from_the_state_it_had() -> None:
    catalog = await bike_catalog()
    active = await activate(catalog, await draft(catalog, "BIKE", ("FRAME", "1")))
    catalog.relay()
    obsolete = commands.ObsoleteBomVersion(active.id)

    await catalog.run(handlers.obsolete_bom_version, obsolete)
    error = await refusal(catalog.run(handlers.obsolete_bom_version, obsolete))

    assert catalog.repo.boms[active.id].state is BomState.OBSOLETE
    _, entry = catalog.repo.audit[-1]
    assert (entry.action, entry.changes) == ("OBSOLETED", [FieldChange("state", "ACTIVE", "OBSOLETE")])
    assert (error.code, error.field) == (ErrorCode.INVALID_STATE, "bom_id")
    assert catalog.relay() == []


@pytest.mark.parametrize(
    ("attempt", "field"),
    [
        (lambda c: c.run(handlers.create_bom_version, commands.CreateBomVersion("NONE", None, None)), "parent_sku"),
        (
            lambda c: c.run(handlers.create_bom_version, commands.CreateBomVersion("BIKE", None, None, "x")),
            "copy_from_bom_id",
        ),
        (lambda c: c.run(handlers.add_bom_line, commands.AddBomLine("x", "FRAME", "1", "", "")), "bom_id"),
        (lambda c: c.run(handlers.remove_bom_line, commands.RemoveBomLine("x", "y")), "bom_id"),
        (lambda c: c.run(handlers.activate_bom_version, commands.ActivateBomVersion("x")), "bom_id"),
        (lambda c: c.run(handlers.obsolete_bom_version, commands.ObsoleteBomVersion("x")), "bom_id"),
        (lambda c: handlers.get_bom_version(c.repo, bom_id="x"), "bom_id"),
        (lambda c: handlers.list_bom_versions(c.repo, parent_sku="NONE", page=ALL), "parent_sku"),
        (lambda c: handlers.explode_bom(c.repo, parent_sku="NONE", quantity="1", as_of=JAN_1), "parent_sku"),
        (lambda c: handlers.where_used_by(c.repo, component_sku="NONE", page=ALL), "component_sku"),
    ],
)
async def test_an_unknown_bom_or_item_is_not_found_on_the_field_naming_it(attempt: Attempt, field: str) -> None:
    catalog = await bike_catalog()

    error = await refusal(attempt(catalog))

    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, field)
    assert catalog.repo.boms == {}


async def test_the_versions_of_a_parent_are_listed_and_read_back_as_stored() -> None:
    catalog = await bike_catalog()
    first = await activate(catalog, await draft(catalog, "BIKE", ("FRAME", "1")))
    second = await draft(catalog, "BIKE", ("WHEEL", "2"))
    await draft(catalog, "WHEEL", ("SPOKE", "36"))

    assert await handlers.list_bom_versions(catalog.repo, parent_sku=" bike ", page=ALL) == [first, second]
    assert await handlers.get_bom_version(catalog.repo, bom_id=second.id) == second


async def test_the_versions_of_a_parent_are_paged_by_version_number_either_way() -> None:
    catalog = await bike_catalog()
    versions = [await draft(catalog, "BIKE", ("FRAME", str(n))) for n in (1, 2, 3)]
    await draft(catalog, "WHEEL", ("SPOKE", "36"))

    def page(size: int, after: int | None, reverse: bool = False) -> PageQuery:
        return PageQuery(size, None if after is None else (after,), reverse=reverse)

    first = await handlers.list_bom_versions(catalog.repo, parent_sku="BIKE", page=page(2, None))
    rest = await handlers.list_bom_versions(catalog.repo, parent_sku="BIKE", page=page(2, 2))
    latest = await handlers.list_bom_versions(catalog.repo, parent_sku="BIKE", page=page(2, None, reverse=True))
    before = await handlers.list_bom_versions(catalog.repo, parent_sku="BIKE", page=page(2, 3, reverse=True))

    # A page's read takes one version more than the page, which tells that more follow.
    assert [bom.version for bom in first] == [1, 2, 3]
    assert rest == versions[2:]
    assert [bom.version for bom in latest] == [3, 2, 1]
    assert [bom.version for bom in before] == [2, 1]


async def test_the_versions_asked_for_by_id_come_in_one_read_and_unknown_ids_are_left_out() -> None:
    catalog = await bike_catalog()
    bike = await draft(catalog, "BIKE", ("FRAME", "1"), ("WHEEL", "2"))
    wheel = await draft(catalog, "WHEEL", ("SPOKE", "36"))

    versions = await handlers.get_bom_versions(catalog.repo, bom_ids=[wheel.id, "nope", bike.id])
    lines = await handlers.get_bom_lines(catalog.repo, line_ids=[bike.lines[1].id, "nope"])
    error = await refusal(handlers.get_bom_lines(catalog.repo, line_ids=[str(n) for n in range(101)]))

    assert sorted(versions, key=lambda bom: bom.version) == [bike, wheel]
    assert lines == [bike.lines[1]]
    assert (error.code, error.field) == (ErrorCode.OUT_OF_RANGE, "ids")


async def test_an_explosion_follows_the_active_version_in_effect_at_each_level_on_the_day_asked() -> None:
    catalog = await bike_catalog()
    await activate(catalog, await draft(catalog, "BIKE", ("FRAME", "1"), ("WHEEL", "2")))
    await activate(catalog, await draft(catalog, "WHEEL", ("SPOKE", "36"), starts=JUL_1))
    await draft(catalog, "FRAME", ("SPOKE", "1"))

    spring = await handlers.explode_bom(catalog.repo, parent_sku="bike", quantity="10", as_of=JAN_1)
    autumn = await handlers.explode_bom(catalog.repo, parent_sku="BIKE", quantity="10", as_of=JUL_1)

    assert spring.requirements == [
        Requirement("FRAME", Decimal(10), "EA", leaf=True),
        Requirement("WHEEL", Decimal(20), "EA", leaf=True),
    ]
    assert autumn.requirements == [
        Requirement("FRAME", Decimal(10), "EA", leaf=True),
        Requirement("WHEEL", Decimal(20), "EA", leaf=False),
        Requirement("SPOKE", Decimal(720), "EA", leaf=True),
    ]
    error = await refusal(handlers.explode_bom(catalog.repo, parent_sku="BIKE", quantity="1", as_of=date(2024, 1, 1)))
    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "parent_sku")


async def test_a_replaced_version_stays_in_effect_until_its_successor_starts() -> None:
    catalog = await bike_catalog()
    await activate(catalog, await draft(catalog, "WHEEL", ("SPOKE", "36")))
    await activate(catalog, await draft(catalog, "WHEEL", ("SPOKE", "32"), starts=JUL_1))

    spring = await handlers.explode_bom(catalog.repo, parent_sku="WHEEL", quantity="1", as_of=JAN_1)

    assert spring.requirements == [Requirement("SPOKE", Decimal(36), "EA", leaf=True)]


async def test_where_used_climbs_through_sub_assemblies_but_not_through_obsolete_versions() -> None:
    catalog = await bike_catalog()
    bike = await draft(catalog, "BIKE", ("WHEEL", "2"))
    wheel = await activate(catalog, await draft(catalog, "WHEEL", ("SPOKE", "36")))
    frame = await draft(catalog, "FRAME", ("SPOKE", "4"))
    await catalog.run(handlers.obsolete_bom_version, commands.ObsoleteBomVersion(frame.id))

    usages = await handlers.where_used_by(catalog.repo, component_sku=" spoke ", page=ALL)

    assert usages == [
        Usage("WHEEL", 1, ("WHEEL", "SPOKE"), wheel.id, "ACTIVE"),
        Usage("BIKE", 2, ("BIKE", "WHEEL", "SPOKE"), bike.id, "DRAFT"),
    ]


async def test_where_used_is_paged_by_each_usages_position_either_way() -> None:
    catalog = await bike_catalog()
    await add_item(catalog, "TRIKE")
    wheel = await activate(catalog, await draft(catalog, "WHEEL", ("SPOKE", "36")))
    frame = await draft(catalog, "FRAME", ("SPOKE", "4"))
    bike = await draft(catalog, "BIKE", ("WHEEL", "2"))
    trike = await draft(catalog, "TRIKE", ("WHEEL", "3"))
    everything = await handlers.where_used_by(catalog.repo, component_sku="SPOKE", page=ALL)

    def after(usage: Usage, size: int, reverse: bool = False) -> PageQuery:
        return PageQuery(size, usage.position, reverse=reverse)

    first = await handlers.where_used_by(catalog.repo, component_sku="SPOKE", page=PageQuery(1, None, False))
    rest = await handlers.where_used_by(catalog.repo, component_sku="SPOKE", page=after(everything[1], 2))
    back = await handlers.where_used_by(catalog.repo, component_sku="SPOKE", page=after(everything[3], 10, True))

    # Depth-first from the component, parents of one component in SKU order.
    assert [(usage.path, usage.bom_id) for usage in everything] == [
        (("FRAME", "SPOKE"), frame.id),
        (("WHEEL", "SPOKE"), wheel.id),
        (("BIKE", "WHEEL", "SPOKE"), bike.id),
        (("TRIKE", "WHEEL", "SPOKE"), trike.id),
    ]
    # A page's read takes one usage more than the page, which tells that more follow.
    assert first == everything[:2]
    assert rest == everything[2:]
    assert back == everything[2::-1]
