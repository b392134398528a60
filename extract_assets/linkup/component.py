"""`LinkupComponent`: the `linkup` section of a config file as a `dg` component, and the
`defs.yaml` that `dg scaffold defs extract_assets.LinkupComponent <path>` writes."""

from typing import Any, ClassVar

import dagster as dg

from extract_assets.components.scaffold import DefsYamlScaffolder
from extract_assets.components.section import SectionComponent
from extract_assets.linkup.provider import PROVIDER
from extract_assets.linkup.section import LinkupSection
from extract_assets.provider import Provider

_TEMPLATE = """\
# Linkup /v1/extract: each entry of `extracts` becomes an asset, materialized to Parquet under
# $EXTRACT_ASSETS_OUTPUT/linkup/<name>/ (default: ./data). Loading this file calls no API.
# Declare every Linkup extract of one account here: one LinkupComponent per account.
type: {type_name}

attributes:
  # With several accounts of linkup in one project, name each; its keys start with it.
  # account: research

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


class LinkupScaffolder(DefsYamlScaffolder):
    """A `defs.yaml` declaring one example Linkup extract."""

    template = _TEMPLATE


@dg.scaffold_with(LinkupScaffolder)
class LinkupComponent(SectionComponent, LinkupSection):
    """Linkup `/v1/extract` extracts as Parquet assets, declared in `defs.yaml`.

    Attributes are those of the `linkup` section of an extract-assets config file: `extracts`
    (name, q, url, schema, ...), `sensor`, `api` (`key_env`, `base_url`) and `account`. One per
    account: it owns the account's resource, tasks sensor and `linkup_task_outputs`.

    >>> component = LinkupComponent(
    ...     extracts=[{"name": "team", "q": "Team members", "url": "https://example.com/team"}]
    ... )
    >>> sorted(k.to_user_string() for k in dg.build_defs_for_component(component=component)
    ...     .resolve_all_asset_keys())
    ['linkup_task_outputs', 'team']
    """

    provider: ClassVar[Provider[Any]] = PROVIDER
