"""The values table of the chart's README, generated from the `# --` comments of values.yaml.

    uv run python deploy/tools/values_table.py --write   # rewrite the table in README.md
    uv run python deploy/tools/values_table.py --check   # exit 1 when it is stale

A `# -- text` comment (continued by the `#` lines after it) documents the key right below.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parents[1] / "helm" / "strata"
START, END = "<!-- values:start -->", "<!-- values:end -->"
KEY = re.compile(r"^(?P<indent> *)(?P<key>[^#\s][^:]*):(?:\s|$)")


def documented_keys(text: str) -> list[tuple[str, str]]:
    """(dotted key, description) in file order."""
    rows: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []
    pending: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            pending = [stripped[4:].strip()]
            continue
        if stripped.startswith("#"):
            if pending is not None:
                pending.append(stripped[1:].strip())
            continue
        match = KEY.match(line)
        if not match or stripped.startswith("- "):
            continue
        indent, key = len(match["indent"]), match["key"].strip().strip('"')
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
        if pending is not None:
            rows.append((".".join(k for _, k in stack), " ".join(pending)))
            pending = None
    return rows


def lookup(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        node = node[part]
    return node


def type_name(value: Any) -> str:
    return {
        bool: "bool",
        int: "int",
        float: "float",
        str: "string",
        list: "list",
        dict: "object",
    }.get(type(value), type(value).__name__)


def table() -> str:
    text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    lines = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for key, description in documented_keys(text):
        value = lookup(values, key)
        default = json.dumps(value, separators=(",", ":")).replace("|", "\\|")
        description = description.replace("|", "\\|")
        lines.append(f"| `{key}` | {type_name(value)} | `{default}` | {description} |")
    return "\n".join(lines)


def rewritten(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    readme = CHART / "README.md"
    current = readme.read_text()
    fresh = rewritten(current)
    if args.write:
        readme.write_text(fresh)
    elif args.check:
        return 0 if fresh == current else 1
    else:
        sys.stdout.write(table() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
