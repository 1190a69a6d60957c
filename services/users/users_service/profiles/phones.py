"""Phone numbers: E.164 normalisation and the masked form moderators see."""

from __future__ import annotations

import phonenumbers

from chassis.errors import ValidationFailed


def normalise_phone(raw: str) -> str:
    """The number in E.164 (``+14155550123``), or a validation error on ``phone``."""
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(
            errors={"phone": ["Enter a phone number in E.164 form, e.g. +14155550123."]}
        ) from exc
    if not raw.startswith("+") or not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed(
            errors={"phone": ["Enter a valid phone number in E.164 form, e.g. +14155550123."]}
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str) -> str:
    """Every digit but the last two replaced by ``*`` (``+*********23``)."""
    digits_seen = 0
    total = sum(ch.isdigit() for ch in phone)
    masked = []
    for ch in phone:
        if ch.isdigit():
            digits_seen += 1
            masked.append(ch if digits_seen > total - 2 else "*")
        else:
            masked.append(ch)
    return "".join(masked)
