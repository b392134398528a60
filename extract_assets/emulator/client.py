"""EmulatorControl: a typed client of the control API, for tests and demos."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import httpx

FaultKind = Literal["status", "slow", "drop", "truncate"]
FaultBody = Literal["provider", "html", "text", "empty", "truncated_json"]
ProfileName = Literal["default", "real-world"]
ExtracttoRole = Literal["viewer", "creator", "admin"]
DataextractorPlan = Literal["free", "pro"]
DataextractorType = Literal["invoice", "purchase_order"]
DataextractorEvent = Literal["extraction.completed", "extraction.failed", "matching.completed"]
ExtracttoProfile = Literal["generated", "messy"]
# Rows of each day of a data table, keyed by ISO date, as text or a `date` (a Mapping's key
# type is invariant, so `Any` lets a dict keyed by either, or both, through).
ServedDaysArg = Mapping[Any, Sequence[Mapping[str, Any]]]


class EmulatorControlError(RuntimeError):
    """The control API refused a request (the message carries its answer)."""


class EmulatorControl:
    """Reset, move the clock, inject faults, read the request log, set up provider state."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.url}/_emulator", timeout=timeout)

    def health(self) -> dict[str, Any]:
        """`{"status": "ok", "seed", "providers"}`."""
        return self._call("GET", "/health")

    def reset(self) -> None:
        """Clear state, faults and the request log; default keys; real time; the default
        profile."""
        self._call("POST", "/reset")

    def now(self) -> datetime:
        """The emulator's current time."""
        return _parse_time(self._call("GET", "/clock")["now"])

    def advance_clock(self, seconds: float) -> datetime:
        """Jump the emulator clock ahead; returns the new time."""
        return _parse_time(self._call("POST", "/clock", {"advance": seconds})["now"])

    def set_speed(self, factor: float) -> datetime:
        """Run the emulator clock at `factor` x real time (0 freezes it)."""
        return _parse_time(self._call("POST", "/clock", {"speed": factor})["now"])

    def add_fault(
        self,
        kind: FaultKind,
        *,
        provider: str | None = None,
        path: str | None = None,
        method: str | None = None,
        status: int | None = None,
        retry_after: str | None = None,
        delay: float | None = None,
        after_bytes: int | None = None,
        keep_fraction: float | None = None,
        probability: float | None = None,
        times: int | None = None,
        body: FaultBody | None = None,
    ) -> str:
        """Add a fault rule (see `FaultRule`); returns its id. Unset options keep defaults.

        `body` shapes the answer of a `status` fault: `provider` (the default, the provider's
        own error body), `html` (a proxy's HTML page), `text` (plain text), `empty` (no body)
        or `truncated_json` (the provider's body cut off half way)."""
        options = {
            "provider": provider,
            "path": path,
            "method": method,
            "status": status,
            "retry_after": retry_after,
            "delay": delay,
            "after_bytes": after_bytes,
            "keep_fraction": keep_fraction,
            "probability": probability,
            "times": times,
            "body": body,
        }
        rule = {"kind": kind} | {k: v for k, v in options.items() if v is not None}
        return str(self._call("POST", "/faults", rule)["id"])

    def faults(self) -> list[dict[str, Any]]:
        """The active rules, each with how often it was injected."""
        return self._call("GET", "/faults")

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._call("DELETE", "/faults")

    def requests(self, provider: str | None = None) -> list[dict[str, Any]]:
        """The request log, oldest first: provider, method, path, query, status,
        authorization, fault, time."""
        params = {"provider": provider} if provider else None
        return self._call("GET", "/requests", params=params)

    def in_flight(self) -> dict[str, dict[str, int]]:
        """Per provider: requests `in_flight` now and the `peak` at once since the last reset
        (a reset of the emulator resets it too)."""
        return self._call("GET", "/inflight")

    def reset_in_flight_peaks(self) -> dict[str, dict[str, int]]:
        """Start the peaks again from the requests in flight now; returns the counts."""
        return self._call("DELETE", "/inflight")

    def set_profile(self, name: ProfileName, seed: int = 0) -> dict[str, Any]:
        """Answer as real services do (`real-world`, its choices fixed by `seed`) or as the
        contracts show (`default`); see `extract_assets.emulator.realworld` for every trait.
        A reset goes back to `default`. Returns `{"name", "seed"}`."""
        return self._call("PUT", "/profile", {"name": name, "seed": seed})

    def profile(self) -> dict[str, Any]:
        """The profile the emulator answers with: `{"name", "seed"}`."""
        return self._call("GET", "/profile")

    def add_linkup_key(
        self,
        key: str,
        *,
        credits: float | None = None,
        extract_enabled: bool = True,
        budget_limit: float | None = None,
        org: str | None = None,
    ) -> str:
        """Add or replace a Linkup API key; returns its organization."""
        body = {
            "key": key,
            "credits": credits,
            "extract_enabled": extract_enabled,
            "budget_limit": budget_limit,
            "org": org,
        }
        return str(self._call("POST", "/linkup/keys", body)["org"])

    def linkup_keys(self) -> list[dict[str, Any]]:
        """Every Linkup key with its organization, credits spent and remaining."""
        return self._call("GET", "/linkup/keys")

    def add_linkup_scenario(
        self,
        match: str,
        *,
        rows: int | None = None,
        fail: str | None = None,
        pending_seconds: float | None = None,
        processing_seconds: float | None = None,
        credits: float | None = None,
    ) -> None:
        """Tasks whose `q` contains `match`: set their rows, failure, durations or cost."""
        body = {
            "match": match,
            "rows": rows,
            "fail": fail,
            "pending_seconds": pending_seconds,
            "processing_seconds": processing_seconds,
            "credits": credits,
        }
        self._call("POST", "/linkup/scenarios", body)

    def linkup_settings(
        self,
        *,
        max_in_flight: int | None = None,
        result_url_ttl: float | None = None,
        pending_seconds: float | None = None,
        processing_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Change the given Linkup settings; returns all of them."""
        body = {
            "max_in_flight": max_in_flight,
            "result_url_ttl": result_url_ttl,
            "pending_seconds": pending_seconds,
            "processing_seconds": processing_seconds,
        }
        return self._call("POST", "/linkup/settings", body)

    def seed_linkup_tasks(
        self,
        count: int,
        *,
        key: str | None = None,
        q: str | None = None,
        rows: int | None = None,
        fail: str | None = None,
        spacing_seconds: float | None = None,
    ) -> list[str]:
        """Create `count` finished Linkup tasks at once, outside credits and the in-flight
        limit, for `key` (default the demo key); returns their ids, oldest first. They finished
        `spacing_seconds` apart (default 1), the last that long before now."""
        body = {
            "count": count,
            "key": key,
            "q": q,
            "rows": rows,
            "fail": fail,
            "spacing_seconds": spacing_seconds,
        }
        ids: list[str] = self._call("POST", "/linkup/seed", _given(body))["ids"]
        return ids

    def linkup_tasks(self) -> list[dict[str, Any]]:
        """Every Linkup task of every organization, each with its `org`."""
        return self._call("GET", "/linkup/tasks")

    def add_extractto_key(
        self,
        key: str,
        *,
        role: ExtracttoRole = "admin",
        billing: bool = False,
        age_days: float = 0,
    ) -> dict[str, Any]:
        """Add or replace an Extract.to key, issued `age_days` ago; returns it with its expiry."""
        body = {"key": key, "role": role, "billing": billing, "age_days": age_days}
        return self._call("POST", "/extractto/keys", body)

    def extractto_keys(self) -> list[dict[str, Any]]:
        """Every Extract.to key with its role, Billing permission, issue and expiry times."""
        return self._call("GET", "/extractto/keys")

    def extractto_plan(
        self,
        *,
        name: str | None = None,
        max_extracts: int | None = None,
        max_runs_per_month: int | None = None,
        schedules_limit: int | None = None,
    ) -> dict[str, Any]:
        """Change the given limits of the Extract.to plan; returns the whole plan."""
        body = {
            "name": name,
            "max_extracts": max_extracts,
            "max_runs_per_month": max_runs_per_month,
            "schedules_limit": schedules_limit,
        }
        return self._call("POST", "/extractto/plan", _given(body))

    def extractto_settings(
        self,
        *,
        list_style: Literal["envelope", "array"] | None = None,
        cursor_ttl: float | None = None,
        sync_seconds: float | None = None,
        run_queued_seconds: float | None = None,
        run_running_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Change the given Extract.to settings; returns all of them."""
        body = {
            "list_style": list_style,
            "cursor_ttl": cursor_ttl,
            "sync_seconds": sync_seconds,
            "run_queued_seconds": run_queued_seconds,
            "run_running_seconds": run_running_seconds,
        }
        return self._call("POST", "/extractto/settings", _given(body))

    def extractto_demo(self) -> dict[str, str]:
        """Ids of the demo resources: `google_ads_connection_id`, `hubspot_connection_id`,
        `extract_id`, `data_table_id`, `account_id`, `account_name`."""
        return self._call("GET", "/extractto/demo")

    def add_extractto_extract(
        self,
        title: str,
        *,
        data_table_title: str | None = None,
        connection_id: str | None = None,
        account_id: str | None = None,
        account_name: str | None = None,
        fields: list[str] | None = None,
        rows_per_day: int | None = None,
        sync_seconds: float | None = None,
        fail: str | None = None,
        schedules_limit: int | None = None,
        profile: ExtracttoProfile | None = None,
        profile_seed: int | None = None,
    ) -> dict[str, Any]:
        """An extract ready for a test (the demo connection and account unless given), outside
        the plan limits; returns it with its settings, scenario and syncs. `profile="messy"`
        makes its syncs write drifting values (see the emulator's `ExtractSeed`), the same for
        the same `profile_seed`."""
        body = {
            "title": title,
            "data_table_title": data_table_title,
            "connection_id": connection_id,
            "account_id": account_id,
            "account_name": account_name,
            "fields": fields,
            "rows_per_day": rows_per_day,
            "sync_seconds": sync_seconds,
            "fail": fail,
            "schedules_limit": schedules_limit,
            "profile": profile,
            "profile_seed": profile_seed,
        }
        return self._call("POST", "/extractto/extracts", _given(body))

    def extractto_extracts(self) -> list[dict[str, Any]]:
        """Every Extract.to extract with its settings, scenario and syncs (`origin` api or
        schedule)."""
        return self._call("GET", "/extractto/extracts")

    def set_extractto_extract_scenario(
        self,
        extract_id: str,
        *,
        fail: str | None = None,
        sync_seconds: float | None = None,
        rows_per_day: int | None = None,
        clear_fail: bool = False,
    ) -> dict[str, Any]:
        """How the extract's next syncs behave: fail with `fail` as error text (until
        `clear_fail`), last `sync_seconds`, write `rows_per_day` rows per account and day."""
        body: dict[str, Any] = _given(
            {"fail": fail, "sync_seconds": sync_seconds, "rows_per_day": rows_per_day}
        )
        if clear_fail:
            body["fail"] = None
        return self._call("POST", f"/extractto/extracts/{extract_id}/scenario", body)

    def sync_extractto_extract(
        self, extract_id: str, date_from: str | None = None, date_to: str | None = None
    ) -> dict[str, Any]:
        """Start a sync as the service's own schedule would, not asked by a client."""
        body = _given({"date_from": date_from, "date_to": date_to})
        return self._call("POST", f"/extractto/extracts/{extract_id}/sync", body)

    def set_extractto_served_rows(
        self,
        extract_id: str,
        days: ServedDaysArg,
        *,
        columns: Sequence[Mapping[str, str]] | None = None,
    ) -> dict[str, Any]:
        """The rows the extract's data table holds from its next sync on, per ISO date, value
        for value: served as given (`date` and `__insert_date` added only to a row without
        them); a date the sync covers that `days` lacks holds no rows. `columns`
        (`[{"name", "type"}]`) become the table's field columns at once; None keeps them.
        Setting them again replaces them. Returns the extract as `extractto_extracts` does."""
        body = {
            "columns": None if columns is None else [dict(c) for c in columns],
            "days": {
                (day if isinstance(day, str) else day.isoformat()): [dict(r) for r in found]
                for day, found in days.items()
            },
        }
        return self._call("PUT", f"/extractto/extracts/{extract_id}/served_rows", body)

    def add_extractto_connection(
        self,
        name: str,
        *,
        source_service: str = "google_ads",
        destination_service: str = "bigquery",
        schedule: Literal["hourly", "daily", "cron"] = "daily",
        cron: str | None = None,
        backfill_days: int | None = None,
        accounts: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """A connection (with a new source and destination) ready for a test."""
        body = {
            "name": name,
            "source_service": source_service,
            "destination_service": destination_service,
            "schedule": schedule,
            "cron": cron,
            "backfill_days": backfill_days,
            "accounts": accounts,
        }
        return self._call("POST", "/extractto/connections", _given(body))

    def set_extractto_connection_scenario(
        self,
        connection_id: str,
        *,
        outcome: Literal["succeeded", "failed", "cancelled"] | None = None,
        error: str | None = None,
        queued_seconds: float | None = None,
        running_seconds: float | None = None,
        rows_synced: int | None = None,
    ) -> dict[str, Any]:
        """How the connection's next runs end and how long they queue and run."""
        body = {
            "outcome": outcome,
            "error": error,
            "queued_seconds": queued_seconds,
            "running_seconds": running_seconds,
            "rows_synced": rows_synced,
        }
        path = f"/extractto/connections/{connection_id}/scenario"
        return self._call("POST", path, _given(body))

    def add_dataextractor_key(
        self, key: str, *, plan: DataextractorPlan | None = None, account: str | None = None
    ) -> dict[str, Any]:
        """Add or replace a dataextractor.io key of `account` (default: an account of its own),
        setting the account's plan (`free` 10 extractions a month, `pro` 500; a new account
        defaults to `pro`); returns it with its account, plan, quota and use this month."""
        body = _given({"key": key, "plan": plan, "account": account})
        return self._call("POST", "/dataextractor/keys", body)

    def dataextractor_keys(self) -> list[dict[str, Any]]:
        """Every dataextractor.io key with its account, revocation, plan, quota and use."""
        return self._call("GET", "/dataextractor/keys")

    def revoke_dataextractor_key(self, key: str) -> dict[str, Any]:
        """Revoke a dataextractor.io key: from now on it answers 401."""
        return self._call("DELETE", f"/dataextractor/keys/{quote(key, safe='')}")

    def dataextractor_settings(
        self,
        *,
        processing_seconds: float | None = None,
        cursor_ttl: float | None = None,
        read_per_minute: int | None = None,
        write_per_minute: int | None = None,
        webhook_backoff_scale: float | None = None,
        webhook_timeout: float | None = None,
        duplicate_deliveries: int | None = None,
    ) -> dict[str, Any]:
        """Change the given dataextractor.io settings; returns all of them."""
        body = {
            "processing_seconds": processing_seconds,
            "cursor_ttl": cursor_ttl,
            "read_per_minute": read_per_minute,
            "write_per_minute": write_per_minute,
            "webhook_backoff_scale": webhook_backoff_scale,
            "webhook_timeout": webhook_timeout,
            "duplicate_deliveries": duplicate_deliveries,
        }
        return self._call("POST", "/dataextractor/settings", _given(body))

    def add_dataextractor_scenario(
        self, match: str, *, fail: str | None = None, processing_seconds: float | None = None
    ) -> list[dict[str, Any]]:
        """Uploads whose filename contains `match` fail with `fail` as error and/or take
        `processing_seconds`; the first matching scenario wins. Returns all scenarios."""
        body = _given({"match": match, "fail": fail, "processing_seconds": processing_seconds})
        return self._call("POST", "/dataextractor/scenarios", body)

    def seed_dataextractor_datasets(
        self,
        count: int,
        *,
        date_from: str | None = None,
        date_to: str | None = None,
        dataset_types: list[DataextractorType] | None = None,
        customer_ids: list[str] | None = None,
        verified_share: float | None = None,
        failed_share: float | None = None,
        processing_share: float | None = None,
        processing_seconds: float | None = None,
        account: str | None = None,
        created_seconds_ago: float | None = None,
    ) -> list[str]:
        """Create `count` datasets at once, outside rate limits and quota, spread over the
        days `date_from`..`date_to` (ISO dates; default the last 7) up to now, or created
        `created_seconds_ago` (a millisecond apart: late in the listing, behind newer ones);
        returns their ids. Shares are of `count`; `processing_seconds` is how long the
        processing share still takes."""
        body = {
            "count": count,
            "date_from": date_from,
            "date_to": date_to,
            "dataset_types": dataset_types,
            "customer_ids": customer_ids,
            "verified_share": verified_share,
            "failed_share": failed_share,
            "processing_share": processing_share,
            "processing_seconds": processing_seconds,
            "account": account,
            "created_seconds_ago": created_seconds_ago,
        }
        ids: list[str] = self._call("POST", "/dataextractor/seed", _given(body))["ids"]
        return ids

    def dataextractor_usage(self) -> list[dict[str, Any]]:
        """Per key, for the `read` and `write` buckets: `limit_per_minute`, `requests`
        admitted, `rate_limited` (429s answered), `first_at` and `last_at` admitted."""
        return self._call("GET", "/dataextractor/usage")

    def subscribe_dataextractor_webhook(
        self,
        url: str,
        secret: str,
        *,
        events: list[DataextractorEvent] | None = None,
        account: str | None = None,
    ) -> dict[str, Any]:
        """Deliver the `events` (default all three) of `account` (default the demo account)
        to a loopback `url`, signed with `secret`; returns the subscription."""
        body = _given({"url": url, "secret": secret, "events": events, "account": account})
        return self._call("POST", "/dataextractor/webhooks", body)

    def dataextractor_webhooks(self) -> list[dict[str, Any]]:
        """Every webhook subscription (without its secret)."""
        return self._call("GET", "/dataextractor/webhooks")

    def dataextractor_deliveries(self) -> list[dict[str, Any]]:
        """Every webhook delivery attempt, oldest first: `event_id`, `event_type`,
        `webhook_id`, `url`, `copy`, `attempt`, `status` or `error`, `outcome` (delivered,
        retrying, failed) and `time` (when the attempt ended, emulator clock)."""
        return self._call("GET", "/dataextractor/deliveries")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> EmulatorControl:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        response = self._http.request(method, path, json=body, params=params)
        if response.is_error:
            raise EmulatorControlError(
                f"{method} /_emulator{path} -> HTTP {response.status_code}: {response.text}"
            )
        return response.json()


def _given(options: dict[str, Any]) -> dict[str, Any]:
    """The options that were given: an absent name keeps the server's value."""
    return {name: value for name, value in options.items() if value is not None}


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
