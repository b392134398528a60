"""The emulator clock, directly and through the control API."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from extract_assets.emulator import EmulatorControl
from extract_assets.emulator.clock import Clock, iso_z


def test_clock_starts_at_wall_time() -> None:
    assert abs(Clock().time() - time.time()) < 1


def test_advance_jumps_ahead() -> None:
    clock = Clock()
    before = clock.time()
    clock.advance(3600)
    assert 3600 <= clock.time() - before < 3601


def test_advance_refuses_to_go_back() -> None:
    with pytest.raises(ValueError, match="forward"):
        Clock().advance(-1)


def test_speed_zero_freezes_time() -> None:
    clock = Clock()
    clock.set_speed(0)
    frozen = clock.time()
    time.sleep(0.02)
    assert clock.time() == frozen


def test_speed_multiplies_real_time() -> None:
    clock = Clock()
    clock.set_speed(100)
    before = clock.time()
    time.sleep(0.05)
    assert clock.time() - before >= 5


def test_changing_speed_does_not_jump() -> None:
    clock = Clock()
    clock.advance(10)
    before = clock.time()
    clock.set_speed(0)
    assert 0 <= clock.time() - before < 0.01


def test_reset_returns_to_real_time_at_speed_one() -> None:
    clock = Clock()
    clock.advance(1000)
    clock.set_speed(5)
    clock.reset()
    assert clock.speed == 1 and abs(clock.time() - time.time()) < 1


def test_now_is_aware_utc() -> None:
    assert Clock().now().utcoffset() == timedelta(0)


def test_iso_z_has_milliseconds_and_z() -> None:
    assert iso_z(0.25) == "1970-01-01T00:00:00.250Z"


def test_control_advances_the_clock(control: EmulatorControl) -> None:
    before = control.now()
    after = control.advance_clock(86_400)
    assert after - before >= timedelta(days=1)


def test_control_reset_restores_real_time(control: EmulatorControl) -> None:
    control.advance_clock(86_400)
    control.set_speed(0)
    control.reset()
    first = control.now()
    time.sleep(0.02)
    assert timedelta(0) < control.now() - first < timedelta(hours=1)
    assert abs(control.now().timestamp() - time.time()) < 1
