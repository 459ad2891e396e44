"""The graph as front ends build against it: gateway/schema.graphql.

The file is the contract. `make schema` writes it from the code and `make lint` fails when
the two disagree. A change that would break a client built against the file (a type, a
field or an enum value removed, a type changed, an argument made required) is written only
when gateway/breaking-changes.txt lists it, as graphql-core describes it: a break is made
on purpose or not at all. Anything else that differs only needs the file written again.

The README's table of who may do what is part of it too, written from gateway.permissions
between its two markers, so that the page front-end developers read cannot drift from the
rules the gateway enforces.

    python -m gateway.contract write   # make schema
    python -m gateway.contract check   # make lint
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from graphql import build_schema as parse_schema
from graphql import find_breaking_changes

from gateway import permissions
from gateway.schema import build_schema

GATEWAY = Path(__file__).resolve().parents[2]
ROLES_START = "<!-- who may do what: written by `make schema` from gateway/permissions.py -->\n"
ROLES_END = "<!-- end of who may do what -->\n"


@dataclass(frozen=True)
class Contract:
    """Where the contract and its list of deliberate breaks live."""

    schema: Path = GATEWAY / "schema.graphql"
    deliberate: Path = GATEWAY / "breaking-changes.txt"
    readme: Path = GATEWAY.parent / "README.md"

    def breaks(self, code: str) -> list[str]:
        """The breaking changes from the committed schema to `code` that are not listed."""
        if not self.schema.exists():
            return []
        listed = self._listed()
        changes = find_breaking_changes(parse_schema(self.schema.read_text()), parse_schema(code))
        return [change.description for change in changes if change.description not in listed]

    def problems(self, code: str, roles: str) -> list[str]:
        """Why the committed schema is not `code`, and what to do about it; nothing when it is."""
        name = self.schema.relative_to(self.schema.parent.parent)
        if not self.schema.exists():
            return [f"{name} is missing: run `make schema`"]
        unlisted = self.breaks(code)
        if unlisted:
            return [self._refusal(change) for change in unlisted]
        if self.schema.read_text() != code:
            return [f"{name} is not what the code serves: run `make schema` and commit it"]
        if self.readme.read_text() != self._with_roles(roles):
            return [f"{self.readme.name}'s table of who may do what is not the gateway's: run `make schema`"]
        return []

    def write(self, code: str, roles: str) -> list[str]:
        """Write `code` as the contract and `roles` as the README's table, unless `code`
        breaks the contract in a way nobody listed."""
        unlisted = self.breaks(code)
        if unlisted:
            return [self._refusal(change) for change in unlisted]
        self.schema.write_text(code)
        self.readme.write_text(self._with_roles(roles))
        return []

    def _with_roles(self, roles: str) -> str:
        """The README with `roles` between its markers."""
        text = self.readme.read_text()
        before, start, rest = text.partition(ROLES_START)
        _, end, after = rest.partition(ROLES_END)
        if not (start and end):
            raise ValueError(f"{self.readme} has no table of who may do what between {ROLES_START!r} and {ROLES_END!r}")
        return before + start + roles + end + after

    def _listed(self) -> set[str]:
        if not self.deliberate.exists():
            return set()
        lines = (line.strip() for line in self.deliberate.read_text().splitlines())
        return {line for line in lines if line and not line.startswith("#")}

    def _refusal(self, change: str) -> str:
        name = self.deliberate.relative_to(self.deliberate.parent.parent)
        return f"breaks clients: {change} If on purpose, list it in {name} with the reason above it."


def served() -> str:
    """The graph the code serves, as SDL."""
    return build_schema(production=False, introspection=True).as_str() + "\n"


def main(command: str) -> None:
    contract = Contract()
    roles = permissions.table()
    problems = contract.write(served(), roles) if command == "write" else contract.problems(served(), roles)
    if problems:
        sys.exit("\n".join(problems))


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["write" | "check" as command]:
            main(command)
        case _:
            sys.exit(__doc__)
