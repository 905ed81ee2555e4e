"""Key estimation on hand-made scales and pieces, and on a real chorale (music21 as referee)."""

from __future__ import annotations

import pytest

from composer.keys import Key, estimate_key
from composer.notes import Note


def melody(pitches, beat=1.0):
    return [Note(i * beat, (i + 1) * beat, p) for i, p in enumerate(pitches)]


def chords(*chord_list, beats=2.0):
    return [Note(i * beats, (i + 1) * beats, p)
            for i, chord in enumerate(chord_list) for p in chord]


def test_c_major_scale():
    key = estimate_key(melody([60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60]))
    assert (key.tonic, key.mode) == (0, "major")
    assert key.name == "C major"


def test_a_minor_piece_with_its_leading_tone():
    notes = melody([69, 71, 72, 74, 76, 74, 72, 71, 69, 68, 69, 64, 69])
    notes += chords((45, 57, 60, 64), (40, 56, 59, 64), (45, 57, 60, 64), (38, 53, 57, 62),
                    (40, 56, 59, 64), (45, 57, 60, 64))
    key = estimate_key(notes)
    assert key.name == "A minor"
    assert key.contains(68) and key.contains(66)  # G# and F# (harmonic and melodic minor)
    assert not key.contains(70)


@pytest.mark.parametrize("shift", [2, 5, 7, 10])
def test_transposed_scale_moves_the_key(shift):
    key = estimate_key(melody([p + shift for p in (60, 62, 64, 65, 67, 69, 71, 72, 67, 60)]))
    assert (key.tonic, key.mode) == (shift % 12, "major")


def test_scales_have_the_right_pitch_classes():
    assert Key(7, "major").scale == frozenset({7, 9, 11, 0, 2, 4, 6})
    assert len(Key(9, "minor").scale) == 9


def test_no_notes_is_a_value_error():
    with pytest.raises(ValueError):
        estimate_key([])


def test_real_chorale_agrees_with_music21(tmp_path):
    """bwv66.6 is in F# minor; music21's Krumhansl analysis is the referee."""
    import music21

    from composer.midi_io import read_midi

    score = music21.corpus.parse("bach/bwv66.6")
    expected = score.analyze("krumhansl")
    path = tmp_path / "bwv66.mid"
    score.write("midi", fp=str(path))
    key = estimate_key(read_midi(path).notes)
    assert key.tonic == expected.tonic.pitchClass
    assert key.mode == expected.mode
