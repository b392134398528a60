"""`LinkupExtractSpec`: one web extract a user wants as an asset, from Python or YAML."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from pydantic import ConfigDict, Field, field_validator

from extract_assets.asset_settings import SpecSettings
from extract_assets.core.contract_setting import CONTRACT_HELP, DEFAULT_CONTRACT, SchemaContract
from extract_assets.core.names import AssetName
from extract_assets.table_settings import TableSettings


class LinkupExtractSpec(SpecSettings, TableSettings):
    """What to extract: a seed `url`, a query `q`, and optionally the JSON Schema of one row.

    >>> spec = LinkupExtractSpec(
    ...     name="team_members",
    ...     q="Every team member with name and role",
    ...     url="https://example.com/team",
    ...     schema={"type": "object", "properties": {"name": {"type": "string"}}},
    ... )
    >>> spec.row_schema["properties"]["name"]
    {'type': 'string'}
    """

    model_config = ConfigDict(populate_by_name=True)

    name: AssetName = Field(description="Asset name: letters, digits and '_'.")
    q: str = Field(min_length=1, description="What rows to extract, in natural language.")
    url: str = Field(description="The http(s) page the agent starts from.")
    row_schema: dict[str, Any] | None = Field(
        default=None, alias="schema", description="JSON Schema of ONE row; types the Parquet."
    )
    verify_urls: bool = Field(
        default=False, alias="verifyUrls", description="Drop rows' dead links."
    )
    schema_contract: SchemaContract = Field(default=DEFAULT_CONTRACT, description=CONTRACT_HELP)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise ValueError("must be an http(s) URL such as https://example.com/team")
        return value

    @field_validator("row_schema")
    @classmethod
    def _row_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        if value.get("type") != "object":
            raise ValueError("must describe one row: a JSON Schema with type: object")
        # Loaded only for a spec that declares a schema: its metaschemas take 0.15 s to load.
        import jsonschema

        try:
            jsonschema.Draft202012Validator.check_schema(value)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"is not a valid JSON Schema: {exc.message}") from exc
        _check_references(value)
        return value


def _check_references(schema: dict[str, Any]) -> None:
    """Refuse at load a `$ref` the schema cannot resolve within itself: the run's validator
    would fail on it, or fetch it from the network. Nothing is fetched here."""
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    root = DRAFT202012.create_resource(schema)
    ref = _unresolvable(schema, Registry().with_resource("", root).resolver(root.id() or ""))
    if ref is None:
        return
    if ref.startswith("#"):
        raise ValueError(
            f"refers to {ref!r}, which the schema does not have: add it (under $defs) or "
            "correct the $ref"
        )
    raise ValueError(
        f"refers to {ref!r}, outside the schema: references are never fetched from files or "
        "the network; copy that definition under $defs and refer to it as '#/$defs/<name>'"
    )


# Keywords whose values are data, not schemas: a "$ref" key in them is no reference.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})


def _unresolvable(node: Any, resolver: Any) -> str | None:
    """The first `$ref` under `node` that its schema resource (`$id`) cannot resolve."""
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    children: list[Any] = node if isinstance(node, list) else []
    if isinstance(node, dict):
        if isinstance(node.get("$id"), str):
            resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
        if isinstance(node.get("$ref"), str):
            try:
                resolver.lookup(node["$ref"])
            except Unresolvable:
                return str(node["$ref"])
        children = [value for key, value in node.items() if key not in _DATA_KEYWORDS]
    return next(
        (ref for child in children if (ref := _unresolvable(child, resolver)) is not None), None
    )
