"""One rule for the temperature: the CLI's option, GenerationSettings.validate (the app and
live mode) and the app's slider agree on what is allowed."""

from __future__ import annotations

import argparse
import math

import pytest

from composer.commands import options
from composer.errors import SettingsError
from composer.generate import GenerationSettings
from composer.limits import TEMPERATURE_RANGE

VALUES = (-1.0, 0.0, 1e-320, 0.005, 0.0099, 0.01, 0.5, 1.0, 100.0, 100.5, 1e9,
          math.inf, -math.inf, math.nan)


def _cli_accepts(value: float) -> bool:
    try:
        options.TEMPERATURE(repr(value))
    except argparse.ArgumentTypeError:
        return False
    return True


def _settings_accept(value: float) -> bool:
    try:
        GenerationSettings(temperature=value).validate()
    except SettingsError as exc:
        assert "temperature" in str(exc) and "\n" not in str(exc)
        return False
    return True


@pytest.mark.parametrize("value", VALUES)
def test_the_cli_and_the_library_agree(value):
    low, high = TEMPERATURE_RANGE
    expected = low <= value <= high
    assert _cli_accepts(value) is expected
    assert _settings_accept(value) is expected


def test_the_message_names_the_range():
    with pytest.raises(SettingsError, match=r"temperature must be at least 0\.01 and at most "
                                            r"100 \(got 0\.005\)"):
        GenerationSettings(temperature=0.005).validate()


def test_the_app_slider_stays_inside_the_rule(qtbot):
    pytest.importorskip("PySide6")
    from gui.controls import GenerationControls

    widget = GenerationControls()
    qtbot.addWidget(widget)
    low, high = TEMPERATURE_RANGE
    for position in (widget.temperature.minimum(), widget.temperature.maximum()):
        widget.temperature.setValue(position)
        assert low <= widget.temperature_value() <= high
        widget.settings().validate()
