"""composer/measures.py on passages small enough to count by hand."""

import math

import numpy as np
import pytest

from composer.keys import estimate_key
from composer.measures import (
    beat_one_emphasis,
    ioi_histogram,
    measure,
    polyphony,
    rhythm_distance,
)
from composer.notes import Note, PedalSpan, TimeSignature

FOUR_FOUR = (TimeSignature(0.0, 4, 4),)


def eighths(bars: int, pitch: int = 60) -> list[Note]:
    return [Note(i * 0.5, i * 0.5 + 0.5, pitch) for i in range(bars * 8)]


def test_polyphony_counts_notes_sounding_together():
    chord = [Note(0, 1, 60), Note(0, 1, 64), Note(0, 1, 67)]
    assert polyphony(chord) == pytest.approx(3.0)
    assert polyphony([Note(0, 1, 60), Note(2, 3, 62)]) == pytest.approx(1.0)  # gaps don't count


def test_ioi_histogram_of_even_eighths_is_one_bin():
    histogram = ioi_histogram(eighths(1))
    assert histogram.sum() == pytest.approx(1.0)
    assert histogram.max() == pytest.approx(1.0)


def test_rhythm_distance_between_eighths_and_quarters_is_one():
    quarters = [Note(float(i), i + 1.0, 60) for i in range(8)]
    assert rhythm_distance(ioi_histogram(eighths(2)), ioi_histogram(quarters)) == 1.0
    assert rhythm_distance(ioi_histogram(eighths(2)), ioi_histogram(eighths(3))) == 0.0


def test_beat_one_emphasis_is_one_when_every_sixteenth_is_equally_full():
    sixteenths = [Note(i * 0.25, i * 0.25 + 0.25, 60) for i in range(32)]
    assert beat_one_emphasis(sixteenths, FOUR_FOUR, 0.0, 8.0) == pytest.approx(1.0)


def test_beat_one_emphasis_rises_with_a_downbeat_chord():
    notes = eighths(2) + [Note(b, b + 1, p) for b in (0.0, 4.0) for p in (36, 43, 48)]
    # beat one: 4 onsets per bar; mean over 16 slots: (8 eighths + 3) / 16
    assert beat_one_emphasis(notes, FOUR_FOUR, 0.0, 8.0) == pytest.approx(4 / (11 / 16))


def test_beat_one_emphasis_follows_the_time_signature():
    waltz = [Note(b, b + 1, 40) for b in (0.0, 3.0)] + [Note(b, b + 1, 60) for b in range(6)]
    three = (TimeSignature(0.0, 3, 4),)
    assert beat_one_emphasis(waltz, three, 0.0, 6.0) == pytest.approx(2 / (4 / 12))
    assert math.isnan(beat_one_emphasis([], three, 0.0, 0.0))


def test_measure_describes_a_passage():
    notes = [Note(0, 1, 60, 50), Note(1, 2, 62, 70), Note(2, 3, 64, 70), Note(3, 4, 65, 90),
             Note(4, 5, 61, 90)]  # C# is outside C major
    key = estimate_key(notes[:4])
    m = measure(notes, [PedalSpan(0.0, 2.0)], FOUR_FOUR, 0.0, 4.0, key)
    assert m.notes == 4  # the note at beat 4 lies outside [0, 4)
    assert m.notes_per_beat == pytest.approx(1.0)
    assert m.distinct_velocities == 3
    assert m.pedal_share == pytest.approx(0.5)
    assert m.key_share == pytest.approx(1.0)
    assert m.mean_pitch == pytest.approx(np.mean([60, 62, 64, 65]))
