"""Small helpers shared by the emulator tests."""

from __future__ import annotations

from typing import Any

import httpx

TEAM_URL = "https://example.com/team"
# Longer than the default pending + processing time (0.3 s + 0.7 s).
PAST_COMPLETION = 1.01


def create_task(client: httpx.Client, q: str = "All team members", **body: Any) -> dict[str, Any]:
    """POST /v1/extract and return the task, failing the test on any error."""
    response = client.post("/v1/extract", json={"q": q, "url": TEAM_URL, **body})
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def get_task(client: httpx.Client, task_id: str) -> dict[str, Any]:
    """GET /v1/extract/{id}, failing the test on any error."""
    response = client.get(f"/v1/extract/{task_id}")
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def error_of(response: httpx.Response) -> tuple[int, str]:
    """The HTTP status and Linkup error code of an error answer."""
    return response.status_code, response.json()["error"]["code"]
