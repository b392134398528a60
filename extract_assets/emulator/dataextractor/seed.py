"""Datasets created in bulk for tests and benchmarks, and the demo set of every start and reset."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from extract_assets.emulator.dataextractor.content import reviewed_values
from extract_assets.emulator.dataextractor.errors import DataextractorError
from extract_assets.emulator.dataextractor.models import SeedRequest
from extract_assets.emulator.dataextractor.realworld import near_midnight
from extract_assets.emulator.dataextractor.state import DataextractorState

DEMO = SeedRequest(count=30, verified_share=0.3, failed_share=0.1)
FAILURES = (
    "Document is password protected",
    "No text could be read: the scan is blank or too blurry",
    "Page limit exceeded: documents may have at most 50 pages",
)


def seed_datasets(state: DataextractorState, request: SeedRequest) -> list[str]:
    """Create `request.count` datasets outside rate limits and quota; returns their ids.

    `created_at` is spread evenly over the days (up to now, never later), or set
    `created_seconds_ago`; customers and types
    take turns; exactly round(count x share) datasets are verified, failed, or still processing,
    chosen by a seeded shuffle. Under the real-world profile one in three moves next to a
    midnight (UTC) of its day.
    """
    account = state.keyring.account(request.account)
    if account is None:
        raise DataextractorError(404, f"No account {request.account!r}")
    now = state.now
    today = datetime.fromtimestamp(now, UTC).date()
    first = request.date_from or (request.date_to or today) - timedelta(days=6)
    last = request.date_to or max(today, first)
    start = _midnight(first)
    end = min(_midnight(last + timedelta(days=1)), now)
    if start >= end:
        raise DataextractorError(400, "the dates must include a moment before now")
    rng = random.Random(f"{state.context.seed}:dataextractor:seed:{len(state.datasets)}")
    roles = _roles(request, rng)
    settings = state.settings
    still = (
        settings.processing_seconds
        if request.processing_seconds is None
        else request.processing_seconds
    )
    step = (end - start) / request.count
    ids = []
    for index, role in enumerate(roles):
        if request.created_seconds_ago is not None:
            created = min(now - request.created_seconds_ago + index / 1000, now)
        else:
            created = start + step * (index + rng.random())
            if state.context.profile.on:
                created = near_midnight(state.context.profile, created, index, end)
        dataset_type = request.dataset_types[index % len(request.dataset_types)]
        customer = request.customer_ids[
            (index // len(request.dataset_types)) % len(request.customer_ids)
        ]
        content_seed = f"{state.context.seed}:{rng.getrandbits(64)}"
        # The extraction took its usual time, unless it is still going on; a finished one ends
        # strictly before now, so it reads as finished at once.
        if role == "processing":
            finished = now + still
        else:
            finished = created + min(settings.processing_seconds, (now - created) / 2)
        prefix = "invoice" if dataset_type == "invoice" else "po"
        dataset = state.add(
            account=account.id,
            dataset_type=dataset_type,
            customer_id=customer,
            filename=f"{prefix}_{index + 1:05d}.pdf",
            created_at=created,
            finished_at=finished,
            error=rng.choice(FAILURES) if role == "failed" else None,
            content_seed=content_seed,
        )
        if role == "verified":
            dataset.verify(reviewed_values(dataset.document, content_seed), finished)
        elif role == "processing":
            state.announce(dataset)
        ids.append(dataset.id)
    return ids


def _roles(request: SeedRequest, rng: random.Random) -> list[str]:
    counts = {
        "verified": round(request.count * request.verified_share),
        "failed": round(request.count * request.failed_share),
        "processing": round(request.count * request.processing_share),
    }
    roles = [role for role, n in counts.items() for _ in range(n)][: request.count]
    roles += ["complete"] * (request.count - len(roles))
    rng.shuffle(roles)
    return roles


def _midnight(day: date) -> float:
    return datetime.combine(day, time(), UTC).timestamp()
