"""The import contracts in pyproject.toml (run by `make lint`) each fail when their rule is broken.

Each case copies the sources, breaks one rule with one import, and runs lint-imports on the
copy (first on the path, ahead of the installed packages) for that contract alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "libs" / name / "src" for name in ("invariant_kernel", "invariant_core", "invariant_protos")] + [
    *(ROOT / "services" / name / "src" for name in ("catalog", "stock", "counting")),
    ROOT / "gateway" / "src",
]


def lint_imports(contract: str, sources: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(path) for path in sources)}
    command = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--contract", contract]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("contract", "module", "line"),
    [
        ("kernel", "invariant_kernel/errors.py", "import sqlalchemy"),
        ("domains", "stock/domain/places.py", "import sqlalchemy"),
        ("core", "invariant_core/tasks.py", "import counting"),
        ("services", "gateway/app.py", "import stock"),
        ("layers", "stock/service/handlers.py", "import stock.adapters.repository"),
    ],
)
def test_a_contract_fails_when_its_rule_is_broken(contract: str, module: str, line: str, tmp_path: Path) -> None:
    copies = []
    for source in SOURCES:
        copy = tmp_path / source.relative_to(ROOT)
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        copies.append(copy)
    assert lint_imports(contract, copies).returncode == 0, "the copy keeps the contract before it is broken"
    (target,) = [copy / module for copy in copies if (copy / module).exists()]
    target.write_text(target.read_text() + f"\n{line}\n")

    broken = lint_imports(contract, copies)

    assert broken.returncode != 0
    assert "BROKEN" in broken.stdout
