"""Generate the Python code for every ``proto/**/*.proto`` into ``libs/contracts/``.

    python libs/contracts/protogen.py           # rewrite the generated code
    python libs/contracts/protogen.py --check   # exit 1 when it differs from the protos

Everything under ``libs/contracts/strata/`` except ``strata/__init__.py`` is generated:
``*_pb2.py``, ``*_pb2.pyi`` and ``*_pb2_grpc.py``/``.pyi`` (typed by mypy-protobuf), an
empty ``__init__.py`` in each package directory and the ``py.typed`` marker that lets mypy
read the stubs. Files that no proto produces any more are
removed, so the tree always matches ``proto/`` exactly.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from grpc_tools import protoc

CONTRACTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = CONTRACTS_DIR.parent.parent
PROTO_DIR = REPO_ROOT / "proto"
ROOT_PACKAGE = "strata"
# The root package's __init__.py belongs to the contracts project, not to the generator.
HAND_WRITTEN = frozenset({f"{ROOT_PACKAGE}/__init__.py"})


def _plugin(name: str) -> str:
    """Locate a protoc plugin installed beside this interpreter (or on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"protogen: {name} not found; is mypy-protobuf installed?")
    return found


def _proto_files() -> list[str]:
    return sorted(path.relative_to(PROTO_DIR).as_posix() for path in PROTO_DIR.rglob("*.proto"))


def _generate(out_dir: Path) -> None:
    """Run protoc with the Python, gRPC and mypy generators into ``out_dir``."""
    protos = _proto_files()
    if not protos:
        sys.exit(f"protogen: no .proto files under {PROTO_DIR}")
    well_known = files("grpc_tools").joinpath("_proto")
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_DIR}",
        f"--proto_path={well_known}",
        f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
        f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_out=quiet:{out_dir}",
        f"--mypy_grpc_out=quiet:{out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        sys.exit("protogen: protoc failed")
    for package_dir in sorted({p.parent for p in out_dir.rglob("*.py")}):
        while package_dir != out_dir:
            (package_dir / "__init__.py").touch()
            package_dir = package_dir.parent
    # PEP 561: without the marker mypy ignores the stubs of an installed package.
    (out_dir / ROOT_PACKAGE / "py.typed").touch()


def _snapshot(root: Path) -> dict[str, bytes]:
    """Map each generated file under ``root/strata`` (relative to ``root``) to its bytes."""
    package = root / ROOT_PACKAGE
    if not package.is_dir():
        return {}
    snapshot = {}
    for path in package.rglob("*"):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and "__pycache__" not in path.parts and relative not in HAND_WRITTEN:
            snapshot[relative] = path.read_bytes()
    return snapshot


def _differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> dict[str, list[str]]:
    return {
        "missing": sorted(expected.keys() - actual.keys()),
        "extra": sorted(actual.keys() - expected.keys()),
        "differ": sorted(
            name for name in expected.keys() & actual.keys() if expected[name] != actual[name]
        ),
    }


def _apply(expected: dict[str, bytes], differences: dict[str, list[str]]) -> None:
    for name in differences["missing"] + differences["differ"]:
        target = CONTRACTS_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(expected[name])
    for name in differences["extra"]:
        (CONTRACTS_DIR / name).unlink()
    # Drop package directories that lost all their generated files (deepest first).
    package = CONTRACTS_DIR / ROOT_PACKAGE
    for dirpath, _dirnames, _filenames in sorted(os.walk(package), reverse=True):
        directory = Path(dirpath)
        if directory != package and not any(
            child.name != "__pycache__" for child in directory.iterdir()
        ):
            shutil.rmtree(directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 when the generated code is missing, stale or extra",
    )
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="protogen-") as scratch:
        _generate(Path(scratch))
        expected = _snapshot(Path(scratch))
    differences = _differences(expected, _snapshot(CONTRACTS_DIR))
    changed = any(differences.values())

    if options.check:
        for kind, names in differences.items():
            for name in names:
                print(f"{kind}: libs/contracts/{name}")
        if changed:
            print("protogen: generated code is out of date; run python libs/contracts/protogen.py")
            return 1
        print("protogen: generated code is up to date")
        return 0

    _apply(expected, differences)
    count = sum(len(names) for names in differences.values())
    print(f"protogen: {count} file(s) updated from {len(_proto_files())} proto file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
