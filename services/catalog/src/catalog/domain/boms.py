"""Versioned multi-level bills of materials: drafts, activation, explosion and where-used.

A BOM line gives the quantity of a component per one base unit of the parent, in any unit
of the component, plus an expected scrap percentage. Explosion converts every line to the
component's base unit and applies scrap at every level, with exact decimal arithmetic.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import MAX_PREC, Context, Decimal, Inexact, localcontext
from enum import StrEnum

from catalog.domain.events import BomActivated
from catalog.domain.items import Item, JsonValue
from invariant_kernel.decimals import MONEY_PLACES, parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.units import decimal_text

SCRAP_PERCENT_LIMIT = Decimal(100)

# Products and sums of finite decimals always fit in this precision; the trap proves that
# explosion never rounds.
_EXACT = Context(prec=MAX_PREC, traps=[Inexact])


class BomState(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    OBSOLETE = "OBSOLETE"


@dataclass(frozen=True)
class BomLine:
    id: str
    component_sku: str
    # Per one base unit of the parent, in `unit` (a unit of the component).
    quantity: Decimal
    unit: str
    scrap_percent: Decimal

    def snapshot(self) -> dict[str, JsonValue]:
        return {
            "component_sku": self.component_sku,
            "quantity": decimal_text(self.quantity),
            "unit": self.unit,
            "scrap_percent": decimal_text(self.scrap_percent),
        }


@dataclass
class BomVersion:
    id: str
    parent_sku: str
    version: int
    state: BomState
    effective_from: date
    effective_to: date | None
    lines: list[BomLine]
    updated_at: datetime | None = dataclasses.field(default=None, compare=False)
    events: list[object] = dataclasses.field(default_factory=list, repr=False, compare=False)

    @classmethod
    def new_draft(
        cls,
        id: str,
        parent_sku: str,
        version: int,
        effective_from: date,
        effective_to: date | None,
        lines: Iterable[BomLine] = (),
    ) -> BomVersion:
        if effective_to is not None and effective_to <= effective_from:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"effective_to ({effective_to}) must be after effective_from ({effective_from})",
                "effective_to",
            )
        return cls(id, parent_sku, version, BomState.DRAFT, effective_from, effective_to, list(lines))

    def add_line(
        self,
        line_id: str,
        component: Item,
        quantity: str,
        unit: str,
        scrap_percent: str,
        *,
        uses: Mapping[str, Iterable[str]],
    ) -> BomLine:
        """Add a component line; `uses` is the BOM graph as find_cycle takes it."""
        self._require_draft()
        check_no_cycle(uses, self.parent_sku, component.sku)
        if any(line.component_sku == component.sku for line in self.lines):
            raise DomainError(
                ErrorCode.ALREADY_EXISTS,
                f"{component.sku} is already a component of BOM version {self.version} of "
                f"{self.parent_sku}; change its line instead of adding another",
                "component_sku",
            )
        amount = parse_decimal(quantity, "quantity", strictly_positive=True)
        unit_code = component.resolve_unit(unit, "unit")
        scrap = _scrap(scrap_percent)
        line = BomLine(line_id, component.sku, amount, unit_code, scrap)
        self.lines.append(line)
        return line

    def remove_line(self, line_id: str) -> BomLine:
        self._require_draft()
        for line in self.lines:
            if line.id == line_id:
                self.lines.remove(line)
                return line
        raise DomainError(
            ErrorCode.NOT_FOUND,
            f"BOM version {self.version} of {self.parent_sku} has no line {line_id!r}",
            "line_id",
        )

    def activate(self, previous_active: BomVersion | None) -> None:
        """Make this draft the active version, making the one it replaces obsolete."""
        if self.state is not BomState.DRAFT:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"BOM version {self.version} of {self.parent_sku} is {self.state}; only a draft can be activated",
                "bom_id",
            )
        if not self.lines:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"BOM version {self.version} of {self.parent_sku} has no lines; add at least one before activating it",
                "bom_id",
            )
        replaced_bom_id = ""
        if previous_active is not None:
            previous_active.state = BomState.OBSOLETE
            ends = previous_active.effective_to
            if ends is None or ends > self.effective_from:
                # Never end before it began, even when the new version starts earlier.
                previous_active.effective_to = max(previous_active.effective_from, self.effective_from)
            replaced_bom_id = previous_active.id
        self.state = BomState.ACTIVE
        self.events.append(BomActivated(self.id, self.parent_sku, self.version, replaced_bom_id))

    def obsolete(self, today: date) -> None:
        """No longer in effect from today on; the days an active version was in effect stay
        its own, and a draft never was."""
        if self.state is BomState.OBSOLETE:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"BOM version {self.version} of {self.parent_sku} is already OBSOLETE",
                "bom_id",
            )
        ends = self.effective_from if self.state is BomState.DRAFT else max(self.effective_from, today)
        if self.effective_to is None or self.effective_to > ends:
            self.effective_to = ends
        self.state = BomState.OBSOLETE

    def _require_draft(self) -> None:
        if self.state is not BomState.DRAFT:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"BOM version {self.version} of {self.parent_sku} is {self.state}; only a draft can be edited",
                "bom_id",
            )


def _scrap(raw: str) -> Decimal:
    if not raw.strip():
        return Decimal(0)
    scrap = parse_decimal(raw, "scrap_percent", places=MONEY_PLACES, minimum=Decimal(0))
    if scrap >= SCRAP_PERCENT_LIMIT:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE,
            f"scrap_percent must be below {SCRAP_PERCENT_LIMIT}, got {raw.strip()}",
            "scrap_percent",
        )
    return scrap


def effective(versions: Iterable[BomVersion], on: date) -> BomVersion | None:
    """The version in effect on `on`: the one, active or since replaced or made obsolete,
    whose [effective_from, effective_to) covers it. A draft is in effect nowhere; a version
    that stops being active keeps the days it was in effect, up to its successor's start."""
    for version in versions:
        if (
            version.state is not BomState.DRAFT
            and version.effective_from <= on
            and (version.effective_to is None or on < version.effective_to)
        ):
            return version
    return None


def find_cycle(uses: Mapping[str, Iterable[str]], parent: str, component: str) -> list[str] | None:
    """The cycle that adding parent -> component would close, or None.

    `uses[sku]` lists the SKUs that sku's non-obsolete BOM versions use directly. The path
    starts and ends at `parent` and goes through `component`: ["A", "C", "B", "A"].
    """
    # Breadth-first from the component, so the reported cycle is a shortest one.
    reached_from: dict[str, str] = {component: parent}
    queue = deque([component])
    while queue:
        sku = queue.popleft()
        if sku == parent:
            backwards = [sku]
            while sku != component:
                sku = reached_from[sku]
                backwards.append(sku)
            return [parent, *reversed(backwards)]
        for used in uses.get(sku, ()):
            if used not in reached_from:
                reached_from[used] = sku
                queue.append(used)
    return None


def check_no_cycle(uses: Mapping[str, Iterable[str]], parent: str, component: str) -> None:
    path = find_cycle(uses, parent, component)
    if path is not None:
        raise DomainError(
            ErrorCode.CYCLE,
            f"adding {component} to {parent} would create a cycle: {' → '.join(path)}",
            "component_sku",
        )


@dataclass(frozen=True)
class Requirement:
    component_sku: str
    # Total over all levels and paths, in the component's base unit, scrap included.
    quantity: Decimal
    unit: str
    # True when the component has no effective BOM of its own.
    leaf: bool


@dataclass(frozen=True)
class ExplosionNode:
    level: int
    # From the exploded parent down to this component, both included.
    path: tuple[str, ...]
    component_sku: str
    quantity: Decimal
    unit: str
    bom_id: str


@dataclass(frozen=True)
class Explosion:
    requirements: list[Requirement]
    tree: list[ExplosionNode]


def explode(
    parent_sku: str,
    quantity: Decimal,
    bom_of: Mapping[str, BomVersion],
    items: Mapping[str, Item],
) -> Explosion:
    """Everything needed to make `quantity` base units of `parent_sku`.

    `bom_of[sku]` is the version in effect for sku; a SKU without one is bought in (a leaf).
    `items` must hold every component reachable from the parent.
    """
    amount = parse_decimal(quantity, "quantity", strictly_positive=True)
    if parent_sku not in bom_of:
        raise DomainError(ErrorCode.NOT_FOUND, f"{parent_sku} has no BOM in effect to explode", "parent_sku")
    totals: dict[str, Decimal] = {}
    tree: list[ExplosionNode] = []

    def walk(path: tuple[str, ...], needed: Decimal) -> None:
        bom = bom_of[path[-1]]
        for line in bom.lines:
            sku = line.component_sku
            if sku in path:
                raise DomainError(
                    ErrorCode.CYCLE,
                    f"the BOMs of {parent_sku} form a cycle: {' → '.join((*path, sku))}",
                    "parent_sku",
                )
            component = items[sku]
            with_scrap = (100 + line.scrap_percent).scaleb(-2)
            required = needed * line.quantity * component.factor(line.unit) * with_scrap
            node_path = (*path, sku)
            tree.append(ExplosionNode(len(path), node_path, sku, required, component.base_unit, bom.id))
            totals[sku] = totals.get(sku, Decimal(0)) + required
            if sku in bom_of:
                walk(node_path, required)

    with localcontext(_EXACT):
        walk((parent_sku,), amount)
    requirements = [Requirement(sku, total, items[sku].base_unit, sku not in bom_of) for sku, total in totals.items()]
    return Explosion(requirements, tree)


@dataclass(frozen=True)
class Usage:
    parent_sku: str
    # 1 for parents that use the component directly.
    level: int
    # From this parent down to the component, both included.
    path: tuple[str, ...]
    bom_id: str
    state: str

    @property
    def position(self) -> tuple[tuple[str, ...], str]:
        """Where it stands among the usages of its component: its path read from the component up,
        then its BOM version (a parent's versions use the component along the same path)."""
        return tuple(reversed(self.path)), self.bom_id


def where_used(component_sku: str, used_by: Mapping[str, Iterable[tuple[str, str, str]]]) -> list[Usage]:
    """Every BOM that uses the component, directly or through sub-assemblies, depth-first:
    in the order of their `position`, so parents of one component come in SKU order.

    `used_by[sku]` gives (parent_sku, bom_id, state) for each version that uses sku directly.
    """
    usages: list[Usage] = []
    climbed: set[tuple[str, ...]] = set()

    def climb(path: tuple[str, ...]) -> None:
        for parent, bom_id, state in used_by.get(path[0], ()):
            # The stored graph is acyclic, but a bad row must not make this loop forever.
            if parent in path:
                continue
            upward = (parent, *path)
            usages.append(Usage(parent, len(path), upward, bom_id, state))
            # Several versions of one parent lead to the same ancestors; list those once.
            if upward not in climbed:
                climbed.add(upward)
                climb(upward)

    climb((component_sku,))
    return sorted(usages, key=lambda usage: usage.position)
