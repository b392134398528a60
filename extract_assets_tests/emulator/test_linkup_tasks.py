"""The task lifecycle of the Linkup emulator, driven by the emulator clock."""

from __future__ import annotations

import json
import re
import uuid

import httpx

from extract_assets.emulator import EmulatorControl
from extract_assets_tests.emulator.helpers import PAST_COMPLETION, TEAM_URL, create_task, get_task

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ROW_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "profileUrl": {"type": "string", "format": "uri"}},
    "required": ["name"],
}


def test_created_task_is_pending_with_null_output(linkup: httpx.Client) -> None:
    task = create_task(linkup)
    assert (task["status"], task["output"], task["error"]) == ("pending", None, None)
    assert task["type"] == "extract"
    assert task["updatedAt"] == task["createdAt"]


def test_created_task_is_pending_even_with_zero_pending_time(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.linkup_settings(pending_seconds=0, processing_seconds=0)
    assert create_task(linkup)["status"] == "pending"


def test_task_moves_to_processing_after_the_pending_time(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    task = create_task(linkup)
    frozen.advance_clock(0.31)
    seen = get_task(linkup, task["id"])
    assert (seen["status"], seen["output"]) == ("processing", None)
    assert seen["updatedAt"] > seen["createdAt"]


def test_task_completes_after_pending_and_processing_time(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    task = create_task(linkup)
    frozen.advance_clock(0.99)
    assert get_task(linkup, task["id"])["status"] == "processing"
    frozen.advance_clock(0.02)
    done = get_task(linkup, task["id"])
    assert done["status"] == "completed"
    assert set(done["output"]) == {"creditsUsed", "resultUrl", "rowsReturned"}


def test_updated_at_is_the_time_of_the_last_transition(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    task = create_task(linkup)
    frozen.advance_clock(60)
    first = get_task(linkup, task["id"])["updatedAt"]
    frozen.advance_clock(60)
    assert get_task(linkup, task["id"])["updatedAt"] == first


def test_default_row_count_is_stable_per_query_and_between_5_and_20(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    first, second = create_task(linkup, q="Board members"), create_task(linkup, q="Board members")
    control.advance_clock(PAST_COMPLETION)
    counts = {get_task(linkup, t["id"])["output"]["rowsReturned"] for t in (first, second)}
    assert len(counts) == 1 and 5 <= counts.pop() <= 20


def test_default_credits_are_one_plus_one_per_thousand_rows(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_linkup_scenario("big", rows=2_500)
    task = create_task(linkup, q="big list")
    control.advance_clock(PAST_COMPLETION)
    output = get_task(linkup, task["id"])["output"]
    assert (output["rowsReturned"], output["creditsUsed"]) == (2_500, 3)


def test_scenario_sets_rows_credits_and_durations(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.add_linkup_scenario(
        "slow", rows=3, credits=7.5, pending_seconds=10, processing_seconds=20
    )
    task = create_task(linkup, q="a slow site")
    frozen.advance_clock(29)
    assert get_task(linkup, task["id"])["status"] == "processing"
    frozen.advance_clock(2)
    output = get_task(linkup, task["id"])["output"]
    assert (output["rowsReturned"], output["creditsUsed"]) == (3, 7.5)


def test_first_matching_scenario_wins(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_linkup_scenario("team", rows=2)
    control.add_linkup_scenario("team members", rows=9)
    task = create_task(linkup, q="team members")
    control.advance_clock(PAST_COMPLETION)
    assert get_task(linkup, task["id"])["output"]["rowsReturned"] == 2


def test_failing_scenario_ends_failed_with_its_message(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_linkup_scenario("blocked", fail="The site blocked our agent.")
    task = create_task(linkup, q="a blocked site")
    control.advance_clock(PAST_COMPLETION)
    failed = get_task(linkup, task["id"])
    assert (failed["status"], failed["error"], failed["output"]) == (
        "failed",
        "The site blocked our agent.",
        None,
    )


def test_input_is_echoed_with_defaults(linkup: httpx.Client) -> None:
    task = create_task(linkup, q="Engineers")
    assert task["input"] == {"q": "Engineers", "url": TEAM_URL, "schema": None, "verifyUrls": False}


def test_schema_given_as_object_is_echoed_as_object(linkup: httpx.Client) -> None:
    assert create_task(linkup, schema=ROW_SCHEMA, verifyUrls=True)["input"]["schema"] == ROW_SCHEMA


def test_schema_given_as_json_string_is_echoed_as_object(linkup: httpx.Client) -> None:
    task = create_task(linkup, schema=json.dumps(ROW_SCHEMA))
    assert task["input"]["schema"] == ROW_SCHEMA


def test_ids_are_uuids_and_timestamps_are_iso_utc_with_milliseconds(
    linkup: httpx.Client,
) -> None:
    task = create_task(linkup)
    assert str(uuid.UUID(task["id"])) == task["id"]
    assert ISO_MS_Z.match(task["createdAt"]) and ISO_MS_Z.match(task["updatedAt"])


def test_task_ids_repeat_after_reset_for_the_same_seed(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    first = create_task(linkup)["id"]
    control.reset()
    assert create_task(linkup)["id"] == first


def test_control_lists_tasks_of_every_organization(
    linkup: httpx.Client, linkup_url: str, control: EmulatorControl
) -> None:
    control.add_linkup_key("other-key", org="other-org")
    create_task(linkup)
    with httpx.Client(base_url=linkup_url, headers={"Authorization": "Bearer other-key"}) as other:
        create_task(other)
    assert sorted(t["org"] for t in control.linkup_tasks()) == ["demo-org", "other-org"]
