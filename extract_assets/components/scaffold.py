"""`dg scaffold defs extract_assets.<Provider>Component <path>`: a commented `defs.yaml` that loads
as written, for the user to fill in."""

from typing import ClassVar

import dagster as dg

_LINKUP = """\
# Linkup /v1/extract: each entry of `extracts` becomes an asset, materialized to Parquet under
# $EXTRACT_ASSETS_OUTPUT/linkup/<name>/ (default: ./data). Loading this file calls no API.
# Declare every Linkup extract of the project here: one LinkupComponent per project.
type: {type_name}

attributes:
  # The key is never written here: `key_env` names the variable that holds it.
  api:
    key_env: LINKUP_API_KEY
    # base_url: http://127.0.0.1:8000/linkup  # default: $LINKUP_BASE_URL, else the real API

  # Records tasks finished outside Dagster; start it here or in the UI.
  sensor:
    running: false
    minimum_interval_seconds: 30

  extracts:
    - name: team_members  # the asset name: letters, digits and '_'
      q: Every team member with their name, role and profile page
      url: https://example.com/team  # the http(s) page the agent starts from
      # schema:  # JSON Schema of ONE row; it types the Parquet columns
      #   type: object
      #   properties:
      #     name: {{type: string}}
      #     role: {{type: string}}
      #   required: [name]
      # verifyUrls: false
      # group: linkup
      # owners: [team:data]
      # tags: {{domain: people}}
      # description: Shown in the Dagster UI.
"""

_EXTRACTTO = """\
# Extract.to: each entry of `extracts` becomes a date-partitioned asset, one Parquet folder per
# day under $EXTRACT_ASSETS_OUTPUT/extractto/<name>/ (default: ./data); each entry of
# `connections` an asset that runs the connection. Loading this file calls no API.
# Declare every Extract.to asset of the project here: one ExtractToComponent per project.
type: {type_name}

attributes:
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

_DATAEXTRACTOR = """\
# dataextractor.io: each entry of `datasets` becomes five day-partitioned Parquet tables
# (<name>_datasets, _fields, _line_items, _ground_truth, _accuracy) under
# $EXTRACT_ASSETS_OUTPUT/dataextractor/ (default: ./data); each entry of `submissions` an asset
# that sends a folder's documents once each. Loading this file calls no API.
# Declare every dataextractor.io asset of the project here: one DataExtractorComponent per project.
type: {type_name}

attributes:
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


class _DefsYamlScaffolder(dg.Scaffolder):
    template: ClassVar[str]

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        if request.scaffold_format == "python":
            # Dagster's component.py, for a function returning LinkupComponent(extracts=[...]).
            dg.scaffold_component(request, {})
            return
        request.target_path.mkdir(parents=True, exist_ok=True)
        defs_yaml = request.target_path / "defs.yaml"
        if defs_yaml.exists():
            raise FileExistsError(f"{defs_yaml} already exists; scaffold into a new folder.")
        defs_yaml.write_text(self.template.format(type_name=request.type_name), encoding="utf-8")


class LinkupScaffolder(_DefsYamlScaffolder):
    """A `defs.yaml` declaring one example Linkup extract."""

    template = _LINKUP


class ExtractToScaffolder(_DefsYamlScaffolder):
    """A `defs.yaml` declaring one example Extract.to extract."""

    template = _EXTRACTTO


class DataExtractorScaffolder(_DefsYamlScaffolder):
    """A `defs.yaml` declaring one example dataextractor.io dataset family."""

    template = _DATAEXTRACTOR
