"""The chart's README values table is generated from values.yaml and every value is documented."""

from __future__ import annotations

from typing import Any

import yaml
from tools import values_table

from tests.conftest import CHART


def leaves(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [leaf for key, value in node.items() for leaf in leaves(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def test_the_values_table_is_up_to_date():
    readme = (CHART / "README.md").read_text()
    assert values_table.rewritten(readme) == readme, (
        "deploy/helm/strata/README.md is stale: uv run python deploy/tools/values_table.py --write"
    )


def test_every_value_is_documented():
    text = (CHART / "values.yaml").read_text()
    documented = {key for key, _ in values_table.documented_keys(text)}
    for leaf in leaves(yaml.safe_load(text)):
        parts = leaf.split(".")
        ancestors = {".".join(parts[:n]) for n in range(1, len(parts) + 1)}
        assert ancestors & documented, f"{leaf} has no '# --' comment (nor has any key above it)"


def test_the_schema_knows_every_default_value():
    import json

    schema = json.loads((CHART / "values.schema.json").read_text())
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(defaults) <= set(schema["properties"])
    assert schema["additionalProperties"] is False
