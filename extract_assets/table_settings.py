"""What a spec may say about its table's format: Parquet folders or an Iceberg table.

```yaml
- name: google_ads_campaigns
  table_format: iceberg                  # or set EXTRACT_ASSETS_TABLE_FORMAT=iceberg for all
  iceberg_catalog_env: LAKE_CATALOG_URI  # the variable holding postgresql://... or https://...
```
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from extract_assets.core.table_format import (
    CATALOG_ENV_HELP,
    TABLE_FORMAT_HELP,
    TableFormat,
    table_format,
    variable_name,
)

__all__ = ["TableSettings"]


class TableSettings(BaseModel):
    """The table format of a spec's assets, and for Iceberg where its catalog's URI is.

    >>> TableSettings(table_format="iceberg").output_format()
    'iceberg'
    """

    table_format: TableFormat | None = Field(default=None, description=TABLE_FORMAT_HELP)
    iceberg_catalog_env: Annotated[str | None, AfterValidator(variable_name)] = Field(
        default=None, description=CATALOG_ENV_HELP
    )

    def output_format(self) -> TableFormat:
        """The spec's format, else the one set for all, else Parquet."""
        return table_format(self.table_format)
