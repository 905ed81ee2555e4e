"""The main window end to end: files, errors, generation off the UI thread, takes, export,
autosave, closing with unsaved work, settings. Real files, the real tiny model, real dialogs."""

import time

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from composer.midi_io import read_midi
from composer.notes import Note, TimeSignature
from gui import grid
from gui.document import ACCEPTED, SEED, TAKE
from tests.gui.conftest import SEED_NOTES, answer_question

Btn = QMessageBox.StandardButton


def origins(window):
    return sorted(rn.origin for rn in window.doc.notes.values())


def test_open_shows_the_file(window, seed_file):
    assert window.open_file(seed_file)
    assert len(window.doc.notes) == len(SEED_NOTES)
    assert len(window.roll._index.items) == len(SEED_NOTES)
    assert window.windowTitle() == "seed.mid[*] — composer"
    assert "4/4 · 120 bpm · 7 notes" == window.info_label.text()
    assert window.recent_files()[0].endswith("seed.mid")


def test_bad_file_shows_the_reason_and_keeps_the_piece(window, seed_file, tmp_path, qtbot):
    window.open_file(seed_file)
    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    with qtbot.waitSignal(window.errorShown) as shown:
        assert not window.open_file(bad, ask=False)
    assert "broken.mid" in shown.args[0] and "not RIFF-MIDI" in shown.args[0]
    box = window._error_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "broken.mid" in box.text()
    box.button(Btn.Ok).click()
    assert len(window.doc.notes) == len(SEED_NOTES)  # nothing was lost
    assert window.isVisible()


def test_generate_keeps_the_window_responsive_then_keep_and_export(
        window, seed_file, tiny_bundle, qtbot, tmp_path):
    window.open_file(seed_file)
    window.controls.choose_model(str(tiny_bundle))
    window.controls.takes.setValue(2)
    window.controls.bars.setValue(64)  # long enough (about a second here) to watch the UI
    window.controls.fixed_seed.setChecked(True)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    started = time.monotonic()
    with qtbot.waitSignal(window.takesReady, timeout=60000) as ready:
        job = window.generate()
        assert job is not None and window.is_generating()
        assert not window.controls.generate_button.isEnabled()
        assert window.cancel_action.isEnabled()
    elapsed = time.monotonic() - started
    timer.stop()
    # The UI thread kept turning while the worker generated: many ticks, and no pause near
    # the length of the generation (which running it on the UI thread would cause). The
    # thresholds are loose because the test machine may be busy with other work.
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    print(f"UI timer during generation: {len(ticks)} ticks in {elapsed:.2f} s, "
          f"longest gap {max(gaps, default=elapsed) * 1000:.0f} ms")
    assert len(ticks) >= elapsed / 0.010 / 5, (elapsed, len(ticks))
    assert max(gaps) < max(0.5, elapsed / 2), (elapsed, max(gaps))
    takes = ready.args[0]
    assert len(takes) == 2 and all(t.start_beat >= 8.0 for t in takes)
    assert window.takes_panel.keys() == [(1, 0), (1, 1)]
    assert window.takes_panel.list.item(0).text().startswith("Generation 1: 2 takes")
    assert window.takes_panel.list.item(1).text().startswith("Take 1  —  ")
    assert window.roll.overlay(TAKE) == list(takes[0].notes)
    window.takes_panel.list.setCurrentRow(2)
    assert window.roll.overlay(TAKE) == list(takes[1].notes)
    assert window.controls.generate_button.isEnabled()

    window.keep_action.trigger()
    kept = takes[1].notes
    assert origins(window).count(ACCEPTED) == len(kept)
    assert window.takes == [] and window.roll.overlay(TAKE) == []
    out = tmp_path / "out" / "piece.mid"
    out.parent.mkdir()
    assert window.export_midi(out)
    again = read_midi(out)
    assert len(again.notes) == len(SEED_NOTES) + len(kept)
    assert again.notes[: len(SEED_NOTES)] == SEED_NOTES  # seed (before the take) unchanged
    window.undo_action.trigger()  # keeping is one undoable step
    assert origins(window) == [SEED] * len(SEED_NOTES)


def test_cancel_generation(window, seed_file, tiny_bundle, qtbot):
    window.open_file(seed_file)
    window.controls.choose_model(str(tiny_bundle))
    window.controls.bars.setValue(128)  # long enough to be cancelled on the way
    window.controls.takes.setValue(1)
    job = window.generate()
    with qtbot.waitSignal(job.cancelled, timeout=30000):
        window.cancel_action.trigger()
    assert window.takes == [] and not window.is_generating()
    assert window.controls.generate_button.isEnabled()


def test_generation_errors_are_dialogs(window, seed_file, tmp_path, qtbot):
    with qtbot.waitSignal(window.errorShown) as shown:
        assert window.generate() is None  # an empty piece
    assert "nothing to continue" in shown.args[0]
    window.open_file(seed_file)
    window.controls.choose_model(str(tmp_path / "no-such-model"))
    with qtbot.waitSignal(window.errorShown, timeout=10000) as shown:
        window.generate()
    assert "no-such-model" in shown.args[0]
    qtbot.waitUntil(lambda: not window.is_generating())
    assert window.controls.generate_button.isEnabled()


def test_export_wav_in_the_background(window, seed_file, tmp_path, qtbot):
    window.open_file(seed_file)
    out = tmp_path / "piece.wav"
    job = window.export_wav(out)
    with qtbot.waitSignal(job.finished, timeout=30000):
        pass
    assert out.read_bytes()[:4] == b"RIFF"


def test_trim_to_bars(window, seed_file):
    window.open_file(seed_file)
    window.trim_bars(2, 2)
    assert sorted(rn.note for rn in window.doc.notes.values()) == sorted(
        n.shifted(-4.0) for n in SEED_NOTES[4:])
    window.undo_action.trigger()
    assert len(window.doc.notes) == len(SEED_NOTES)


def test_autosave_restores_a_crashed_session(make_window, seed_file, tmp_path, qtbot):
    first = make_window(autosave_seconds=0.05)
    first.open_file(seed_file)
    first.doc.add_notes([Note(8.0, 9.0, 70)], ACCEPTED, "Keep take 1")
    qtbot.waitUntil(first.autosave.exists, timeout=5000)
    # "Crash": the first window goes away without saving; a new session starts.
    second = make_window()
    questions = []
    answer_question(Btn.Yes, questions)
    assert second.offer_restore()
    assert "seed.mid" in questions[0]
    assert origins(second).count(ACCEPTED) == 1 and len(second.doc.notes) == 8
    assert second.doc.is_modified() and second.windowTitle().startswith("seed.mid")
    saved = tmp_path / "saved.mid"
    assert second.save_as(saved)
    assert not second.autosave.exists() and not second.doc.is_modified()


def test_closing_with_unsaved_work_asks(make_window, seed_file, tmp_path):
    window = make_window()
    window.open_file(seed_file)
    window.trim_bars(1, 1)
    answer_question(Btn.Cancel)
    assert not window.close()
    assert window.isVisible()
    answer_question(Btn.Discard)
    assert window.close()


def test_settings_persist(make_window):
    first = make_window()
    first.controls.temperature.setValue(135)
    first.controls.takes.setValue(5)
    first.controls.key_lock.setChecked(True)
    first.snap_combo.setCurrentText("1/8")
    first.shutdown()
    second = make_window()
    assert second.controls.temperature_box.text() == "1.35"
    assert second.controls.takes.value() == 5 and second.controls.key_lock.isChecked()
    assert second.roll.snap_beats == 0.5
    settings = second.controls.settings()
    assert (settings.temperature, settings.takes, settings.key_lock) == (1.35, 5, True)


def test_no_midi_input_is_said_and_the_app_goes_on(window):
    # This machine may or may not have a MIDI system; either way the combo is usable.
    names = window.refresh_inputs()
    assert window.record_action.isEnabled() == bool(names)
    if not names:
        assert window.input_combo.currentText() == "No MIDI input"
        window.toggle_record(True)
        assert window.last_error.startswith("Cannot record")
        assert not window.record_action.isChecked()
    QApplication.processEvents()
    assert window.isVisible()


def test_drop_a_midi_file_opens_it(window, seed_file, qtbot):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(seed_file))])
    at = QPointF(200, 200)  # QDropEvent takes a QPointF, QDragEnterEvent a QPoint
    enter = QDragEnterEvent(at.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    qtbot.waitUntil(lambda: len(window.doc.notes) == len(SEED_NOTES))
    assert window.doc.path == seed_file

    text = QMimeData()
    text.setUrls([QUrl.fromLocalFile(str(seed_file.with_suffix(".txt")))])
    enter = QDragEnterEvent(at.toPoint(), Qt.DropAction.CopyAction, text, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()  # only MIDI files are taken


def test_the_built_in_synth_plays_or_says_there_is_no_sound_card(window, seed_file, qtbot):
    from composer.playback import audio_available

    window.open_file(seed_file)
    window.playback.player()
    window.output_combo.setCurrentText("Built-in synth")
    reason = audio_available()
    started = window.playback.play_all()
    if reason is None:  # a sound card (or a sound server) is there: it plays
        assert started and window.playback.is_playing()
        window.stop_action.trigger()
        assert not window.playback.is_playing()
    else:
        assert not started
        qtbot.waitUntil(window.notice_bar.isVisible, timeout=5000)
        assert "No sound output" in window.notice_bar.text.text()
        assert "Cannot play" in window.statusBar().currentMessage()
        assert window.last_error is None  # a notice, not an error box
        assert window.roll.playhead is None


def test_tempo_box_shows_and_changes_the_tempo(window, seed_file, tmp_path):
    window.open_file(seed_file)
    assert window.tempo_spin.value() == 120 and window.doc.undo_stack.count() == 0
    window.tempo_spin.setValue(90)  # what typing 90 + Enter does
    assert window.info_label.text().startswith("4/4 · 90 bpm")
    out = tmp_path / "slower.mid"
    assert window.export_midi(out)
    assert round(read_midi(out).bpm, 3) == 90  # MIDI stores microseconds per beat
    window.undo_action.trigger()
    assert window.tempo_spin.value() == 120 and window.doc.to_piece().bpm == 120
    assert window.doc.undo_stack.count() == 1  # showing the old tempo made no new edit


def test_tempo_steps_in_a_row_are_one_undo_step_but_not_across_a_save(window, seed_file,
                                                                       tmp_path, qtbot):
    window.open_file(seed_file)
    box = window.tempo_spin
    for _ in range(3):
        box.stepUp()  # the arrow three times
    assert box.value() == 123 and window.doc.undo_stack.count() == 1
    assert window.save_as(tmp_path / "saved.mid")
    box.stepUp()
    assert window.doc.is_modified() and window.doc.undo_stack.count() == 2
    window.undo_action.trigger()
    assert box.value() == 123 and not window.doc.is_modified()
    window.undo_action.trigger()
    assert box.value() == 120
    box.stepUp()
    box.stepDown()  # and back: no step left behind, nothing to save
    assert window.doc.undo_stack.index() == 0 and window.doc.undo_stack.canRedo() is False


def test_a_stray_wheel_over_the_tempo_and_metre_boxes_changes_nothing(window, seed_file):
    window.open_file(seed_file)
    for box in (window.tempo_spin, window.meter_combo):
        window.roll.setFocus()
        centre = QPointF(box.mapTo(window, box.rect().center()))
        QTest.wheelEvent(window.windowHandle(), centre, QPoint(0, 120))  # as a mouse does
    assert window.tempo_spin.value() == 120 and window.meter_combo.currentText() == "4/4"
    assert window.doc.undo_stack.count() == 0
    window.tempo_spin.setFocus()  # clicked first: then the wheel is meant
    centre = QPointF(window.tempo_spin.mapTo(window, window.tempo_spin.rect().center()))
    QTest.wheelEvent(window.windowHandle(), centre, QPoint(0, 120))
    assert window.tempo_spin.value() == 121


def test_kept_notes_stay_generated_after_save_and_open(window, seed_file, tmp_path):
    window.open_file(seed_file)
    kept = [Note(8.0, 9.0, 62, 90), Note(9.0, 10.0, 64, 90)]
    window.doc.add_notes(kept, ACCEPTED, "Keep take 1")
    path = tmp_path / "piece.mid"
    assert window.save_as(path)
    assert window.open_file(path)
    by_origin = {o: sorted(rn.note for rn in window.doc.notes.values() if rn.origin == o)
                 for o in (SEED, ACCEPTED)}
    assert by_origin == {SEED: sorted(SEED_NOTES), ACCEPTED: kept}
    assert window.info_label.text().endswith("9 notes (2 generated)")


def test_quantize_key_moves_the_selection_or_everything_onto_the_grid(window, seed_file):
    window.open_file(seed_file)
    roll = window.roll
    roll.setFocus()
    uneven = [Note(8.07, 8.93, 62, 80), Note(9.1, 9.4, 64, 80)]
    ids = window.doc.add_notes(uneven, text="Record")
    roll.select(ids[:1])
    QTest.keyClick(roll, Qt.Key.Key_Q)  # snap is 1/16 by default
    notes = [rn.note for rn in window.doc.notes.values()]
    assert Note(8.0, 9.0, 62, 80) in notes and uneven[1] in notes
    roll.select([])
    QTest.keyClick(roll, Qt.Key.Key_Q)  # nothing selected: everything
    assert Note(9.0, 9.5, 64, 80) in [rn.note for rn in window.doc.notes.values()]
    assert window.doc.undo_stack.undoText() == "Quantize 1 note to 1/16"
    twins = [Note(12.0, 12.05, 70, 80), Note(12.1, 12.2, 70, 80)]  # both become 12-12.25
    window.doc.add_notes(twins, text="Record")
    roll.select([])
    QTest.keyClick(roll, Qt.Key.Key_Q)
    assert [rn.note for rn in window.doc.notes.values()].count(Note(12.0, 12.25, 70, 80)) == 1
    assert len(window.doc.notes) == len(SEED_NOTES) + 3


def test_time_signature_box_changes_the_metre(window, seed_file, tmp_path):
    window.open_file(seed_file)
    combo = window.meter_combo
    assert combo.currentText() == "4/4"
    combo.setCurrentText("3/4")
    combo.activated.emit(combo.currentIndex())  # what choosing it with the mouse sends
    assert window.info_label.text().startswith("3/4 · 120 bpm")
    assert [b.start for b in grid.bars(window.doc.time_signatures, 9)] == [0, 3, 6]
    out = tmp_path / "waltz.mid"
    assert window.export_midi(out)
    assert read_midi(out).time_signature == TimeSignature(0.0, 3, 4)
    assert [rn.note for rn in window.doc.notes.values()] == list(SEED_NOTES)  # notes stay
    window.undo_action.trigger()
    assert combo.currentText() == "4/4" and window.doc.undo_stack.count() == 1


def test_save_as_from_the_menu_and_its_keys_writes_the_file(window, seed_file, tmp_path,
                                                            monkeypatch, qtbot):
    """File › Save As… and Ctrl+Shift+S (the real action; the native dialog cannot run
    offscreen, so its static call answers with a path)."""
    from PySide6.QtWidgets import QFileDialog

    window.open_file(seed_file)
    asked = []
    targets = iter([tmp_path / "from-menu.mid", tmp_path / "from-keys"])

    def answer(parent, caption, suggestion, filters):
        asked.append(suggestion)
        return str(next(targets)), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(answer))
    file_menu = window.menuBar().actions()[0].menu()
    assert window.save_as_action in file_menu.actions()
    window.save_as_action.trigger()  # as a click on the menu item does (with checked=False)
    assert window.last_error is None
    assert asked == [str(seed_file.with_name("seed-continued.mid"))]
    assert read_midi(tmp_path / "from-menu.mid").notes == SEED_NOTES
    assert window.windowTitle() == "from-menu.mid[*] — composer"
    window.activateWindow()
    window.roll.setFocus()
    QTest.keySequence(window.windowHandle(), "Ctrl+Shift+S")
    qtbot.waitUntil(lambda: (tmp_path / "from-keys.mid").exists(), timeout=3000)
    assert read_midi(tmp_path / "from-keys.mid").notes == SEED_NOTES  # .mid added
    assert not window.doc.is_modified() and window.last_error is None
