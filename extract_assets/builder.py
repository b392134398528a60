"""What every asset of one provider account shares while a builder makes them: the account,
its resource and pool, the output, and the translator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import dagster as dg

from extract_assets.accounts import Account
from extract_assets.asset_settings import SpecSettings
from extract_assets.core.iceberg_catalog import (
    CATALOG_ENV,
    CatalogSettings,
    IcebergTarget,
    PartitionKind,
)
from extract_assets.core.options import check_options
from extract_assets.core.paths import asset_folder, output_base
from extract_assets.core.storage import Location
from extract_assets.io_manager import IO_MANAGER_KEY, RESOURCE_DEFS, storage_metadata
from extract_assets.table_settings import TableSettings

if TYPE_CHECKING:
    from extract_assets.core.contract_setting import SchemaContract
    from extract_assets.core.state import SharedState
    from extract_assets.core.table import TableWriter
from extract_assets.translator import (
    AssetProps,
    ExtractAssetsTranslator,
    Translator,
    as_translator,
    asset_arguments,
    executed_by,
)


class BuildOptions(TypedDict, total=False):
    """What every `build_*_assets` takes besides its specs.

    `account` names the account (its keys start with it; resource key, pool and folder are its
    own); `resource_key` and `pool` replace the account's; `output_dir` replaces
    `EXTRACT_ASSETS_OUTPUT` (a folder or an fsspec URL); `translator` makes each `AssetSpec` and
    runs each materialization.
    """

    account: str | None
    resource_key: str | None
    pool: str | None
    output_dir: str | None
    translator: Translator | None


@dataclass(frozen=True)
class AssetBuilder:
    """The assets of one account of a provider: specs through the translator, bodies through
    its `execute`, every asset on the account's pool and resource.

    >>> builder = AssetBuilder.of("linkup", account="research")
    >>> builder.resource_key, builder.pool, builder.where.folder
    ('linkup_research', 'linkup_research', 'linkup/research')
    >>> builder.asset_spec(SpecSettings(), "team", description="Team", kinds={"linkup"}).key
    AssetKey(['research', 'team'])
    """

    where: Account
    resource_key: str
    pool: str
    output_dir: str | None
    translator: ExtractAssetsTranslator

    @classmethod
    def of(cls, provider: str, **options: Unpack[BuildOptions]) -> AssetBuilder:
        """The builder a provider's `build_*_assets` options describe; the resource key and
        pool default to the account's."""
        check_options(BuildOptions, options, f"build_{provider}_assets")
        where = Account(provider, options.get("account"))
        return cls(
            where,
            options.get("resource_key") or where.resource_key,
            options.get("pool") or where.pool,
            options.get("output_dir"),
            as_translator(options.get("translator")),
        )

    def asset_spec(
        self,
        spec: SpecSettings,
        name: str,
        *,
        description: str,
        kinds: set[str],
        metadata: Mapping[str, Any] | None = None,
        table: str | None = None,
    ) -> dg.AssetSpec:
        """The `AssetSpec` of the account's asset `name`, as the translator makes it."""
        return self.translator.get_asset_spec(
            AssetProps(
                provider=self.where.provider,
                spec=spec,
                key=self.where.key(name),
                description=description,
                kinds=frozenset(kinds),
                metadata=dict(metadata or {}),
                table=table,
            )
        )

    def storage(
        self, name: str, partition_column: str | None = None, table: TableSettings | None = None
    ) -> dict[str, str]:
        """The definition metadata that tells the IO manager where asset `name`'s rows are:
        its folder, or its Iceberg table and the variable naming its catalog."""
        iceberg = table is not None and table.output_format() == "iceberg"
        catalog = (table.iceberg_catalog_env or CATALOG_ENV) if table and iceberg else None
        return storage_metadata(
            self.where.folder, name, self.output_dir, partition_column, iceberg_catalog_env=catalog
        )

    def iceberg_target(
        self, name: str, table: TableSettings, partition: tuple[str, PartitionKind] | None
    ) -> IcebergTarget | None:
        """Asset `name`'s Iceberg table, or None when the spec's format is Parquet; its
        namespace is the account's folder (``extractto``, ``linkup.research``)."""
        if table.output_format() != "iceberg":
            return None
        return IcebergTarget(
            catalog=CatalogSettings(uri_env=table.iceberg_catalog_env or CATALOG_ENV),
            output=output_base(self.output_dir),
            namespace=tuple(self.where.folder.split("/")),
            name=name,
            partition=partition,
        )

    def table_writer(
        self,
        name: str,
        table: TableSettings,
        partition: tuple[str, PartitionKind] | None,
        *,
        json_schema: Mapping[str, Any] | None,
        contract: SchemaContract,
        state: SharedState | None,
    ) -> TableWriter:
        """The writer of asset `name`'s table, in the spec's format (in the run: it loads
        pyarrow, and pyiceberg for an Iceberg table)."""
        from extract_assets.core.table import TableWriter

        folder = self.folder(name)
        where = f"{self.where.folder}/{name}"
        target = self.iceberg_target(name, table, partition)
        if target is None:
            return TableWriter(
                folder, json_schema=json_schema, contract=contract, where=where, state=state
            )
        from extract_assets.core.iceberg import IcebergTableWriter

        return IcebergTableWriter(
            folder, target, json_schema=json_schema, contract=contract, where=where
        )

    def kinds(self, provider: str, table: TableSettings) -> set[str]:
        """The asset's kinds: the provider and its table format."""
        return {provider, table.output_format()}

    def asset(
        self, asset_spec: dg.AssetSpec, *, stored: bool = True, **arguments: Any
    ) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
        """`@dg.asset` for `asset_spec` on the account's pool and resource, its body run by the
        translator; a `stored` asset's rows are read downstream through our IO manager."""
        io: dict[str, Any] = (
            {"io_manager_key": IO_MANAGER_KEY, "resource_defs": RESOURCE_DEFS} if stored else {}
        )

        def decorate(body: Callable[..., Any]) -> dg.AssetsDefinition:
            return dg.asset(
                **asset_arguments(asset_spec),
                pool=self.pool,
                required_resource_keys={self.resource_key},
                **io,
                **arguments,
            )(executed_by(self.translator)(body))

        return decorate

    def resource(self, context: dg.AssetExecutionContext) -> Any:
        """The account's resource, in a running asset."""
        return getattr(context.resources, self.resource_key)

    def folder(self, name: str) -> Location:
        """Where asset `name`'s files are, resolved when the asset runs (the output may come
        from the environment)."""
        return asset_folder(output_base(self.output_dir), self.where.folder, name)
