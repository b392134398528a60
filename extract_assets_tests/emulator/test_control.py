"""Control routes not covered elsewhere: payload validation and Linkup settings and keys."""

from __future__ import annotations

import pytest

from extract_assets.emulator import EmulatorControl, EmulatorControlError


def test_linkup_settings_have_documented_defaults(control: EmulatorControl) -> None:
    assert control.linkup_settings() == {
        "max_in_flight": 100,
        "result_url_ttl": 86_400,
        "pending_seconds": 0.3,
        "processing_seconds": 0.7,
    }


def test_linkup_settings_change_only_what_is_given(control: EmulatorControl) -> None:
    settings = control.linkup_settings(max_in_flight=3)
    assert (settings["max_in_flight"], settings["pending_seconds"]) == (3, 0.3)


def test_reset_restores_settings_and_the_default_key_only(control: EmulatorControl) -> None:
    control.linkup_settings(max_in_flight=3)
    control.add_linkup_key("extra")
    control.reset()
    assert control.linkup_settings()["max_in_flight"] == 100
    (key,) = control.linkup_keys()
    assert (key["key"], key["credits"], key["extract_enabled"]) == ("demo-linkup-key", None, True)


def test_key_without_org_gets_an_organization_of_its_own(control: EmulatorControl) -> None:
    assert control.add_linkup_key("solo") not in ("demo-org", "solo")


def test_bad_payload_is_refused_with_the_field(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError, match="max_in_flight"):
        control.linkup_settings(max_in_flight=-1)


def test_clock_cannot_go_back(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError, match="advance"):
        control.advance_clock(-5)
