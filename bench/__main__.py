"""``python -m bench``: the benchmark (``make bench``), or ``--quick`` (``make bench-quick``)."""

from __future__ import annotations

import argparse
import sys
import warnings

from bench.context import FULL, QUICK
from bench.runner import FIGURES, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure Strata against its baselines on this machine and print the table.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke check that every scenario runs (short, small, one repetition)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[figure.key for figure in FIGURES],
        default=[],
        help="run only this figure (repeatable)",
    )
    parser.add_argument("--repetitions", type=int, help="override the profile's repetitions")
    args = parser.parse_args(argv)
    # Raised on importing pgserver when XDG_RUNTIME_DIR is unset (devstack imports it).
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from devstack.state import find_repo_root

    return run(
        repo=find_repo_root(),
        profile=QUICK if args.quick else FULL,
        only=args.only,
        repetitions=args.repetitions,
    )


if __name__ == "__main__":
    sys.exit(main())
