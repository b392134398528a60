"""A plain Python client for dataextractor.io: no Dagster here, usable from a notebook."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Unpack

from extract_assets.core.client import ClientOptions, ProviderClient
from extract_assets.core.cursor_loop import CursorLoop
from extract_assets.core.errors import (
    ExtractAssetsError,
    InvalidArgumentError,
    ServerError,
    TransportError,
    UnreadableAnswerError,
)
from extract_assets.core.paid import landed_or_back_off, landed_or_raise
from extract_assets.core.payload import CursorPage, Misfit, parse_each
from extract_assets.core.polling import PollPolicy, poll_until_final
from extract_assets.core.progress import Progress
from extract_assets.dataextractor.contract import (
    API,
    DEFAULT_BASE_URL,
    FINAL_STATUSES,
    HEADROOM,
    MAX_UPLOAD_BYTES,
    PAGE_SIZE,
    READ_BUCKET,
    READ_BURST,
    READS_PER_MINUTE,
    WRITE_BUCKET,
    WRITES_PER_MINUTE,
    CursorExpiredError,
    media_type,
)
from extract_assets.dataextractor.models import Dataset

logger = logging.getLogger("extract_assets.dataextractor")

_MAX_CURSOR_RESTARTS = 3
# An upload that failed ambiguously is matched against datasets created this long before it.
_CLOCK_SKEW = timedelta(minutes=2)


class DatasetFailedError(ExtractAssetsError):
    """The extraction of a document ended `failed`."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset_id = dataset.id
        self.error = dataset.error
        super().__init__(
            f"dataextractor.io dataset {dataset.id} ({dataset.filename}) failed: "
            f"{dataset.error or 'no error given'}"
        )


def check_document(content: bytes, filename: str) -> str:
    """The upload's media type, or an `InvalidArgumentError` before anything is sent.

    >>> check_document(b"%PDF-1.7", "invoice.pdf")
    'application/pdf'
    """
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidArgumentError(
            f"{filename} is {len(content):,} bytes; dataextractor.io takes at most "
            f"{MAX_UPLOAD_BYTES:,} bytes (25 MB). Split or compress it."
        )
    kind = media_type(content[:16])
    if kind is None:
        raise InvalidArgumentError(
            f"{filename} is not a PDF, PNG, JPEG or TIFF document (judged by its content), "
            "the only kinds dataextractor.io reads."
        )
    return kind


@dataclass(frozen=True)
class DatasetPage:
    """One page of the listing: its datasets, the cursor of the next page (None on the last),
    the size of the answer in bytes, and the datasets that could not be read (left out)."""

    datasets: list[Dataset]
    next_cursor: str | None
    nbytes: int
    unreadable: list[Misfit] = field(default_factory=list)


class DataExtractorClient(ProviderClient):
    """Datasets (list, get), document submission and ground truth, paced under the rate limits.

    Reads (list, get) share one bucket of 60 requests a minute per key (two may go at once
    after a pause), writes (uploads, ground truth) one of 10, across every thread of the
    process, and with a `state` across every process and machine that uses it.

    >>> client = DataExtractorClient(api_key="dx-example", base_url="http://127.0.0.1:9")
    >>> client.base_url
    'http://127.0.0.1:9/'
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        reads_per_minute: float = READS_PER_MINUTE,
        writes_per_minute: float = WRITES_PER_MINUTE,
        **options: Unpack[ClientOptions],
    ) -> None:
        rates = {
            READ_BUCKET: (reads_per_minute * HEADROOM, READ_BURST),
            WRITE_BUCKET: (writes_per_minute * HEADROOM, 1),
        }
        super().__init__(API, api_key, base_url, rates=rates, **options)

    def dataset(self, dataset_id: str) -> Dataset:
        payload = self._api.json("GET", f"/api/v1/datasets/{dataset_id}", bucket=READ_BUCKET)
        return self._read(Dataset, payload, f"dataset {dataset_id}")

    def dataset_page(
        self,
        *,
        cursor: str | None = None,
        customer_id: str | None = None,
        dataset_type: str | None = None,
        is_verified: bool | None = None,
        search: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> DatasetPage:
        """One page of datasets newest first: the first without `cursor`, else the page it
        names. Raises `CursorExpiredError` when the cursor is no longer valid (24 hours after
        the listing's first page): list again without one."""
        filters: dict[str, Any] = {
            "customer_id": customer_id,
            "dataset_type": dataset_type,
            "is_verified": None if is_verified is None else str(is_verified).lower(),
            "search": search,
            "limit": page_size,
            "cursor": cursor or None,
        }
        query = {key: value for key, value in filters.items() if value is not None}
        response = self._api.request("GET", "/api/v1/datasets", params=query, bucket=READ_BUCKET)
        page = self._read(CursorPage, self._api.decode(response, "GET"), "a page of datasets")
        datasets, unreadable = parse_each(Dataset, page.data)
        return DatasetPage(datasets, page.next_cursor or None, len(response.content), unreadable)

    def iter_dataset_pages(
        self,
        *,
        customer_id: str | None = None,
        dataset_type: str | None = None,
        is_verified: bool | None = None,
        search: str | None = None,
        page_size: int = PAGE_SIZE,
        unreadable: list[Misfit] | None = None,
    ) -> Iterator[list[Dataset]]:
        """Datasets newest first, page by page, with the filters given; stop iterating to stop.

        An expired cursor starts the listing again; datasets already delivered are left out,
        so none comes twice and none is missed. A dataset that cannot be read at all is left
        out, logged and added to `unreadable`; the others still come. Datasets, bytes, pages
        and rates are logged every `progress_every` seconds, and once when the listing ends.
        """
        filters: dict[str, Any] = {
            "customer_id": customer_id,
            "dataset_type": dataset_type,
            "is_verified": is_verified,
            "search": search,
            "page_size": page_size,
        }
        delivered: set[str] = set()
        restarts = 0
        progress = Progress(
            "dataextractor.io datasets listing",
            logger=logger,
            every=self.progress_every,
            unit="datasets",
        )
        while True:
            cursor: str | None = None
            loop = CursorLoop()
            try:
                while True:
                    page = self.dataset_page(cursor=cursor, **filters)
                    for skipped in page.unreadable:
                        if skipped.id not in delivered:
                            delivered.add(skipped.id)
                            logger.warning(
                                "dataextractor.io dataset %s cannot be read and is left out: %s",
                                skipped.id,
                                skipped.reason,
                            )
                            if unreadable is not None:
                                unreadable.append(skipped)
                    fresh = [dataset for dataset in page.datasets if dataset.id not in delivered]
                    delivered.update(dataset.id for dataset in fresh)
                    progress.add(rows=len(fresh), nbytes=page.nbytes, steps=1)
                    if fresh:
                        try:
                            yield fresh
                        except GeneratorExit:
                            progress.finish(note="the reader needed no more pages")
                            raise
                    cursor = page.next_cursor
                    if cursor is not None and loop.repeats(cursor, len(delivered)):
                        logger.warning(
                            "dataextractor.io handed out cursor %r again with nothing new since "
                            "it was last followed: its pages loop, so the listing ends here",
                            cursor,
                        )
                        cursor = None
                    if not cursor:
                        progress.finish()
                        return
            except CursorExpiredError:
                restarts += 1
                if restarts > _MAX_CURSOR_RESTARTS:
                    raise
                logger.warning(
                    "dataextractor.io cursor expired after %d datasets; listing again",
                    len(delivered),
                )

    def submit(
        self,
        document: str | Path | bytes,
        *,
        filename: str | None = None,
        dataset_type: str | None = None,
        customer_id: str | None = None,
    ) -> Dataset:
        """Upload a document for extraction; type and size are checked before anything is sent.

        Never pays twice for one call: when the upload may have reached dataextractor.io but
        the answer was lost (a 5xx, a dropped connection) or cannot be read (a success whose body
        is not the dataset), the newest datasets are searched for it by filename first.
        """
        if isinstance(document, bytes):
            content, name = document, filename or "document"
        else:
            path = Path(document)
            content, name = path.read_bytes(), filename or path.name
        kind = check_document(content, name)
        form = {"dataset_type": dataset_type, "customer_id": customer_id}
        attempt = 0
        while True:
            attempt += 1
            sent_at = datetime.now(UTC)
            try:
                payload = self._api.json(
                    "POST",
                    "/api/v1/extract",
                    files={"file": (name, content, kind)},
                    data={key: value for key, value in form.items() if value is not None},
                    bucket=WRITE_BUCKET,
                    idempotent=False,
                )
                return self._read(Dataset, payload, f"the dataset of the upload {name}")
            except (ServerError, TransportError) as exc:
                # The upload may have been accepted before its answer was lost: look for it
                # before sending it again, which would pay for a second extraction.
                landed = landed_or_back_off(
                    exc,
                    attempt,
                    partial(
                        self._find_upload, name, dataset_type, customer_id, sent_at - _CLOCK_SKEW
                    ),
                    retry=self._api.retry,
                    what=f"dataextractor.io upload of {name}",
                    landed=lambda dataset: f"dataset {dataset.id} had been created",
                    logger=logger,
                )
                if landed is not None:
                    return landed
            except UnreadableAnswerError as exc:
                return landed_or_raise(
                    exc,
                    partial(
                        self._find_upload, name, dataset_type, customer_id, sent_at - _CLOCK_SKEW
                    ),
                    what=f"dataextractor.io upload of {name}",
                    landed=lambda dataset: f"dataset {dataset.id} had been created",
                    logger=logger,
                )

    def _find_upload(
        self, filename: str, dataset_type: str | None, customer_id: str | None, since: datetime
    ) -> Dataset | None:
        pages = self.iter_dataset_pages(customer_id=customer_id, dataset_type=dataset_type)
        for page in pages:
            for dataset in page:
                if dataset.created_at < since:
                    return None
                if dataset.filename == filename:
                    return dataset
        return None

    def write_ground_truth(self, dataset_id: str, values: Mapping[str, str | None]) -> Dataset:
        """Save human-verified values; the dataset comes back verified with accuracy scored."""
        body = {"ground_truth": [{"name": name, "value": value} for name, value in values.items()]}
        payload = self._api.json(
            "PUT", f"/api/v1/datasets/{dataset_id}/ground_truth", json=body, bucket=WRITE_BUCKET
        )
        return self._read(Dataset, payload, f"dataset {dataset_id}")

    def wait(self, dataset_id: str, *, poll: PollPolicy | None = None) -> Dataset:
        """Poll until the dataset is `complete` (returned) or `failed` (raised)."""
        dataset = poll_until_final(
            lambda: self.dataset(dataset_id),
            is_final=lambda d: d.status in FINAL_STATUSES,
            status_of=lambda d: d.status,
            what=f"dataextractor.io dataset {dataset_id}",
            policy=poll or self.poll,
            logger=logger,
        )
        if dataset.status != "complete":
            raise DatasetFailedError(dataset)
        return dataset
