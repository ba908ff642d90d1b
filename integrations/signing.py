"""How a webhook delivery is signed, and the one recipe to verify it (docs/integrations.md).

Each request carries:

    PRM-Event-Id: <the event's id>           (also Idempotency-Key: the same on every attempt)
    PRM-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]

where each v1 is HMAC-SHA256(secret, "<t>.<raw request body>") in hex: one per secret in force
(two during a secret rotation's overlap). A receiver recomputes it with its secret over the raw
body, compares in constant time, and refuses a timestamp older than its tolerance (5 minutes by
default): a replayed capture fails.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "PRM-Signature"
EVENT_ID_HEADER = "PRM-Event-Id"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    pass


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secrets: list[str], body: bytes, timestamp: int | None = None) -> str:
    """The PRM-Signature header's value for `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={timestamp}", *(f"v1={_digest(s, timestamp, body)}" for s in secrets)])


def verify(
    secret: str, header: str, body: bytes, *, tolerance: int = TOLERANCE_SECONDS, now=None
) -> int:
    """Check a PRM-Signature header against the raw body; returns its timestamp. SignatureError
    when it is malformed, too old (or from the future) or no signature matches."""
    parts = [part.strip().split("=", 1) for part in (header or "").split(",") if "=" in part]
    timestamps = [value for key, value in parts if key == "t"]
    signatures = [value for key, value in parts if key == "v1"]
    if len(timestamps) != 1 or not signatures or not timestamps[0].isdigit():
        raise SignatureError("Malformed signature header.")
    timestamp = int(timestamps[0])
    now = int(time.time()) if now is None else int(now)
    if abs(now - timestamp) > tolerance:
        raise SignatureError("The timestamp is outside the tolerance: a replay, or a wrong clock.")
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("No signature matches.")
    return timestamp
