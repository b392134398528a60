"""The rows_match_schema check through Dagster, against the emulator over real HTTP."""

from pathlib import Path

import dagster as dg

from extract_assets.core.validation import check_rows_one_by_one
from extract_assets.linkup.assets import ROWS_MATCH_SCHEMA
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec

from .test_assets import materialize

# The emulator's agent writes names of every initial: those after J break the pattern.
SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": "^[A-J]"},
        "role": {"type": "string"},
    },
    "required": ["name"],
}
SPEC = LinkupExtractSpec(
    name="people", q="Every person on the team page", url="https://example.com/team", schema=SCHEMA
)


def test_rows_breaking_the_schema_fail_the_check_with_counts_and_examples(
    fast_resource: LinkupResource, tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    result = materialize(fast_resource, tmp_path, instance, SPEC)
    [evaluation] = [
        e for e in result.get_asset_check_evaluations() if e.check_name == ROWS_MATCH_SCHEMA
    ]
    expected = check_rows_one_by_one(tmp_path / "linkup" / "people" / "part-0.parquet", SCHEMA)
    assert 0 < expected.invalid_rows < expected.rows_checked
    assert not evaluation.passed
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    assert metadata == {
        "rows_checked": expected.rows_checked,
        "invalid_rows": expected.invalid_rows,
        "examples": "\n".join(f"- {example}" for example in expected.examples),
    }
    assert "does not match '^[A-J]'" in metadata["examples"]
