"""Linkup `/v1/extract`: web extracts as assets, and the tasks started outside Dagster."""

# What `extract_assets` exports from here (name: module), imported on first use.
PUBLIC = {
    "LinkupClient": "client",
    "LinkupComponent": "component",
    "LinkupExtractSpec": "spec",
    "LinkupResource": "resource",
    "build_linkup_assets": "assets",
    "build_linkup_sensor": "sensors",
    "build_linkup_task_outputs_asset": "sensors",
}
