"""A plain Python client for Linkup's `/v1/extract`: no Dagster here, usable from a notebook."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Unpack

from extract_assets.core.client import ClientOptions, ProviderClient, one_rate
from extract_assets.core.errors import (
    DeadlineExceededError,
    ExtractAssetsError,
    IncompleteResultError,
    QueueFullError,
    ServerError,
    TransportError,
    UnreadableAnswerError,
    UnreadableRowError,
)
from extract_assets.core.paid import landed_or_back_off, landed_or_raise
from extract_assets.core.polling import PollPolicy, poll_until_final
from extract_assets.core.progress import Progress
from extract_assets.core.storage import location
from extract_assets.linkup.contract import (
    API,
    DEFAULT_BASE_URL,
    MAX_PAGE_SIZE,
)
from extract_assets.linkup.models import Task, TaskOutput, TaskPage

if TYPE_CHECKING:
    from extract_assets.core.parquet import SinkResult
    from extract_assets.core.table import TableWriter

logger = logging.getLogger("extract_assets.linkup")

# A create that failed ambiguously is matched against tasks created this long before it was sent.
_CLOCK_SKEW = timedelta(minutes=2)


class LinkupTaskFailedError(ExtractAssetsError):
    """The task ended `failed`; Linkup charges no credits for it."""

    def __init__(self, task: Task) -> None:
        self.task_id = task.id
        self.error = task.error
        super().__init__(
            f"Linkup task {task.id} failed: {task.error or 'no reason given'}. No credits were "
            "charged. Check that the url is reachable and that q describes rows the page has, "
            "then materialize again."
        )


class LinkupClient(ProviderClient):
    """Create, watch, list and download Linkup extract tasks.

    >>> client = LinkupClient(api_key="lk-example", base_url="http://127.0.0.1:9")
    >>> client.base_url
    'http://127.0.0.1:9/'

    Against a running emulator (`extract-assets emulate`)::

        task = client.create("Every team member with name and role", "https://example.com/team")
        task = client.wait(task.id)
        client.write_result(task, "data/team.parquet")
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        queue_wait_seconds: float = 1800.0,
        requests_per_minute: float | None = 120.0,
        download_attempts: int = 3,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(API, api_key, base_url, rates=one_rate(requests_per_minute), **options)
        self.queue_wait_seconds = queue_wait_seconds
        self.download_attempts = max(1, download_attempts)

    def create(
        self,
        q: str,
        url: str,
        *,
        schema: Mapping[str, Any] | None = None,
        verify_urls: bool = False,
    ) -> Task:
        """Start a task (it costs credits). Waits for a queue slot when too many are in flight.

        Never pays twice for one call: when the request may have reached Linkup but the answer
        was lost (a 5xx, a dropped connection) or cannot be read (a success whose body is not
        the task), the recent tasks are searched for it first.
        """
        body: dict[str, Any] = {"q": q, "url": url, "verifyUrls": verify_urls}
        if schema is not None:
            body["schema"] = dict(schema)
        started = time.monotonic()
        queue_wait = self.poll.initial_seconds
        attempt = 0
        while True:
            attempt += 1
            sent_at = datetime.now(UTC)
            try:
                payload = self._api.json("POST", "/v1/extract", json=body, idempotent=False)
                return self._read(Task, payload, "the created task")
            except QueueFullError as exc:
                waited = time.monotonic() - started
                if waited + queue_wait > self.queue_wait_seconds:
                    raise DeadlineExceededError(
                        f"Linkup kept answering TASKS_QUEUE_LIMIT_EXCEEDED for {waited:.0f} s: "
                        "too many extract tasks are in flight for your organization. Lower the "
                        "'linkup' concurrency pool, or raise queue_wait_seconds."
                    ) from exc
                logger.info("Linkup queue is full; waiting %.0f s for a slot", queue_wait)
                time.sleep(queue_wait)
                queue_wait = min(60.0, queue_wait * 2)
            except (ServerError, TransportError) as exc:
                existing = landed_or_back_off(
                    exc,
                    attempt,
                    partial(self._find_recent, body, sent_at - _CLOCK_SKEW),
                    retry=self._api.retry,
                    what="Linkup create",
                    landed=lambda task: f"task {task.id} had been created",
                    logger=logger,
                )
                if existing is not None:
                    return existing
            except UnreadableAnswerError as exc:
                return landed_or_raise(
                    exc,
                    partial(self._find_recent, body, sent_at - _CLOCK_SKEW),
                    what="Linkup create",
                    landed=lambda task: f"task {task.id} had been created",
                    logger=logger,
                )

    def _find_recent(self, body: Mapping[str, Any], since: datetime) -> Task | None:
        for task in self.iter_tasks(sort_by="createdAt", sort_direction="desc"):
            if task.created_at < since:
                return None
            if _same_input(task, body):
                return task
        return None

    def get(self, task_id: str) -> Task:
        """The task as Linkup has it now."""
        return self._read(Task, self._api.json("GET", f"/v1/extract/{task_id}"), f"task {task_id}")

    def list(
        self,
        *,
        page: int = 1,
        page_size: int = MAX_PAGE_SIZE,
        sort_by: str = "createdAt",
        sort_direction: str = "desc",
    ) -> TaskPage:
        """One page of the organization's tasks."""
        params = {
            "page": page,
            "pageSize": page_size,
            "sortBy": sort_by,
            "sortDirection": sort_direction,
        }
        payload = self._api.json("GET", "/v1/extract", params=params)
        items = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(items, list):  # no page, or one of no tasks: read as it came
            return self._read(TaskPage, payload, "the page of tasks")
        tasks = self._read_each(Task, items, "task", logger)
        listing = self._read(TaskPage, {**payload, "data": []}, "the page of tasks")
        return listing.model_copy(update={"data": tasks})

    def iter_tasks(
        self,
        *,
        sort_by: str = "createdAt",
        sort_direction: str = "desc",
        page_size: int = MAX_PAGE_SIZE,
        start_page: int = 1,
    ) -> Iterator[Task]:
        """Every task, page after page, until the last page."""
        page = start_page
        while True:
            result = self.list(
                page=page, page_size=page_size, sort_by=sort_by, sort_direction=sort_direction
            )
            yield from result.data
            total_pages = result.metadata.total_pages
            if not result.data or (total_pages is not None and page >= total_pages):
                return
            page += 1

    def wait(self, task_id: str, *, poll: PollPolicy | None = None) -> Task:
        """Poll until the task is final; return it if `completed`, raise if `failed`."""
        task = poll_until_final(
            lambda: self.get(task_id),
            is_final=lambda t: t.is_final,
            status_of=lambda t: t.status,
            what=f"Linkup task {task_id}",
            policy=poll or self.poll,
            logger=logger,
        )
        if task.status != "completed":
            raise LinkupTaskFailedError(task)
        return task

    def iter_result(self, task: Task) -> Iterator[bytes]:
        """The NDJSON result file as a byte stream; an expired link is replaced transparently.

        The download never carries the API key: `resultUrl` is another host. Rows, bytes and
        rates are logged every `progress_every` seconds, and once at the end.
        """
        output = _completed_output(task)
        progress = Progress(
            f"Linkup task {task.id} result",
            logger=logger,
            every=self.progress_every,
            total_rows=output.rows_returned,
        )
        return self._api.download(
            output.result_url,
            refresh_url=lambda: self._fresh_url(task.id),
            progress=progress,
            count_lines=True,
        )

    def _fresh_url(self, task_id: str) -> str:
        return _completed_output(self.get(task_id)).result_url

    def write_result(
        self,
        task: Task,
        target: str | os.PathLike[str],
        *,
        json_schema: Mapping[str, Any] | None = None,
        table: TableWriter | None = None,
    ) -> SinkResult:
        """Stream the result into a Parquet file at `target`, atomically.

        Given the `TableWriter` of the table the file belongs to, the file takes the table's
        schema (and the table is published with it: `table.published` says what changed);
        else the file gets the schema of its own rows.

        Fewer lines than `rowsReturned` is an error, never a smaller table: the download is
        tried again (`download_attempts` in all), and the target is left as it was if it fails.
        """
        # The sink (pyarrow) loads when a result is written, not with the definitions.
        from extract_assets.core.parquet import write_ndjson

        output = _completed_output(task)
        schema = json_schema if json_schema is not None else task.input.row_schema
        attempt = 1
        while True:
            try:
                if table is None:
                    return write_ndjson(
                        self.iter_result(task),
                        target,
                        json_schema=schema,
                        expected_rows=output.rows_returned,
                    )
                place = location(target)
                table.stage_ndjson(
                    self.iter_result(task), place, expected_rows=output.rows_returned
                )
                return table.publish().files[str(place)]
            except UnreadableRowError as exc:
                raise UnreadableRowError(
                    f"Linkup task {task.id}: result {exc}. Each line of a result file is one "
                    "row, a JSON object; nothing was written. If the extract's schema describes "
                    "rows that are not objects, give it an object schema and materialize again "
                    "(a new task); else report the task id to Linkup: re-executing the run reads "
                    "the same file again, at no cost.",
                    row=exc.row,
                    excerpt=exc.excerpt,
                ) from exc
            except IncompleteResultError as exc:
                if attempt >= self.download_attempts:
                    raise IncompleteResultError(
                        f"Linkup task {task.id}: {exc} after {attempt} downloads. No file was "
                        "written. The result file at Linkup did not arrive whole, or holds another "
                        "number of rows than the task reports: re-execute the run later (it "
                        "re-attaches to this task, so no credits are spent again; a new "
                        "materialization pays for a new task)."
                    ) from exc
                logger.warning("Linkup task %s: %s; downloading again", task.id, exc)
                attempt += 1


def _completed_output(task: Task) -> TaskOutput:
    if task.output is not None:
        return task.output
    if task.status == "completed":
        raise ExtractAssetsError(
            f"Linkup task {task.id} is completed but its output lacks resultUrl or "
            "rowsReturned, so there is no file to read or row count to check it by. Nothing "
            "was written; materialize again later, and report the task id to Linkup if it stays so."
        )
    raise ExtractAssetsError(
        f"Linkup task {task.id} is {task.status!r}; its result exists only once completed."
    )


def _same_input(task: Task, body: Mapping[str, Any]) -> bool:
    """Whether `task` is the one `body` asked for, on what the task echoes: Linkup's own
    fixtures echo only `q` and `url`, so `schema` and `verifyUrls` count only when echoed."""
    echoed = task.input
    return (
        echoed.q == body["q"]
        and echoed.url == body["url"]
        and (echoed.row_schema is None or echoed.row_schema == (body.get("schema") or None))
        and (echoed.verify_urls is None or echoed.verify_urls == bool(body.get("verifyUrls")))
    )
