"""EmulatorControl: a typed client of the control API, for tests and demos."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any, Literal

import httpx

FaultKind = Literal["status", "slow", "drop", "truncate"]


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
        """Clear state, faults and the request log; default keys; real time."""
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
    ) -> str:
        """Add a fault rule (see `FaultRule`); returns its id. Unset options keep defaults."""
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

    def linkup_tasks(self) -> list[dict[str, Any]]:
        """Every Linkup task of every organization, each with its `org`."""
        return self._call("GET", "/linkup/tasks")

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


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
