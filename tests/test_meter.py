"""The time map (composer.meter): bars under changes of time signature, and beats to seconds
and back under changes of tempo, the one implementation the generator, playback and the
piece itself use."""

from __future__ import annotations

import pytest

from composer import meter
from composer.generate import signature_at, tempo_at
from composer.notes import Note, Piece, TempoChange, TimeSignature
from composer.playback import beat_at

TEMPOS = (TempoChange(0.0, 120.0), TempoChange(4.0, 60.0), TempoChange(8.0, 240.0))
SIGNATURES = (TimeSignature(0.0, 4, 4), TimeSignature(8.0, 3, 4))


def test_seconds_follow_every_tempo_change_and_beat_at_inverts_them():
    assert meter.seconds_at(TEMPOS, 4.0) == pytest.approx(2.0)
    assert meter.seconds_at(TEMPOS, 6.0) == pytest.approx(4.0)
    assert meter.seconds_at(TEMPOS, 10.0) == pytest.approx(6.5)
    assert meter.seconds_at(TEMPOS, -2.0) == pytest.approx(-1.0)  # the first tempo before 0
    for beat in (0.0, 1.5, 4.0, 7.25, 8.0, 12.0):
        assert meter.beat_at(TEMPOS, meter.seconds_at(TEMPOS, beat)) == pytest.approx(beat)


def test_no_tempo_means_120_bpm():
    assert meter.seconds_at((), 2.0) == pytest.approx(1.0)
    assert meter.beat_at((), 1.0) == pytest.approx(2.0)


def test_piece_playback_and_generate_share_the_map():
    piece = Piece(notes=(Note(0, 1, 60),), tempos=TEMPOS, time_signatures=SIGNATURES)
    assert piece.seconds_at(10.0) == meter.seconds_at(TEMPOS, 10.0)
    assert beat_at(piece, 5.0) == meter.beat_at(TEMPOS, 5.0)
    assert tempo_at(piece, 5.0) == meter.tempo_at(TEMPOS, 5.0) == 60.0
    assert signature_at(piece, 9.0) == meter.signature_at(SIGNATURES, 9.0) == SIGNATURES[1]


def test_bar_lines_follow_a_change_of_signature():
    assert meter.bar_lines(SIGNATURES, 0.0, 15.0) == [0.0, 4.0, 8.0, 11.0, 14.0]
    assert meter.bar_start(SIGNATURES, 12.5) == 11.0
    assert meter.next_bar_line(SIGNATURES, 8.5) == 11.0
    assert meter.bar_number_at(SIGNATURES, 12.0) == 4
