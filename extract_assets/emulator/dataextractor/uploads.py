"""`POST /api/v1/extract`: the multipart form of an upload, read and checked."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

from extract_assets.emulator.dataextractor.errors import DataextractorError
from extract_assets.emulator.dataextractor.filetypes import MAX_UPLOAD_BYTES, check_document
from extract_assets.emulator.dataextractor.models import DATASET_TYPES, DatasetType
from extract_assets.emulator.dataextractor.multipart import (
    BodyTooLarge,
    boundary_of,
    parse_parts,
    read_capped,
)

# Room for the part headers and form fields around a file at the size limit.
_FORM_OVERHEAD = 1 << 20
_DEFAULT_FILENAME = "document"
_MAX_CUSTOMER_ID = 200


@dataclass(frozen=True)
class Upload:
    """A valid upload: a supported document and its form fields."""

    filename: str
    digest: str
    dataset_type: DatasetType
    customer_id: str | None


async def read_upload(content_type: str | None, stream: AsyncIterator[bytes]) -> Upload:
    """The upload, or 400 (not a well-formed form, no `file`, bad fields) or 422 (the file)."""
    boundary = boundary_of(content_type)
    try:
        body = await read_capped(stream, MAX_UPLOAD_BYTES + _FORM_OVERHEAD)
    except BodyTooLarge as exc:
        raise DataextractorError(
            422, f"File exceeds the 25 MB limit ({MAX_UPLOAD_BYTES} bytes)"
        ) from exc
    parts = {part.name: part for part in parse_parts(body, boundary)}
    document = parts.get("file")
    if document is None:
        raise DataextractorError(400, "Missing required form part `file`")
    fields = {name: _text(part.data, name) for name, part in parts.items() if name != "file"}
    dataset_type = fields.get("dataset_type") or "invoice"
    if dataset_type not in DATASET_TYPES:
        raise DataextractorError(400, f"dataset_type must be one of: {', '.join(DATASET_TYPES)}")
    customer_id = fields.get("customer_id") or None
    if customer_id is not None and len(customer_id) > _MAX_CUSTOMER_ID:
        raise DataextractorError(400, f"customer_id must be at most {_MAX_CUSTOMER_ID} characters")
    filename = document.filename or _DEFAULT_FILENAME
    check_document(document.data, filename, document.content_type)
    return Upload(
        filename=filename,
        digest=hashlib.sha256(document.data).hexdigest(),
        dataset_type=cast(DatasetType, dataset_type),
        customer_id=customer_id,
    )


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise DataextractorError(400, f"form field `{name}` must be UTF-8 text") from exc
