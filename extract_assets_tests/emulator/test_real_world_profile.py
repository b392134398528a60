"""The real-world profile: every provider keeps its contract but answers as real services do.

Each test shows one trait over real HTTP; `extract_assets.emulator.realworld` lists them all.
"""

from __future__ import annotations

import gzip
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, TypeVar

import httpx
import pytest

from extract_assets.emulator import EmulatorControl, EmulatorControlError, EmulatorServer
from extract_assets.emulator.linkup.realworld import whole_second
from extract_assets_tests.emulator.helpers import PAST_COMPLETION, create_task, get_task

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
ACCOUNT = "acct_real_world"
STATUS_CASES = {"as-is", "upper", "capitalized"}

T = TypeVar("T")


def instant(text: str) -> datetime:
    """An ISO timestamp as an aware UTC instant; one without an offset is UTC."""
    moment = datetime.fromisoformat(text.replace(" ", "T"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def spelling(text: str) -> str:
    """How a timestamp ends: `Z`, `naive`, or its offset such as `+02:00`."""
    if text.endswith("Z"):
        return "Z"
    moment = datetime.fromisoformat(text)
    return "naive" if moment.tzinfo is None else text[-6:]


class Beyond(str):
    """The text of a JSON number beyond float64 (a double would be infinity)."""


def _float_or_beyond(text: str) -> float | Beyond:
    number = float(text)
    return Beyond(text) if math.isinf(number) else number


def loads(raw: bytes | str) -> Any:
    """JSON with a number beyond float64 read as `Beyond`, its text (not infinity)."""
    return json.loads(raw, parse_float=_float_or_beyond)


def case_of(status: str) -> str:
    """How a status word is cased: `as-is` (lower, as the contracts spell it), `upper` or
    `capitalized`."""
    if status == status.lower():
        return "as-is"
    return "upper" if status == status.upper() else "capitalized"


def after_a_reset(control: EmulatorControl, seed: int, answers: Callable[[], T]) -> T:
    """What `answers` reads from a freshly reset emulator under the profile with `seed`."""
    control.reset()
    control.set_speed(0)
    control.set_profile("real-world", seed=seed)
    return answers()


def client_of(emulator: EmulatorServer, provider: str, key: str) -> httpx.Client:
    """A client of one provider's API authenticated with `key`."""
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.Client(base_url=emulator.base_url(provider), headers=headers, timeout=30)


@pytest.fixture
def dataextractor(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A dataextractor.io client of an account of its own (no demo datasets)."""
    emulator.control.add_dataextractor_key("real-world", account=ACCOUNT)
    with client_of(emulator, "dataextractor", "real-world") as client:
        yield client


@pytest.fixture
def extractto(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """An Extract.to client with the default (admin) key."""
    with client_of(emulator, "extractto", "demo-extractto-key") as client:
        yield client


@pytest.fixture
def real_world(frozen: EmulatorControl) -> EmulatorControl:
    """The control client with the real-world profile on (seed 0) and the clock stopped."""
    frozen.set_profile("real-world")
    return frozen


def every_dataset(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    """Every page of GET /api/v1/datasets, following `next_cursor`."""
    found: list[dict[str, Any]] = []
    while True:
        response = client.get("/api/v1/datasets", params=params)
        assert response.status_code == 200, response.text
        found += response.json()["data"]
        if response.json()["next_cursor"] is None:
            return found
        params["cursor"] = response.json()["next_cursor"]


def seed_datasets(control: EmulatorControl, count: int = 30, **options: Any) -> list[str]:
    """Datasets of the test's own account over five days, half of them verified."""
    options.setdefault("date_from", "2026-03-01")
    options.setdefault("date_to", "2026-03-05")
    options.setdefault("verified_share", 0.5)
    return control.seed_dataextractor_datasets(count, account=ACCOUNT, **options)


# --- the control route ---------------------------------------------------------------------


def test_profile_is_default_until_set_and_again_after_a_reset(control: EmulatorControl) -> None:
    assert control.profile() == {"name": "default", "seed": 0}
    assert control.set_profile("real-world", seed=7) == {"name": "real-world", "seed": 7}
    assert control.profile() == {"name": "real-world", "seed": 7}
    control.reset()
    assert control.profile() == {"name": "default", "seed": 0}


def test_unknown_profile_is_refused(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError, match="name"):
        control.set_profile("sloppy")  # type: ignore[arg-type]


def test_the_same_seed_gives_the_same_answers(
    dataextractor: httpx.Client, frozen: EmulatorControl
) -> None:
    seed_datasets(frozen)

    def listing(seed: int) -> str:
        frozen.set_profile("real-world", seed=seed)
        return dataextractor.get("/api/v1/datasets", params={"limit": 100}).text

    assert listing(0) == listing(0)
    assert listing(1) != listing(0)


def test_default_profile_answers_as_before(
    dataextractor: httpx.Client, frozen: EmulatorControl
) -> None:
    seed_datasets(frozen)
    frozen.set_profile("real-world")
    frozen.set_profile("default")
    found = every_dataset(dataextractor, limit=100)
    assert {spelling(d["created_at"]) for d in found} == {"Z"}
    assert all(isinstance(f["value"], str) for d in found for f in d["fields"])


# --- dataextractor.io ----------------------------------------------------------------------


def test_dataset_times_are_offsets_or_naive_for_the_same_instant(
    dataextractor: httpx.Client, frozen: EmulatorControl
) -> None:
    seed_datasets(frozen)
    before = {d["id"]: d for d in every_dataset(dataextractor, limit=100)}
    frozen.set_profile("real-world")
    after = every_dataset(dataextractor, limit=100)
    kinds = {spelling(d[key]) for d in after for key in ("created_at", "updated_at")}
    assert kinds == {"+02:00", "-05:00", "+05:30", "naive"}
    for found in after:
        for key in ("created_at", "updated_at"):
            assert instant(found[key]) == instant(before[found["id"]][key])


def test_listing_stays_newest_first_by_instant(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    seed_datasets(real_world)
    moments = [instant(d["created_at"]) for d in every_dataset(dataextractor, limit=7)]
    assert moments == sorted(moments, reverse=True)
    texts = [d["created_at"] for d in every_dataset(dataextractor, limit=100)]
    assert texts != sorted(texts, reverse=True)


def test_seeding_puts_datasets_near_midnight_whose_text_date_is_another_day(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    seed_datasets(real_world, 15)
    found = every_dataset(dataextractor, limit=100)
    near = [d for d in found if instant(d["created_at"]).hour in (22, 23, 0, 1)]
    assert len(near) >= 5
    shifted = [
        d for d in near if d["created_at"][:10] != instant(d["created_at"]).date().isoformat()
    ]
    assert shifted
    assert all(
        date(2026, 3, 1) <= instant(d["created_at"]).date() <= date(2026, 3, 5) for d in found
    )


def test_get_writes_a_dataset_as_the_listing_does(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    ids = seed_datasets(real_world, 5)
    listed = {d["id"]: d for d in every_dataset(dataextractor, limit=100)}
    for dataset_id in ids:
        one = dataextractor.get(f"/api/v1/datasets/{dataset_id}").json()
        assert one == listed[dataset_id]
        assert not one["created_at"].endswith("Z")


def test_upload_answer_spells_its_times_too(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    response = dataextractor.post("/api/v1/extract", files={"file": ("inv.pdf", PDF)})
    assert response.status_code == 202
    assert spelling(response.json()["created_at"]) != "Z"


def test_number_and_currency_values_are_json_numbers_or_separated_text(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    seed_datasets(real_world)
    values = [
        f["value"]
        for d in every_dataset(dataextractor, limit=100)
        for f in [*d["fields"], *(g for item in d["line_items"] for g in item["fields"])]
        if f["type"] in ("number", "currency")
    ]
    numbers = [v for v in values if isinstance(v, int | float)]
    texts = [v for v in values if isinstance(v, str)]
    assert numbers and texts
    assert all("," in text and float(text.replace(",", "")) >= 1000 for text in texts)


def test_boolean_values_are_json_booleans(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    seed_datasets(real_world, 10)
    flags = [
        f["value"]
        for d in every_dataset(dataextractor, limit=100)
        for f in d["fields"]
        if f["type"] == "boolean"
    ]
    assert flags and all(isinstance(flag, bool) for flag in flags)
    assert set(flags) == {True, False}


def test_accuracy_fields_are_sometimes_a_map(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    seed_datasets(real_world, 20, verified_share=1.0)
    shapes = [d["accuracy"]["fields"] for d in every_dataset(dataextractor, limit=100)]
    maps = [s for s in shapes if isinstance(s, dict)]
    assert maps and any(isinstance(s, list) for s in shapes)
    assert all(isinstance(score, float) for s in maps for score in s.values())
    assert "total_amount" in maps[0]


def test_bounding_box_is_sometimes_an_array_and_sometimes_missing(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    seed_datasets(real_world, 5)
    fields = [f for d in every_dataset(dataextractor, limit=100) for f in d["fields"]]
    arrays = [f["bounding_box"] for f in fields if isinstance(f.get("bounding_box"), list)]
    assert arrays and all(len(box) == 4 for box in arrays)
    assert any("bounding_box" not in f for f in fields)
    assert any(isinstance(f.get("bounding_box"), dict) for f in fields)


def test_listing_shifts_while_read_yet_returns_each_first_dataset_once(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    seed_datasets(real_world, 25)
    first = every_dataset(dataextractor, limit=10)
    ids = [d["id"] for d in first]
    assert len(ids) == len(set(ids)) == 25
    # Two later pages were read: two documents arrived meanwhile, at the head of the listing.
    head = dataextractor.get("/api/v1/datasets", params={"limit": 100}).json()["data"]
    assert {d["filename"] for d in head[:2]} == {"arrived_1.pdf", "arrived_2.pdf"}
    assert {d["id"] for d in head[2:]} == set(ids)


def test_shifting_listing_follows_the_filters(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    seed_datasets(real_world, 12, customer_ids=["cust_x", "cust_y"])
    params: dict[str, Any] = {"limit": 1, "customer_id": "cust_y", "dataset_type": "purchase_order"}
    assert len(every_dataset(dataextractor, **params)) == 3
    (head,) = dataextractor.get("/api/v1/datasets", params=params).json()["data"]
    assert head["filename"].startswith("arrived_")
    assert (head["customer_id"], head["dataset_type"]) == ("cust_y", "purchase_order")


class _Hooks(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        _Hooks.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def hooks() -> Iterator[tuple[str, list[bytes]]]:
    """A webhook receiver on 127.0.0.1 and the raw bodies it gets."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    _Hooks.bodies = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hooks.bodies
    server.shutdown()
    server.server_close()


def test_webhook_payload_created_at_has_an_offset_or_none(
    dataextractor: httpx.Client, control: EmulatorControl, hooks: tuple[str, list[bytes]]
) -> None:
    url, bodies = hooks
    control.set_profile("real-world")
    control.dataextractor_settings(processing_seconds=0)
    control.subscribe_dataextractor_webhook(url, "secret", account=ACCOUNT)
    before = datetime.now(UTC)
    for n in range(4):
        response = dataextractor.post("/api/v1/extract", files={"file": (f"{n}.pdf", PDF)})
        assert response.status_code == 202
    deadline = time.monotonic() + 5
    while len(bodies) < 4:
        assert time.monotonic() < deadline, "no webhook arrived"
        time.sleep(0.02)
    events = [json.loads(body) for body in bodies]
    assert all(spelling(e["created_at"]) != "Z" for e in events)
    assert all(abs(instant(e["created_at"]) - before) < timedelta(minutes=1) for e in events)


def delivered_events(
    dataextractor: httpx.Client,
    control: EmulatorControl,
    hooks: tuple[str, list[bytes]],
    uploads: int,
) -> list[dict[str, Any]]:
    """The webhook payloads of `uploads` documents processed at once (the clock stopped)."""
    url, bodies = hooks
    control.dataextractor_settings(processing_seconds=0)
    control.subscribe_dataextractor_webhook(url, "secret", account=ACCOUNT)
    for n in range(uploads):
        response = dataextractor.post("/api/v1/extract", files={"file": (f"{n}.pdf", PDF)})
        assert response.status_code == 202
    control.advance_clock(1)
    deadline = time.monotonic() + 5
    while len(bodies) < uploads:
        assert time.monotonic() < deadline, "not every webhook arrived"
        time.sleep(0.02)
    return [json.loads(body) for body in bodies]


def test_some_dataset_ids_are_digits_and_webhooks_name_them_by_a_json_number(
    dataextractor: httpx.Client, real_world: EmulatorControl, hooks: tuple[str, list[bytes]]
) -> None:
    events = delivered_events(dataextractor, real_world, hooks, 8)
    named = [e["data"]["dataset_id"] for e in events]
    numbers = [n for n in named if isinstance(n, int)]
    assert numbers and any(isinstance(n, str) and n.startswith("ds_") for n in named)
    assert all(n < 2**53 for n in numbers)
    listed = {d["id"] for d in every_dataset(dataextractor, limit=100)}
    assert {str(n) for n in named} == listed
    assert all(isinstance(dataset_id, str) for dataset_id in listed)


def test_some_webhook_statuses_come_in_another_case_as_their_dataset_s_do(
    dataextractor: httpx.Client, real_world: EmulatorControl, hooks: tuple[str, list[bytes]]
) -> None:
    events = delivered_events(dataextractor, real_world, hooks, 8)
    statuses = [e["data"]["status"] for e in events]
    assert {status.lower() for status in statuses} == {"complete"}
    assert {case_of(status) for status in statuses} == STATUS_CASES
    listed = {d["id"]: d["status"] for d in every_dataset(dataextractor, limit=100)}
    assert {str(e["data"]["dataset_id"]): e["data"]["status"] for e in events} == listed


def test_some_dataset_statuses_come_in_another_case(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    seed_datasets(real_world, 30, verified_share=0.2, failed_share=0.3, processing_share=0.3)
    statuses = [d["status"] for d in every_dataset(dataextractor, limit=100)]
    assert {status.lower() for status in statuses} == {"complete", "failed", "processing"}
    assert {case_of(status) for status in statuses} == STATUS_CASES


def test_some_number_values_are_beyond_float64(
    dataextractor: httpx.Client, real_world: EmulatorControl
) -> None:
    seed_datasets(real_world)
    response = dataextractor.get("/api/v1/datasets", params={"limit": 100})
    fields = [
        field
        for dataset in loads(response.content)["data"]
        for field in [*dataset["fields"], *(f for i in dataset["line_items"] for f in i["fields"])]
    ]
    beyond = [f for f in fields if isinstance(f["value"], Beyond)]
    assert beyond and {f["type"] for f in beyond} <= {"number", "currency"}
    assert any(isinstance(f["value"], int | float) for f in fields)
    assert b"Infinity" not in response.content


def test_dataextractor_s_new_shapes_are_the_same_for_the_same_seed(
    control: EmulatorControl, emulator: EmulatorServer
) -> None:
    def listing() -> str:
        control.add_dataextractor_key("real-world", account=ACCOUNT)
        seed_datasets(control, verified_share=0.2, failed_share=0.3, processing_share=0.3)
        with client_of(emulator, "dataextractor", "real-world") as client:
            return client.get("/api/v1/datasets", params={"limit": 100}).text

    first = after_a_reset(control, 0, listing)
    assert "1e400" in first and '"COMPLETE"' in first
    assert after_a_reset(control, 0, listing) == first
    assert after_a_reset(control, 1, listing) != first


# --- Linkup -------------------------------------------------------------------------------


def test_linkup_times_are_offsets_or_naive_for_the_same_instant(
    linkup: httpx.Client, frozen: EmulatorControl
) -> None:
    frozen.seed_linkup_tasks(12)
    before = {
        t["id"]: t for t in linkup.get("/v1/extract", params={"pageSize": 100}).json()["data"]
    }
    frozen.set_profile("real-world")
    after = linkup.get("/v1/extract", params={"pageSize": 100}).json()["data"]
    assert {spelling(t[k]) for t in after for k in ("createdAt", "updatedAt")} == {
        "+02:00",
        "-05:00",
        "+05:30",
        "naive",
    }
    for task in after:
        for key in ("createdAt", "updatedAt"):
            exact = instant(before[task["id"]][key])
            if "." not in task[key]:
                exact = exact.replace(microsecond=0)
            assert instant(task[key]) == exact


def created_tasks(linkup: httpx.Client, control: EmulatorControl, count: int) -> list[str]:
    """`count` tasks created 0.3 s apart, all of them completed since; their ids."""
    ids = []
    for n in range(count):
        ids.append(create_task(linkup, q=f"team {n}")["id"])
        control.advance_clock(0.3)
    control.advance_clock(PAST_COMPLETION)
    return ids


def into_a_whole_second(control: EmulatorControl, seed: int = 0, *, whole: bool = True) -> None:
    """Moves the stopped clock to 0.05 s into the next second whose instants Linkup writes to
    the second under the profile's `seed` (with `whole=False`: to their millisecond)."""
    now = control.now().timestamp()
    second = math.floor(now) + 1
    while whole_second(seed, second) != whole:
        second += 1
    control.advance_clock(second + 0.05 - now)


def test_tasks_of_some_seconds_share_a_time_written_to_the_second(
    linkup: httpx.Client, real_world: EmulatorControl
) -> None:
    into_a_whole_second(real_world)
    shared = set()
    for _ in range(3):
        shared.add(create_task(linkup)["id"])
        real_world.advance_clock(0.3)
    tasks = linkup.get("/v1/extract", params={"pageSize": 100}).json()["data"]
    assert len({instant(t["createdAt"]) for t in tasks if t["id"] in shared}) == 1
    assert all("." not in t["createdAt"] for t in tasks if t["id"] in shared)


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_tasks_sharing_a_second_are_listed_oldest_first_in_either_direction(
    linkup: httpx.Client, real_world: EmulatorControl, direction: str
) -> None:
    into_a_whole_second(real_world)
    ids = []
    for _ in range(3):
        ids.append(create_task(linkup)["id"])
        real_world.advance_clock(0.3)
    params = {"pageSize": 100, "sortBy": "createdAt", "sortDirection": direction}
    listed = [t["id"] for t in linkup.get("/v1/extract", params=params).json()["data"]]
    assert listed == ids


def test_times_written_to_the_second_or_not_keep_the_order_of_the_instants(
    linkup: httpx.Client, real_world: EmulatorControl
) -> None:
    # Tasks in a second written whole and in one written to the millisecond, then any.
    into_a_whole_second(real_world)
    created_tasks(linkup, real_world, 2)
    into_a_whole_second(real_world, whole=False)
    created_tasks(linkup, real_world, 2)
    created_tasks(linkup, real_world, 12)
    tasks = linkup.get("/v1/extract", params={"pageSize": 100}).json()["data"]
    written = [t["createdAt"] for t in tasks]
    assert any("." in text for text in written) and any("." not in text for text in written)
    moments = [instant(text) for text in written]
    assert moments == sorted(moments, reverse=True)


def test_some_task_statuses_come_in_another_case(
    linkup: httpx.Client, real_world: EmulatorControl
) -> None:
    ids = created_tasks(linkup, real_world, 12)
    statuses = [get_task(linkup, task_id)["status"] for task_id in ids]
    assert {status.lower() for status in statuses} == {"completed"}
    assert {case_of(status) for status in statuses} == STATUS_CASES
    listed = linkup.get("/v1/extract", params={"pageSize": 100}).json()["data"]
    assert sorted(t["status"] for t in listed) == sorted(statuses)


PRICED = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
    "required": ["name", "price"],
}


def result_rows(linkup: httpx.Client, control: EmulatorControl, q: str) -> list[dict[str, Any]]:
    """The rows of a completed task of `PRICED` rows, numbers beyond float64 kept as text."""
    created = create_task(linkup, q=q, schema=PRICED)
    control.advance_clock(PAST_COMPLETION)
    url = get_task(linkup, created["id"])["output"]["resultUrl"]
    return [loads(line) for line in httpx.get(url).content.splitlines()]


def test_result_files_of_a_schema_with_numbers_hold_some_beyond_float64(
    linkup: httpx.Client, real_world: EmulatorControl
) -> None:
    real_world.add_linkup_scenario("priced", rows=400)
    prices = [row["price"] for row in result_rows(linkup, real_world, "priced items")]
    beyond = [price for price in prices if isinstance(price, Beyond)]
    assert beyond and len(beyond) < len(prices) // 10
    assert all(isinstance(price, Beyond | float | int) for price in prices)
    real_world.set_profile("default")
    assert all(
        isinstance(row["price"], float | int)
        for row in result_rows(linkup, real_world, "priced items")
    )


def test_linkup_s_new_shapes_are_the_same_for_the_same_seed(
    control: EmulatorControl, linkup: httpx.Client
) -> None:
    # Which seconds are written whole follows the clock, which a reset sets to the real time:
    # `test_tasks_of_some_seconds_share_a_time_written_to_the_second` pins it to the seed.
    def shapes() -> tuple[list[str], list[Any]]:
        control.add_linkup_scenario("priced", rows=400)
        ids = created_tasks(linkup, control, 6)
        statuses = [get_task(linkup, task_id)["status"] for task_id in ids]
        return statuses, [row["price"] for row in result_rows(linkup, control, "priced items")]

    first = after_a_reset(control, 0, shapes)
    statuses, prices = first
    assert any(case_of(status) != "as-is" for status in statuses)
    assert any(isinstance(price, Beyond) for price in prices)
    assert after_a_reset(control, 0, shapes) == first
    assert after_a_reset(control, 1, shapes) != first


def test_unfinished_and_failed_tasks_carry_a_partial_output(
    linkup: httpx.Client, real_world: EmulatorControl
) -> None:
    real_world.add_linkup_scenario("broken", fail="Site unreachable")
    pending = create_task(linkup)
    assert (pending["status"].lower(), pending["output"]) == ("pending", {"creditsUsed": 0})
    real_world.advance_clock(0.5)
    assert get_task(linkup, pending["id"])["output"] == {"creditsUsed": 0}
    failed = create_task(linkup, q="broken site")
    real_world.advance_clock(PAST_COMPLETION)
    assert get_task(linkup, failed["id"])["status"].lower() == "failed"
    assert get_task(linkup, failed["id"])["output"] == {"creditsUsed": 0}
    completed = get_task(linkup, pending["id"])["output"]
    assert set(completed) == {"creditsUsed", "resultUrl", "rowsReturned"}


def test_result_files_come_gzip_compressed_and_ranges_count_compressed_bytes(
    linkup: httpx.Client, real_world: EmulatorControl
) -> None:
    real_world.add_linkup_scenario("rows", rows=200)
    created = create_task(linkup, q="rows")
    real_world.advance_clock(PAST_COMPLETION)
    url = get_task(linkup, created["id"])["output"]["resultUrl"]
    identity = {"Accept-Encoding": "identity"}
    with httpx.stream("GET", url, headers=identity) as whole:
        compressed = b"".join(whole.iter_raw())
    assert whole.headers["content-encoding"] == "gzip"
    with httpx.stream("GET", url, headers={**identity, "Range": "bytes=100-"}) as rest:
        assert rest.status_code == 206
        assert b"".join(rest.iter_raw()) == compressed[100:]
    real_world.set_profile("default")
    plain = httpx.get(url, headers=identity)
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(compressed) == plain.content


def test_get_and_listing_echo_only_q_and_url(
    linkup: httpx.Client, real_world: EmulatorControl
) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    created = create_task(linkup, schema=schema, verifyUrls=True)
    assert set(created["input"]) == {"q", "url", "schema", "verifyUrls"}
    expected = {"q": created["input"]["q"], "url": created["input"]["url"]}
    assert get_task(linkup, created["id"])["input"] == expected
    assert linkup.get("/v1/extract").json()["data"][0]["input"] == expected


def test_unknown_task_ids_answer_404_in_either_shape(
    linkup: httpx.Client, real_world: EmulatorControl
) -> None:
    answers = {f"xyz{n}": linkup.get(f"/v1/extract/xyz{n}") for n in range(8)}
    assert {a.status_code for a in answers.values()} == {404}
    nest = {name: a.json() for name, a in answers.items() if "message" in a.json()}
    documented = [a.json() for a in answers.values() if isinstance(a.json().get("error"), dict)]
    assert nest and documented
    for name, body in nest.items():
        assert body == {
            "statusCode": 404,
            "message": f"Cannot GET /v1/extract/{name}",
            "error": "Not Found",
        }
    assert {body["error"]["code"] for body in documented} == {"TASK_NOT_FOUND"}


def test_unknown_route_is_nestjs_404(linkup: httpx.Client, real_world: EmulatorControl) -> None:
    response = linkup.get("/v1/nothing/here")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "message": "Cannot GET /v1/nothing/here",
        "error": "Not Found",
    }


def test_linkup_401_is_nestjs_shaped(linkup_url: str, real_world: EmulatorControl) -> None:
    response = httpx.get(f"{linkup_url}/v1/extract", headers={"Authorization": "Bearer nope"})
    assert (response.status_code, response.json()) == (
        401,
        {"statusCode": 401, "message": "Unauthorized"},
    )


def test_linkup_502_is_a_gateway_body(linkup: httpx.Client, real_world: EmulatorControl) -> None:
    real_world.add_fault("status", status=502, provider="linkup", times=1)
    response = linkup.get("/v1/extract")
    assert (response.status_code, response.json()) == (502, {"error": "Bad Gateway"})
    real_world.add_fault("status", status=500, provider="linkup", times=1)
    assert linkup.get("/v1/extract").json()["error"]["code"] == "INTERNAL_SERVER_ERROR"


# --- Extract.to ---------------------------------------------------------------------------


def synced_demo(api: httpx.Client, control: EmulatorControl, first: str, last: str) -> str:
    """Sync the demo extract over `first..last`; returns its data table id."""
    demo = control.extractto_demo()
    body = {"date_from": first, "date_to": last}
    assert api.post(f"/extracts/{demo['extract_id']}/run", json=body).status_code == 200
    control.advance_clock(PAST_COMPLETION)
    return demo["data_table_id"]


def every_row(api: httpx.Client, table_id: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a data table, following `next_cursor`."""
    found: list[dict[str, Any]] = []
    while True:
        page = api.get(f"/data-tables/{table_id}/rows", params=params).json()
        found += page["data"]
        if page["next_cursor"] is None:
            return found
        params["cursor"] = page["next_cursor"]


def test_extract_times_have_offsets_for_the_same_instant(
    extractto: httpx.Client, frozen: EmulatorControl
) -> None:
    synced_demo(extractto, frozen, "2026-03-01", "2026-03-02")
    (before,) = extractto.get("/extracts").json()["data"]
    frozen.set_profile("real-world")
    (after,) = extractto.get("/extracts").json()["data"]
    for key in ("created_at", "last_sync"):
        assert spelling(after[key]) in ("+02:00", "-05:00", "+05:30", "-08:00")
    assert instant(after["created_at"]) == instant(before["created_at"])
    connection = extractto.get(f"/connections/{after['connection_id']}").json()
    assert spelling(connection["created_at"]) != "Z"


def test_last_sync_is_stamped_as_a_sync_starts(
    extractto: httpx.Client, real_world: EmulatorControl
) -> None:
    demo = real_world.extractto_demo()
    asked = real_world.now()
    body = {"date_from": "2026-03-01", "date_to": "2026-03-01"}
    answer = extractto.post(f"/extracts/{demo['extract_id']}/run", json=body).json()
    assert answer["status"].lower() == "syncing"
    assert instant(answer["last_sync"]) == asked
    real_world.advance_clock(PAST_COMPLETION)
    (done,) = extractto.get("/extracts").json()["data"]
    assert (done["status"].lower(), instant(done["last_sync"])) == ("active", asked)


def test_insert_date_has_no_offset(extractto: httpx.Client, real_world: EmulatorControl) -> None:
    table = synced_demo(extractto, real_world, "2026-03-01", "2026-03-01")
    last_sync = extractto.get("/extracts").json()["data"][0]["last_sync"]
    inserted = {row["__insert_date"] for row in every_row(extractto, table)}
    (text,) = inserted
    assert len(text) == 19 and text[10] == " "
    # Written as the sync ends (1 s after it began, the time its `last_sync` tells), truncated.
    assert timedelta(0) <= instant(text) - instant(last_sync) <= timedelta(seconds=1)


def test_some_row_dates_are_timestamps_of_the_same_utc_day(
    extractto: httpx.Client, real_world: EmulatorControl
) -> None:
    table = synced_demo(extractto, real_world, "2026-03-01", "2026-03-05")
    found = every_row(extractto, table, date_from="2026-03-02", date_to="2026-03-04")
    stamps = [row["date"] for row in found if len(row["date"]) > 10]
    assert stamps and len(stamps) < len(found)
    days = {instant(stamp).date() for stamp in stamps}
    assert days <= {date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)}
    assert any(stamp[:10] != instant(stamp).date().isoformat() for stamp in stamps)
    plain = {row["date"] for row in found if len(row["date"]) == 10}
    assert plain == {"2026-03-02", "2026-03-03", "2026-03-04"}


def test_some_account_names_end_in_half_an_emoji_escaped_as_javascript_writes_it(
    extractto: httpx.Client, real_world: EmulatorControl
) -> None:
    table = synced_demo(extractto, real_world, "2026-03-01", "2026-03-05")
    answer = extractto.get(f"/data-tables/{table}/rows", params={"limit": 10_000})
    assert (
        answer.content.count(b' \\ud83d"')
        == sum(row["account_name"].endswith(" \ud83d") for row in answer.json()["data"])
        > 0
    )
    names = {row["account_name"].removesuffix(" \ud83d") for row in answer.json()["data"]}
    assert not any("\ud83d" in name for name in names)


def test_served_rows_keep_their_own_values(
    extractto: httpx.Client, real_world: EmulatorControl
) -> None:
    demo = real_world.extractto_demo()
    given = {"date": "2026-03-01", "value": 1, "__insert_date": "given"}
    real_world.set_extractto_served_rows(demo["extract_id"], {"2026-03-01": [given] * 3})
    table = synced_demo(extractto, real_world, "2026-03-01", "2026-03-01")
    assert every_row(extractto, table) == [given] * 3


def test_some_extract_and_run_statuses_come_in_another_case(
    extractto: httpx.Client, real_world: EmulatorControl
) -> None:
    for n in range(8):
        real_world.add_extractto_extract(f"Extract {n}")
    connection = real_world.add_extractto_connection("Runs")
    runs = []
    for _ in range(6):
        answer = extractto.post(f"/connections/{connection['id']}/run")
        assert answer.status_code == 202, answer.text
        runs.append(answer.json()["status"])
        real_world.advance_clock(3600)
    extracts = [e["status"] for e in extractto.get("/extracts").json()["data"]]
    assert {status.lower() for status in extracts} == {"active"}
    assert {status.lower() for status in runs} == {"queued"}
    assert {case_of(status) for status in extracts + runs} == STATUS_CASES


def number_columns(extractto: httpx.Client, table_id: str) -> set[str]:
    columns = extractto.get(f"/data-tables/{table_id}").json()["columns"]
    return {c["name"] for c in columns if c["type"] == "number"}


def test_some_rows_hold_a_number_beyond_float64_in_a_number_column(
    extractto: httpx.Client, real_world: EmulatorControl
) -> None:
    table = synced_demo(extractto, real_world, "2026-03-01", "2026-03-10")
    answer = extractto.get(f"/data-tables/{table}/rows", params={"limit": 10_000})
    found = loads(answer.content)["data"]
    beyond = [name for row in found for name, v in row.items() if isinstance(v, Beyond)]
    assert beyond and len(beyond) < len(found) // 10
    assert set(beyond) <= number_columns(extractto, table)
    assert b"Infinity" not in answer.content


def test_extractto_s_new_shapes_are_the_same_for_the_same_seed(
    control: EmulatorControl, extractto: httpx.Client
) -> None:
    def shapes() -> tuple[list[str], list[dict[str, Any]]]:
        table = synced_demo(extractto, control, "2026-03-01", "2026-03-10")
        for n in range(4):
            control.add_extractto_extract(f"Extract {n}")
        statuses = [e["status"] for e in extractto.get("/extracts").json()["data"]]
        found = every_row(extractto, table)
        return statuses, [{k: v for k, v in r.items() if k != "__insert_date"} for r in found]

    first = after_a_reset(control, 0, shapes)
    statuses, found = first
    assert any(case_of(status) != "as-is" for status in statuses)
    assert any(value in (math.inf, -math.inf) for row in found for value in row.values())
    assert after_a_reset(control, 0, shapes) == first
    assert after_a_reset(control, 1, shapes) != first


def test_extractto_400_is_a_validation_list(
    extractto: httpx.Client, real_world: EmulatorControl
) -> None:
    response = extractto.get("/extracts", params={"limit": 0})
    assert response.status_code == 400
    (problem,) = response.json()["detail"]
    assert problem == {
        "loc": ["query"],
        "msg": "limit must be an integer between 1 and 200",
        "type": "value_error",
    }
    assert "x-request-id" in response.headers


def test_extractto_401_is_a_gateway_message(
    emulator: EmulatorServer, real_world: EmulatorControl
) -> None:
    with client_of(emulator, "extractto", "nope") as client:
        response = client.get("/extracts")
    assert (response.status_code, response.json()) == (401, {"message": "Invalid or missing token"})


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (500, "text/plain; charset=utf-8", "Internal Server Error"),
        (502, "application/json", '{"message":"Bad Gateway"}'),
    ],
)
def test_extractto_injected_server_errors_in_other_shapes(
    extractto: httpx.Client, real_world: EmulatorControl, status: int, content_type: str, body: str
) -> None:
    real_world.add_fault("status", status=status, provider="extractto", times=1)
    response = extractto.get("/extracts")
    assert (response.status_code, response.headers["content-type"]) == (status, content_type)
    assert response.text == body
    assert response.headers["x-request-id"]


# --- the fault body option (profile on or off) --------------------------------------------


def test_html_fault_body_is_a_proxy_page(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("status", status=502, body="html", times=1, path="^/v1/extract$")
    response = linkup.get("/v1/extract")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == "<html><body><h1>502 Bad Gateway</h1></body></html>"
    assert linkup.get("/v1/extract").status_code == 200


def test_text_fault_body_is_plain_text(emulator: EmulatorServer, control: EmulatorControl) -> None:
    control.add_fault("status", status=503, body="text", provider="dataextractor")
    with client_of(emulator, "dataextractor", "demo-dataextractor-key") as client:
        response = client.get("/api/v1/datasets")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "503 Service Unavailable"
    assert response.headers["x-request-id"].startswith("req_")


def test_empty_fault_body_has_no_content(extractto: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("status", status=404, body="empty", provider="extractto")
    response = extractto.get("/extracts")
    assert (response.status_code, response.content) == (404, b"")
    assert "content-type" not in response.headers
    assert response.headers["x-request-id"]


def test_truncated_json_fault_body_is_cut_off(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    control.add_fault("status", status=400, body="truncated_json")
    response = linkup.get("/v1/extract")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.text.startswith('{"statusCode":400,')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_fault_body_keeps_retry_after(linkup: httpx.Client, control: EmulatorControl) -> None:
    control.add_fault("status", status=429, body="html", times=1)
    response = linkup.get("/v1/extract")
    assert (response.status_code, response.headers["retry-after"]) == (429, "1")


def test_fault_body_is_for_status_faults_only(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError, match="status faults only"):
        control.add_fault("slow", body="html")
