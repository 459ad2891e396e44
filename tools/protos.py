"""Generate Python code from protos/, lint protos/ with buf, or check that they break no caller.

    python tools/protos.py generate protos libs/invariant_protos/src
    python tools/protos.py lint protos
    python tools/protos.py breaking protos

Imports of google/type/*.proto and google/rpc/*.proto resolve to the .proto files that
googleapis-common-protos installs, so the build needs no network besides the registries.

`breaking` compares protos/ with the protos of the commit protos/contract.yaml names, the
published contract, by buf's FILE rules (a field, a method or an enum value removed or
renumbered, a type changed); a break made on purpose is listed there, rule by file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import google.type
import grpc_tools
import yaml
from grpc_tools import protoc

GOOGLEAPIS = Path(google.type.__path__[0]).parent.parent
WELL_KNOWN = Path(grpc_tools.__path__[0]) / "_proto"
# buf as the buf-bin package installs it, next to this interpreter.
BUF = str(Path(sys.executable).parent / "buf")
CONFIG = """version: v2
modules:
  - path: protos
  - path: deps
lint:
  use: [STANDARD]
  except:
    # Methods return the resource itself (Item, BomVersion), as Google's API guide does.
    - RPC_RESPONSE_STANDARD_NAME
    - RPC_REQUEST_RESPONSE_UNIQUE
  ignore: [deps]
breaking:
  use: [FILE]
  ignore: [deps]
"""


def generate(source: Path, out: Path) -> None:
    files = sorted(str(p.relative_to(source)) for p in source.rglob("*.proto"))
    out.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{source}",
        f"-I{GOOGLEAPIS}",
        f"-I{WELL_KNOWN}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *files,
    ]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")
    for package in {out / Path(f).parent for f in files}:
        while package != out:
            (package / "__init__.py").touch()
            package = package.parent
    (out / "invariant" / "py.typed").touch()


def lint(source: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = _workspace(Path(tmp), source)
        result = subprocess.run([BUF, "lint"], cwd=work, check=False)
    if result.returncode != 0:
        sys.exit("buf lint found problems in protos/")


def breaking(source: Path) -> None:
    contract = yaml.safe_load((source / "contract.yaml").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        published = Path(tmp) / "published"
        published.mkdir()
        archive = subprocess.run(["git", "archive", contract["commit"], source.name], capture_output=True, check=False)
        if archive.returncode != 0:
            sys.exit(
                f"the contract's commit {contract['commit'][:12]} is not in this clone (a shallow one?): "
                f"fetch it, then check again ({archive.stderr.decode().strip()})"
            )
        subprocess.run(["tar", "-x", "-C", str(published)], input=archive.stdout, check=True)
        against = _workspace(Path(tmp) / "against", published / source.name)
        work = _workspace(Path(tmp) / "work", source, contract.get("deliberate") or {})
        result = subprocess.run([BUF, "breaking", str(work), "--against", str(against)], cwd=work, check=False)
    if result.returncode != 0:
        sys.exit(
            f"protos/ breaks callers of the contract of {contract['commit'][:12]}; a break made on purpose is "
            "listed in protos/contract.yaml under deliberate, buf's rule and the file"
        )


def _workspace(work: Path, source: Path, deliberate: dict[str, list[str]] | None = None) -> Path:
    """A buf workspace of `source` and the googleapis files it imports."""
    shutil.copytree(source, work / "protos", ignore=shutil.ignore_patterns("*.yaml"))
    for folder in ("type", "rpc"):
        shutil.copytree(
            GOOGLEAPIS / "google" / folder,
            work / "deps" / "google" / folder,
            ignore=shutil.ignore_patterns("*.py", "*.pyi", "__pycache__"),
        )
    config = yaml.safe_load(CONFIG)
    if deliberate:
        # Listed relative to protos/; buf takes them relative to the workspace.
        config["breaking"]["ignore_only"] = {
            rule: [f"protos/{path}" for path in paths] for rule, paths in deliberate.items()
        }
    (work / "buf.yaml").write_text(yaml.safe_dump(config))
    return work


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["generate", source, out]:
            generate(Path(source), Path(out))
        case ["lint", source]:
            lint(Path(source))
        case ["breaking", source]:
            breaking(Path(source))
        case _:
            sys.exit(__doc__)
