"""Email addresses as auth compares them."""

from __future__ import annotations


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased: one account per address whatever its case.

    The local part is case-sensitive in theory only; every large provider ignores case.
    """
    return email.strip().lower()
