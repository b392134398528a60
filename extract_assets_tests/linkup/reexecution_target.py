"""A job importable by module path, so Dagster can run it in another process and re-execute it."""

import os

import dagster as dg

from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec

SLOW = LinkupExtractSpec(name="slow_extract", q="slow extract rows", url="https://example.com/s")


def slow_extract_job() -> dg.JobDefinition:
    defs = dg.Definitions(
        assets=build_linkup_assets([SLOW], output_dir=os.environ["TEST_OUTPUT_DIR"]),
        resources={
            "linkup": LinkupResource(
                api_key=dg.EnvVar("LINKUP_API_KEY"),
                poll_initial_seconds=0.1,
                poll_max_seconds=0.2,
                requests_per_minute=None,
            )
        },
        # In-process, so that killing the run's process really kills the step polling Linkup.
        jobs=[
            dg.define_asset_job(
                "slow_extract_job", selection=[SLOW.name], executor_def=dg.in_process_executor
            )
        ],
    )
    return defs.resolve_job_def("slow_extract_job")
