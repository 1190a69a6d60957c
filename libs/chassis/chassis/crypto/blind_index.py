"""Keyed HMAC blind indexes: exact-match lookup of encrypted values without decrypting."""

from __future__ import annotations

import hashlib
import hmac

from chassis.crypto.keys import blind_index_key


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of ``value`` under the blind-index key, separated by ``purpose``.

    The purpose (e.g. ``"users.phone"``) keeps equal values in different columns from
    sharing an index. Callers normalise the value first (E.164 for phones).
    """
    message = purpose.encode() + b"\x00" + value.encode()
    return hmac.new(blind_index_key(), message, hashlib.sha256).hexdigest()
