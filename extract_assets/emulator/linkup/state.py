"""Linkup's server-side state: keys, tasks and their lifecycle on the emulator clock."""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from dataclasses import dataclass
from typing import Literal, TypeVar

from extract_assets.emulator import rows
from extract_assets.emulator.linkup.errors import LinkupError
from extract_assets.emulator.linkup.models import (
    LinkupKey,
    LinkupScenario,
    LinkupSeed,
    LinkupSettings,
)
from extract_assets.emulator.linkup.realworld import whole_second
from extract_assets.emulator.linkup.validation import ExtractRequest, ListQuery
from extract_assets.emulator.provider import EmulatorContext

DEFAULT_KEY = "demo-linkup-key"
DEFAULT_ORG = "demo-org"
RESULT_SUFFIX = ".ndjson"

_NO_SCENARIO = LinkupScenario(match="")
_T = TypeVar("_T")

Status = Literal["pending", "processing", "completed", "failed"]


@dataclass(frozen=True)
class LinkupTask:
    """A task with its whole future fixed at creation; its status is read off the clock."""

    id: str
    seq: int
    org: str
    key: str
    request: ExtractRequest
    created_at: float
    processing_at: float
    finished_at: float
    rows: int
    credits: float
    fail: str | None
    # The real-world profile's seed when the task was created under it: its file then holds
    # numbers beyond float64 (see `rows.iter_lines`).
    beyond_seed: int | None = None

    @property
    def content_key(self) -> str:
        """Names the result file: equal for tasks whose files are byte-identical."""
        return rows.fingerprint(self.request.q, self.request.schema, self.rows, self.beyond_seed)

    def status_at(self, now: float) -> tuple[Status, float]:
        """The status at `now` and when it last changed.

        Transitions happen strictly after their instant, so at creation a task is always
        `pending`, even with zero pending time.
        """
        if now > self.finished_at:
            return ("failed" if self.fail is not None else "completed"), self.finished_at
        if now > self.processing_at:
            return "processing", self.processing_at
        return "pending", self.created_at

    def charged_at(self, now: float) -> float:
        """Credits billed so far: all of them once completed, none before or when failed."""
        return self.credits if self.status_at(now)[0] == "completed" else 0.0


class LinkupState:
    """Keys, scenarios, settings and tasks of every organization."""

    def __init__(self, context: EmulatorContext) -> None:
        self._context = context
        self.keys: dict[str, LinkupKey] = {}
        self.scenarios: list[LinkupScenario] = []
        self.settings = LinkupSettings()
        self.tasks: dict[str, LinkupTask] = {}
        self._ids = random.Random()
        self.reset()

    def reset(self) -> None:
        """Only the default key, no scenarios, default settings, no tasks."""
        self.keys = {DEFAULT_KEY: LinkupKey(key=DEFAULT_KEY, org=DEFAULT_ORG)}
        self.scenarios = []
        self.settings = LinkupSettings()
        self.tasks = {}
        self._ids = random.Random(f"{self._context.seed}:linkup:ids")

    @staticmethod
    def org_of(account: LinkupKey) -> str:
        """The key's organization; a key without one is an organization of its own."""
        if account.org is not None:
            return account.org
        return "org-" + hashlib.sha256(account.key.encode()).hexdigest()[:12]

    def authenticate(self, authorization: str | None) -> LinkupKey:
        """The key of a Bearer header that may use extract, or 401/403."""
        scheme, _, token = (authorization or "").partition(" ")
        account = self.keys.get(token.strip()) if scheme.lower() == "bearer" else None
        if account is None:
            raise LinkupError(401, "UNAUTHORIZED", "Unauthorized action")
        if not account.extract_enabled:
            raise LinkupError(
                403,
                "TASK_TYPE_NOT_SUPPORTED",
                "Extract tasks are not enabled for this organization.",
            )
        return account

    def spent(self, account: LinkupKey, now: float) -> float:
        """Credits billed to this key so far."""
        return sum(t.charged_at(now) for t in self.tasks.values() if t.key == account.key)

    def create(self, account: LinkupKey, request: ExtractRequest) -> LinkupTask:
        """A new pending task, after the money and queue checks; starts writing its file."""
        now = self._context.clock.time()
        self._check_can_start(account, now)
        scenario = next((s for s in self.scenarios if s.match in request.q), _NO_SCENARIO)
        settings = self.settings
        pending = _first(scenario.pending_seconds, settings.pending_seconds)
        processing = _first(scenario.processing_seconds, settings.processing_seconds)
        row_count = _first(scenario.rows, rows.default_row_count(request.q))
        profile = self._context.profile
        beyond_seed = profile.seed if profile.on else None
        task = LinkupTask(
            id=str(uuid.UUID(int=self._ids.getrandbits(128), version=4)),
            seq=len(self.tasks),
            org=self.org_of(account),
            key=account.key,
            request=request,
            created_at=now,
            processing_at=now + pending,
            finished_at=now + pending + processing,
            rows=row_count,
            credits=_first(scenario.credits, 1.0 + row_count // 1000),
            fail=scenario.fail,
            beyond_seed=beyond_seed,
        )
        self.tasks[task.id] = task
        if task.fail is None:
            self._context.results.ensure(
                task.content_key,
                RESULT_SUFFIX,
                lambda out, cancel: rows.write_ndjson(
                    out, request.q, request.schema, row_count, cancel, beyond_seed
                ),
            )
        return task

    def seed(self, seed: LinkupSeed) -> list[LinkupTask]:
        """`seed.count` finished tasks of the key's organization, oldest first, created
        without the money and queue checks (seeding thousands one request at a time is slow,
        and each check looks at every task)."""
        account = self.keys.get(seed.key)
        if account is None:
            raise LinkupError(404, "KEY_NOT_FOUND", f"No Linkup key {seed.key!r}.")
        now = self._context.clock.time()
        request = ExtractRequest(q=seed.q, url=seed.url, schema=None, verify_urls=False)
        settings = self.settings
        org = self.org_of(account)
        seeded = []
        for index in range(seed.count):
            finished = now - (seed.count - index) * seed.spacing_seconds
            processing = finished - settings.processing_seconds
            task = LinkupTask(
                id=str(uuid.UUID(int=self._ids.getrandbits(128), version=4)),
                seq=len(self.tasks),
                org=org,
                key=account.key,
                request=request,
                created_at=processing - settings.pending_seconds,
                processing_at=processing,
                finished_at=finished,
                rows=seed.rows,
                credits=1.0 + seed.rows // 1000,
                fail=seed.fail,
            )
            self.tasks[task.id] = task
            seeded.append(task)
        if seed.fail is None:
            self._context.results.ensure(
                seeded[0].content_key,
                RESULT_SUFFIX,
                lambda out, cancel: rows.write_ndjson(out, seed.q, None, seed.rows, cancel),
            )
        return seeded

    def get(self, account: LinkupKey, task_id: str) -> LinkupTask:
        """One task of the key's organization, or 404 (other organizations' tasks included)."""
        task = self.tasks.get(task_id)
        if task is None or task.org != self.org_of(account):
            raise LinkupError(404, "TASK_NOT_FOUND", f"Task {task_id} not found.")
        return task

    def page(self, account: LinkupKey, query: ListQuery) -> tuple[int, list[LinkupTask]]:
        """The organization's task count and the requested page of its tasks."""
        now = self._context.clock.time()
        org = self.org_of(account)
        mine = [t for t in self.tasks.values() if t.org == org]

        descending = query.sort_direction == "desc"
        profile = self._context.profile

        def sort_key(task: LinkupTask) -> tuple[float, int]:
            moment = task.created_at if query.sort_by == "createdAt" else task.status_at(now)[1]
            if not profile.on:
                return moment, task.seq
            # Times of a whole second are sorted as written (rounded to the microsecond first,
            # as `iso_z` does), their ties in the order stored whichever the direction, as a
            # database ordering by a column stored to the second leaves them.
            second = math.floor(round(moment, 6))
            if whole_second(profile.seed, second):
                moment = second
            return moment, -task.seq if descending else task.seq

        mine.sort(key=sort_key, reverse=descending)
        start = (query.page - 1) * query.page_size
        return len(mine), mine[start : start + query.page_size]

    def _check_can_start(self, account: LinkupKey, now: float) -> None:
        spent = self.spent(account, now)
        if account.credits is not None and account.credits - spent <= 0:
            raise LinkupError(
                429,
                "INSUFFICIENT_FUNDS_CREDITS",
                "You have run out of credits. Top up your balance to create more tasks.",
            )
        if account.budget_limit is not None and spent >= account.budget_limit:
            raise LinkupError(
                429,
                "EXCEED_BUDGET_LIMIT",
                "This API key has reached its budget limit.",
            )
        org = self.org_of(account)
        in_flight = sum(
            1
            for t in self.tasks.values()
            if t.org == org and t.status_at(now)[0] in ("pending", "processing")
        )
        if in_flight >= self.settings.max_in_flight:
            raise LinkupError(
                429,
                "TASKS_QUEUE_LIMIT_EXCEEDED",
                f"Your organization already has {in_flight} tasks in flight "
                f"(limit {self.settings.max_in_flight}). Wait for some to finish.",
            )


def _first(override: _T | None, default: _T) -> _T:
    return default if override is None else override
