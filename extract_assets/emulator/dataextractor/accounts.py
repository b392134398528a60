"""API keys and the accounts they belong to: Bearer authentication, revocation, plan quotas."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from extract_assets.emulator.dataextractor.errors import DataextractorError
from extract_assets.emulator.dataextractor.models import PLAN_QUOTAS, KeyPayload, PlanName

DEFAULT_KEY = "demo-dataextractor-key"
DEMO_ACCOUNT = "acct_demo"

QUOTA_EXCEEDED = "Monthly extraction quota exceeded"


@dataclass
class Account:
    """One customer account: its plan and the times of its accepted uploads."""

    id: str
    plan: PlanName
    uploads: list[float] = field(default_factory=list)

    @property
    def quota(self) -> int:
        """Extractions allowed per calendar month (UTC, emulator clock)."""
        return PLAN_QUOTAS[self.plan]

    def used(self, now: float) -> int:
        """Accepted uploads since the start of the month holding `now`."""
        start = _month_start(now)
        return sum(1 for moment in self.uploads if start <= moment <= now)

    def check_quota(self, now: float) -> None:
        """402 once the month's quota is used up: a money error, never a 429 to retry."""
        if self.used(now) >= self.quota:
            raise DataextractorError(402, QUOTA_EXCEEDED)


@dataclass
class ApiKey:
    """A key of one account; a revoked key stays known, so it is refused as revoked."""

    key: str
    account: str
    revoked: bool = False


class Keyring:
    """The keys and accounts the emulated service knows."""

    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.accounts: dict[str, Account] = {}

    def reset(self) -> None:
        """Only the demo account, on Pro, with the default key."""
        self.accounts = {DEMO_ACCOUNT: Account(DEMO_ACCOUNT, "pro")}
        self.keys = {DEFAULT_KEY: ApiKey(DEFAULT_KEY, DEMO_ACCOUNT)}

    def add(self, payload: KeyPayload) -> ApiKey:
        """Add or replace a key, creating its account or changing the account's plan."""
        account_id = payload.account or _own_account(payload.key)
        account = self.accounts.get(account_id)
        if account is None:
            account = self.accounts[account_id] = Account(account_id, payload.plan or "pro")
        elif payload.plan is not None:
            account.plan = payload.plan
        key = self.keys[payload.key] = ApiKey(payload.key, account_id)
        return key

    def revoke(self, key: str) -> ApiKey | None:
        """Revoke a key; None if unknown."""
        found = self.keys.get(key)
        if found is not None:
            found.revoked = True
        return found

    def account(self, account_id: str | None) -> Account | None:
        """An account by id (the demo account for None), or None if unknown."""
        return self.accounts.get(account_id or DEMO_ACCOUNT)

    def authenticate(self, authorization: str | None) -> ApiKey:
        """The key of a valid `Bearer` header, or 401."""
        scheme, _, token = (authorization or "").partition(" ")
        key = self.keys.get(token.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            raise DataextractorError(401, "Invalid or missing API key")
        if key.revoked:
            raise DataextractorError(401, "API key has been revoked")
        return key

    def key_json(self, key: ApiKey, now: float) -> dict[str, Any]:
        """A key with its account's plan and quota use, as the control API serves it."""
        account = self.accounts[key.account]
        return {
            "key": key.key,
            "account": key.account,
            "revoked": key.revoked,
            "plan": account.plan,
            "quota": account.quota,
            "used_this_month": account.used(now),
        }


def _own_account(key: str) -> str:
    return "acct_" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _month_start(now: float) -> float:
    moment = datetime.fromtimestamp(now, UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp()
