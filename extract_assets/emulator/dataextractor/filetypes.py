"""Which uploads the service reads: PDF, PNG, JPEG and TIFF, told apart by their first bytes."""

from __future__ import annotations

from pathlib import PurePath

from extract_assets.emulator.dataextractor.errors import DataextractorError

MAX_UPLOAD_BYTES = 26_214_400  # 25 MB

_MAGIC: tuple[tuple[str, tuple[bytes, ...]], ...] = (
    ("PDF", (b"%PDF-",)),
    ("PNG", (b"\x89PNG\r\n\x1a\n",)),
    ("JPEG", (b"\xff\xd8\xff",)),
    ("TIFF", (b"II*\x00", b"MM\x00*")),
)
_CLAIMS = {
    ".pdf": "PDF",
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/tiff": "TIFF",
}


def check_document(data: bytes, filename: str, content_type: str | None) -> str:
    """The document's format, or 422: too large, empty, corrupt, or not a supported format."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise DataextractorError(
            422, f"File exceeds the 25 MB limit ({len(data)} > {MAX_UPLOAD_BYTES} bytes)"
        )
    if not data:
        raise DataextractorError(422, "File is empty or corrupted")
    for kind, signatures in _MAGIC:
        if data.startswith(signatures):
            return kind
    claimed = _CLAIMS.get(PurePath(filename).suffix.lower()) or _CLAIMS.get(
        (content_type or "").split(";")[0].strip().lower()
    )
    if claimed is not None:
        # Named or typed as a supported format but its bytes say otherwise: a damaged file.
        raise DataextractorError(422, f"File is corrupted: not a valid {claimed} document")
    raise DataextractorError(422, "Unsupported file type: upload a PDF, PNG, JPEG or TIFF document")
