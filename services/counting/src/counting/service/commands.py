"""Counting's command table: every command it takes, the handler that runs it, and what is
done outside its transaction (invariant_core.commands)."""

from __future__ import annotations

from functools import partial

from counting.domain import commands
from counting.service import handlers, planning, rounds
from counting.service.ports import CountingRepository, Items, Reading, StockBooks
from invariant_core.commands import Route


def command_table(reading: Reading, stock: StockBooks, items: Items) -> dict[type, Route[CountingRepository]]:
    """The routes, given what their preparations read: the repository outside a transaction,
    stock's books and the catalog's items."""
    return {
        commands.CreateCount: Route(handlers.create_count, prepare=partial(handlers.site, stock)),
        commands.OpenCount: Route(handlers.open_count, prepare=partial(handlers.book, reading, stock)),
        # Idempotent by each entry's id, which the handler looks up.
        commands.SubmitEntries: Route(handlers.submit_entries, keyed=False, remedy=items.read_through),
        commands.FinishRound: Route(rounds.finish_round, prepare=partial(rounds.close, reading, stock)),
        commands.DecideLine: Route(handlers.decide_line),
        commands.ExplainLine: Route(handlers.explain_line),
        commands.ExplainLines: Route(handlers.explain_lines),
        commands.SubmitForApproval: Route(handlers.submit_for_approval),
        commands.Approve: Route(handlers.approve),
        commands.Reject: Route(handlers.reject),
        commands.CancelCount: Route(handlers.cancel),
        commands.SetApprovalPolicy: Route(handlers.set_approval_policy),
        commands.SetReasonCode: Route(handlers.set_reason_code),
        commands.ComputeAbcClasses: Route(planning.compute_abc_classes),
        commands.SetCyclePolicy: Route(planning.set_cycle_policy),
        commands.PlanCounts: Route(planning.plan_counts),
    }
