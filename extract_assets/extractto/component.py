"""`ExtractToComponent`: the `extractto` section of a config file as a `dg` component, and the
`defs.yaml` that `dg scaffold defs extract_assets.ExtractToComponent <path>` writes."""

from typing import Any, ClassVar

import dagster as dg

from extract_assets.components.scaffold import DefsYamlScaffolder
from extract_assets.components.section import SectionComponent
from extract_assets.extractto.provider import PROVIDER
from extract_assets.extractto.section import ExtractToSection
from extract_assets.provider import Provider

_TEMPLATE = """\
# Extract.to: each entry of `extracts` becomes a date-partitioned asset, one Parquet folder per
# day under $EXTRACT_ASSETS_OUTPUT/extractto/<name>/ (default: ./data); each entry of
# `connections` an asset that runs the connection. Loading this file calls no API.
# Declare every Extract.to asset of one account here: one ExtractToComponent per account.
type: {type_name}

attributes:
  # With several accounts of extractto in one project, name each; its keys start with it.
  # account: research

  # The key is never written here: `key_env` names the variable that holds it.
  api:
    key_env: EXTRACTTO_API_KEY
    # base_url: http://127.0.0.1:8000/extractto  # default: $EXTRACTTO_BASE_URL, else the real API

  # Asks for the days an extract synced outside Dagster; start it here or in the UI.
  sensor:
    running: false
    minimum_interval_seconds: 30

  extracts:
    - name: ads_campaigns  # the asset name: letters, digits and '_'
      extract_id: replace-with-your-extract-id  # from the Extract.to app or GET /extracts
      start_date: "2026-01-01"  # the first partition
      # grain: daily  # daily, weekly or monthly
      # end_offset: 0  # 1 also offers the partition still in progress
      # schedule_hour: 6  # materialize the last complete partition daily at 06:00 UTC
      # owners: [team:marketing]

  connections: []
  #  - name: hubspot_to_warehouse
  #    connection_id: replace-with-your-connection-id
"""


class ExtractToScaffolder(DefsYamlScaffolder):
    """A `defs.yaml` declaring one example Extract.to extract."""

    template = _TEMPLATE


@dg.scaffold_with(ExtractToScaffolder)
class ExtractToComponent(SectionComponent, ExtractToSection):
    """Extract.to extracts (date-partitioned Parquet) and connections as assets, in `defs.yaml`.

    Attributes are those of the `extractto` section of an extract-assets config file:
    `extracts`, `connections`, `sensor`, `api` (`key_env`, `base_url`) and `account`. One per
    account: it owns the account's resource and extracts sensor.
    """

    provider: ClassVar[Provider[Any]] = PROVIDER
