"""The takes history in the real window with the real tiny model: every generation kept with
its settings and its own random seed, a take made again alone, undo of Keep bringing the takes
back, the keys, the focus, the view showing a new take, a colour per take in the roll."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from composer.notes import Note
from gui.document import ACCEPTED, TAKE
from gui.palette import take_color

ALT = Qt.KeyboardModifier.AltModifier


def generate(window, qtbot):
    with qtbot.waitSignal(window.takesReady, timeout=60000) as ready:
        assert window.generate() is not None
    return ready.args[0]


def ready_window(window, seed_file, tiny_bundle, qtbot, takes=3, bars=2):
    window.open_file(seed_file)
    window.controls.choose_model(str(tiny_bundle))
    window.controls.takes.setValue(takes)
    window.controls.bars.setValue(bars)
    qtbot.waitUntil(lambda: "LSTM" in window.controls.model_info.text(), timeout=30000)
    return window


def test_generate_again_adds_a_generation_and_each_take_keeps_its_settings(
        window, seed_file, tiny_bundle, qtbot):
    ready_window(window, seed_file, tiny_bundle, qtbot)
    assert not window.controls.fixed_seed.isChecked()  # a new random seed each time…
    first = generate(window, qtbot)
    window.controls.temperature_box.setValue(1.4)
    window.controls.takes.setValue(2)
    second = generate(window, qtbot)
    bridge = window.generation_bridge
    assert [len(g.records) for g in bridge.groups] == [3, 2]  # nothing was wiped
    assert window.takes == list(first) + list(second)
    seeds = [g.settings.random_seed for g in bridge.groups]
    assert all(isinstance(s, int) for s in seeds) and seeds[0] != seeds[1]  # …recorded
    assert [g.settings.temperature for g in bridge.groups] == [1.0, 1.4]
    panel = window.takes_panel
    assert panel.current() == (2, 0)  # the newest take is the one shown
    heading = panel.list.item(0).text()
    assert heading.startswith(f"Generation 2: 2 takes · random seed {seeds[1]}\nT 1.40")
    tip = panel.list.item(panel.row_of((1, 2))).toolTip()
    assert f"its random seed {seeds[0] + 2} (generation's {seeds[0]}, take 3)" in tip
    assert "temperature 1.00" in tip
    assert "seed memory 0.70" in tip and "style" in tip


def test_a_take_made_again_alone_has_the_same_notes(window, seed_file, tiny_bundle, qtbot):
    ready_window(window, seed_file, tiny_bundle, qtbot, takes=3)
    takes = generate(window, qtbot)
    window.takes_panel.select((1, 2))
    with qtbot.waitSignal(window.takesReady, timeout=60000) as again:
        window.again_action.trigger()  # Generate › Make take again
    (alone,) = again.args[0]
    assert alone.index == 2 and alone.notes == takes[2].notes and alone.ids == takes[2].ids
    group = window.generation_bridge.groups[-1]
    assert group.again and window.takes_panel.list.item(0).text().startswith(
        "Generation 2: Take 3 again")


def test_undo_of_keep_brings_the_takes_back(window, seed_file, tiny_bundle, qtbot):
    ready_window(window, seed_file, tiny_bundle, qtbot, takes=3)
    takes = generate(window, qtbot)
    window.takes_panel.select((1, 1))
    window.keep_action.trigger()
    kept = [rn.note for rn in window.doc.notes.values() if rn.origin == ACCEPTED]
    assert sorted(kept) == sorted(takes[1].notes)
    assert window.takes == [] and window.roll.overlay(TAKE) == []
    window.undo_action.trigger()
    assert window.takes == list(takes)  # all of them, the kept one selected again
    assert window.takes_panel.current() == (1, 1)
    assert window.roll.overlay(TAKE) == list(takes[1].notes)
    assert not any(rn.origin == ACCEPTED for rn in window.doc.notes.values())
    window.redo_action.trigger()  # kept again: put away again
    assert window.takes == [] and len(kept) == sum(
        rn.origin == ACCEPTED for rn in window.doc.notes.values())
    window.undo_action.trigger()
    assert window.takes == list(takes)
    window.doc.add_notes([Note(0.5, 1.0, 40, 90)], text="Draw")  # a new edit: no redo now
    assert window.takes == list(takes) and window.generation_bridge._kept is None


def test_keys_move_between_takes_and_the_focus_goes_to_the_list(
        window, seed_file, tiny_bundle, qtbot):
    ready_window(window, seed_file, tiny_bundle, qtbot, takes=3)
    window.roll.setFocus()
    generate(window, qtbot)
    panel = window.takes_panel
    assert QApplication.focusWidget() is panel.list  # ready to arrow through the takes
    assert panel.current() == (1, 0)
    QTest.keyClick(panel.list, Qt.Key.Key_Down)  # in the list: the arrows
    assert panel.current() == (1, 1)
    window.roll.setFocus()  # anywhere in the window: Alt+Down / Alt+Up
    QTest.keyClick(window.roll, Qt.Key.Key_Down, ALT)
    assert panel.current() == (1, 2)
    QTest.keyClick(window.roll, Qt.Key.Key_Up, ALT)
    QTest.keyClick(window.roll, Qt.Key.Key_Up, ALT)
    assert panel.current() == (1, 0)
    QTest.keyClick(window.roll, Qt.Key.Key_B, ALT)  # A/B: back to the one before
    assert panel.current() == (1, 1)
    QTest.keyClick(window.roll, Qt.Key.Key_B, ALT)
    assert panel.current() == (1, 0)
    assert window.roll.overlay(TAKE) == list(window.current_take().notes)


def test_the_view_shows_a_new_take_whole(window, seed_file, tiny_bundle, qtbot):
    ready_window(window, seed_file, tiny_bundle, qtbot, takes=1, bars=2)
    roll = window.roll
    first, last = roll.visible_beats()
    roll.zoom_time((last - first) / 10.0)  # ten beats in view…
    roll.horizontalScrollBar().setValue(round(3.0 * roll.px_per_beat))  # …from beat 3
    first, last = roll.visible_beats()
    assert first <= 8.0 < last < 16.0  # the take (beats 8-16) would start in view, end out
    (take,) = generate(window, qtbot)
    first, last = roll.visible_beats()
    assert first <= take.start_beat and take.end_beat <= last, (first, last, take.end_beat)


def test_each_take_has_its_own_colour_in_the_roll(window, seed_file, tiny_bundle, qtbot):
    from dataclasses import replace

    ready_window(window, seed_file, tiny_bundle, qtbot, takes=2, bars=2)
    takes = generate(window, qtbot)
    assert all(t.notes for t in takes)
    window.roll.fit()
    roll = window.roll

    def count(color) -> int:
        image = roll.viewport().grab().toImage()
        target = color.rgb()
        return sum(1 for y in range(0, image.height(), 2) for x in range(0, image.width(), 2)
                   if image.pixel(x, y) == target)

    for key in ((1, 0), (1, 1)):
        window.takes_panel.select(key)
        record = window.generation_bridge.record(key)
        assert roll.origin_color(TAKE) == take_color(record.serial)
        # Full-velocity copies of its notes show the exact colour (softer ones are darker).
        roll.set_overlay(TAKE, [replace(n, velocity=127) for n in record.take.notes],
                         roll.origin_color(TAKE))
        assert count(take_color(record.serial)) > 20
        assert count(take_color(1 - record.serial)) == 0
