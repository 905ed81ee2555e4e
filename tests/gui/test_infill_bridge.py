"""Regenerate selection in the window: select bars in the ruler, get takes for them in the
takes history, hear them in place, keep one (notes outside the bars untouched, one undo)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from composer.infill import InfillTake

CHORALE = Path(__file__).resolve().parents[2] / "midi_samples" / "bach_chorale.mid"  # 6 bars


def _shift_drag(qtbot, ruler, start_beat: float, end_beat: float) -> None:
    roll = ruler.roll
    y = ruler.height() // 2
    a = QPoint(int(roll.beat_to_x(start_beat)), y)
    b = QPoint(int(roll.beat_to_x(end_beat)), y)
    qtbot.mousePress(ruler, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, a)
    qtbot.mouseMove(ruler, b)
    qtbot.mouseRelease(ruler, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, b)


def test_regenerate_selected_bars_then_keep_and_undo(window, tiny_bundle, qtbot):
    window.open_file(CHORALE)
    window.controls.choose_model(str(tiny_bundle))
    window.controls.takes.setValue(2)
    window.controls.fixed_seed.setChecked(True)
    action = window.regenerate_action
    assert not action.isEnabled() and "Shift+drag" in action.toolTip()
    window.roll.fit()
    ruler = window.view.ruler
    _shift_drag(qtbot, ruler, 8.5, 15.5)  # inside bars 3 and 4
    assert ruler.bar_span == (8.0, 16.0) and action.isEnabled()
    before = sorted(rn.note for rn in window.doc.notes.values())
    with qtbot.waitSignal(window.takesReady, timeout=60000) as ready:
        action.trigger()
    takes = ready.args[0]
    assert len(takes) == 2 and all(isinstance(t, InfillTake) for t in takes)
    assert all(8.0 <= n.start and n.end <= 16.0 for t in takes for n in t.notes)
    assert window.takes_panel.keys() == [(1, 0), (1, 1)]
    assert window.roll.take_span == (8.0, 16.0)
    assert not window.continue_action.isEnabled() and not window.again_action.isEnabled()
    # heard in place: the region's own notes give way to the take's
    heard = window.playback.piece_with_take()
    outside = [n for n in before if not 8.0 <= n.start < 16.0]
    assert sorted(n for n in heard.notes if not 8.0 <= n.start < 16.0) == outside
    assert sorted(n for n in heard.notes if 8.0 <= n.start < 16.0) == sorted(takes[0].notes)
    steps = window.doc.undo_stack.count()
    assert window.keep_take()
    assert window.doc.undo_stack.count() == steps + 1
    after = sorted(rn.note for rn in window.doc.notes.values())
    assert [n for n in after if not 8.0 <= n.start < 16.0] == outside
    assert sorted(n for n in after if 8.0 <= n.start < 16.0) == sorted(takes[0].notes)
    window.undo_action.trigger()
    assert sorted(rn.note for rn in window.doc.notes.values()) == before
    assert window.takes_panel.keys() == [(1, 0), (1, 1)]  # undo brings the takes back


def test_bar_1_is_regenerated_leading_into_bar_2(window, tiny_bundle, qtbot):
    window.open_file(CHORALE)
    window.controls.choose_model(str(tiny_bundle))
    window.controls.takes.setValue(2)
    window.view.ruler.select_bars((0.0, 4.0))
    before = sorted(rn.note for rn in window.doc.notes.values())
    with qtbot.waitSignal(window.takesReady, timeout=60000) as ready:
        window.regenerate_action.trigger()
    takes = ready.args[0]
    assert len(takes) == 2 and all(t.notes for t in takes)
    assert all(0.0 <= n.start and n.end <= 4.0 for t in takes for n in t.notes)
    assert window.keep_take()
    after = sorted(rn.note for rn in window.doc.notes.values())
    assert [n for n in after if n.start >= 4.0] == [n for n in before if n.start >= 4.0]
    assert sorted(n for n in after if n.start < 4.0) == sorted(takes[0].notes)
    assert window.last_error is None


def test_bars_with_nothing_around_them_say_why_in_a_dialog(window, tiny_bundle, qtbot):
    window.open_file(CHORALE)
    window.controls.choose_model(str(tiny_bundle))
    window.view.ruler.select_bars((0.0, 24.0))  # all six bars
    assert window.regenerate_action.isEnabled()
    assert window.infill.regenerate() is None
    assert "no notes before or after them" in window.messages.last_error
    assert "\n" not in window.messages.last_error
    assert window.takes == []


def test_selected_notes_give_their_bars(window):
    window.open_file(CHORALE)
    ids = [i for i, rn in window.doc.notes.items() if 12.0 <= rn.note.start < 14.0]
    window.roll.select(ids)
    assert window.infill.span() == (12.0, 16.0) and window.regenerate_action.isEnabled()
    window.view.ruler.select_bars((4.5, 5.0))
    assert window.infill.span() == (4.0, 8.0)  # the ruler's bars come first


def test_escape_cancels_a_regeneration(window, tiny_bundle, qtbot):
    window.open_file(CHORALE)
    window.controls.choose_model(str(tiny_bundle))
    window.controls.takes.setValue(8)  # a pool of 32 candidates for four bars
    window.view.ruler.select_bars((4.0, 20.0))
    job = window.infill.regenerate()
    assert job is not None and window.cancel_action.isEnabled()
    assert window.controls.cancel_button.isEnabled()
    with qtbot.waitSignal(job.cancelled, timeout=60000):
        window.cancel_action.trigger()  # Esc
    assert window.takes == [] and not window.cancel_action.isEnabled()
    assert window.regenerate_action.isEnabled() and window.last_error is None
