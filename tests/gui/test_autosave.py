"""The autosave (gui/autosave.py) on real files: what is written comes back, with which notes
were generated and kept; damaged or missing files are no session."""

from __future__ import annotations

from composer.notes import Note, PedalSpan, Piece, TempoChange, TimeSignature
from gui.autosave import Autosave

PIECE = Piece(notes=(Note(0.0, 1.0, 60, 100), Note(1.0, 2.0, 64, 90), Note(4.0, 5.0, 67, 80),
                     Note(4.0, 5.0, 67, 80)),
              pedals=(PedalSpan(0.0, 2.0),), tempos=(TempoChange(0.0, 96.0),),
              time_signatures=(TimeSignature(0.0, 3, 4),), texts=("my title",))


def test_round_trip_with_kept_notes(tmp_path):
    autosave = Autosave(tmp_path / "data")
    assert not autosave.exists() and autosave.read() is None
    autosave.write(PIECE, kept=[Note(4.0, 5.0, 67, 80)], source="/music/song.mid")
    assert autosave.exists()
    snapshot = autosave.read()
    assert snapshot.piece.notes == PIECE.notes and snapshot.piece.pedals == PIECE.pedals
    assert snapshot.piece.bpm == 96.0 and snapshot.piece.time_signature.numerator == 3
    assert "composer autosave" not in snapshot.piece.texts  # its own marker is read past
    assert snapshot.origins == ["seed", "seed", "accepted", "seed"]  # one of the two kept
    assert snapshot.source == "/music/song.mid" and snapshot.saved_at > 0
    autosave.clear()
    assert not autosave.exists() and not any((tmp_path / "data").iterdir())


def test_damaged_files_are_no_session(tmp_path):
    autosave = Autosave(tmp_path)
    autosave.write(PIECE, kept=[], source=None)
    autosave.json_path.write_text("{not json")
    assert autosave.read() is None
    autosave.write(PIECE, kept=[], source=None)
    autosave.midi_path.write_bytes(b"MThd garbage")
    assert autosave.read() is None
    autosave.write(PIECE, kept=[], source=None)
    autosave.json_path.write_text("[1, 2]")  # valid JSON, wrong shape
    assert autosave.read() is None
