"""Linkup answers read tolerantly: what a task needs, whatever else it carries."""

from datetime import UTC, datetime

from extract_assets.linkup.models import Task

TASK = {
    "id": "t-1",
    "status": "pending",
    "createdAt": "2026-12-04T18:00:00+02:00",
    "updatedAt": "2026-12-04 16:00:05",
}


def test_a_partial_output_on_a_pending_task_means_no_result_yet() -> None:
    task = Task.model_validate({**TASK, "output": {"creditsUsed": 0}})
    assert task.output is None


def test_a_whole_output_is_read() -> None:
    output = {"creditsUsed": 2, "resultUrl": "https://files.example/r", "rowsReturned": 3}
    task = Task.model_validate({**TASK, "status": "completed", "output": output})
    assert task.output is not None and task.output.rows_returned == 3


def test_timestamps_are_utc_instants_with_or_without_an_offset() -> None:
    task = Task.model_validate(TASK)
    assert task.created_at == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert task.updated_at == datetime(2026, 12, 4, 16, 0, 5, tzinfo=UTC)


def test_a_status_in_capitals_is_final_as_its_lower_case_is() -> None:
    completed = Task.model_validate({**TASK, "status": "COMPLETED"})
    assert (completed.status, completed.is_final) == ("completed", True)
    assert Task.model_validate({**TASK, "status": "Failed"}).is_final
