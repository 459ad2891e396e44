"""The protos keep their published contract (`make lint` runs `tools/protos.py breaking`):
a change that would break a caller fails, unless protos/contract.yaml lists it as deliberate."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
STOCK = "invariant/stock/v1/stock.proto"
LOT_FIELD = "  string lot = 2;\n"


def breaking(protos: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "tools" / "protos.py"), "breaking", str(protos)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture
def protos(tmp_path: Path) -> Path:
    """A copy of protos/ whose stock Lot message has lost its lot number."""
    copy = tmp_path / "protos"
    shutil.copytree(ROOT / "protos", copy)
    stock = copy / STOCK
    text = stock.read_text()
    assert text.count(LOT_FIELD) == 1, "the Lot message this test breaks has changed"
    stock.write_text(text.replace(LOT_FIELD, ""))
    return copy


def test_the_protos_keep_their_published_contract() -> None:
    checked = breaking(ROOT / "protos")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_deleted_field_breaks_the_contract(protos: Path) -> None:
    checked = breaking(protos)
    assert checked.returncode != 0
    assert 'field "2" with name "lot" on message "Lot" was deleted' in checked.stdout


def test_a_break_listed_as_deliberate_passes(protos: Path) -> None:
    contract = protos / "contract.yaml"
    listed = yaml.safe_load(contract.read_text())
    listed["deliberate"] = {"FIELD_NO_DELETE": [STOCK]}
    contract.write_text(yaml.safe_dump(listed))
    checked = breaking(protos)
    assert checked.returncode == 0, checked.stdout + checked.stderr
