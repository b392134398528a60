"""An Extract.to served on loopback whose extracts sync outside Dagster: tests give it the
extracts' ids and the rows of their data tables, and move `last_sync` on."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets_tests.security.servers import serving

from .test_sensors import Tick


def row(day: date, inserted: str, **fields: Any) -> dict[str, Any]:
    """A data-table row of `day`, stamped `inserted`."""
    return {
        "date": day.isoformat(),
        "account_id": "a1",
        "account_name": "Account",
        "__insert_date": inserted,
        **fields,
    }


class OutsideExtractTo:
    """`GET /extracts` lists `extract_ids`, active, each synced at `last_sync` into the data
    table `table-{id}`; subclasses answer `GET /data-tables/{id}/rows` (`rows`).

    `today` is the UTC day the server is made on, in the test (the sensor reads the clock
    then, not when the module was imported); `last_sync` starts at its midnight."""

    def __init__(self, extract_ids: Sequence[str]) -> None:
        self.extract_ids = list(extract_ids)
        self.today = datetime.now(UTC).date()
        self.last_sync = midnight(self.today)

    async def extracts(self, request: Request) -> JSONResponse:
        extracts = [
            {
                "id": extract_id,
                "title": extract_id,
                "status": "active",
                "last_sync": self.last_sync.isoformat(),
                "data_table_id": f"table-{extract_id}",
            }
            for extract_id in self.extract_ids
        ]
        return JSONResponse({"data": extracts, "next_cursor": None})

    async def rows(self, request: Request) -> JSONResponse:
        raise NotImplementedError

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/extracts", self.extracts),
                Route("/data-tables/{table_id}/rows", self.rows),
            ]
        )


def midnight(day: date) -> datetime:
    """The start of `day`, UTC."""
    return datetime.combine(day, datetime.min.time(), UTC)


@contextmanager
def ticking(server: OutsideExtractTo, output: Path, **sensor_options: Any) -> Iterator[Tick]:
    """The extracts sensor over `server` served on loopback, an asset for each of its extracts
    (`ads` for one, `ads_{id}` for several) writing under `output`, ticked as the daemon does."""
    names = {
        id: "ads" if len(server.extract_ids) == 1 else f"ads_{id}" for id in server.extract_ids
    }
    specs = [
        ExtractToExtractSpec(name=name, extract_id=id, start_date=server.today - timedelta(days=30))
        for id, name in names.items()
    ]
    assets = build_extractto_assets(specs, output_dir=str(output))
    sensor = build_extractto_sensor(specs, **{"time_budget_seconds": 10, **sensor_options})
    with serving(server.app()) as url, dg.instance_for_test() as instance:
        resource = ExtractToResource(api_key="key", base_url=url, requests_per_minute=None)
        yield Tick(assets, sensor, instance, resource)
