"""The pipeline resources: connectors, sources, destinations, connections and triggers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from extract_assets.emulator.clock import iso_z

ConnectorType = Literal["source", "destination"]
RunOutcome = Literal["succeeded", "failed", "cancelled"]


@dataclass(frozen=True)
class Account:
    """An account reachable through a source, e.g. one Google Ads customer."""

    id: str
    name: str

    def as_json(self) -> dict[str, str]:
        """As listed on a source or connection."""
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class Connector:
    """A kind of system data comes from or goes to."""

    id: str
    seq: int
    service: str
    name: str
    type: ConnectorType
    streams: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """As the API returns it."""
        return {
            "id": self.id,
            "service": self.service,
            "name": self.name,
            "type": self.type,
            "streams": list(self.streams),
        }


@dataclass
class Source:
    """A configured instance of a source connector."""

    id: str
    seq: int
    name: str
    connector_id: str
    config: dict[str, Any]
    accounts: list[Account]
    created_at: float
    updated_at: float

    def as_json(self) -> dict[str, Any]:
        """As the API returns it."""
        return {
            "id": self.id,
            "name": self.name,
            "connector_id": self.connector_id,
            "config": self.config,
            "accounts": [a.as_json() for a in self.accounts],
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.updated_at),
        }


@dataclass
class Destination:
    """A configured instance of a destination connector, e.g. the user's warehouse."""

    id: str
    seq: int
    name: str
    connector_id: str
    config: dict[str, Any]
    created_at: float
    updated_at: float

    def as_json(self) -> dict[str, Any]:
        """As the API returns it."""
        return {
            "id": self.id,
            "name": self.name,
            "connector_id": self.connector_id,
            "config": self.config,
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.updated_at),
        }


@dataclass
class RunScenario:
    """How the next runs of a connection behave (control only)."""

    outcome: RunOutcome = "succeeded"
    error: str | None = None
    queued_seconds: float | None = None
    running_seconds: float | None = None
    rows_synced: int | None = None


@dataclass
class Connection:
    """A pipeline from one source to one destination, on a schedule."""

    id: str
    seq: int
    name: str
    source_id: str
    destination_id: str
    schedule: str
    cron: str | None
    backfill_days: int
    streams: list[str]
    created_at: float
    updated_at: float
    scenario: RunScenario = field(default_factory=RunScenario)

    def as_json(self, source: Source) -> dict[str, Any]:
        """As the API returns it, with the accounts an extract may use through it."""
        return {
            "id": self.id,
            "name": self.name,
            "source_id": self.source_id,
            "destination_id": self.destination_id,
            "schedule": self.schedule,
            "cron": self.cron,
            "backfill_days": self.backfill_days,
            "streams": self.streams,
            "accounts": [a.as_json() for a in source.accounts],
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.updated_at),
        }


@dataclass
class Trigger:
    """Starts runs of a connection on a cron expression or from a webhook."""

    id: str
    seq: int
    name: str
    connection_id: str
    type: str
    cron: str | None
    enabled: bool
    created_at: float
    updated_at: float

    def as_json(self) -> dict[str, Any]:
        """As the API returns it."""
        return {
            "id": self.id,
            "name": self.name,
            "connection_id": self.connection_id,
            "type": self.type,
            "cron": self.cron,
            "enabled": self.enabled,
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.updated_at),
        }


@dataclass(frozen=True)
class ConnectionRun:
    """One execution of a connection, its whole future fixed when it is requested."""

    id: str
    seq: int
    connection_id: str
    requested_at: float
    started_at: float
    finished_at: float
    outcome: RunOutcome
    error: str | None
    rows_synced: int

    def status_at(self, now: float) -> str:
        """`queued` → `running` → the outcome; each change happens strictly after its instant."""
        if now > self.finished_at:
            return self.outcome
        if now > self.started_at:
            return "running"
        return "queued"

    def is_active(self, now: float) -> bool:
        """Queued or running."""
        return now <= self.finished_at

    def as_json(self, now: float) -> dict[str, Any]:
        """The Run at emulator time `now`."""
        status = self.status_at(now)
        finished = status not in ("queued", "running")
        return {
            "id": self.id,
            "connection_id": self.connection_id,
            "status": status,
            "started_at": iso_z(self.started_at) if status != "queued" else None,
            "finished_at": iso_z(self.finished_at) if finished else None,
            "error": self.error if status in ("failed", "cancelled") else None,
            "rows_synced": (self.rows_synced if status == "succeeded" else 0) if finished else None,
        }
