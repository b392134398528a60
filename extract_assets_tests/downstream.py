"""A downstream asset as a user writes one: a week of the `ads` asset, read by the IO manager."""

from __future__ import annotations

import dagster as dg
import pandas as pd


def weekly_ads(seen: dict[str, pd.DataFrame]) -> dg.AssetsDefinition:
    """The asset `weekly`, which reads the seven days of `ads` up to its own day into `seen`."""

    @dg.asset(
        partitions_def=dg.DailyPartitionsDefinition(start_date="2026-10-01"),
        ins={
            "ads": dg.AssetIn(
                "ads", partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-6)
            )
        },
    )
    def weekly(ads: pd.DataFrame) -> None:
        seen["ads"] = ads

    return weekly
