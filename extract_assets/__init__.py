"""Dagster assets for three data-extraction services, materialized to Parquet."""
