"""POST /_emulator/linkup/seed: many finished tasks at once, for tests and benchmarks."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from extract_assets.emulator import EmulatorControl
from extract_assets.emulator.client import EmulatorControlError


def test_seeded_tasks_are_listed_newest_first_and_completed(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    ids = frozen.seed_linkup_tasks(250)
    body = linkup.get("/v1/extract", params={"pageSize": 100}).json()
    assert body["metadata"]["total"] == 250
    assert [task["id"] for task in body["data"]] == ids[::-1][:100]
    assert {task["status"] for task in body["data"]} == {"completed"}


def test_seeded_tasks_finish_spacing_seconds_apart(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.seed_linkup_tasks(3, spacing_seconds=60)
    data = linkup.get("/v1/extract").json()["data"]
    stamps = [datetime.fromisoformat(task["updatedAt"]) for task in data]
    assert [(stamps[0] - stamp).total_seconds() for stamp in stamps] == [0, 60, 120]


def test_a_seeded_task_serves_its_rows(linkup: httpx.Client, frozen: EmulatorControl) -> None:
    (task_id,) = frozen.seed_linkup_tasks(1, rows=7)
    task = linkup.get(f"/v1/extract/{task_id}").json()
    result = httpx.get(task["output"]["resultUrl"])
    assert (task["output"]["rowsReturned"], len(result.text.splitlines())) == (7, 7)


def test_seeded_failed_tasks_carry_the_error(linkup: httpx.Client, frozen: EmulatorControl) -> None:
    (task_id,) = frozen.seed_linkup_tasks(1, fail="Page requires a login")
    task = linkup.get(f"/v1/extract/{task_id}").json()
    assert (task["status"], task["error"]) == ("failed", "Page requires a login")


def test_seeding_ignores_the_in_flight_limit_and_credits(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.linkup_settings(max_in_flight=1)
    frozen.add_linkup_key("lk-poor", credits=0, org="poor-org")
    assert len(frozen.seed_linkup_tasks(5, key="lk-poor")) == 5


def test_seeding_for_an_unknown_key_is_refused(frozen: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError, match="No Linkup key 'lk-nobody'"):
        frozen.seed_linkup_tasks(1, key="lk-nobody")
