"""Webhook signatures: HMAC-SHA256 over the exact request body, hex, "sha256=" prefix."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Huongnghiep-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Huongnghiep-Event"
ATTEMPT_HEADER = "X-Huongnghiep-Attempt"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for this body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether a signature header matches the body (constant-time comparison)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)
