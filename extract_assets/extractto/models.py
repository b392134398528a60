"""Extract.to payloads, parsed once at the edge.

Resources whose full shape is not published keep unknown fields (`extra="allow"`), so nothing a
newer API sends is lost.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ConfigDict, Field

from extract_assets.core.instants import UtcDateTime
from extract_assets.core.payload import Items, Message, Payload, Status


class _Model(Payload):
    model_config = ConfigDict(extra="allow")


class Extract(_Model):
    """A configured data pull from one connected account into a data table."""

    id: str
    title: str | None = None
    connection_id: str | None = None
    account_id: str | None = None
    account_name: str | None = None
    created_at: UtcDateTime | None = None
    last_sync: UtcDateTime | None = None
    status: Status
    error_text: Message | None = None
    schedules_limit: int | None = None
    sync_historical_data: date | None = None
    data_table_id: str | None = None
    template_id: str | None = None


class Column(_Model):
    name: str
    type: str


class DataTable(_Model):
    """Where an extract's rows land."""

    id: str
    title: str | None = None
    extract_id: str | None = None
    columns: Items[Column] = Field(default_factory=list)
    row_count: int | None = None


class ConnectionRun(_Model):
    """One execution of a connection."""

    id: str
    connection_id: str | None = None
    status: Status
    started_at: UtcDateTime | None = None
    finished_at: UtcDateTime | None = None
    error: Message | None = None
    rows_synced: int | None = None


class Resource(_Model):
    """Connectors, sources, destinations, connections, triggers, plans: an id and their fields."""

    id: str | None = None

    @property
    def fields(self) -> dict[str, Any]:
        return self.model_dump()
