"""Command line: ``python -m devstack`` runs the platform, ``python -m devstack reset`` wipes it."""

from __future__ import annotations

import argparse
import sys
import warnings

from devstack.console import Console
from devstack.runner import RunConfig, reset, run
from devstack.state import StateDir, find_repo_root


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description="Run the whole Strata platform on this machine (state in .devstack/).",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=("run", "reset"),
        default="run",
        help="run (default): start everything in the foreground; reset: wipe .devstack/",
    )
    args = parser.parse_args(argv)
    # Raised on importing pgserver when XDG_RUNTIME_DIR is unset; nothing here uses that dir.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    repo = find_repo_root()
    state = StateDir.for_repo(repo)
    console = Console()
    if args.command == "reset":
        return reset(state, console)
    return run(RunConfig(repo=repo, state=state), console)


if __name__ == "__main__":
    sys.exit(main())
