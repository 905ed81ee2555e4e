"""A new user's first window: what it says, what it offers, what it does not say.

The real main window, offscreen: the hint in the empty roll, File › Open example and the
hint's own button (the bundled seeds in midi_samples/), Generate off with its reason until
there are notes, and no MIDI-system complaint as the first message.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from composer.midi_io import read_midi
from composer.samples import samples
from gui.generation_bridge import NEEDS_NOTES
from gui.welcome import HEADLINE

SAMPLES = sorted(Path(__file__).resolve().parents[2].joinpath("midi_samples").glob("*.mid"))


def file_menu(window):
    return window.menuBar().actions()[0].menu()


def test_an_empty_window_says_how_to_begin(window):
    hint = window.welcome
    assert hint.isVisible() and hint.headline.text() == HEADLINE == (
        "Drop a .mid here or open an example")
    # In the middle of the roll, where a first-time user looks.
    viewport = window.roll.viewport()
    centre = hint.geometry().center()
    assert abs(centre.x() - viewport.width() // 2) < 3
    assert abs(centre.y() - viewport.height() // 2) < 3
    assert hint.example_button.isEnabled()
    assert hint.example_button.menu() is window.examples_menu
    first = window.statusBar().currentMessage()
    assert first.startswith("Welcome") and "ALSA" not in first and "MIDI system" not in first


def test_open_example_lists_the_bundled_seeds_and_opens_one(window, qtbot):
    menu = window.examples_menu
    assert menu.menuAction() in file_menu(window).actions()  # File › Open example
    paths = [Path(a.data()) for a in menu.actions()]
    assert sorted(paths) == SAMPLES and len(SAMPLES) >= 6
    titles = [a.text() for a in menu.actions()]
    assert titles[0].startswith("Bach: chorale") and all(t for t in titles)
    assert [s.path for s in samples()] == paths
    chopin = next(a for a in menu.actions() if "Chopin" in a.text())
    chopin.trigger()
    expected = read_midi(Path(chopin.data()))
    assert len(window.doc.notes) == len(expected.notes) > 0
    assert window.doc.path == Path(chopin.data())
    assert not window.welcome.isVisible()
    assert window.recent_files() == []  # an example is no file of the user's
    assert window.generate_action.isEnabled() and window.controls.generate_button.isEnabled()


def test_the_hint_s_button_offers_the_same_examples(window, qtbot):
    button = window.welcome.example_button
    shown = []
    window.examples_menu.aboutToShow.connect(lambda: shown.append(True))
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)  # a button with a menu pops it up
    qtbot.waitUntil(lambda: bool(shown), timeout=3000)
    window.examples_menu.actions()[0].trigger()
    window.examples_menu.hide()
    assert window.doc.path == samples()[0].path and len(window.doc.notes) > 0


def test_generate_is_off_with_its_reason_until_there_are_notes(window, qtbot):
    action, button = window.generate_action, window.controls.generate_button
    assert not action.isEnabled() and not button.isEnabled()
    assert action.toolTip() == NEEDS_NOTES and button.toolTip() == NEEDS_NOTES
    assert window.controls.ready_label.isVisible()
    assert "open a MIDI file or an example" in window.controls.ready_label.text()
    QTest.keyClick(window.roll, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert window.last_error is None and not window.is_generating()  # nothing happens
    # Draw one note (the draw tool, a drag in the roll): now there is something to continue.
    window.draw_tool.trigger()
    roll = window.roll
    start = QPoint(int(roll.beat_to_x(1.0)), int(roll.pitch_to_y(60) + roll.key_height / 2))
    end = QPoint(int(roll.beat_to_x(3.0)), start.y())
    QTest.mousePress(roll.viewport(), Qt.MouseButton.LeftButton, pos=start)
    QTest.mouseMove(roll.viewport(), end)
    QTest.mouseRelease(roll.viewport(), Qt.MouseButton.LeftButton, pos=end)
    assert len(window.doc.notes) == 1
    assert action.isEnabled() and button.isEnabled() and not window.welcome.isVisible()
    assert not window.controls.ready_label.isVisible()
    window.undo_action.trigger()  # gone again: Generate off again, the hint back
    assert not action.isEnabled() and window.welcome.isVisible()


def test_a_dropped_example_hides_the_hint_and_save_does_not_write_over_it(
        window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    sample = samples()[0].path
    before = sample.read_bytes()
    assert window.files.open_example(sample)
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(
        lambda parent, caption, suggestion, filters: (asked.append(suggestion) or "", "")))
    window.save_action.trigger()  # Save asks where (the example is a template)…
    assert len(asked) == 1 and Path(asked[0]).parent != sample.parent  # …not in midi_samples/
    assert sample.read_bytes() == before
