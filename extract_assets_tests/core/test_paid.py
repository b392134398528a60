import logging

import pytest

from extract_assets.core.errors import ServerError
from extract_assets.core.paid import landed_or_back_off
from extract_assets.core.retry import RetryPolicy

LOGGER = "extract_assets.test_paid"
# No wait between attempts, so only the decisions are under test.
RETRY = RetryPolicy(max_attempts=3, backoff_base_seconds=0.0)


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger=LOGGER)
    return caplog


def lost_answer() -> ServerError:
    return ServerError("502 Bad Gateway", provider="demo", status=502)


def decide(attempt: int, found: str | None) -> str | None:
    return landed_or_back_off(
        lost_answer(),
        attempt,
        lambda: found,
        retry=RETRY,
        what="demo create",
        landed=lambda task: f"task {task} had been created",
        logger=logging.getLogger(LOGGER),
    )


def test_what_the_request_created_is_used_and_the_warning_names_it(
    log: pytest.LogCaptureFixture,
) -> None:
    assert decide(1, "t_1") == "t_1"
    assert log.messages == [
        "demo create failed (502 Bad Gateway) but task t_1 had been created; using it"
    ]


def test_what_the_last_attempt_created_is_used_rather_than_the_error_raised() -> None:
    assert decide(RETRY.max_attempts, "t_1") == "t_1"


def test_nothing_created_with_attempts_left_asks_for_the_request_again(
    log: pytest.LogCaptureFixture,
) -> None:
    assert decide(1, None) is None
    assert log.messages == ["demo create failed (502 Bad Gateway); retrying in 0.0 s"]


def test_nothing_created_on_the_last_attempt_raises_the_providers_error(
    log: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(ServerError, match="502 Bad Gateway"):
        decide(RETRY.max_attempts, None)
    assert log.messages == []
