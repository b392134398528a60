"""The demo's code location on Dagster's Celery executor, with workers on separate disks."""
