"""composer.vocabulary: the id layout every model depends on, and its JSON form."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composer.errors import ModelBundleError
from composer.vocabulary import TokenizerSettings, Vocabulary

VOCAB = Vocabulary(TokenizerSettings())


def test_default_layout_is_stable():
    """Changing these numbers silently breaks every saved model: change them on purpose only."""
    assert len(VOCAB) == 3 + 88 + 88 + 48 + 16 + 2 == 245
    assert VOCAB.names[:3] == ("PAD", "BOS", "EOS")
    assert (VOCAB.pad, VOCAB.bos, VOCAB.eos) == (0, 1, 2)
    assert VOCAB.names[VOCAB.note_on(21)] == "NOTE_ON_21"
    assert VOCAB.names[VOCAB.note_on(108)] == "NOTE_ON_108"
    assert VOCAB.names[VOCAB.note_off(60)] == "NOTE_OFF_60"
    assert VOCAB.names[VOCAB.shift(1)] == "SHIFT_1"
    assert VOCAB.names[VOCAB.shift(48)] == "SHIFT_48"
    assert VOCAB.names[VOCAB.velocity(7)] == "VELOCITY_7"
    assert (VOCAB.pedal_on, VOCAB.pedal_off) == (243, 244)
    assert all(VOCAB.ids[name] == i for i, name in enumerate(VOCAB.names))


def test_without_pedal_there_are_no_pedal_ids():
    vocab = Vocabulary(TokenizerSettings(pedal=False))
    assert vocab.pedal_on is None and vocab.pedal_off is None
    assert len(vocab) == len(VOCAB) - 2


def test_json_round_trip():
    vocab = Vocabulary(TokenizerSettings(steps_per_beat=4, velocity_bins=16, pedal=False))
    assert Vocabulary.from_json(vocab.to_json()) == vocab


@pytest.mark.parametrize(
    "text, words",
    [
        ("not json", "not a valid vocabulary"),
        ("[1, 2]", "not a valid vocabulary"),
        ('{"names": []}', "not a valid vocabulary"),
        ('{"settings": {"steps_per_beat": 0}, "names": []}', "not a valid vocabulary"),
        ('{"settings": {"colour": "red"}, "names": []}', "not a valid vocabulary"),
        ('{"settings": {}, "names": ["PAD"]}', "do not match"),
    ],
    ids=["not-json", "a-list", "no-settings", "bad-settings", "unknown-setting", "wrong-names"],
)
def test_bad_json_is_a_bundle_error(text, words):
    with pytest.raises(ModelBundleError, match=words) as caught:
        Vocabulary.from_json(text, source="model/vocabulary.json")
    assert str(caught.value).startswith("model/vocabulary.json: ")


def test_names_are_checked_not_just_the_count():
    data = json.loads(VOCAB.to_json())
    data["names"][5], data["names"][6] = data["names"][6], data["names"][5]
    with pytest.raises(ModelBundleError, match="do not match"):
        Vocabulary.from_json(json.dumps(data))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"steps_per_beat": 0}, {"max_shift_steps": 0}, {"velocity_bins": 0},
        {"velocity_bins": 128}, {"default_velocity": 0}, {"pitch_low": 60, "pitch_high": 70},
        {"pitch_low": -1}, {"pitch_high": 128},
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()),
)
def test_impossible_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        TokenizerSettings(**kwargs)


@given(st.integers(1, 127), st.integers(-50, 300))
def test_velocity_bins_cover_every_velocity(bins, velocity):
    settings = TokenizerSettings(velocity_bins=bins)
    b = settings.velocity_bin(velocity)
    assert 0 <= b < bins
    middle = settings.bin_velocity(b)
    assert 1 <= middle <= 127
    assert settings.velocity_bin(middle) == b  # a bin decodes to a velocity inside itself
    if 1 <= velocity <= 127 and velocity < 127:
        assert settings.velocity_bin(velocity + 1) >= b  # bins are ordered
