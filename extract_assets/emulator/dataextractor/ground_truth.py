"""`PUT /api/v1/datasets/{id}/ground_truth`: the body, read and checked."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extract_assets.emulator.dataextractor.errors import DataextractorError


class TruthValue(BaseModel):
    """One human-verified value; null says the document has no such value."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1)
    value: str | None


class GroundTruthBody(BaseModel):
    """The whole ground truth of a dataset: it replaces any saved before."""

    model_config = ConfigDict(extra="forbid", strict=True)

    ground_truth: list[TruthValue] = Field(min_length=1)

    @field_validator("ground_truth")
    @classmethod
    def _names_unique(cls, values: list[TruthValue]) -> list[TruthValue]:
        names = [v.name for v in values]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate field names: {', '.join(duplicates)}")
        return values


def parse_ground_truth(raw: bytes) -> list[tuple[str, str | None]]:
    """`(name, value)` pairs in the order given, or 400 saying what is wrong."""
    try:
        body = GroundTruthBody.model_validate_json(raw or b"null")
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise DataextractorError(400, f"{where}: {problem['msg']}") from exc
    return [(v.name, v.value) for v in body.ground_truth]
