import pickle

from extract_assets.core.errors import AuthenticationError, PaymentRequiredError, ServerError
from extract_assets.dataextractor.client import DatasetFailedError
from extract_assets.dataextractor.models import Dataset
from extract_assets.linkup.client import LinkupTaskFailedError
from extract_assets.linkup.models import Task


def test_an_api_error_keeps_every_field_through_pickling() -> None:
    error = PaymentRequiredError(
        "Out of credits",
        provider="Linkup",
        status=429,
        code="INSUFFICIENT_FUNDS_CREDITS",
        request_id="req-1",
        method="POST",
        url="https://api.example/v1/extract",
        hint="top up",
    ).after_attempts(2)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is PaymentRequiredError
    assert (copy.status, copy.code, copy.request_id, copy.attempts) == (429, error.code, "req-1", 2)
    assert str(copy) == str(error)


def test_provider_errors_with_their_own_constructors_survive_pickling() -> None:
    task = Task.model_validate(
        {
            "id": "t1",
            "status": "failed",
            "createdAt": "2026-11-01T00:00:00Z",
            "updatedAt": "2026-11-01T00:01:00Z",
            "error": "Seed URL unreachable",
        }
    )
    dataset = Dataset.model_validate(
        {"id": "ds_1", "status": "failed", "created_at": "2026-11-01T00:00:00Z", "error": "blurry"}
    )
    for error in (LinkupTaskFailedError(task), DatasetFailedError(dataset)):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert copy.__dict__ == error.__dict__
        assert str(copy) == str(error)


def test_a_retryable_error_that_gave_up_says_what_to_do() -> None:
    error = ServerError("Bad Gateway", provider="Linkup", status=502).after_attempts(4)
    assert "gave up after 4 attempts" in str(error)
    assert "What to do: the service kept failing and nothing was written" in str(error)


def test_an_error_refused_at_once_keeps_its_own_hint() -> None:
    error = AuthenticationError("Invalid key", provider="Linkup", status=401, hint="check the key")
    assert error.after_attempts(1).hint == "check the key"
