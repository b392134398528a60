"""`AssetBuilder`: what every asset of one provider account shares."""

from __future__ import annotations

import dagster as dg
import pytest

import extract_assets as ea
from extract_assets.builder import AssetBuilder

SPEC = ea.LinkupExtractSpec(name="team", q="Team members", url="https://example.com/team")


def test_an_account_names_the_key_resource_pool_and_folder() -> None:
    builder = AssetBuilder.of("linkup", account="research")

    (asset,) = ea.build_linkup_assets([SPEC], account="research")

    assert asset.key == dg.AssetKey(["research", "team"])
    assert builder.resource_key == "linkup_research"
    assert builder.resource_key in asset.required_resource_keys
    assert {op.pool for op in asset.node_def.iterate_op_defs()} == {"linkup_research"}
    assert builder.where.folder == "linkup/research"


def test_an_explicit_resource_key_and_pool_replace_the_accounts() -> None:
    (asset,) = ea.build_linkup_assets([SPEC], account="research", resource_key="lk", pool="slow")

    assert "lk" in asset.required_resource_keys
    assert "linkup_research" not in asset.required_resource_keys
    assert {op.pool for op in asset.node_def.iterate_op_defs()} == {"slow"}


def test_a_misspelt_option_fails_naming_it() -> None:
    with pytest.raises(TypeError, match="'acount'"):
        ea.build_linkup_assets([SPEC], acount="research")  # type: ignore[call-arg]


def test_a_client_refuses_a_misspelt_option() -> None:
    with pytest.raises(TypeError, match=r"'retries'.*it takes: .*retry"):
        ea.LinkupClient("key", "http://127.0.0.1:9", retries=3)  # type: ignore[call-arg]
