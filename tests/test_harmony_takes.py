"""Harmonizations as takes (composer/harmony_takes.py), with the shipped harmonizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.bundle_cache import BundleCache
from composer.errors import MidiFileError, SettingsError
from composer.harmonizer import harmonize
from composer.harmony_takes import (
    HarmonySettings,
    choose_melody,
    fit_voices,
    harmony_takes,
    load_for_takes,
    merge_harmony,
)
from composer.infill import with_take
from composer.notes import Note, Piece, TimeSignature

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "harmonizer"
pytestmark = pytest.mark.skipif(not (SHIPPED / "weights.npz").is_file(),
                                reason="the shipped harmonizer is not in this checkout")
FOUR_FOUR = (TimeSignature(0.0, 4, 4),)
# Au clair de la lune, 4 bars (benchmarks/harmonize.py)
LUNE = [Note(float(b), b + d, p, 90) for b, d, p in
        [(0, 1, 67), (1, 1, 67), (2, 1, 67), (3, 1, 69), (4, 2, 71), (6, 2, 69),
         (8, 1, 67), (9, 1, 71), (10, 1, 69), (11, 1, 69), (12, 4, 67)]]


@pytest.fixture(scope="module")
def harmonizer():
    return load_for_takes(SHIPPED)


def test_take_k_is_the_harmonization_with_seed_s_plus_k(harmonizer):
    takes = harmony_takes(harmonizer, LUNE, FOUR_FOUR, HarmonySettings(random_seed=40, takes=2))
    assert [t.index for t in takes] == [0, 1] and [t.random_seed for t in takes] == [40, 41]
    for take in takes:
        alone = harmonize(harmonizer.bundle, LUNE, FOUR_FOUR, random_seed=take.random_seed)
        assert (take.alto, take.tenor, take.bass) == (alone.alto, alone.tenor, alone.bass)
        assert take.melody == tuple(LUNE) and (take.start_beat, take.end_beat) == (0.0, 16.0)
        assert set(take.notes) <= set(take.alto + take.tenor + take.bass)
    assert takes[0].notes != takes[1].notes


def test_a_line_later_in_the_piece_is_harmonized_from_its_own_bar(harmonizer):
    later = [n.shifted(34.0) for n in LUNE]  # from beat 2 of bar 9 (a pick-up)
    take = harmony_takes(harmonizer, later, FOUR_FOUR, HarmonySettings(random_seed=3))[0]
    alone = harmonize(harmonizer.bundle, [n.shifted(2.0) for n in LUNE], FOUR_FOUR,
                      random_seed=3)
    assert take.alto == tuple(n.shifted(32.0) for n in alone.alto)
    assert take.bass == tuple(n.shifted(32.0) for n in alone.bass)
    assert all(34.0 <= n.start and n.end <= 50.0 for n in take.notes)


def test_three_four_from_a_later_bar_keeps_its_metre(harmonizer):
    sigs = (TimeSignature(0.0, 4, 4), TimeSignature(8.0, 3, 4))
    line = [Note(11.0 + i, 12.0 + i, p, 80) for i, p in enumerate([67, 69, 71, 72, 71, 69])]
    take = harmony_takes(harmonizer, line, sigs, HarmonySettings(random_seed=5))[0]
    alone = harmonize(harmonizer.bundle, [n.shifted(-11.0) for n in line],
                      (TimeSignature(0.0, 3, 4),), random_seed=5)
    assert take.tenor == tuple(n.shifted(11.0) for n in alone.tenor)


def test_a_chord_is_no_melody_but_one_note_and_a_top_line_are():
    with pytest.raises(SettingsError, match="chord, not a melody"):
        choose_melody([Note(0.0, 1.0, p) for p in (60, 64, 67)], "the selected notes")
    with pytest.raises(MidiFileError, match="no notes"):
        choose_melody([], "the piece")
    assert choose_melody([Note(0.0, 1.0, 60)]).notes == (Note(0.0, 1.0, 60),)
    top = choose_melody([Note(0.0, 1.0, 60), Note(0.0, 1.0, 67), Note(1.0, 2.0, 69)])
    assert top.polyphonic and top.dropped == 1 and [n.pitch for n in top.notes] == [67, 69]


def test_one_keyboard_one_key():
    melody = [Note(0.0, 2.0, 67), Note(2.0, 4.0, 64)]
    alto = [Note(0.0, 1.0, 67),  # the melody's key sounds: left out
            Note(1.0, 3.0, 64)]  # the melody strikes it at 2: cut there
    tenor = [Note(1.0, 2.0, 64)]  # the alto holds it (the alto comes first): left out
    bass = [Note(0.0, 4.0, 48)]
    assert fit_voices(melody, [alto, tenor, bass]) == (Note(0.0, 4.0, 48), Note(1.0, 2.0, 64))


def test_merge_keeps_every_note_of_the_piece_and_adds_the_voices(harmonizer):
    other = Note(0.0, 16.0, 40, 50)  # a note of the piece that is not the melody
    piece = Piece(notes=tuple(sorted(LUNE + [other])), time_signatures=FOUR_FOUR)
    take = harmony_takes(harmonizer, LUNE, FOUR_FOUR, HarmonySettings(random_seed=8),
                         piece_notes=piece.notes)[0]
    merged = with_take(piece, take)  # what the app plays and keeps
    assert merged == merge_harmony(piece, take)
    assert sorted(merged.notes) == sorted(piece.notes + take.notes)
    assert not any(n.pitch == 40 for n in take.notes)  # the held low E is not struck again


def test_the_cache_loads_the_harmonizer_once():
    cache = BundleCache(load_for_takes, lambda: SHIPPED)
    first = cache.get(None)
    assert cache.get(SHIPPED) is first and cache.cached(None) is first
    assert first.bundle.path == SHIPPED.resolve() and first.name
