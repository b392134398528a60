import pickle

from extract_assets.core.errors import PaymentRequiredError
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
