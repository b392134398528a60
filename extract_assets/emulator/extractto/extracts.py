"""Extracts: their syncs on the emulator clock, the dates those syncs wrote, and their table."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from extract_assets.emulator.clock import iso_z
from extract_assets.emulator.extractto import rows
from extract_assets.emulator.extractto.realworld import beyond_doubles, cut_text, row_date
from extract_assets.emulator.extractto.resources import Account
from extract_assets.emulator.extractto.served import Profile, ServedDays, messy_days, serve
from extract_assets.emulator.realworld import RealWorld, sql_utc

SyncOrigin = Literal["api", "schedule"]
Status = Literal["active", "syncing", "paused", "error"]
# (day ordinal, account index, row index) of the next row to read.
Position = tuple[int, int, int]


@dataclass(frozen=True)
class Written:
    """What one successful sync wrote for each date it covered: generated rows, or, with
    `served`, the rows given for each day (a day not given holds none)."""

    inserted_at: float
    fields: tuple[str, ...]
    accounts: tuple[Account, ...]
    rows_per_day: int | None
    served: ServedDays | None = None

    def count(self, account: Account, day: date) -> int:
        """Generated rows of one account on one day."""
        if self.rows_per_day is not None:
            return self.rows_per_day
        return rows.default_rows_per_day(account.id, day)

    def day_count(self, day: date) -> int:
        """Rows of every account on one day."""
        if self.served is not None:
            return self.served.count(day.toordinal())
        return sum(self.count(account, day) for account in self.accounts)


@dataclass(frozen=True)
class Sync:
    """One sync, its whole future fixed when it starts."""

    origin: SyncOrigin
    started_at: float
    finished_at: float
    date_from: date
    date_to: date
    fail: str | None
    written: Written

    def days(self) -> int:
        """How many dates it covers."""
        return (self.date_to - self.date_from).days + 1

    def rows(self) -> int:
        """How many rows it writes when it succeeds."""
        if self.fail is not None:
            return 0
        return sum(
            self.written.day_count(self.date_from + timedelta(days=offset))
            for offset in range(self.days())
        )

    def as_json(self) -> dict[str, Any]:
        """As the control API lists it."""
        return {
            "origin": self.origin,
            "started_at": iso_z(self.started_at),
            "finished_at": iso_z(self.finished_at),
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "error": self.fail,
        }


@dataclass
class Extract:
    """An extract, its data table and its syncs; its status is read off the clock."""

    id: str
    seq: int
    title: str
    connection_id: str
    accounts: tuple[Account, ...]
    template_id: str
    data_table_id: str
    data_table_title: str
    created_at: float
    schedules_limit: int
    fields: tuple[str, ...] = rows.DEFAULT_FIELDS
    additional_params: dict[str, Any] = field(default_factory=dict)
    schedules: list[Any] = field(default_factory=list)
    sync_historical_data: date | None = None
    paused: bool = False
    # Scenario, set through the control API; None means the emulator-wide default.
    sync_seconds: float | None = None
    rows_per_day: int | None = None
    fail: str | None = None
    # Where the rows of the next syncs come from: the generator, the `messy` profile (seeded
    # by `profile_seed`) or the rows a test set (`served`); `declared_columns`, when set, are
    # the field columns of the table whatever the fields.
    profile: Profile = "generated"
    profile_seed: int = 0
    served: ServedDays | None = None
    declared_columns: tuple[tuple[str, str], ...] | None = None
    syncs: list[Sync] = field(default_factory=list)
    # What each covered day holds: the latest successful sync that covered it wins.
    coverage: dict[int, Written] = field(default_factory=dict)
    covered_days: list[int] = field(default_factory=list)
    written_fields: list[str] = field(default_factory=list)
    _settled: int = 0

    def settle(self, now: float) -> None:
        """Apply the syncs that have finished by `now` to the table, in order."""
        while self._settled < len(self.syncs) and now > self.syncs[self._settled].finished_at:
            sync = self.syncs[self._settled]
            self._settled += 1
            if sync.fail is not None:
                continue
            for name in sync.written.fields:
                if name not in self.written_fields:
                    self.written_fields.append(name)
            for offset in range(sync.days()):
                day = (sync.date_from + timedelta(days=offset)).toordinal()
                if day not in self.coverage:
                    bisect.insort(self.covered_days, day)
                self.coverage[day] = sync.written

    def syncing(self, now: float) -> bool:
        """Whether a sync is under way: until strictly after its end, so even a zero-second
        sync is seen `syncing` at the instant it starts."""
        return bool(self.syncs) and now <= self.syncs[-1].finished_at

    def last_finished(self, now: float) -> Sync | None:
        """The latest sync that has ended by `now`, successful or not."""
        for sync in reversed(self.syncs[-2:]):
            if now > sync.finished_at:
                return sync
        return None

    def status(self, now: float) -> Status:
        """`syncing` wins over `paused`, which wins over `error` (the last sync failed)."""
        if self.syncing(now):
            return "syncing"
        if self.paused:
            return "paused"
        last = self.last_finished(now)
        return "error" if last is not None and last.fail is not None else "active"

    def start_sync(
        self, origin: SyncOrigin, now: float, days: tuple[date, date], seconds: float
    ) -> Sync:
        """Start a sync now; the caller has checked that none is under way. What it writes is
        fixed now: served rows set later wait for the next sync."""
        served = self.served if self.profile == "served" else None
        if self.profile == "messy" and self.fail is None:
            found = messy_days(self.profile_seed, *days, self.accounts, self.rows_per_day)
            served = ServedDays.of(found)
        written = Written(now + seconds, self.fields, self.accounts, self.rows_per_day, served)
        sync = Sync(
            origin=origin,
            started_at=now,
            finished_at=now + seconds,
            date_from=days[0],
            date_to=days[1],
            fail=self.fail,
            written=written,
        )
        self.syncs.append(sync)
        return sync

    def columns(self) -> list[str]:
        """The field columns: those ever written, then the current fields not written yet."""
        return self.written_fields + [f for f in self.fields if f not in self.written_fields]

    def row_count(self) -> int:
        """Rows the table holds now (after `settle`)."""
        return sum(w.day_count(date.fromordinal(day)) for day, w in self.coverage.items())

    def as_json(self, now: float, *, stamped_at_start: bool = False) -> dict[str, Any]:
        """The Extract as the API returns it at emulator time `now`: `last_sync` is when the
        last sync ended or, `stamped_at_start`, when the latest one began."""
        last = self.last_finished(now)
        if stamped_at_start:
            last_sync = self.syncs[-1].started_at if self.syncs else None
        else:
            last_sync = last.finished_at if last is not None else None
        return {
            "id": self.id,
            "title": self.title,
            "connection_id": self.connection_id,
            "account_id": self.accounts[0].id,
            "account_name": self.accounts[0].name,
            "created_at": iso_z(self.created_at),
            "last_sync": iso_z(last_sync) if last_sync is not None else None,
            "status": self.status(now),
            "error_text": last.fail if last is not None else None,
            "schedules_limit": self.schedules_limit,
            "sync_historical_data": (
                self.sync_historical_data.isoformat() if self.sync_historical_data else None
            ),
            "data_table_id": self.data_table_id,
            "template_id": self.template_id,
        }

    def table_json(self) -> dict[str, Any]:
        """The data table as the API returns it (after `settle`)."""
        fields: list[tuple[str, str]]
        if self.declared_columns is None:
            fields = [(name, rows.column_type(name)) for name in self.columns()]
            named: set[str] = set()
        else:
            # Declared columns may name the ones the service adds; they are not repeated.
            fields = list(self.declared_columns)
            named = {name for name, _ in fields}
        columns = [
            *(column for column in rows.LEADING_COLUMNS if column[0] not in named),
            *fields,
            *(() if rows.INSERT_DATE_COLUMN[0] in named else (rows.INSERT_DATE_COLUMN,)),
        ]
        return {
            "id": self.data_table_id,
            "title": self.data_table_title,
            "extract_id": self.id,
            "columns": [{"name": name, "type": kind} for name, kind in columns],
            "row_count": self.row_count(),
        }

    def read(
        self,
        first: date | None,
        last: date | None,
        start: Position | None,
        limit: int,
        real_world: RealWorld | None = None,
    ) -> tuple[list[dict[str, Any]], Position | None]:
        """Up to `limit` rows from `start` within the dates, and where the next page starts.

        Rows come in (date, account, row index) order; only the rows of this page are built.
        With `real_world` on, `__insert_date` has no offset, the `date` the emulator writes
        is sometimes a timestamp inside the row's UTC day, an account name sometimes ends in
        half an emoji, and a number is sometimes beyond float64 (see `emulator.realworld`).
        """
        real = real_world if real_world is not None and real_world.on else None
        columns = self.columns()
        low = first.toordinal() if first else 0
        high = last.toordinal() if last else date.max.toordinal()
        begin: Position = start or (low, 0, 0)
        page: list[dict[str, Any]] = []
        days = self.covered_days
        for index in range(bisect.bisect_left(days, max(low, begin[0])), len(days)):
            day = days[index]
            if day > high:
                break
            written = self.coverage[day]
            inserted = (
                sql_utc(written.inserted_at) if real is not None else iso_z(written.inserted_at)
            )
            if written.served is not None:
                given = written.served.rows(day)
                first_row = begin[2] if day == begin[0] else 0
                if first_row >= len(given):
                    continue
                if len(page) == limit:
                    return page, (day, 0, first_row)
                stop = min(len(given), first_row + limit - len(page))
                iso_day = date.fromordinal(day).isoformat()
                for index in range(first_row, stop):
                    row = given[index]
                    served = serve(row, iso_day, inserted)
                    if real is not None and "date" not in row:
                        spelled = row_date(real, date.fromordinal(day), self.id, index)
                        served["date"] = spelled or served["date"]
                    page.append(served)
                if stop < len(given):
                    return page, (day, 0, stop)
                continue
            fields = frozenset(written.fields)
            for account_index in range(begin[1] if day == begin[0] else 0, len(written.accounts)):
                account = written.accounts[account_index]
                at = (day, account_index)
                first_row = begin[2] if at == begin[:2] else 0
                total = written.count(account, date.fromordinal(day))
                if first_row >= total:
                    continue
                if len(page) == limit:
                    return page, (day, account_index, first_row)
                stop = min(total, first_row + limit - len(page))
                built = rows.generate(
                    self.id,
                    account.id,
                    account.name,
                    date.fromordinal(day),
                    first_row,
                    stop,
                    columns,
                    fields,
                    inserted,
                )
                if real is not None:
                    numbers = [c for c in columns if rows.column_type(c) == "number"]
                    for index, row in enumerate(built, start=first_row):
                        which = (date.fromordinal(day), self.id, account.id, index)
                        row["date"] = row_date(real, *which) or row["date"]
                        row["account_name"] = cut_text(real, row["account_name"], *which)
                        beyond_doubles(real, row, numbers, *which)
                page += built
                if stop < total:
                    return page, (day, account_index, stop)
        return page, None

    def control_json(self, now: float) -> dict[str, Any]:
        """Everything about the extract, for tests: settings, scenario and sync history."""
        return self.as_json(now) | {
            "data_table_title": self.data_table_title,
            "accounts": [a.as_json() for a in self.accounts],
            "fields": list(self.fields),
            "additional_params": self.additional_params,
            "schedules": self.schedules,
            "paused": self.paused,
            "sync_seconds": self.sync_seconds,
            "rows_per_day": self.rows_per_day,
            "fail": self.fail,
            "profile": self.profile,
            "profile_seed": self.profile_seed,
            "served_days": self.served.summary() if self.served is not None else None,
            "declared_columns": (
                None
                if self.declared_columns is None
                else [{"name": name, "type": kind} for name, kind in self.declared_columns]
            ),
            "syncs": [s.as_json() for s in self.syncs],
        }
