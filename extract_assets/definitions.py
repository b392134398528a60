"""The code location `workspace.yaml` loads: the file in `EXTRACT_ASSETS_CONFIG`, else the demo."""

from extract_assets.build import definitions_from_config

defs = definitions_from_config()
