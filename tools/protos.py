"""Generate Python code from protos/, or lint protos/ with buf.

    python tools/protos.py generate protos libs/invariant_protos/src
    python tools/protos.py lint protos

Imports of google/type/*.proto and google/rpc/*.proto resolve to the .proto files that
googleapis-common-protos installs, so the build needs no network besides the registries.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import google.type
import grpc_tools
from grpc_tools import protoc

GOOGLEAPIS = Path(google.type.__path__[0]).parent.parent
WELL_KNOWN = Path(grpc_tools.__path__[0]) / "_proto"
BUF = ["npx", "--yes", "@bufbuild/buf@1.75.0"]
LINT_CONFIG = """version: v2
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
        work = Path(tmp)
        shutil.copytree(source, work / "protos")
        for folder in ("type", "rpc"):
            shutil.copytree(
                GOOGLEAPIS / "google" / folder,
                work / "deps" / "google" / folder,
                ignore=shutil.ignore_patterns("*.py", "*.pyi", "__pycache__"),
            )
        (work / "buf.yaml").write_text(LINT_CONFIG)
        result = subprocess.run([*BUF, "lint"], cwd=work, check=False)
    if result.returncode != 0:
        sys.exit("buf lint found problems in protos/")


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["generate", source, out]:
            generate(Path(source), Path(out))
        case ["lint", source]:
            lint(Path(source))
        case _:
            sys.exit(__doc__)
