"""API keys: Bearer authentication, the 90-day validity, roles and the Billing permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from extract_assets.emulator.extractto.errors import ExtracttoError

Role = Literal["viewer", "creator", "admin"]

DEFAULT_KEY = "demo-extractto-key"
KEY_VALIDITY_SECONDS = 90 * 86_400


@dataclass(frozen=True)
class ApiKey:
    """A user's key: what it may do and when it was issued (emulator time)."""

    key: str
    role: Role
    billing: bool
    created_at: float

    @property
    def expires_at(self) -> float:
        """The first moment the key is refused."""
        return self.created_at + KEY_VALIDITY_SECONDS


class Keyring:
    """The keys the emulated account knows."""

    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}

    def reset(self, now: float) -> None:
        """Only the default key: admin with Billing permission, issued now."""
        self.keys = {DEFAULT_KEY: ApiKey(DEFAULT_KEY, "admin", True, now)}

    def add(self, key: ApiKey) -> None:
        """Add or replace a key."""
        self.keys[key.key] = key

    def authenticate(self, authorization: str | None, now: float) -> ApiKey:
        """The key of a valid `Bearer` header, or 401."""
        scheme, _, token = (authorization or "").partition(" ")
        key = self.keys.get(token.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            raise ExtracttoError(401, "Invalid or missing token")
        if now >= key.expires_at:
            raise ExtracttoError(401, "Token expired: API keys are valid for 90 days")
        return key


def require_writer(key: ApiKey) -> None:
    """Creating, changing, deleting and running need the Creator or Admin role."""
    if key.role not in ("creator", "admin"):
        raise ExtracttoError(403, "This action requires the Creator or Admin role")


def require_billing(key: ApiKey) -> None:
    """Plans and usage need the Billing permission, whatever the role."""
    if not key.billing:
        raise ExtracttoError(403, "This action requires Billing permission")
