"""The edited piece: ids, origins and undo/redo of every kind of edit."""

from composer.notes import Note, PedalSpan, Piece, TempoChange, TimeSignature
from gui.document import ACCEPTED, SEED, Document, RollNote


def notes_of(doc):
    return sorted((rn.note, rn.origin) for rn in doc.notes.values())


def test_edits_undo_and_redo(qapp):
    doc = Document()
    doc.load(Piece(notes=(Note(0, 1, 60), Note(1, 2, 62))))
    before = notes_of(doc)
    first = min(doc.notes)
    ids = doc.add_notes([Note(2, 3, 64, 90)], ACCEPTED, "Keep take 1")
    doc.change_notes({first: Note(0.5, 1.5, 61)})
    doc.remove_notes(ids)
    assert notes_of(doc) == [(Note(0.5, 1.5, 61), SEED), (Note(1, 2, 62), SEED)]
    assert doc.is_modified()
    for _ in range(3):
        doc.undo_stack.undo()
    assert notes_of(doc) == before and not doc.is_modified()
    doc.undo_stack.redo()
    assert (Note(2, 3, 64, 90), ACCEPTED) in notes_of(doc)
    assert doc.undo_stack.undoText() == "Keep take 1"


def test_trim_moves_the_range_to_the_start_and_undoes(qapp):
    doc = Document()
    piece = Piece(
        notes=(Note(0, 1, 60), Note(3.5, 5, 62), Note(6, 7, 64), Note(9, 10, 65)),
        pedals=(PedalSpan(3, 9),),
        tempos=(TempoChange(0, 100), TempoChange(5, 140)),
        time_signatures=(TimeSignature(0, 4, 4),),
    )
    doc.load(piece)
    doc.trim(4.0, 8.0)
    result = doc.to_piece()
    assert result.notes == (Note(0, 1, 62), Note(2, 3, 64))  # the tied note is clipped
    assert result.pedals == (PedalSpan(0, 4),)
    assert result.tempos == (TempoChange(0, 100), TempoChange(1, 140))
    doc.undo_stack.undo()
    assert doc.to_piece() == piece


def test_load_with_origins_and_restored_flag(qapp):
    doc = Document()
    doc.load(Piece(notes=(Note(0, 1, 60), Note(1, 2, 62))), origins=[SEED, ACCEPTED],
             modified=True)
    assert sorted(rn.origin for rn in doc.notes.values()) == [ACCEPTED, SEED]
    assert doc.is_modified()
    assert RollNote(Note(1, 2, 62), ACCEPTED) in doc.notes.values()


def test_set_tempo_scales_the_tempo_map_and_undoes(qapp):
    doc = Document()
    ritardando = (TempoChange(0.0, 100.0), TempoChange(8.0, 80.0))
    doc.load(Piece(notes=(Note(0, 1, 60),), tempos=ritardando))
    doc.set_tempo(150.0)
    assert doc.to_piece().tempos == (TempoChange(0.0, 150.0), TempoChange(8.0, 120.0))
    assert doc.undo_stack.undoText() == "Change tempo"
    doc.set_tempo(150.0)  # no change, no step
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.to_piece().tempos == ritardando and not doc.is_modified()


def test_set_time_signature_replaces_the_opening_metre_only(qapp):
    doc = Document()
    metres = (TimeSignature(0.0, 4, 4), TimeSignature(8.0, 6, 8))
    doc.load(Piece(notes=(Note(0, 1, 60),), time_signatures=metres))
    doc.set_time_signature(3, 4)
    assert doc.time_signatures == (TimeSignature(0.0, 3, 4), TimeSignature(8.0, 6, 8))
    doc.set_time_signature(3, 4)  # no change, no step
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.time_signatures == metres
