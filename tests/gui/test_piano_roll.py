"""The piano roll, driven by real mouse and key events on its viewport, checked in pixels."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from composer.notes import Note
from gui.document import ACCEPTED, SEED, TAKE
from gui.piano_roll import BACKGROUND, ORIGIN_COLORS, PLAYHEAD, velocity_color
from tests.gui.conftest import SEED_NOTES

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def point(roll, beat, pitch) -> QPoint:
    """Viewport point in the middle of ``pitch``'s lane at ``beat``."""
    return QPoint(round(roll.beat_to_x(beat)), round(roll.pitch_to_y(pitch) + roll.key_height / 2))


def drag(roll, start: QPoint, end: QPoint, modifier=NO_MOD) -> None:
    viewport = roll.viewport()
    QTest.mousePress(viewport, LEFT, modifier, start)
    mid = QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2)
    QTest.mouseMove(viewport, mid)
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, LEFT, modifier, end)


def click(roll, at: QPoint, modifier=NO_MOD) -> None:
    QTest.mouseClick(roll.viewport(), LEFT, modifier, at)


def doc_notes(window):
    return sorted(rn.note for rn in window.doc.notes.values())


def pixel(roll, at: QPoint | QPointF) -> QColor:
    image = roll.viewport().grab().toImage()
    return QColor(image.pixel(round(at.x()), round(at.y())))


def test_draw_move_resize_delete_then_undo_and_redo(window, seed_file):
    window.open_file(seed_file)
    roll = window.roll
    roll.px_per_beat, roll.key_height = 50.0, 12.0
    roll._update_scrollbars()
    roll.horizontalScrollBar().setValue(0)
    roll.verticalScrollBar().setValue(round((127 - 80) * roll.key_height))
    original = doc_notes(window)

    window.draw_tool.trigger()
    drag(roll, point(roll, 8.1, 70), point(roll, 9.02, 70))
    assert Note(8.0, 9.0, 70, 80) in doc_notes(window)

    window.select_tool.trigger()
    drag(roll, point(roll, 8.5, 70), point(roll, 9.5, 72))  # one beat later, a tone higher
    assert Note(9.0, 10.0, 72, 80) in doc_notes(window)

    edge = point(roll, 10.0, 72) - QPoint(2, 0)
    drag(roll, edge, point(roll, 11.0, 72))
    assert Note(9.0, 11.0, 72, 80) in doc_notes(window)

    roll.setFocus()
    QTest.keyClick(roll, Qt.Key.Key_Delete)
    assert doc_notes(window) == original
    assert window.windowTitle().startswith("seed.mid")
    assert window.isWindowModified()

    texts = []
    for _ in range(4):
        texts.append(window.doc.undo_stack.undoText())
        window.undo_action.trigger()
    assert texts == ["Delete 1 note", "Resize 1 note", "Move 1 note", "Draw note"]
    assert doc_notes(window) == original and not window.isWindowModified()
    for _ in range(4):
        window.redo_action.trigger()
    assert doc_notes(window) == original
    window.redo_action.trigger()  # nothing left to redo: no change
    window.undo_action.trigger()
    assert Note(9.0, 11.0, 72, 80) in doc_notes(window)


def test_keyboard_shortcuts_undo_redo_and_double_click(window, seed_file, qtbot):
    window.open_file(seed_file)
    roll = window.roll
    QTest.mouseDClick(roll.viewport(), LEFT, NO_MOD, point(roll, 8.1, 70))
    added = [n for n in doc_notes(window) if n.pitch == 70]
    assert len(added) == 1 and added[0].start == 8.0
    roll.setFocus()
    QTest.keyClick(roll, Qt.Key.Key_Up)  # the new note is selected: nudge a semitone up
    assert [n.pitch for n in doc_notes(window) if n.start == 8.0] == [71]
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc_notes(window) == sorted(SEED_NOTES)
    QTest.keyClick(window, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert [n.pitch for n in doc_notes(window) if n.start == 8.0] == [70]


def test_rubber_band_and_shift_click_selection(window, seed_file):
    window.open_file(seed_file)
    roll = window.roll
    drag(roll, point(roll, 0.1, 76), point(roll, 3.9, 59))  # around the arpeggio
    selected = sorted(window.doc.notes[i].note for i in roll.selection)
    assert selected == sorted(SEED_NOTES[:4])
    click(roll, point(roll, 5.0, 48), SHIFT)  # add the bass of the chord
    assert len(roll.selection) == 5
    click(roll, point(roll, 5.0, 48), SHIFT)  # and take it out again
    assert len(roll.selection) == 4
    click(roll, point(roll, 5.0, 55))  # a plain click selects only that note
    assert [window.doc.notes[i].note.pitch for i in roll.selection] == [55]
    window.delete_action.trigger()
    assert len(window.doc.notes) == len(SEED_NOTES) - 1


def test_pixels_show_origin_velocity_take_and_playhead(window, seed_file, qtbot):
    window.open_file(seed_file)
    roll = window.roll
    window.doc.add_notes([Note(9.0, 10.0, 62, 127)], ACCEPTED)
    window.doc.add_notes([Note(9.0, 10.0, 65, 30)], SEED)
    roll.set_overlay(TAKE, [Note(10.0, 11.0, 60, 127)])
    roll.select([])
    roll.fit()
    QApplication.processEvents()

    centre = lambda n: roll.note_rect(n).center()  # noqa: E731
    assert pixel(roll, centre(SEED_NOTES[0])) == ORIGIN_COLORS[SEED]
    assert pixel(roll, centre(Note(9.0, 10.0, 62))) == ORIGIN_COLORS[ACCEPTED]
    assert pixel(roll, centre(Note(10.0, 11.0, 60))) == ORIGIN_COLORS[TAKE]
    soft = pixel(roll, centre(Note(9.0, 10.0, 65)))
    assert soft == velocity_color(SEED, 30)
    assert soft.value() < ORIGIN_COLORS[SEED].value()  # softer notes are darker
    # Empty space (between grid lines, on a white-key lane) is background.
    empty = roll.note_rect(Note(2.1, 2.15, 69)).center()
    assert pixel(roll, empty) == BACKGROUND

    # A selected note is drawn lighter, with a white edge.
    roll.select([next(i for i, rn in window.doc.notes.items() if rn.note == SEED_NOTES[0])])
    assert pixel(roll, centre(SEED_NOTES[0])) != ORIGIN_COLORS[SEED]

    roll.set_playhead(2.5)
    x = roll.beat_to_x(2.5)
    assert pixel(roll, QPointF(x, 5)) == PLAYHEAD


def test_ctrl_wheel_zooms_around_the_mouse(window, seed_file):
    window.open_file(seed_file)
    roll = window.roll
    before = roll.px_per_beat
    at = QPointF(roll.beat_to_x(4.0), 50)
    beat_under_mouse = roll.x_to_beat(at.x())
    event = QWheelEvent(at, roll.viewport().mapToGlobal(at), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(roll.viewport(), event)
    assert roll.px_per_beat > before * 1.4
    assert abs(roll.x_to_beat(at.x()) - beat_under_mouse) < 0.1
    window.zoom_out_action.trigger()
    assert roll.px_per_beat < before * 1.6
    keys = roll.key_height
    roll.zoom_pitch(2.0)
    assert roll.key_height == min(keys * 2, 40.0)
