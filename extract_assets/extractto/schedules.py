"""A daily schedule over a date-partitioned extract asset."""

import dagster as dg


def build_extractto_schedule(
    asset: dg.AssetsDefinition,
    *,
    hour: int = 6,
    minute: int = 0,
    default_status: dg.DefaultScheduleStatus = dg.DefaultScheduleStatus.STOPPED,
) -> dg.ScheduleDefinition:
    """Materialize the last complete partition (yesterday, for daily assets) at `hour`:`minute`.

    >>> from extract_assets.extractto.assets import build_extractto_assets
    >>> from extract_assets.extractto.spec import ExtractToExtractSpec
    >>> spec = ExtractToExtractSpec(name="ads", extract_id="e-1", start_date="2026-01-01")
    >>> build_extractto_schedule(build_extractto_assets([spec])[0], hour=5).cron_schedule
    '0 5 * * *'
    """
    name = asset.key.to_python_identifier()
    job = dg.define_asset_job(
        f"{name}_job", selection=[asset.key], partitions_def=asset.partitions_def
    )
    schedule = dg.build_schedule_from_partitioned_job(
        job,
        name=f"{name}_schedule",
        hour_of_day=hour,
        minute_of_hour=minute,
        default_status=default_status,
        description=f"Materializes the last complete partition of {name} every day.",
    )
    assert isinstance(schedule, dg.ScheduleDefinition)
    return schedule
