"""The quality service's command table: every command it takes, the handler that runs it,
and what is asked of other services before its transaction (invariant_core.commands)."""

from __future__ import annotations

from functools import partial

from invariant_core.commands import Route
from quality.domain import commands
from quality.service import handlers, nonconformance, traceability
from quality.service.ports import Dispositions, Holds, Items, QualityRepository, Reading, Stock


def command_table(
    reading: Reading, items: Items, stock: Stock, holds: Holds, dispositions: Dispositions
) -> dict[type, Route[QualityRepository]]:
    return {
        commands.DraftPlan: Route(handlers.draft_plan, prepare=partial(handlers.prepare_draft, items)),
        commands.RevisePlan: Route(handlers.revise_plan),
        commands.ActivatePlan: Route(handlers.activate_plan),
        commands.OpenManualLot: Route(
            partial(handlers.open_manual_lot, holds), prepare=partial(handlers.prepare_manual_lot, items, stock)
        ),
        commands.RecordResults: Route(handlers.record_results),
        commands.DecideLot: Route(handlers.decide_lot, prepare=partial(handlers.prepare_decision, reading, items)),
        commands.UpdateNonConformance: Route(nonconformance.update_nonconformance),
        commands.PlanDisposition: Route(partial(nonconformance.plan_disposition, dispositions)),
        commands.ApproveUseAsIs: Route(partial(nonconformance.approve_use_as_is, dispositions)),
        commands.WithdrawDisposition: Route(nonconformance.withdraw_disposition),
        commands.CloseNonConformance: Route(nonconformance.close_nonconformance),
        commands.HoldRecalledLots: Route(
            partial(traceability.hold_recalled_lots, holds),
            prepare=partial(traceability.prepare_recall_hold, reading, stock),
        ),
    }
