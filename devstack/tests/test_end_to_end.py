"""The worker's flows through a whole dev stack of its own, as a client sees them.

Register → welcome email, reset → an email whose token works once, password change → a
notification frame on an open socket and a security email (``devstack/e2e_check.py``,
which also runs by hand against a running ``make dev``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import e2e_check

pytestmark = pytest.mark.timeout(300)


def test_register_reset_and_password_change_flows(tmp_path: Path) -> None:
    with e2e_check.own_stack(tmp_path) as platform:
        e2e_check.run_checks(platform)
