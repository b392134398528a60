"""Extract.to's server-side state: keys, plan, resources, extracts and runs of one account."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from extract_assets.emulator.extractto.auth import Keyring
from extract_assets.emulator.extractto.dates import month_start, today
from extract_assets.emulator.extractto.errors import ExtracttoError, not_found
from extract_assets.emulator.extractto.extracts import Extract, Sync, SyncOrigin
from extract_assets.emulator.extractto.models import ExtracttoSettings, Plan
from extract_assets.emulator.extractto.resources import (
    Account,
    Connection,
    ConnectionRun,
    Connector,
    ConnectorType,
    Destination,
    Source,
    Trigger,
)
from extract_assets.emulator.extractto.rows import DEFAULT_FIELDS, stable_hash
from extract_assets.emulator.provider import EmulatorContext

_T = TypeVar("_T")


@dataclass(frozen=True)
class Demo:
    """Ids of the demo resources created at every start and reset."""

    google_ads_connection_id: str
    hubspot_connection_id: str
    extract_id: str
    data_table_id: str
    account_id: str
    account_name: str

    def as_json(self) -> dict[str, str]:
        """As the control API serves it."""
        return dict(vars(self))


class ExtracttoState:
    """Everything of the emulated account; ids come from a seeded generator, so the same
    sequence of requests after a reset yields the same ids."""

    def __init__(self, context: EmulatorContext) -> None:
        self.context = context
        self.keyring = Keyring()
        self.plan = Plan()
        self.settings = ExtracttoSettings()
        self.connectors: dict[str, Connector] = {}
        self.sources: dict[str, Source] = {}
        self.destinations: dict[str, Destination] = {}
        self.connections: dict[str, Connection] = {}
        self.triggers: dict[str, Trigger] = {}
        self.extracts: dict[str, Extract] = {}
        self.tables: dict[str, Extract] = {}
        self.runs: dict[str, list[ConnectionRun]] = {}
        self._rng = random.Random()
        self._seq = 0
        self.demo: Demo | None = None

    @property
    def now(self) -> float:
        """Emulator time."""
        return self.context.clock.time()

    def clear(self) -> None:
        """Forget everything; the caller seeds the demo account again."""
        self.keyring.reset(self.now)
        self.plan = Plan()
        self.settings = ExtracttoSettings()
        for store in (
            self.connectors,
            self.sources,
            self.destinations,
            self.connections,
            self.triggers,
            self.extracts,
            self.tables,
            self.runs,
        ):
            store.clear()
        self._rng = random.Random(f"{self.context.seed}:extractto:ids")
        self._seq = 0
        self.demo = None

    def new_id(self) -> str:
        """An opaque UUID from the seeded generator."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def next_seq(self) -> int:
        """Creation order, for stable listing."""
        self._seq += 1
        return self._seq

    def new_account_id(self) -> str:
        """A Google-Ads-like customer id for a source created without accounts."""
        digits = f"{self._rng.randrange(10**10):010d}"
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"

    def connector(self, connector_id: str) -> Connector:
        """One connector, or 404."""
        return _found(self.connectors.get(connector_id), "Connector")

    def source(self, source_id: str) -> Source:
        """One source, or 404."""
        return _found(self.sources.get(source_id), "Source")

    def destination(self, destination_id: str) -> Destination:
        """One destination, or 404."""
        return _found(self.destinations.get(destination_id), "Destination")

    def connection(self, connection_id: str) -> Connection:
        """One connection, or 404."""
        return _found(self.connections.get(connection_id), "Connection")

    def trigger(self, trigger_id: str) -> Trigger:
        """One trigger, or 404."""
        return _found(self.triggers.get(trigger_id), "Trigger")

    def extract(self, extract_id: str) -> Extract:
        """One extract, its finished syncs applied, or 404."""
        extract = _found(self.extracts.get(extract_id), "Extract")
        extract.settle(self.now)
        return extract

    def table(self, table_id: str) -> Extract:
        """The extract owning a data table, its finished syncs applied, or 404."""
        extract = _found(self.tables.get(table_id), "Data table")
        extract.settle(self.now)
        return extract

    def run(self, connection: Connection, run_id: str) -> ConnectionRun:
        """One run of a connection, or 404."""
        found = next((r for r in self.runs.get(connection.id, ()) if r.id == run_id), None)
        return _found(found, "Run")

    def connector_of_service(self, service: str) -> Connector:
        """The connector of a service name such as `google_ads`, or 404."""
        found = next((c for c in self.connectors.values() if c.service == service), None)
        return _found(found, "Connector")

    def connection_json(self, connection: Connection) -> dict[str, Any]:
        """A connection as the API returns it."""
        return connection.as_json(self.sources[connection.source_id])

    def syncs_and_runs(self) -> Iterable[Sync | ConnectionRun]:
        """Every extract sync and connection run ever started."""
        for extract in self.extracts.values():
            yield from extract.syncs
        for runs in self.runs.values():
            yield from runs

    def runs_this_month(self) -> int:
        """Extract syncs (whoever asked) and connection runs started this UTC month."""
        start = month_start(self.now)
        return sum(1 for r in self.syncs_and_runs() if _started(r) >= start)

    def usage(self) -> dict[str, Any]:
        """GET /usage."""
        now = self.now
        start = month_start(now)
        rows = sum(
            s.rows()
            for e in self.extracts.values()
            for s in e.syncs
            if start <= s.finished_at < now
        )
        return {
            "period_start": today(start).isoformat(),
            "extracts_used": len(self.extracts),
            "max_extracts": self.plan.max_extracts,
            "runs_this_month": self.runs_this_month(),
            "max_runs_per_month": self.plan.max_runs_per_month,
            "rows_synced_this_month": rows,
        }

    def check_run_allowed(self) -> None:
        """402 once this month's runs reach the plan's limit."""
        used, limit = self.runs_this_month(), self.plan.max_runs_per_month
        if used >= limit:
            raise ExtracttoError(402, f"Plan limit reached: max_runs_per_month ({used}/{limit})")

    def check_extract_allowed(self) -> None:
        """402 once the account holds as many extracts as its plan allows."""
        used, limit = len(self.extracts), self.plan.max_extracts
        if used >= limit:
            raise ExtracttoError(402, f"Plan limit reached: max_extracts ({used}/{limit})")

    def add_connector(
        self, service: str, name: str, kind: ConnectorType, streams: tuple[str, ...]
    ) -> Connector:
        """A connector of the catalog."""
        connector = Connector(self.new_id(), self.next_seq(), service, name, kind, streams)
        self.connectors[connector.id] = connector
        return connector

    def add_source(
        self,
        name: str,
        connector: Connector,
        config: dict[str, Any],
        accounts: list[Account] | None,
    ) -> Source:
        """A source; without accounts it reaches one account of its own."""
        if connector.type != "source":
            raise ExtracttoError(400, f"Connector {connector.service} is not a source")
        if accounts is None:
            account_id = self.new_account_id()
            accounts = [Account(account_id, f"{name} ({account_id})")]
        now = self.now
        source = Source(
            self.new_id(), self.next_seq(), name, connector.id, config, accounts, now, now
        )
        self.sources[source.id] = source
        return source

    def add_destination(
        self, name: str, connector: Connector, config: dict[str, Any]
    ) -> Destination:
        """A destination."""
        if connector.type != "destination":
            raise ExtracttoError(400, f"Connector {connector.service} is not a destination")
        now = self.now
        destination = Destination(
            self.new_id(), self.next_seq(), name, connector.id, config, now, now
        )
        self.destinations[destination.id] = destination
        return destination

    def add_connection(
        self,
        name: str,
        source: Source,
        destination: Destination,
        *,
        schedule: str,
        cron: str | None,
        backfill_days: int,
        streams: list[str] | None,
    ) -> Connection:
        """A connection; without streams it syncs every stream of its source connector."""
        now = self.now
        connection = Connection(
            id=self.new_id(),
            seq=self.next_seq(),
            name=name,
            source_id=source.id,
            destination_id=destination.id,
            schedule=schedule,
            cron=cron,
            backfill_days=backfill_days,
            streams=list(streams or self.connectors[source.connector_id].streams),
            created_at=now,
            updated_at=now,
        )
        self.connections[connection.id] = connection
        return connection

    def add_extract(
        self,
        *,
        title: str,
        data_table_title: str,
        connection: Connection,
        accounts: tuple[Account, ...],
        template_id: str,
        fields: tuple[str, ...] | None = None,
        schedules_limit: int | None = None,
    ) -> Extract:
        """An extract and its empty data table; plan checks are the caller's."""
        extract = Extract(
            id=self.new_id(),
            seq=self.next_seq(),
            title=title,
            connection_id=connection.id,
            accounts=accounts,
            template_id=template_id,
            data_table_id=self.new_id(),
            data_table_title=data_table_title,
            created_at=self.now,
            schedules_limit=self.plan.schedules_limit
            if schedules_limit is None
            else schedules_limit,
            fields=fields or DEFAULT_FIELDS,
        )
        self.extracts[extract.id] = extract
        self.tables[extract.data_table_id] = extract
        return extract

    def resolve_accounts(
        self, refs: list[tuple[str, str]]
    ) -> tuple[Connection, tuple[Account, ...]]:
        """The connection and accounts that (connection_id, account_id) pairs name, or 400/404."""
        connection_ids = {connection_id for connection_id, _ in refs}
        if len(connection_ids) != 1:
            raise ExtracttoError(400, "All accounts must belong to one connection")
        connection = self.connection(connection_ids.pop())
        reachable = {a.id: a for a in self.sources[connection.source_id].accounts}
        accounts = []
        for _, account_id in refs:
            if account_id not in reachable:
                raise ExtracttoError(
                    400, f"Account {account_id} is not reachable through connection {connection.id}"
                )
            accounts.append(reachable[account_id])
        return connection, tuple(accounts)

    def add_trigger(
        self, name: str, connection: Connection, kind: str, cron: str | None, enabled: bool
    ) -> Trigger:
        """A trigger of a connection."""
        now = self.now
        trigger = Trigger(
            self.new_id(), self.next_seq(), name, connection.id, kind, cron, enabled, now, now
        )
        self.triggers[trigger.id] = trigger
        return trigger

    def delete_connection(self, connection: Connection) -> None:
        """Delete a connection with its triggers and run history; 400 while extracts use it or
        a run is under way."""
        if any(e.connection_id == connection.id for e in self.extracts.values()):
            raise ExtracttoError(400, "Connection is used by an extract")
        runs = self.runs.get(connection.id, [])
        if runs and runs[-1].is_active(self.now):
            raise ExtracttoError(400, "A run is in progress for this connection")
        for trigger in [t for t in self.triggers.values() if t.connection_id == connection.id]:
            del self.triggers[trigger.id]
        self.runs.pop(connection.id, None)
        del self.connections[connection.id]

    def start_sync(
        self,
        extract: Extract,
        origin: SyncOrigin,
        days: tuple[date, date],
        *,
        enforce_plan: bool,
    ) -> Sync:
        """Start a sync of the extract, whoever asks: one at a time per extract (400), within
        the monthly runs when a client asks (402)."""
        now = self.now
        if extract.syncing(now):
            raise ExtracttoError(400, "Extract is already syncing")
        if enforce_plan:
            self.check_run_allowed()
        seconds = (
            self.settings.sync_seconds if extract.sync_seconds is None else extract.sync_seconds
        )
        return extract.start_sync(origin, now, days, seconds)

    def start_run(self, connection: Connection) -> ConnectionRun:
        """Queue a run of the connection; one active run at a time per connection (409)."""
        now = self.now
        runs = self.runs.setdefault(connection.id, [])
        if runs and runs[-1].is_active(now):
            raise ExtracttoError(409, "A run is already in progress for this connection")
        self.check_run_allowed()
        scenario = connection.scenario
        queued = _first(scenario.queued_seconds, self.settings.run_queued_seconds)
        running = _first(scenario.running_seconds, self.settings.run_running_seconds)
        run_id = self.new_id()
        error = scenario.error
        if scenario.outcome == "cancelled" and error is None:
            error = "Run was cancelled"
        elif scenario.outcome == "failed" and error is None:
            error = "Run failed"
        run = ConnectionRun(
            id=run_id,
            seq=self.next_seq(),
            connection_id=connection.id,
            requested_at=now,
            started_at=now + queued,
            finished_at=now + queued + running,
            outcome=scenario.outcome,
            error=error,
            rows_synced=_first(scenario.rows_synced, 100 + stable_hash(run_id) % 5000),
        )
        runs.append(run)
        return run


def _found(value: _T | None, kind: str) -> _T:
    if value is None:
        raise not_found(kind)
    return value


def _first(override: _T | None, default: _T) -> _T:
    return default if override is None else override


def _started(item: Sync | ConnectionRun) -> float:
    return item.started_at if isinstance(item, Sync) else item.requested_at
