"""The graph's conventions, held by walking the schema: what a front-end developer reads in
GraphiQL and in generated clients is there for every element."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    GraphQLType,
    get_nullable_type,
    specified_scalar_types,
)

from gateway.permissions import RULES
from gateway.schema import build_schema


def graph() -> GraphQLSchema:
    return build_schema(production=False, introspection=True)._schema


def elements(schema: GraphQLSchema) -> Iterator[tuple[str, str | None]]:
    """Every type, field, argument, input field and enum value the graph defines, each by
    its path, with its description."""
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in specified_scalar_types:
            continue
        yield name, kind.description
        yield from _members(name, kind)


def _members(name: str, kind: GraphQLNamedType) -> Iterator[tuple[str, str | None]]:
    if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
        for field_name, field in kind.fields.items():
            yield f"{name}.{field_name}", field.description
            for argument_name, argument in field.args.items():
                yield f"{name}.{field_name}({argument_name})", argument.description
    elif isinstance(kind, GraphQLInputObjectType):
        for field_name, input_field in kind.fields.items():
            yield f"{name}.{field_name}", input_field.description
    elif isinstance(kind, GraphQLEnumType):
        for value_name, value in kind.values.items():
            yield f"{name}.{value_name}", value.description


def test_every_element_of_the_graph_is_described() -> None:
    undescribed = [path for path, description in elements(graph()) if not (description and description.strip())]
    assert undescribed == [], f"{len(undescribed)} elements have no description: {undescribed}"


def test_the_walk_reaches_types_fields_arguments_input_fields_and_enum_values() -> None:
    paths = {path for path, _ in elements(graph())}
    assert {"Item", "Query.item", "Query.item(sku)", "ReceiveInput.quantity", "StockStatus.QC_HOLD"} <= paths


def test_every_custom_scalar_names_its_specification() -> None:
    custom = [
        kind
        for name, kind in graph().type_map.items()
        if isinstance(kind, GraphQLScalarType) and name not in specified_scalar_types
    ]
    assert {kind.name for kind in custom} >= {"Decimal", "DateTime", "Date"}
    assert [kind.name for kind in custom if not kind.specified_by_url] == []


# Lists that cannot grow without bound, each with why; every other list is a connection.
BOUNDED_LISTS = {
    "*.userErrors": "one per refused field of one input",
    "AuditEntry.changes": "the fields of one change",
    "BomExplosion.requirements": "the components of one BOM, summed",
    "BomExplosion.tree": "one BOM's structure, as deep as it is",
    "BomVersion.lines": "the lines of one document",
    "Count.locations": "the scope its planner gave",
    "Count.itemSkus": "the scope its planner gave",
    "Count.counters": "the people assigned to one count",
    "Count.levelsRequired": "the approval levels of one policy",
    "Count.approvals": "one per approval level",
    "Count.transitions": "one per step of one count's states",
    "CountLine.rounds": "at most the count's rounds",
    "CountLine.reasons": "the causes explaining one variance",
    "DueItem.triggers": "the kinds of trigger, an enum",
    "Item.units": "the units of one item",
    "Item.barcodes": "the barcodes of one item",
    "Item.thresholds": "one per warehouse that sets them",
    "Usage.path": "as deep as the BOM structure",
    "Balance.bookByStatus": "one per stock status, an enum",
    "Query.health": "one per service of the suite",
    "Query.accuracy": "one row per group of a report: warehouses, classes, users, reasons or months",
    "ExplosionNode.path": "as deep as the BOM structure",
    "Movement.reasons": "the causes explaining one count adjustment",
    "IntegrityReport.drifts": "what one check found wrong, each a defect to mend",
    "RoundResult.counters": "the people who counted one round of one line",
    "RoundResult.bookByStatus": "one per stock status, an enum",
    "LineTrace.suspects": "one per kind of suspect",
    "LineTrace.movements": "one place's movements between two counts of it",
    "Suspect.movements": "the movements behind one suspect of one trace",
    "ReservationsPayload.reservations": "one per line of the input",
    "SubmitEntriesPayload.entries": "one per entry of the input",
    "PlanCountsPayload.counts": "what one plan opened",
    "PlanCountsPayload.due": "what one plan found due",
    "SalesOrder.lines": "at most 100 per order",
    "SalesOrder.transitions": "one per step of one order's states",
    "Supplier.items": "the items one supplier was created with, fixed since",
    "SalesOrder.picks": "the scans of one order's picking, each taking part of what its lines hold",
    "PickList.entries": "the places one order's lines are taken from",
    "WorkOrder.components": "the direct components of one BOM version",
    "WorkOrder.suggestedWorkOrders": "at most one per component",
    "WorkOrder.overIssues": "the requests of one order, each for part of a component beyond its allowance",
    "WorkOrder.postings": "the movements of one order's issues, returns and receipts",
    "WorkOrder.variances": "one per component",
    "WorkOrder.transitions": "one per step of one order's states",
    "WorkOrderPosting.movementIds": "the movements of one posting, one per place it drew from",
    "PurchaseOrder.lines": "at most 100 per order",
    "PurchaseOrder.receipts": "what came in on one order's lines, never beyond their quantities and tolerances",
    "PurchaseOrder.transitions": "one per step of one order's states",
    "InspectionPlan.characteristics": "at most 50 per plan version",
    "AttributeCharacteristic.defectCodes": "the defects one check names",
    "InspectionLot.results": "one per sample and characteristic of one lot's plan",
    "NonConformance.defects": "the defect codes of one lot's plan",
    "NonConformance.photos": "at most 50 per record",
    "NonConformance.dispositions": "each holds part of one lot's rejected units",
    # A trace and a recall are one answer of the service, whole: what a recall acts on must not be
    # read in pages that the genealogy may change between.
    "Trace.lots": "one lot's genealogy, answered whole",
    "Trace.workOrders": "one lot's genealogy, answered whole",
    "Trace.uses": "one lot's genealogy, answered whole",
    "Trace.receipts": "one lot's genealogy, answered whole",
    "Trace.shipments": "one lot's genealogy, answered whole",
    "Trace.suppliers": "one lot's genealogy, answered whole",
    "Recall.lines": "one lot's recall, answered whole",
    "Recall.customers": "one lot's recall, answered whole",
    "Recall.hold": "one lot's recall, answered whole",
    "RecallLine.salesOrders": "the orders one customer received one lot on",
    "HoldRecalledLotsPayload.inspectionLots": "one per place holding one recall's lots",
    "Query.qualityFigures": "one row per key and month of a report of at most 36 months",
    "QualityFigures.inspectionLotIds": "the lots one row is made of, which the row must show whole to be traceable",
    "QualityFigures.topDefects": "at most 5",
    "QualityFigures.rejectCosts": "one per lot of one row",
    "QualityFigures.openedNonConformanceIds": "the NCRs of one row's lots",
    "QualityFigures.closedNonConformanceIds": "the NCRs of one row's lots",
}


def _list_fields(schema: GraphQLSchema) -> Iterator[str]:
    for name, kind in schema.type_map.items():
        if name.startswith("__") or not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            continue
        if name.endswith("Connection"):
            continue
        for field_name, field in kind.fields.items():
            if isinstance(get_nullable_type(field.type), GraphQLList):
                yield f"{name}.{field_name}"


def test_every_list_that_can_grow_is_a_connection() -> None:
    unpaged = [
        path
        for path in _list_fields(graph())
        if path not in BOUNDED_LISTS and f"*.{path.split('.')[1]}" not in BOUNDED_LISTS
    ]
    assert unpaged == [], f"lists that can grow without a connection (first/after/last/before): {unpaged}"


# Text whose values are open, each with why; a string whose values come from a fixed set is an enum.
OPEN_TEXT = {
    "actor": "a user id from the token",
    "after": "a cursor",
    "approvedBy": "a user id",
    "barcode": "what a scanner read",
    "baseUnit": "units are the catalog's data",
    "before": "a cursor",
    "carriedOutBy": "a user id",
    "characteristic": "a characteristic's code, the plan's data",
    "closedBy": "a user id",
    "code": "codes are the users' data (barcodes, warehouses, locations, reason codes)",
    "comment": "free text",
    "componentSku": "an SKU",
    "correlationId": "an id a request carried",
    "counters": "user ids",
    "createdBy": "a user id",
    "csv": "a file's content",
    "cursor": "a cursor",
    "customer": "a customer's code, the users' data",
    "customerReference": "a customer's own reference, free text",
    "customers": "customers' codes, the users' data",
    "decidedBy": "a user id",
    "decisionReason": "free text",
    "defectCode": "defect codes are the plan's data",
    "defectCodes": "defect codes are the plan's data",
    "documentId": "a document's number in the system that posted it",
    "documentType": "documents are named by whichever system posts them, an ERP's too",
    "endCursor": "a cursor",
    "enteredUnit": "units are the catalog's data",
    "entityId": "an id or a code",
    "error": "free text",
    "eventId": "an id",
    "explanation": "free text",
    "field": "a field's name or path",
    "filename": "a file's name",
    "fromMonth": "a month, as 2026-12 (no scalar for a month)",
    "fromUnit": "units are the catalog's data",
    "group": "a warehouse, class, user, reason or month, as the grouping says",
    "holdRefusal": "free text",
    "idempotencyKey": "a client's own key",
    "inspector": "a user id",
    "inTransitLocation": "a location code",
    "itemSku": "an SKU",
    "itemSkus": "SKUs",
    "key": "a supplier's code, a work order's number, an SKU or a user id, as the dimension says",
    "line": "a document line's number in the system that posted it",
    "location": "a location code",
    "locations": "location codes",
    "lot": "a lot as printed",
    "message": "free text",
    "month": "a month, as 2026-12 (no scalar for a month)",
    "movementId": "stock's id of a movement",
    "name": "free text",
    "note": "free text",
    "number": "a document's number in the system that posted it",
    "openedBy": "a user id",
    "orderNumber": "a document's number in the system that posted it",
    "parentSku": "an SKU",
    "path": "SKUs",
    "payloadType": "the event message's type name, one per kind of event of every service",
    "photos": "references to photos: URLs or object keys",
    "plannedBy": "a user id",
    "prefix": "what a user typed",
    "purchaseOrder": "a purchase order's number, the users' data",
    "reason": "free text",
    "reasonCode": "reason codes are the users' data",
    "refusal": "free text",
    "request": "an over-issue request's number, a document's",
    "requestedBy": "a user id",
    "resolvedBy": "a user id",
    "rootCause": "free text",
    "salesOrder": "a sales order's number",
    "salesOrders": "sales orders' numbers",
    "sku": "an SKU",
    "source": "a consumer's name, which each service defines",
    "startCursor": "a cursor",
    "subject": "an event's subject, one per kind of event of every service",
    "supplier": "a supplier's code, the users' data",
    "supplierLot": "a lot as the supplier printed it",
    "suppliers": "suppliers' codes, the users' data",
    "toMonth": "a month, as 2026-12 (no scalar for a month)",
    "toUnit": "units are the catalog's data",
    "type": "documents are named by whichever system posts them, an ERP's too",
    "unit": "units are the catalog's data",
    "warehouse": "a warehouse code",
    "withdrawnBy": "a user id",
    "workOrder": "a work order's number",
    "workOrders": "work orders' numbers",
}


def _text(schema: GraphQLSchema) -> Iterator[tuple[str, str]]:
    """Every String field, input field and argument, by path and name."""
    for name, kind in schema.type_map.items():
        if name.startswith("__") or not isinstance(
            kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            continue
        for field_name, field in kind.fields.items():
            if _is_text(field.type):
                yield f"{name}.{field_name}", field_name
            for argument_name, argument in getattr(field, "args", {}).items():
                if _is_text(argument.type):
                    yield f"{name}.{field_name}({argument_name})", argument_name


def _is_text(kind: GraphQLType) -> bool:
    named = get_nullable_type(kind)
    if isinstance(named, GraphQLList):
        named = get_nullable_type(named.of_type)
    return named is GraphQLString


def test_no_string_takes_its_values_from_a_fixed_set() -> None:
    unclassified = [path for path, name in _text(graph()) if name not in OPEN_TEXT]
    assert unclassified == [], (
        f"strings that may come from a fixed set (make them enums, or say why not): {unclassified}"
    )


def test_every_object_with_an_id_is_a_node() -> None:
    schema = graph()
    node = schema.type_map["Node"]
    not_nodes = [
        name
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLObjectType) and "id" in kind.fields and node not in kind.interfaces
    ]
    assert not_nodes == [], f"types with an id that Query.node cannot fetch: {not_nodes}"


def test_every_mutation_has_a_rule_of_who_may_use_it_and_every_rule_a_field() -> None:
    schema = graph()
    assert schema.mutation_type is not None and schema.query_type is not None
    mutations = set(schema.mutation_type.fields)
    assert mutations - RULES.keys() == set(), "a mutation anyone signed in may use: add its rule to gateway.permissions"
    assert RULES.keys() - mutations - set(schema.query_type.fields) == set(), "a rule for no field"
