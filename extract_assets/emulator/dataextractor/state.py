"""dataextractor.io's server-side state: keys, limits, settings, scenarios and datasets."""

from __future__ import annotations

import random

from extract_assets.emulator.dataextractor.accounts import Account, ApiKey, Keyring
from extract_assets.emulator.dataextractor.datasets import Dataset
from extract_assets.emulator.dataextractor.errors import DataextractorError, not_found
from extract_assets.emulator.dataextractor.models import (
    DataextractorSettings,
    DatasetType,
    Scenario,
)
from extract_assets.emulator.dataextractor.ratelimit import Bucket, RateLimiter
from extract_assets.emulator.dataextractor.realworld import digit_id
from extract_assets.emulator.dataextractor.webhooks import WebhookHub
from extract_assets.emulator.provider import EmulatorContext

_NO_SCENARIO = Scenario(match="")


class DataextractorState:
    """Everything of every account; ids come from a seeded generator, so the same sequence of
    requests after a reset yields the same ids."""

    def __init__(self, context: EmulatorContext) -> None:
        self.context = context
        self.keyring = Keyring()
        self.limiter = RateLimiter()
        self.settings = DataextractorSettings()
        self.scenarios: list[Scenario] = []
        self.datasets: dict[str, Dataset] = {}
        self.hub = WebhookHub(context.seed, lambda: self.settings, context.profile)
        self._ids = random.Random()
        self.arrivals = 0

    @property
    def now(self) -> float:
        """Emulator time."""
        return self.context.clock.time()

    def clear(self) -> None:
        """Forget everything; the caller seeds the demo datasets again."""
        self.keyring.reset()
        self.limiter.reset()
        self.settings = DataextractorSettings()
        self.scenarios = []
        self.datasets = {}
        self.hub.reset()
        self._ids = random.Random(f"{self.context.seed}:dataextractor:ids")
        self.arrivals = 0

    def new_id(self) -> str:
        """`ds_` and 24 hex digits from the seeded generator; under the real-world profile,
        digits only for some (see `realworld.digit_id`)."""
        bits = self._ids.getrandbits(96)
        profile = self.context.profile
        digits = digit_id(profile, bits) if profile.on else None
        return digits or f"ds_{bits:024x}"

    def caller(self, authorization: str | None, bucket: Bucket) -> ApiKey:
        """The caller's key, counted in its rate bucket (401, 429 otherwise)."""
        key = self.keyring.authenticate(authorization)
        self.limiter.admit(key.key, bucket, self.limits()[bucket], self.now)
        return key

    def limits(self) -> dict[Bucket, int]:
        """Requests per minute of each rate bucket, from the settings."""
        return {"read": self.settings.read_per_minute, "write": self.settings.write_per_minute}

    def account_of(self, key: ApiKey) -> Account:
        """The key's account."""
        return self.keyring.accounts[key.account]

    def dataset(self, key: ApiKey, dataset_id: str) -> Dataset:
        """One dataset of the key's account, or 404 (other accounts' included)."""
        found = self.datasets.get(dataset_id)
        if found is None or found.account != key.account:
            raise not_found()
        return found

    def upload(
        self,
        account: Account,
        *,
        content_seed: str,
        filename: str,
        dataset_type: DatasetType,
        customer_id: str | None,
    ) -> Dataset:
        """An accepted upload: 402 past the month's quota, else a new `processing` dataset."""
        now = self.now
        account.check_quota(now)
        account.uploads.append(now)
        scenario = next((s for s in self.scenarios if s.match in filename), _NO_SCENARIO)
        seconds = scenario.processing_seconds
        if seconds is None:
            seconds = self.settings.processing_seconds
        dataset = self.add(
            account=account.id,
            dataset_type=dataset_type,
            customer_id=customer_id,
            filename=filename,
            created_at=now,
            finished_at=now + seconds,
            error=scenario.fail,
            content_seed=content_seed,
        )
        self.announce(dataset)
        return dataset

    def add(
        self,
        *,
        account: str,
        dataset_type: DatasetType,
        customer_id: str | None,
        filename: str,
        created_at: float,
        finished_at: float,
        error: str | None,
        content_seed: str,
    ) -> Dataset:
        """Store a dataset, outside limits and quota."""
        dataset = Dataset(
            id=self.new_id(),
            account=account,
            dataset_type=dataset_type,
            customer_id=customer_id,
            filename=filename,
            created_at=created_at,
            finished_at=finished_at,
            error=error,
            content_seed=content_seed,
        )
        self.datasets[dataset.id] = dataset
        return dataset

    def arrive(self, account: str, dataset_type: str | None, customer_id: str | None) -> Dataset:
        """A document uploaded by someone else just now, outside limits and quota, of the type
        and customer a listing filters on: what makes a listing shift while it is read under
        the real-world profile."""
        self.arrivals += 1
        now = self.now
        kind: DatasetType = "purchase_order" if dataset_type == "purchase_order" else "invoice"
        dataset = self.add(
            account=account,
            dataset_type=kind,
            customer_id=customer_id or "cust_1",
            filename=f"arrived_{self.arrivals}.pdf",
            created_at=now,
            finished_at=now + self.settings.processing_seconds,
            error=None,
            content_seed=f"{self.context.seed}:arrived:{self.arrivals}",
        )
        self.announce(dataset)
        return dataset

    def announce(self, dataset: Dataset) -> None:
        """Tell webhooks when the dataset's processing ends."""
        self.hub.watch(dataset.id, dataset.account, dataset.finished_at, dataset.error)

    def verify(self, dataset: Dataset, truth: list[tuple[str, str | None]]) -> None:
        """Save ground truth of a complete dataset (409 before or when failed); then
        `matching.completed` goes out."""
        now = self.now
        status = dataset.status_at(now)
        if status == "processing":
            raise DataextractorError(409, "Dataset is still processing")
        if status == "failed":
            raise DataextractorError(409, "Dataset extraction failed: nothing to match")
        review = dataset.verify(truth, now)
        data = {"dataset_id": dataset.id, "status": status, "matching": review.matching_json()}
        self.hub.emit(dataset.account, "matching.completed", now, data)
