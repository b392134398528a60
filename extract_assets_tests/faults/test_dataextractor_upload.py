"""Regression: an upload whose answer fails is neither lost nor paid for twice."""

from collections.abc import Iterator

import pytest

from extract_assets.core.errors import ServerError
from extract_assets.dataextractor.client import DataExtractorClient
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.emulator import EmulatorServer

KEY = "dx-UPLOAD-99aa88bb77cc66dd"
UPLOAD = "^/api/v1/extract$"
PDF = b"%PDF-1.7\n" + b"7" * 1_000


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[DataExtractorClient]:
    emulator.control.add_dataextractor_key(KEY, account="acct_upload")
    resource = DataExtractorResource(
        api_key=KEY,
        base_url=emulator.base_url("dataextractor"),
        reads_per_minute=100_000,
        writes_per_minute=100_000,
        max_attempts=3,
    )
    with resource.get_client() as dataextractor:
        yield dataextractor


def upload_statuses(emulator: EmulatorServer) -> list[int | None]:
    return [
        r["status"]
        for r in emulator.control.requests("dataextractor")
        if r["method"] == "POST" and r["path"] == "/api/v1/extract"
    ]


def datasets(client: DataExtractorClient) -> list[str]:
    return [d.id for page in client.iter_dataset_pages() for d in page]


def test_an_upload_refused_with_a_server_error_is_sent_again(
    emulator: EmulatorServer, client: DataExtractorClient
) -> None:
    emulator.control.add_fault("status", method="POST", path=UPLOAD, status=503, times=1)
    dataset = client.submit(PDF, filename="refused.pdf")
    assert upload_statuses(emulator) == [503, 202]
    assert datasets(client) == [dataset.id]


def test_an_upload_accepted_but_whose_answer_was_lost_is_found_not_resent(
    emulator: EmulatorServer, client: DataExtractorClient
) -> None:
    emulator.control.add_fault("drop", method="POST", path=UPLOAD, after_bytes=10, times=1)
    dataset = client.submit(PDF, filename="lost-answer.pdf")
    assert upload_statuses(emulator) == [202]
    assert dataset.filename == "lost-answer.pdf"
    assert datasets(client) == [dataset.id]


def test_uploads_that_keep_failing_raise_the_providers_answer(
    emulator: EmulatorServer, client: DataExtractorClient
) -> None:
    emulator.control.add_fault("status", method="POST", path=UPLOAD, status=500)
    with pytest.raises(ServerError, match="HTTP 500"):
        client.submit(PDF, filename="never.pdf")
    assert upload_statuses(emulator) == [500, 500, 500]
    assert datasets(client) == []
