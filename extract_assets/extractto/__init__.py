"""Extract.to: extracts as date-partitioned assets, and connections run as assets."""

# What `extract_assets` exports from here (name: module), imported on first use.
PUBLIC = {
    "ExtractToClient": "client",
    "ExtractToComponent": "component",
    "ExtractToConnectionSpec": "spec",
    "ExtractToExtractSpec": "spec",
    "ExtractToResource": "resource",
    "build_extractto_assets": "assets",
    "build_extractto_schedule": "schedules",
    "build_extractto_sensor": "sensors",
}
