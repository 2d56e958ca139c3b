"""Who may see staff pages (QA runs, readers' feedback, exports): one role model for every
front end.

A visitor is staff when either
- they present the staff token, whose hash (never the token) is in settings
  (``GAZETTE_STAFF_TOKEN_HASH``: ``pbkdf2_sha256$<iterations>$<salt>$<hex>`` as
  ``gazette-assistant staff-hash`` prints it, or ``sha256:<hex>``), or
- a reverse proxy that logs staff in sets the trusted header named in settings
  (``GAZETTE_STAFF_HEADER``) to a non-empty value. Only configure this behind a proxy that
  strips the header from outside requests.

With neither configured nobody is staff: staff pages stay off.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from functools import lru_cache

from core.settings import Settings

PBKDF2 = "pbkdf2_sha256"
ITERATIONS = 200_000


def hash_token(token: str, *, salt: str | None = None, iterations: int = ITERATIONS) -> str:
    """The stored form of a staff token (salted PBKDF2-SHA256)."""
    if not token:
        raise ValueError("empty staff token")
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", token.encode("utf-8"), salt.encode("ascii"), iterations)
    return f"{PBKDF2}${iterations}${salt}${digest.hex()}"


@lru_cache(maxsize=256)  # PBKDF2 costs ~0.1 s: an API client sends its key with every request
def token_matches(token: str, stored: str) -> bool:
    """Whether ``token`` is the one ``stored`` was made from (constant-time compare)."""
    if not token or not stored:
        return False
    stored = stored.strip()
    if stored.startswith("sha256:"):
        got = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return hmac.compare_digest(got, stored.removeprefix("sha256:").lower())
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != PBKDF2 or not parts[1].isdigit():
        return False
    _, iterations, salt, want = parts
    got = hashlib.pbkdf2_hmac("sha256", token.encode("utf-8"), salt.encode("ascii"), int(iterations)).hex()
    return hmac.compare_digest(got, want.lower())


def staff_configured(settings: Settings) -> bool:
    """Whether any way to be staff is set up (else staff pages are simply off)."""
    return bool(settings.staff_token_hash and settings.staff_token_hash.get_secret_value()) or bool(
        settings.staff_header
    )


def is_staff(
    settings: Settings, *, token: str | None = None, headers: Mapping[str, str] | None = None
) -> bool:
    """Whether the visitor is staff: the trusted login header is set, or the token matches."""
    if settings.staff_header and headers:
        wanted = settings.staff_header.lower()
        if any(k.lower() == wanted and str(v).strip() for k, v in headers.items()):
            return True
    stored = settings.staff_token_hash.get_secret_value() if settings.staff_token_hash else ""
    return bool(token) and token_matches(token or "", stored)


def api_key_ok(settings: Settings, key: str | None) -> bool:
    """Whether a request may use the API: no key is configured, or ``key`` is the configured one
    (stored, like the staff token, only as its hash: ``GAZETTE_API_KEY_HASH``)."""
    stored = settings.api_key_hash.get_secret_value() if settings.api_key_hash else ""
    return not stored or token_matches(key or "", stored)
