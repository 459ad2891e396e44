"""Who may do what through the graph: the one table of the fields that need a role.

Every field not listed needs a signed-in user with any role, and `health` none
(gateway.guard). A resolver asks `require(info)` for its own field, so the rule it enforces
is the rule listed here, and the README's table of who may do what is written from this
table by `make schema` (the graph's contract check fails when the two differ).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.auth import ROLE_ORDER, require_role
from gateway.context import Info

# The floor's work is the operators'; setting up, correcting the book and running a count
# are a supervisor's (DESIGN §5). A manager and an admin may do what those below them may.
OPERATORS = frozenset({"operator", "supervisor", "manager", "admin"})
SUPERVISORS = frozenset({"supervisor", "manager", "admin"})
INSPECTORS = frozenset({"inspector", "supervisor", "manager", "admin"})
APPROVERS = frozenset({"supervisor", "finance", "manager", "admin"})
# The sales desk keeps customers and sales orders, a supervisor standing in; buyers keep
# suppliers, purchase orders and suggestions, while receiving the goods is the floor's work.
SALES = frozenset({"sales", "supervisor", "manager", "admin"})
BUYERS = frozenset({"buyer", "manager", "admin"})
# Pickers pick and ship sales orders beside the floor's operators; planners run work orders, and
# issue their components as the floor does.
PICKERS = frozenset({"picker"}) | OPERATORS
PLANNERS = frozenset({"planner", "manager", "admin"})
ISSUERS = OPERATORS | PLANNERS
# Using rejected goods as they are is a manager's call (issue 19 §6).
MANAGERS = frozenset({"manager", "admin"})
ADMINS = frozenset({"admin"})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    # What the caller was doing, as a refusal names it ("planning a count needs one of …").
    action: str


def _rules(roles: frozenset[str], action: str, *fields: str) -> dict[str, Rule]:
    return dict.fromkeys(fields, Rule(roles, action))


RULES: Mapping[str, Rule] = {
    # catalog
    **_rules(SUPERVISORS, "editing the catalog", "createItem", "updateItem", "setThresholds"),
    **_rules(
        SUPERVISORS,
        "editing a BOM",
        "createBomVersion",
        "addBomLine",
        "removeBomLine",
        "activateBomVersion",
        "obsoleteBomVersion",
    ),
    # stock
    **_rules(SUPERVISORS, "setting up a warehouse", "createWarehouse", "createLocation"),
    **_rules(OPERATORS, "creating a lot", "createLot"),
    **_rules(OPERATORS, "posting a movement", "receive", "issue", "transfer", "scrap", "returnStock"),
    **_rules(INSPECTORS, "changing a stock status", "changeStatus"),
    **_rules(SUPERVISORS, "adjusting stock", "adjust"),
    **_rules(OPERATORS, "working with reservations", "reserve", "release", "issueReservation"),
    # Recomputing every balance from the ledger is heavy and shows the whole book.
    **_rules(ADMINS, "reading the integrity report", "integrityReport"),
    # orders
    **_rules(SALES, "keeping customers", "createCustomer"),
    **_rules(BUYERS, "keeping suppliers", "createSupplier"),
    **_rules(SALES, "working with sales orders", "createSalesOrder", "confirmSalesOrder", "cancelSalesOrder"),
    **_rules(PICKERS, "picking and shipping sales orders", "pickLine", "shortPick", "shipSalesOrder"),
    **_rules(SALES, "closing sales orders and taking returns", "closeSalesOrder", "createReturn"),
    **_rules(
        PLANNERS,
        "planning work orders",
        "setIssueTolerance",
        "createWorkOrder",
        "releaseWorkOrder",
        "completeWorkOrder",
        "closeWorkOrder",
    ),
    **_rules(ISSUERS, "issuing to work orders", "issueComponents", "returnComponents", "requestOverIssue"),
    **_rules(SUPERVISORS, "deciding over-issues", "approveOverIssue", "rejectOverIssue"),
    **_rules(
        BUYERS,
        "working with purchase orders",
        "createPurchaseOrder",
        "sendPurchaseOrder",
        "closePurchaseOrder",
        "cancelPurchaseOrder",
    ),
    **_rules(OPERATORS, "receiving goods", "receivePurchaseOrder"),
    **_rules(BUYERS, "working with purchase suggestions", "convertSuggestions", "dismissSuggestion"),
    # quality: an inspector decides only the lots they recorded results on, which the quality
    # service holds to (a supervisor decides any); plans and holds by hand are a supervisor's.
    **_rules(
        SUPERVISORS,
        "setting up inspection plans",
        "draftInspectionPlan",
        "reviseInspectionPlan",
        "activateInspectionPlan",
    ),
    **_rules(INSPECTORS, "inspecting lots", "recordInspectionResults", "decideInspectionLot"),
    **_rules(SUPERVISORS, "holding stock for inspection", "holdForInspection", "holdRecalledLots"),
    # An NCR's findings are the inspectors'; what is done with the rejected units is a
    # supervisor's plan, and using them as they are a manager's approval (never of their own
    # request, which the quality service holds to).
    **_rules(INSPECTORS, "recording non-conformance findings", "updateNonConformance"),
    **_rules(
        SUPERVISORS,
        "planning dispositions",
        "planDisposition",
        "withdrawDisposition",
        "closeNonConformance",
    ),
    **_rules(MANAGERS, "approving use as is", "approveUseAsIs"),
    # counting
    **_rules(OPERATORS, "counting", "submitEntry", "submitEntries", "myOpenCounts", "nextLine", "pendingRecounts"),
    **_rules(
        SUPERVISORS,
        "running a count",
        "createCount",
        "openCount",
        "finishRound",
        "decideLine",
        "explainLine",
        "explainLines",
        "submitForApproval",
        "cancelCount",
    ),
    **_rules(APPROVERS, "deciding on a count", "approveCount", "rejectCount"),
    **_rules(
        SUPERVISORS,
        "planning counts",
        "setApprovalPolicy",
        "setReasonCode",
        "computeAbcClasses",
        "setCyclePolicy",
        "planCounts",
    ),
    # operations
    **_rules(ADMINS, "working with dead letters", "deadLetters", "replayDeadLetter", "discardDeadLetter"),
}


def require(info: Info, field: str = "") -> None:
    """Refuse the caller unless a role of theirs may use `field` (by default the field resolved)."""
    rule = RULES[field or info.field_name]
    require_role(info.context.identity, rule.roles, rule.action)


def table() -> str:
    """Who may do what, as the README shows it: a row per field that needs a role, by service."""
    roles = ROLE_ORDER
    lines = [
        "| field | " + " | ".join(roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for field, rule in RULES.items():
        lines.append(f"| `{field}` | " + " | ".join("✓" if role in rule.roles else "" for role in roles) + " |")
    return "\n".join(lines) + "\n"
