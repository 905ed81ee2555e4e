"""The chorales as four voices on the grid: tokens, positions, transpositions, split, cache."""

from __future__ import annotations

import numpy as np
import pytest

from composer.chorales import (
    HOLD,
    REST,
    Chorale,
    load_chorales,
    melody_key,
    parse_chorale,
    pitch_token,
    position_class,
    token_notes,
    transpose,
    transpositions,
    voice_pitches,
    voice_tokens,
)
from composer.harmony_measures import is_chord, measure


def test_tokens_hold_rest_and_repeated_notes():
    notes = [(0.0, 1.0, 60), (1.0, 2.0, 60), (2.5, 3.0, 62)]  # a repeated note, a rest
    tokens = voice_tokens(notes, 6)
    assert tokens.tolist() == [pitch_token(60), HOLD, pitch_token(60), HOLD, REST,
                               pitch_token(62)]
    assert token_notes(tokens) == notes
    assert voice_pitches(tokens).tolist() == [60, 60, 60, 60, -1, 62]


def test_a_sixteenth_takes_its_step_if_free():
    tokens = voice_tokens([(0.0, 0.25, 64), (0.25, 1.0, 65)], 2)
    assert tokens.tolist() == [pitch_token(64), pitch_token(65)]


def test_positions_count_from_the_bar_lines():
    assert [position_class(s, 4) for s in (0, 7, 8)] == [0, 7, 0]
    assert [position_class(s, 3, pickup_steps=4) for s in (0, 1, 2)] == [12, 13, 8]


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    names = ["bach/bwv269", "bach/bwv347", "bach/bwv153.1"]
    return cache, names, load_chorales(cache, names=names)


def test_real_chorales_parse_into_four_voices(three):
    _cache, _names, chorales = three
    first = chorales[0]
    assert first.name == "bach/bwv269" and first.beats_per_bar == 3
    assert first.tokens.shape == (first.steps, 4)
    assert first.positions[0] == 12  # a two-beat pick-up in 3/4: starts on the 5th eighth
    assert first.tokens[0, 0] == pitch_token(67)  # G4, the melody's first note
    for chorale in chorales:
        for voice in range(4):
            pitches = voice_pitches(chorale.tokens[:, voice])
            assert (pitches >= 0).mean() > 0.9  # the voices sing nearly throughout
        assert (np.diff(voice_pitches(chorale.tokens[:, 3])) != 0).any()
        bach = measure(chorale.tokens)
        assert bach.consonant > 0.75  # Bach's chords are triads and sevenths


def test_cache_gives_the_same_arrays(three):
    cache, names, chorales = three
    assert list(cache.glob("chorales-v*.npz"))
    again = load_chorales(cache, names=names)
    for a, b in zip(chorales, again):
        assert a.name == b.name and a.split == b.split
        np.testing.assert_array_equal(a.tokens, b.tokens)
        np.testing.assert_array_equal(a.positions, b.positions)


def test_transpositions_keep_every_voice_in_range(three):
    _cache, _names, chorales = three
    ranges = ((57, 81), (53, 74), (48, 69), (36, 64))
    chorale = chorales[1]
    shifts = transpositions(chorale, ranges)
    assert 0 in shifts and len(shifts) >= 3
    for shift in shifts:
        moved = transpose(chorale.tokens, shift)
        assert ((moved == HOLD) == (chorale.tokens == HOLD)).all()
        for voice, (low, high) in enumerate(ranges):
            pitches = voice_pitches(moved[:, voice])
            sung = pitches[pitches >= 0]
            assert low <= sung.min() and sung.max() <= high


def test_the_split_follows_the_melody_not_the_key(three):
    _cache, _names, chorales = three
    chorale = chorales[0]
    assert melody_key(transpose(chorale.tokens, 3)[:, 0]) == melody_key(chorale.tokens[:, 0])
    again = parse_chorale(chorale.name)
    assert isinstance(again, Chorale) and again.split == chorale.split


def test_chords():
    assert is_chord({0, 4, 7}) and is_chord({2, 5, 9}) and is_chord({0, 4})
    assert is_chord({7, 11, 2, 5}) and is_chord({7, 11, 5})  # V7, V7 without its fifth
    assert not is_chord({0, 1}) and not is_chord({0}) and not is_chord({0, 2, 4})

