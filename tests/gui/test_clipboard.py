"""Cut, copy, paste and duplicate of notes: the placement rules, then real key presses on the
roll of a window (seed: a C major arpeggio in bar 1, a held chord in bar 2; see conftest)."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from composer.notes import Note
from gui.clipboard import clip_of, duplicate_at, placed
from gui.document import ACCEPTED, SEED, RollNote
from tests.gui.conftest import SEED_NOTES

CTRL = Qt.KeyboardModifier.ControlModifier
ARPEGGIO = SEED_NOTES[:4]
CHORD = SEED_NOTES[4:]


def test_a_clip_starts_at_zero_lands_where_asked_and_keeps_origins():
    clip = clip_of([RollNote(Note(5.0, 6.0, 62), ACCEPTED), RollNote(Note(4.5, 5.0, 60))])
    assert [rn.note for rn in clip.notes] == [Note(0.0, 0.5, 60), Note(0.5, 1.5, 62)]
    assert clip.length == 1.5
    assert placed(clip, 8.0) == [RollNote(Note(8.0, 8.5, 60), SEED),
                                 RollNote(Note(8.5, 9.5, 62), ACCEPTED)]
    assert placed(clip, -3.0)[0].note.start == 0.0  # never before the start of the piece
    assert clip_of([]) is None


@pytest.mark.parametrize(
    ("notes", "grid", "expected"),
    [
        ([Note(0.0, 4.0, 60)], 1.0, 4.0),  # a bar: the next bar
        ([Note(1.0, 1.3, 60)], 0.25, 1.5),  # rounded up to the grid
        ([Note(2.0, 2.0 + 1e-12, 60)], 0.25, 2.25),  # at least one grid step on
        ([Note(1.0, 1.3, 60)], None, 1.3),  # snapping off: exactly after
    ],
    ids=["one-bar", "rounded-up", "at-least-one-step", "snap-off"],
)
def test_duplicate_goes_right_after_the_notes(notes, grid, expected):
    first = min(n.start for n in notes)
    assert duplicate_at(clip_of(RollNote(n) for n in notes), first, grid) == pytest.approx(
        expected)


def ids_of(window, notes):
    return [i for i, rn in window.doc.notes.items() if rn.note in notes]


def selected_notes(window):
    return [window.doc.notes[i].note for i in window.roll.selection]


def doc_notes(window):
    return sorted(rn.note for rn in window.doc.notes.values())


def test_copy_paste_duplicate_cut_with_keys(window, seed_file):
    window.open_file(seed_file)
    roll = window.roll
    roll.setFocus()
    roll.select(ids_of(window, ARPEGGIO))
    QTest.keyClick(roll, Qt.Key.Key_C, CTRL)
    roll.set_cursor_beat(8.0)
    QTest.keyClick(roll, Qt.Key.Key_V, CTRL)
    pasted = [n.shifted(8.0) for n in ARPEGGIO]
    assert doc_notes(window) == sorted(SEED_NOTES + tuple(pasted))
    assert sorted(selected_notes(window)) == pasted  # selected, to be moved on at once
    assert window.doc.undo_stack.undoText() == "Paste 4 notes"

    QTest.keyClick(roll, Qt.Key.Key_D, CTRL)  # the pasted bar again, in the next bar
    assert sorted(selected_notes(window)) == [n.shifted(12.0) for n in ARPEGGIO]
    assert len(window.doc.notes) == len(SEED_NOTES) + 8

    roll.select(ids_of(window, CHORD))
    QTest.keyClick(roll, Qt.Key.Key_X, CTRL)
    assert not any(n in doc_notes(window) for n in CHORD)
    roll.set_cursor_beat(16.0)
    QTest.keyClick(roll, Qt.Key.Key_V, CTRL)
    assert [n.shifted(12.0) for n in CHORD] == sorted(selected_notes(window))

    for _ in range(4):  # paste, cut, duplicate, paste: one step each
        window.undo_action.trigger()
    assert doc_notes(window) == sorted(SEED_NOTES)


def test_note_keys_work_only_in_the_roll(window, seed_file):
    window.open_file(seed_file)
    window.roll.select(ids_of(window, ARPEGGIO))
    box = window.tempo_spin  # typing in a box of the window, notes still selected
    box.setFocus()
    QTest.keyClick(box, Qt.Key.Key_D, CTRL)
    assert doc_notes(window) == sorted(SEED_NOTES)

