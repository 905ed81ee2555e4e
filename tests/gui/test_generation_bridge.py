"""Keeping a take in the window is exactly composer.generate.merge: the seed notes still
sounding where the take strikes their pitch are cut there, one undoable step."""

from __future__ import annotations

from composer.generate import Take, merge
from composer.notes import Note, PedalSpan, Piece
from gui.document import ACCEPTED, SEED
from gui.generation_bridge import kept_edit


def take_of(notes, pedals=()) -> Take:
    notes = tuple(notes)
    return Take(0, notes, tuple(pedals), min(n.start for n in notes),
                max(n.end for n in notes), ())


def test_kept_edit_cuts_what_merge_cuts():
    seed = {1: Note(0.0, 6.0, 60, 90), 2: Note(0.0, 6.0, 64, 90), 3: Note(1.0, 2.0, 67, 70),
            4: Note(0.0, 6.0, 60, 90)}  # a doubled note: both are cut
    take = take_of([Note(4.0, 5.0, 60, 80), Note(4.0, 5.0, 72, 80), Note(5.0, 6.0, 60, 80)])
    cuts, merged = kept_edit(seed, (PedalSpan(0.0, 2.0),), take)
    assert cuts == {1: Note(0.0, 4.0, 60, 90), 4: Note(0.0, 4.0, 60, 90)}
    expected = merge(Piece(notes=tuple(seed.values()), pedals=(PedalSpan(0.0, 2.0),)), take)
    after = sorted([cuts.get(i, n) for i, n in seed.items()] + list(take.notes))
    assert tuple(after) == expected.notes == merged.notes


def test_keep_in_the_window_is_one_step_and_undoes(window, qtbot):
    window.doc.add_notes([Note(0.0, 8.0, 60, 100), Note(0.0, 1.0, 64, 100)], SEED, "seed")
    take = take_of([Note(4.0, 5.0, 60, 80), Note(5.0, 6.0, 62, 80)], [PedalSpan(4.0, 6.0)])
    bridge = window.generation_bridge
    bridge._takes_ready([take])
    steps = window.doc.undo_stack.count()
    assert window.keep_take()
    assert window.doc.undo_stack.count() == steps + 1
    notes = sorted((rn.note, rn.origin) for rn in window.doc.notes.values())
    assert notes == [(Note(0.0, 1.0, 64, 100), SEED), (Note(0.0, 4.0, 60, 100), SEED),
                     (Note(4.0, 5.0, 60, 80), ACCEPTED), (Note(5.0, 6.0, 62, 80), ACCEPTED)]
    assert window.doc.pedals == (PedalSpan(4.0, 6.0),)
    assert window.takes == [] and not window.keep_action.isEnabled()
    window.undo_action.trigger()
    assert sorted(rn.note for rn in window.doc.notes.values()) == [
        Note(0.0, 1.0, 64, 100), Note(0.0, 8.0, 60, 100)]
