"""Secrets stored encrypted (webhook signing secrets, CRM credentials): the one way.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a key derived from SECRET_KEY by
HKDF, so an installation has nothing more to configure; rotating SECRET_KEY keeps old values
readable while the old key is listed in SECRET_KEY_FALLBACKS (Django's own rotation setting).
A database dump alone does not reveal them.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"prm.tenancy.crypto.v1"


def _key(secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(derived)


@lru_cache(maxsize=4)
def _fernet(secret: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_key(key)) for key in (secret, *fallbacks)])


def _current() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def encrypt(value: str) -> str:
    """The encrypted text (ASCII) of `value`; "" stays ""."""
    if not value:
        return ""
    return _current().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text of what `encrypt` returned. ValueError when no key can read it."""
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode("ascii")).decode()
    except InvalidToken as error:
        raise ValueError(
            "This secret cannot be decrypted with SECRET_KEY or its fallbacks."
        ) from error
