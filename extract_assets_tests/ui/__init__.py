"""Browser tests of the demo's Dagster UI."""
