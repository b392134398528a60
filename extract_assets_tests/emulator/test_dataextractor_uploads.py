"""dataextractor.io uploads: accepted documents, refused ones, and a dataset's lifecycle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorServer

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
JPEG = b"\xff\xd8\xff\xe0" + bytes(32)
TIFF_LE = b"II*\x00" + bytes(32)
TIFF_BE = b"MM\x00*" + bytes(32)
LIMIT = 26_214_400
# Just past the default processing time of 2 s: the end is strictly after it.
PAST_PROCESSING = 2.01


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client of the emulated dataextractor.io API with the default key."""
    headers = {"Authorization": "Bearer demo-dataextractor-key"}
    with httpx.Client(
        base_url=emulator.base_url("dataextractor"), headers=headers, timeout=30
    ) as client:
        yield client


def upload(
    client: httpx.Client,
    content: bytes = PDF,
    name: str = "invoice.pdf",
    content_type: str = "application/pdf",
    **form: str,
) -> httpx.Response:
    """POST /api/v1/extract with one document and optional form fields."""
    return client.post("/api/v1/extract", files={"file": (name, content, content_type)}, data=form)


def accepted(response: httpx.Response) -> dict[str, Any]:
    """The dataset of a 202, failing the test on anything else."""
    assert response.status_code == 202, response.text
    dataset: dict[str, Any] = response.json()
    return dataset


def get(client: httpx.Client, dataset_id: str) -> dict[str, Any]:
    """GET /api/v1/datasets/{id}, failing the test on any error."""
    response = client.get(f"/api/v1/datasets/{dataset_id}")
    assert response.status_code == 200, response.text
    dataset: dict[str, Any] = response.json()
    return dataset


def answer(response: httpx.Response) -> tuple[int, str]:
    """Status and `detail` of an error answer."""
    return response.status_code, response.json()["detail"]


def test_upload_answers_202_with_a_processing_dataset(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset = accepted(upload(api, customer_id="cust_9", dataset_type="purchase_order"))
    assert dataset["id"].startswith("ds_")
    assert (dataset["status"], dataset["dataset_type"], dataset["customer_id"]) == (
        "processing",
        "purchase_order",
        "cust_9",
    )
    assert (dataset["filename"], dataset["is_verified"], dataset["error"]) == (
        "invoice.pdf",
        False,
        None,
    )


def test_processing_dataset_has_empty_arrays_and_no_accuracy(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset = accepted(upload(api))
    assert (dataset["fields"], dataset["line_items"], dataset["ground_truth"]) == ([], [], [])
    assert (dataset["accuracy"], dataset["matching"]) == (None, None)


def test_upload_without_form_fields_is_an_invoice_of_no_customer(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset = accepted(upload(api))
    assert (dataset["dataset_type"], dataset["customer_id"]) == ("invoice", None)


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF, "scan.pdf", "application/pdf"),
        (PNG, "scan.png", "image/png"),
        (JPEG, "scan.jpg", "image/jpeg"),
        (TIFF_LE, "scan.tif", "image/tiff"),
        (TIFF_BE, "scan.tiff", "image/tiff"),
    ],
)
def test_pdf_png_jpeg_and_tiff_are_accepted(
    api: httpx.Client, content: bytes, name: str, content_type: str
) -> None:
    accepted(upload(api, content, name, content_type))


def test_the_content_decides_the_format_not_the_name(api: httpx.Client) -> None:
    accepted(upload(api, PDF, "download", "application/octet-stream"))


def test_dataset_completes_after_the_processing_time(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset_id = accepted(upload(api))["id"]
    frozen.advance_clock(2.0)
    assert get(api, dataset_id)["status"] == "processing"
    frozen.advance_clock(0.01)
    dataset = get(api, dataset_id)
    assert dataset["status"] == "complete"
    assert dataset["fields"] and dataset["line_items"]
    assert dataset["updated_at"] > dataset["created_at"]


def test_complete_invoice_has_typed_fields_with_confidence_and_boxes(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset_id = accepted(upload(api))["id"]
    frozen.advance_clock(PAST_PROCESSING)
    dataset = get(api, dataset_id)
    names = [f["name"] for f in dataset["fields"]]
    assert {"invoice_number", "invoice_date", "due_date", "vendor_name", "total_amount"} <= set(
        names
    )
    for field in dataset["fields"]:
        assert field["type"] in {"string", "number", "date", "currency", "boolean"}
        assert isinstance(field["value"], str)
        assert 0 <= field["confidence"] <= 1
        box = field["bounding_box"]
        assert box["page"] >= 1
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1
        assert box["y"] >= 0 and box["y"] + box["height"] <= 1


def test_line_items_have_quantity_price_and_amount(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset_id = accepted(upload(api))["id"]
    frozen.advance_clock(PAST_PROCESSING)
    items = get(api, dataset_id)["line_items"]
    assert [item["index"] for item in items] == list(range(len(items)))
    for item in items:
        values = {f["name"]: f["value"] for f in item["fields"]}
        assert set(values) == {"description", "quantity", "unit_price", "amount"}
        assert float(values["quantity"]) * float(values["unit_price"]) == pytest.approx(
            float(values["amount"])
        )


def test_purchase_order_has_purchase_order_fields(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    dataset_id = accepted(upload(api, dataset_type="purchase_order"))["id"]
    frozen.advance_clock(PAST_PROCESSING)
    names = {f["name"] for f in get(api, dataset_id)["fields"]}
    assert {"po_number", "order_date", "supplier_name", "total_amount"} <= names
    assert "invoice_number" not in names


def test_the_same_document_reads_the_same(api: httpx.Client, frozen: EmulatorControl) -> None:
    first = accepted(upload(api))["id"]
    second = accepted(upload(api, name="copy.pdf"))["id"]
    frozen.advance_clock(PAST_PROCESSING)
    assert get(api, first)["fields"] == get(api, second)["fields"]


def test_processing_time_is_a_setting(api: httpx.Client, frozen: EmulatorControl) -> None:
    frozen.dataextractor_settings(processing_seconds=30)
    dataset_id = accepted(upload(api))["id"]
    frozen.advance_clock(PAST_PROCESSING)
    assert get(api, dataset_id)["status"] == "processing"
    frozen.advance_clock(28)
    assert get(api, dataset_id)["status"] == "complete"


def test_scenario_makes_matching_uploads_fail_with_its_error(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.add_dataextractor_scenario("blurry", fail="No text could be read")
    dataset_id = accepted(upload(api, name="blurry-scan.pdf"))["id"]
    other_id = accepted(upload(api))["id"]
    frozen.advance_clock(PAST_PROCESSING)
    failed = get(api, dataset_id)
    assert (failed["status"], failed["error"], failed["fields"]) == (
        "failed",
        "No text could be read",
        [],
    )
    assert get(api, other_id)["status"] == "complete"


def test_failed_dataset_says_nothing_of_its_error_while_processing(
    api: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.add_dataextractor_scenario("blurry", fail="No text could be read")
    assert accepted(upload(api, name="blurry.pdf"))["error"] is None


def test_scenario_sets_the_processing_time(api: httpx.Client, frozen: EmulatorControl) -> None:
    frozen.add_dataextractor_scenario("big", processing_seconds=0.5)
    dataset_id = accepted(upload(api, name="big.pdf"))["id"]
    frozen.advance_clock(0.51)
    assert get(api, dataset_id)["status"] == "complete"


def test_unsupported_format_is_refused_with_422(api: httpx.Client) -> None:
    response = upload(api, b"PK\x03\x04 a zip file", "archive.zip", "application/zip")
    assert answer(response) == (
        422,
        "Unsupported file type: upload a PDF, PNG, JPEG or TIFF document",
    )


def test_document_whose_bytes_contradict_its_name_is_refused_as_corrupt(
    api: httpx.Client,
) -> None:
    response = upload(api, b"this is not a pdf", "invoice.pdf", "application/octet-stream")
    assert answer(response) == (422, "File is corrupted: not a valid PDF document")


def test_empty_file_is_refused_as_corrupt(api: httpx.Client) -> None:
    assert answer(upload(api, b"")) == (422, "File is empty or corrupted")


def test_file_of_exactly_25_mb_is_accepted(api: httpx.Client) -> None:
    content = PDF + bytes(LIMIT - len(PDF))
    accepted(upload(api, content))


def test_file_one_byte_over_25_mb_is_refused_with_422(api: httpx.Client) -> None:
    content = PDF + bytes(LIMIT + 1 - len(PDF))
    status, detail = answer(upload(api, content))
    assert status == 422
    assert "25 MB" in detail


def test_missing_file_part_is_refused_with_400(api: httpx.Client) -> None:
    response = api.post(
        "/api/v1/extract", files={"document": ("invoice.pdf", PDF)}, data={"customer_id": "c"}
    )
    assert answer(response) == (400, "Missing required form part `file`")


def test_body_that_is_not_a_form_is_refused_with_400(api: httpx.Client) -> None:
    status, _ = answer(api.post("/api/v1/extract", json={"file": "invoice.pdf"}))
    assert status == 400


def test_broken_multipart_body_is_refused_with_400(api: httpx.Client) -> None:
    response = api.post(
        "/api/v1/extract",
        content=b"--xyz\r\nno headers here",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert answer(response) == (400, "Malformed multipart/form-data body")


def test_unknown_dataset_type_is_refused_with_400(api: httpx.Client) -> None:
    status, detail = answer(upload(api, dataset_type="receipt"))
    assert status == 400
    assert "invoice, purchase_order" in detail


def test_refused_upload_creates_no_dataset(api: httpx.Client) -> None:
    before = len(api.get("/api/v1/datasets?limit=100").json()["data"])
    upload(api, b"")
    assert len(api.get("/api/v1/datasets?limit=100").json()["data"]) == before
