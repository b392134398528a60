"""`GET /api/v1/datasets`: filters, order, and pages of `{"data", "next_cursor"}`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.datastructures import QueryParams

from extract_assets.emulator.dataextractor.cursors import CursorCodec, Position
from extract_assets.emulator.dataextractor.datasets import Dataset
from extract_assets.emulator.dataextractor.errors import DataextractorError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class ListQuery:
    """Valid list parameters."""

    customer_id: str | None
    dataset_type: str | None
    is_verified: bool | None
    search: str | None
    limit: int
    cursor: str | None

    def scope(self, account: str) -> str:
        """What a cursor is bound to: the account and the filters, not the page size."""
        filters = [account, self.customer_id, self.dataset_type, self.is_verified, self.search]
        return hashlib.sha256(json.dumps(filters).encode()).hexdigest()[:16]

    def admits(self, dataset: Dataset, now: float) -> bool:
        """Whether the dataset passes every filter at `now`."""
        if self.customer_id is not None and dataset.customer_id != self.customer_id:
            return False
        if self.dataset_type is not None and dataset.dataset_type != self.dataset_type:
            return False
        if self.is_verified is not None and (dataset.review is not None) != self.is_verified:
            return False
        if self.search is not None:
            # Only a complete extraction has values to search.
            return (
                dataset.status_at(now) == "complete" and self.search.lower() in dataset.search_text
            )
        return True


def parse_list_query(params: QueryParams) -> ListQuery:
    """The list parameters, or 400 naming the bad one."""
    verified = params.get("is_verified")
    if verified is not None and verified.lower() not in _BOOLEANS:
        raise DataextractorError(400, "is_verified must be true or false")
    raw_limit = params.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            raise DataextractorError(400, f"limit must be an integer between 1 and {MAX_LIMIT}")
    return ListQuery(
        customer_id=params.get("customer_id"),
        dataset_type=params.get("dataset_type"),
        is_verified=None if verified is None else _BOOLEANS[verified.lower()],
        search=params.get("search") or None,
        limit=limit,
        cursor=params.get("cursor"),
    )


class Pager:
    """Pages of datasets newest first; cursors keep the expiry of the pagination's first page."""

    def __init__(self, codec: CursorCodec) -> None:
        self.codec = codec

    def check(self, query: ListQuery, account: str, now: float) -> None:
        """400 unless the query's cursor, if any, is valid now."""
        if query.cursor is not None:
            self.codec.decode(query.scope(account), query.cursor, now)

    def page(
        self,
        query: ListQuery,
        account: str,
        datasets: Iterable[Dataset],
        now: float,
        cursor_ttl: float,
    ) -> tuple[list[Dataset], str | None]:
        """One page of the account's matching datasets and the cursor of the next, if any."""
        scope = query.scope(account)
        after = None if query.cursor is None else self.codec.decode(scope, query.cursor, now)
        # "Valid 24 hours after the initial request": every cursor of one pagination expires
        # when the first one does.
        expires = now + cursor_ttl if after is None else after.expires
        chosen = [
            d
            for d in datasets
            if d.account == account
            and (after is None or d.sort_key < (after.created_at, after.id))
            and query.admits(d, now)
        ]
        chosen.sort(key=lambda d: d.sort_key, reverse=True)
        page = chosen[: query.limit]
        if len(chosen) <= query.limit:
            return page, None
        last = page[-1]
        return page, self.codec.encode(scope, Position(last.created_at, last.id, expires))
