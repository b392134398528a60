"""A daily schedule over a date-partitioned extract asset."""

from datetime import datetime

import dagster as dg

PARTITION_TAG = "dagster/partition"


def build_extractto_schedule(
    asset: dg.AssetsDefinition,
    *,
    hour: int = 6,
    minute: int = 0,
    default_status: dg.DefaultScheduleStatus = dg.DefaultScheduleStatus.STOPPED,
) -> dg.ScheduleDefinition:
    """Materialize the last complete partition (yesterday, for daily assets) at `hour`:`minute`.

    The partition whose window has ended by the tick, whatever the asset's `end_offset`: with
    today's (still open) partition added, the last partition is today's, and a schedule taking
    it would read every day a few hours in and never read yesterday whole.

    >>> from extract_assets.extractto.assets import build_extractto_assets
    >>> from extract_assets.extractto.spec import ExtractToExtractSpec
    >>> spec = ExtractToExtractSpec(name="ads", extract_id="e-1", start_date="2026-01-01")
    >>> build_extractto_schedule(build_extractto_assets([spec])[0], hour=5).cron_schedule
    '0 5 * * *'
    """
    partitions = asset.partitions_def
    if not isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        raise TypeError(f"{asset.key.to_user_string()} must be time-partitioned")
    name = asset.key.to_python_identifier()
    job = dg.define_asset_job(f"{name}_job", selection=[asset.key], partitions_def=partitions)

    @dg.schedule(
        name=f"{name}_schedule",
        cron_schedule=partitions.get_cron_schedule(minute_of_hour=minute, hour_of_day=hour),
        job=job,
        execution_timezone=partitions.timezone,
        default_status=default_status,
        description=f"Materializes the last complete partition of {name} every day.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        key = _last_complete(partitions, context.scheduled_execution_time)
        if key is None:
            return dg.SkipReason(f"no partition of {name} has ended yet")
        # The partition also as its tag, as Dagster's own partitioned schedules request it: a
        # tick evaluated without a code location (no repository to check the key in) still
        # gets its run.
        return dg.RunRequest(run_key=key, partition_key=key, tags={PARTITION_TAG: key})

    return _schedule


def _last_complete(partitions: dg.TimeWindowPartitionsDefinition, moment: datetime) -> str | None:
    """The key of the partition before the one that holds `moment`."""
    holding = partitions.get_partition_key_for_timestamp(moment.timestamp())
    window = partitions.time_window_for_partition_key(holding)
    previous = partitions.get_prev_partition_window(window.start)
    if previous is None:
        return None
    return partitions.get_partition_key_for_timestamp(previous.start.timestamp())
