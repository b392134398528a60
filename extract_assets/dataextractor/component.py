"""`DataExtractorComponent`: the `dataextractor` section of a config file as a `dg`
component, and the `defs.yaml` that `dg scaffold defs extract_assets.DataExtractorComponent
<path>` writes."""

from typing import Any, ClassVar

import dagster as dg

from extract_assets.components.scaffold import DefsYamlScaffolder
from extract_assets.components.section import SectionComponent
from extract_assets.dataextractor.provider import PROVIDER
from extract_assets.dataextractor.section import DataExtractorSection
from extract_assets.provider import Provider

_TEMPLATE = """\
# dataextractor.io: each entry of `datasets` becomes five day-partitioned Parquet tables
# (<name>_datasets, _fields, _line_items, _ground_truth, _accuracy) under
# $EXTRACT_ASSETS_OUTPUT/dataextractor/ (default: ./data); each entry of `submissions` an asset
# that sends a folder's documents once each. Loading this file calls no API.
# Declare every dataextractor.io asset of one account here: one DataExtractorComponent per account.
type: {type_name}

attributes:
  # With several accounts of dataextractor in one project, name each; its keys start with it.
  # account: research

  # The key is never written here: `key_env` names the variable that holds it.
  api:
    key_env: DATAEXTRACTOR_API_KEY
    # base_url: http://127.0.0.1:8000/dataextractor  # default: $DATAEXTRACTOR_BASE_URL

  # Polls for new datasets; start it here or in the UI.
  sensor:
    running: false
    minimum_interval_seconds: 30

  # With `extract-assets webhooks` receiving events, a webhook sensor replaces the polling one.
  webhooks:
    enabled: false
    # store: webhooks.sqlite3  # the receiver's --store file; read from beside this file

  datasets:
    - name: documents  # the prefix of the five asset names
      start_date: "2026-11-01"  # the first day partition
      # dataset_type: invoice
      # customer_id: cust_123
      # is_verified: true

  submissions: []
  #  - name: documents_inbox
  #    folder: inbox  # read from beside this file unless absolute
  #    dataset_type: invoice
"""


class DataExtractorScaffolder(DefsYamlScaffolder):
    """A `defs.yaml` declaring one example dataextractor.io dataset family."""

    template = _TEMPLATE


@dg.scaffold_with(DataExtractorScaffolder)
class DataExtractorComponent(SectionComponent, DataExtractorSection):
    """dataextractor.io day tables and document submissions as assets, in `defs.yaml`.

    Attributes are those of the `dataextractor` section of an extract-assets config file:
    `datasets`, `submissions`, `sensor`, `webhooks`, `api` and `account`. Relative submission
    folders and webhook store are read from the folder of the `defs.yaml`. One per account: it
    owns the account's resource.
    """

    provider: ClassVar[Provider[Any]] = PROVIDER
