"""A job importable by module path, so a test can run it in a child process and kill it."""

import os

import dagster as dg

from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.spec import LinkupExtractSpec

BIG = LinkupExtractSpec(name="big", q="big result rows", url="https://example.com/big")


def big_extract_job() -> dg.JobDefinition:
    defs = dg.Definitions(
        assets=build_linkup_assets([BIG], output_dir=os.environ["TEST_OUTPUT_DIR"]),
        resources={
            "linkup": LinkupResource(
                api_key=dg.EnvVar("LINKUP_API_KEY"),
                poll_initial_seconds=0.1,
                poll_max_seconds=0.2,
                requests_per_minute=None,
            )
        },
        # In-process, so that killing the run's process kills the step that writes the file.
        jobs=[
            dg.define_asset_job(
                "big_extract_job", selection=[BIG.name], executor_def=dg.in_process_executor
            )
        ],
    )
    return defs.resolve_job_def("big_extract_job")
