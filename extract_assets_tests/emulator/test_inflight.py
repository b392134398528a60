"""Requests in flight per provider, and the peak the control API serves."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from extract_assets.emulator import EmulatorControl, EmulatorServer

SLOW = 0.5


def _get_all(urls: list[str], headers: dict[str, str]) -> list[int]:
    """GET the URLs at once, each from its own thread and connection."""

    def get(url: str) -> int:
        return httpx.get(url, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(get, urls))


def test_no_request_means_no_peak(control: EmulatorControl) -> None:
    counts = control.in_flight()
    assert set(counts) == {"linkup", "extractto", "dataextractor"}
    assert all(c == {"in_flight": 0, "peak": 0} for c in counts.values())


def test_requests_one_after_another_peak_at_one(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    for _ in range(3):
        linkup.get("/v1/extract")
    assert control.in_flight()["linkup"] == {"in_flight": 0, "peak": 1}


def test_overlapping_slow_requests_peak_at_their_number(
    linkup_url: str, linkup_key: str, control: EmulatorControl
) -> None:
    control.add_fault("slow", provider="linkup", delay=SLOW)
    statuses = _get_all([f"{linkup_url}/v1/extract"] * 3, {"Authorization": f"Bearer {linkup_key}"})
    assert statuses == [200, 200, 200]
    assert control.in_flight()["linkup"] == {"in_flight": 0, "peak": 3}


def test_each_provider_has_its_own_count(
    emulator: EmulatorServer, control: EmulatorControl
) -> None:
    control.add_fault("slow", delay=SLOW)
    _get_all([f"{emulator.base_url('linkup')}/v1/extract"] * 2, {})
    counts = control.in_flight()
    assert counts["linkup"]["peak"] == 2
    assert counts["extractto"]["peak"] == 0


def test_refused_requests_count_too(linkup_url: str, control: EmulatorControl) -> None:
    control.add_fault("slow", provider="linkup", delay=SLOW)
    assert _get_all([f"{linkup_url}/v1/extract"] * 2, {}) == [401, 401]
    assert control.in_flight()["linkup"]["peak"] == 2


def test_control_requests_are_not_counted(control: EmulatorControl) -> None:
    control.health()
    control.requests()
    assert control.in_flight()["linkup"]["peak"] == 0


def test_resetting_the_peaks_starts_them_from_now(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    linkup.get("/v1/extract")
    assert control.reset_in_flight_peaks()["linkup"] == {"in_flight": 0, "peak": 0}


def test_reset_of_the_emulator_resets_the_peaks(
    linkup: httpx.Client, control: EmulatorControl
) -> None:
    linkup.get("/v1/extract")
    control.reset()
    assert control.in_flight()["linkup"]["peak"] == 0
