"""The velocity lane under the roll: real mouse drags on the widget, checked in the document
and in pixels. The seed (tests/gui/conftest.py) has one note per beat in bar 1 and a held
three-note chord (48, 55, 64) from beat 4, all at velocity 127."""

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from gui.velocity_lane import LANE_BACKGROUND

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


def velocities(window) -> dict[tuple[float, int], int]:
    return {(rn.note.start, rn.note.pitch): rn.note.velocity for rn in window.doc.notes.values()}


def at(lane, beat: float, velocity: int) -> QPoint:
    return QPoint(round(lane.roll.beat_to_x(beat)), round(lane.velocity_to_y(velocity)))


def opened(window, seed_file):
    window.open_file(seed_file)
    roll = window.roll
    roll.px_per_beat = 50.0
    roll._update_scrollbars()
    roll.horizontalScrollBar().setValue(0)
    return window.view.velocity


def test_a_drag_across_stems_sets_their_velocity_in_one_undoable_step(window, seed_file):
    lane = opened(window, seed_file)
    before = velocities(window)
    QTest.mousePress(lane, LEFT, NO_MOD, at(lane, 1.0, 40))
    QTest.mouseMove(lane, at(lane, 1.5, 40))
    QTest.mouseMove(lane, at(lane, 2.0, 40))
    QTest.mouseRelease(lane, LEFT, NO_MOD, at(lane, 2.0, 40))
    after = velocities(window)
    assert abs(after[(1.0, 64)] - 40) <= 2 and abs(after[(2.0, 67)] - 40) <= 2
    untouched = {k: v for k, v in after.items() if k not in {(1.0, 64), (2.0, 67)}}
    assert untouched == {k: v for k, v in before.items() if k in untouched}
    assert window.doc.undo_stack.undoText() == "Change velocity of 2 notes"
    window.undo_action.trigger()
    assert velocities(window) == before


def test_a_quick_stroke_sets_the_stems_it_passed_over_on_a_line(window, seed_file):
    lane = opened(window, seed_file)
    QTest.mousePress(lane, LEFT, NO_MOD, at(lane, 0.0, 30))
    QTest.mouseMove(lane, at(lane, 3.0, 90))  # one move over the stems of beats 1 and 2
    QTest.mouseRelease(lane, LEFT, NO_MOD, at(lane, 3.0, 90))
    after = velocities(window)
    got = [after[key] for key in ((0.0, 60), (1.0, 64), (2.0, 67), (3.0, 72))]
    assert all(abs(g - want) <= 2 for g, want in zip(got, (30, 50, 70, 90))), got


def test_with_a_selection_only_the_selected_voice_changes(window, seed_file):
    lane = opened(window, seed_file)
    ids = {rn.note.pitch: i for i, rn in window.doc.notes.items() if rn.note.start == 4.0}
    window.roll.select([ids[64]])  # the top of the chord
    QTest.mouseClick(lane, LEFT, NO_MOD, at(lane, 4.0, 100))
    after = velocities(window)
    assert abs(after[(4.0, 64)] - 100) <= 2
    assert after[(4.0, 48)] == after[(4.0, 55)] == 127


def test_stems_are_drawn_to_the_velocity(window, seed_file):
    lane = opened(window, seed_file)
    QTest.mouseClick(lane, LEFT, NO_MOD, at(lane, 3.0, 32))  # the note at beat 3 gets soft
    image = lane.grab().toImage()
    background = LANE_BACKGROUND.rgb()

    def drawn(beat: float, velocity: int) -> bool:
        point = at(lane, beat, velocity)
        return QColor(image.pixel(point.x(), point.y())).rgb() != background

    assert drawn(3.0, 20) and not drawn(3.0, 70)  # soft: a short stem
    assert drawn(2.0, 20) and drawn(2.0, 110)  # loud: a tall one
    assert not drawn(2.5, 20)  # no note starts between them
