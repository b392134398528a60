import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.core.errors import (
    AuthenticationError,
    InvalidArgumentError,
    PaymentRequiredError,
)
from extract_assets.dataextractor.client import DataExtractorClient, DatasetFailedError
from extract_assets.emulator import EmulatorServer
from extract_assets_tests.security.servers import serving

KEY = "dx-CLIENT-TESTS-1234567890"
PDF = b"%PDF-1.7\n" + b"0" * 2_000
# The emulator's clock runs this many times faster than the wall clock in pacing tests, and the
# client is told the limits in wall-clock terms, as if the plan allowed that many times more.
SPEED = 30


@pytest.fixture
def account(emulator: EmulatorServer) -> str:
    return str(emulator.control.add_dataextractor_key(KEY, account="acct_client")["account"])


@pytest.fixture
def client(emulator: EmulatorServer, account: str) -> Iterator[DataExtractorClient]:
    with DataExtractorClient(
        KEY,
        base_url=emulator.base_url("dataextractor"),
        reads_per_minute=60 * SPEED,
        writes_per_minute=10 * SPEED,
    ) as dx:
        yield dx


def all_ids(client: DataExtractorClient, **filters: object) -> list[str]:
    return [d.id for page in client.iter_dataset_pages(**filters) for d in page]


def test_every_page_is_read_newest_first(
    emulator: EmulatorServer, client: DataExtractorClient, account: str
) -> None:
    seeded = emulator.control.seed_dataextractor_datasets(250, account=account)
    datasets = [d for page in client.iter_dataset_pages(page_size=40) for d in page]
    assert sorted(d.id for d in datasets) == sorted(seeded)
    stamps = [d.created_at for d in datasets]
    assert stamps == sorted(stamps, reverse=True)


def test_filters_are_honoured(
    emulator: EmulatorServer, client: DataExtractorClient, account: str
) -> None:
    emulator.control.seed_dataextractor_datasets(
        60, account=account, customer_ids=["cust_a", "cust_b"], dataset_types=["invoice"]
    )
    for page in client.iter_dataset_pages(customer_id="cust_a", is_verified=True):
        assert all(d.customer_id == "cust_a" and d.is_verified for d in page)
    assert all_ids(client, dataset_type="purchase_order") == []


def test_search_finds_datasets_by_an_extracted_value(
    emulator: EmulatorServer, client: DataExtractorClient, account: str
) -> None:
    emulator.control.seed_dataextractor_datasets(20, account=account)
    target = next(
        d for page in client.iter_dataset_pages() for d in page if d.fields and d.fields[0].value
    )
    value = str(target.fields[0].value)
    found = [d for page in client.iter_dataset_pages(search=value) for d in page]
    assert target.id in {d.id for d in found}


LISTING = "dataextractor.io datasets listing: "


def listing_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [m.removeprefix(LISTING) for m in caplog.messages if m.startswith(LISTING)]


def test_a_listing_logs_datasets_and_pages_as_it_goes(
    emulator: EmulatorServer,
    client: DataExtractorClient,
    account: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.control.seed_dataextractor_datasets(100, account=account)
    client.progress_every = 0.0  # a line for every page, instead of waiting seconds
    caplog.set_level(logging.INFO, logger="extract_assets.dataextractor")
    all_ids(client, page_size=40)
    lines = listing_lines(caplog)
    assert [line.split(" datasets, ")[0] for line in lines] == ["40", "80", "100", "done, 100"]
    assert ", 3 pages in " in lines[-1] and "datasets/s" in lines[-1]


def test_a_listing_the_reader_stops_early_still_ends_with_a_final_line(
    emulator: EmulatorServer,
    client: DataExtractorClient,
    account: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.control.seed_dataextractor_datasets(100, account=account)
    caplog.set_level(logging.INFO, logger="extract_assets.dataextractor")
    pages = client.iter_dataset_pages(page_size=40)
    next(pages)
    pages.close()
    assert len(listing_lines(caplog)) == 1
    assert listing_lines(caplog)[0].startswith("done, 40 datasets, ")
    assert listing_lines(caplog)[0].endswith("; the reader needed no more pages")


def test_an_expired_cursor_mid_listing_loses_and_duplicates_nothing(
    emulator: EmulatorServer, client: DataExtractorClient, account: str
) -> None:
    seeded = emulator.control.seed_dataextractor_datasets(120, account=account)
    emulator.control.dataextractor_settings(cursor_ttl=60)
    pages = client.iter_dataset_pages(page_size=25)
    seen = [d.id for d in next(pages)]
    emulator.control.advance_clock(120)
    seen += [d.id for page in pages for d in page]
    assert len(seen) == len(set(seen))
    assert set(seen) == set(seeded)
    expired = [r for r in emulator.control.requests("dataextractor") if r["status"] == 400]
    assert expired


def test_a_sync_of_300_datasets_is_paced_under_the_read_limit_with_no_429(
    emulator: EmulatorServer, client: DataExtractorClient, account: str
) -> None:
    emulator.control.seed_dataextractor_datasets(300, account=account)
    emulator.control.set_speed(SPEED)
    assert len(all_ids(client, page_size=10)) == 300
    usage = next(u for u in emulator.control.dataextractor_usage() if u["key"] == KEY)
    reads = usage["buckets"]["read"]
    assert reads["rate_limited"] == 0
    first, last = (datetime.fromisoformat(reads[k]) for k in ("first_at", "last_at"))
    per_minute = (reads["requests"] - 1) / (last - first).total_seconds() * 60
    assert reads["requests"] >= 30
    assert per_minute <= 60


def test_a_submitted_document_becomes_a_completed_dataset(
    emulator: EmulatorServer, client: DataExtractorClient
) -> None:
    emulator.control.dataextractor_settings(processing_seconds=0.2)
    dataset = client.submit(PDF, filename="inv-1.pdf", dataset_type="invoice")
    assert dataset.status == "processing"
    assert client.wait(dataset.id).status == "complete"


def test_a_failed_extraction_raises_with_its_error(
    emulator: EmulatorServer, client: DataExtractorClient
) -> None:
    emulator.control.add_dataextractor_scenario("smudged", fail="Page 1 is unreadable")
    emulator.control.dataextractor_settings(processing_seconds=0.2)
    dataset = client.submit(PDF, filename="smudged.pdf")
    with pytest.raises(DatasetFailedError, match="Page 1 is unreadable"):
        client.wait(dataset.id)


def test_an_oversized_file_fails_before_any_upload(
    emulator: EmulatorServer, client: DataExtractorClient
) -> None:
    with pytest.raises(InvalidArgumentError, match="25 MB"):
        client.submit(b"%PDF-" + bytes(26_214_400), filename="huge.pdf")
    assert emulator.control.requests("dataextractor") == []


def test_a_file_of_the_wrong_type_fails_before_any_upload(
    emulator: EmulatorServer, client: DataExtractorClient
) -> None:
    with pytest.raises(InvalidArgumentError, match="not a PDF, PNG, JPEG or TIFF"):
        client.submit(b"PK\x03\x04 a zip file", filename="invoice.pdf")
    assert emulator.control.requests("dataextractor") == []


def test_the_monthly_quota_fails_at_once_naming_the_plan_limit(
    emulator: EmulatorServer, client: DataExtractorClient
) -> None:
    emulator.control.add_dataextractor_key(KEY, account="acct_client", plan="free")
    emulator.control.set_speed(SPEED)
    for n in range(10):
        client.submit(PDF + str(n).encode(), filename=f"doc-{n}.pdf")
    with pytest.raises(PaymentRequiredError, match="quota") as failure:
        client.submit(PDF + b"eleven", filename="doc-11.pdf")
    assert "Free 10" in str(failure.value)
    posts = [r for r in emulator.control.requests("dataextractor") if r["method"] == "POST"]
    assert [r["status"] for r in posts].count(402) == 1


def test_ground_truth_makes_the_dataset_verified_and_scored(
    emulator: EmulatorServer, client: DataExtractorClient, account: str
) -> None:
    emulator.control.seed_dataextractor_datasets(
        5, account=account, verified_share=0, failed_share=0, processing_share=0
    )
    dataset = next(d for page in client.iter_dataset_pages() for d in page)
    truth = {field.name: field.value for field in dataset.fields}
    verified = client.write_ground_truth(dataset.id, truth)
    assert verified.is_verified
    assert verified.accuracy is not None and verified.accuracy.overall_accuracy == 1.0


def test_a_revoked_key_fails_with_what_to_do(
    emulator: EmulatorServer, client: DataExtractorClient
) -> None:
    emulator.control.revoke_dataextractor_key(KEY)
    with pytest.raises(AuthenticationError, match="DATAEXTRACTOR_API_KEY") as failure:
        client.dataset("ds_missing")
    assert KEY not in str(failure.value)


def listing(
    pages: dict[str | None, tuple[str | None, list[str]]], asked: list[str | None]
) -> Starlette:
    """`GET /api/v1/datasets` answering each cursor with the next cursor and dataset ids that
    `pages` give it; a list of answers is used one after the other."""
    answers = {
        cursor: iter(answer) if isinstance(answer, list) else None
        for cursor, answer in pages.items()
    }

    async def datasets(request: Request) -> JSONResponse:
        cursor = request.query_params.get("cursor")
        asked.append(cursor)
        served = answers[cursor]
        after, ids = next(served) if served is not None else pages[cursor]
        data = [{"id": i, "status": "completed", "created_at": "2026-12-01T00:00:00Z"} for i in ids]
        return JSONResponse({"data": data, "next_cursor": after})

    return Starlette(routes=[Route("/api/v1/datasets", datasets)])


def listed(pages: dict[str | None, Any], asked: list[str | None]) -> list[str]:
    with (
        serving(listing(pages, asked)) as url,
        DataExtractorClient("key", base_url=url, reads_per_minute=10_000) as lister,
    ):
        return [d.id for page in lister.iter_dataset_pages() for d in page]


@pytest.mark.timeout(30)  # without the guard, the listing never ends
def test_a_cursor_that_leads_back_ends_the_listing_once_nothing_new_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    asked: list[str | None] = []
    loop = {None: ("a", ["d1", "d2"]), "a": ("b", ["d3"]), "b": ("a", ["d4"])}
    with caplog.at_level(logging.WARNING, logger="extract_assets.dataextractor"):
        assert listed(loop, asked) == ["d1", "d2", "d3", "d4"]
    assert asked == [None, "a", "b", "a", "b"]
    assert "cursor 'a' again with nothing new" in caplog.text


def test_a_cursor_handed_out_again_with_the_next_datasets_is_followed_to_the_end() -> None:
    asked: list[str | None] = []
    scroll = {None: ("s", ["d1"]), "s": [("s", ["d2"]), ("s", ["d3"]), (None, ["d4"])]}
    assert listed(scroll, asked) == ["d1", "d2", "d3", "d4"]
    assert asked == [None, "s", "s", "s"]
