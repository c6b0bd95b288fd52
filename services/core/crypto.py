"""Secrets kept at rest (dashboard refresh tokens) are encrypted with Fernet (``cryptography``).

Fernet is AES-128-CBC with HMAC-SHA256 over the ciphertext and a timestamp: a row altered in the
database fails to decrypt instead of yielding a forged token. ``MultiFernet`` rotates keys: the
first key encrypts, every listed key decrypts, and ``rotate`` re-encrypts a token with the first.
"""

from __future__ import annotations

import base64
import binascii
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)


class InvalidEncryptionKey(ValueError):
    """A configured key is not a Fernet key (32 bytes, URL-safe base64: 44 characters)."""


def parse_keys(value: str) -> list[bytes]:
    """Comma-separated Fernet keys, newest first; raises naming the position of a bad one."""
    keys = [part.strip().encode() for part in value.split(",") if part.strip()]
    if not keys:
        raise InvalidEncryptionKey("no key given")
    for position, key in enumerate(keys, start=1):
        try:
            if len(base64.urlsafe_b64decode(key)) != 32:
                raise ValueError
        except (ValueError, binascii.Error):
            raise InvalidEncryptionKey(
                f"key {position} is not a Fernet key (44 characters of URL-safe base64 holding 32 bytes)"
            ) from None
    return keys


def derive_key(secret: str, *, purpose: str) -> bytes:
    """A Fernet key derived from another secret (outside production, when no key is configured)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"qcp:{purpose}".encode())
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


class TokenCipher:
    """Encrypts short secrets for storage; ``decrypt`` answers None for what no key can open."""

    def __init__(self, keys: list[bytes]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def ephemeral(cls) -> TokenCipher:
        """A key of this process only: stored values die with it (tests, single-process tools)."""
        return cls([Fernet.generate_key()])

    def encrypt(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, stored: str | None) -> str | None:
        if stored is None:
            return None
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            # Written under a retired key, altered, or stored in clear before encryption: the caller
            # treats it as absent (a dashboard user signs in again when the access token expires).
            log.warning("a stored token could not be decrypted with any configured key; ignored")
            return None

    def rotate(self, stored: str) -> str | None:
        """``stored`` re-encrypted with the first key; None when no configured key opens it."""
        try:
            return self._fernet.rotate(stored.encode()).decode()
        except InvalidToken:
            return None
