"""composer.notes: the beat-based types and the tempo map."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composer.notes import Note, PedalSpan, Piece, TempoChange, TimeSignature, fold_pitch


def test_seconds_follow_every_tempo_change():
    piece = Piece(notes=(), tempos=(TempoChange(0, 120), TempoChange(4, 60), TempoChange(6, 240)))
    assert piece.seconds_at(0) == 0
    assert piece.seconds_at(4) == pytest.approx(2.0)
    assert piece.seconds_at(5) == pytest.approx(3.0)
    assert piece.seconds_at(8) == pytest.approx(4.0 + 0.5)
    assert piece.seconds_at(-1) == pytest.approx(-0.5)  # the first tempo covers the pickup
    assert Piece(notes=(), tempos=()).seconds_at(2) == pytest.approx(1.0)  # 120 by default


def test_piece_summaries():
    piece = Piece(
        notes=(Note(0, 1, 60), Note(2, 3.5, 64)),
        pedals=(PedalSpan(3, 4),),
        tempos=(TempoChange(0, 90),),
        time_signatures=(TimeSignature(0, 6, 8),),
    )
    assert piece.end_beat == 4
    assert piece.bpm == 90
    assert piece.time_signature.beats_per_bar == 3.0
    assert Piece(notes=()).end_beat == 0
    assert Piece(notes=(), tempos=(), time_signatures=()).time_signature == TimeSignature(0)


def test_with_notes_sorts_and_keeps_the_rest():
    piece = Piece(notes=(), pedals=(PedalSpan(0, 1),), program=7)
    new = piece.with_notes([Note(2, 3, 60), Note(0, 1, 62)])
    assert new.notes == (Note(0, 1, 62), Note(2, 3, 60))
    assert new.pedals == piece.pedals and new.program == 7
    assert piece.with_notes([], [PedalSpan(5, 6), PedalSpan(1, 2)]).pedals == (
        PedalSpan(1, 2), PedalSpan(5, 6))


def test_shifted_and_duration():
    assert Note(1, 2.5, 60).shifted(2) == Note(3, 4.5, 60)
    assert Note(1, 2.5, 60).duration == 1.5
    assert PedalSpan(0, 1).shifted(-1) == PedalSpan(-1, 0)


@given(st.integers(-10**6, 10**6), st.integers(0, 100), st.integers(11, 60))
def test_fold_pitch_moves_by_octaves_into_range(pitch, low, span):
    high = low + span
    folded = fold_pitch(pitch, low, high)
    assert low <= folded <= high
    assert (folded - pitch) % 12 == 0
    if low <= pitch <= high:
        assert folded == pitch
    else:  # the nearest octave inside the range
        assert not low <= folded + (12 if pitch > high else -12) <= high


def test_fold_pitch_needs_an_octave():
    with pytest.raises(ValueError, match="narrower than an octave"):
        fold_pitch(50, 60, 65)
