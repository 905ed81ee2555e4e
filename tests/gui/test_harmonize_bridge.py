"""Harmonize melody in the window: takes of alto, tenor and bass under a tune, in the takes
history; kept as one undoable edit; cancelled; errors in a dialog. With the shipped harmonizer
(models/harmonizer, 1.3 MB) on real widgets, offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.harmony_takes import HarmonyTake
from composer.midi_io import write_midi
from composer.notes import Note, Piece, TempoChange, TimeSignature

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "harmonizer"
pytestmark = pytest.mark.skipif(not (SHIPPED / "weights.npz").is_file(),
                                reason="the shipped harmonizer is not in this checkout")

# Twinkle in D (benchmarks/harmonize.py), 4 bars of 4/4: the first half, then its end again.
TUNE = [62, 62, 69, 69, 71, 71, 69, None, 67, 67, 66, 66, 64, 64, 62, None]


def _tune(bars: int = 4) -> list[Note]:
    notes, beat = [], 0.0
    pitches = (TUNE * ((bars + 3) // 4))[:4 * bars]
    for index, pitch in enumerate(pitches):
        if pitch is None:  # the note before is held for two beats
            beat += 1.0
            continue
        held = index + 1 < len(pitches) and pitches[index + 1] is None
        notes.append(Note(beat, beat + (2.0 if held else 1.0), pitch + 12, 90))
        beat += 1.0
    return notes


def _write(path: Path, notes, numerator: int = 4) -> Path:
    write_midi(path, Piece(notes=tuple(notes), tempos=(TempoChange(0.0, 100.0),),
                           time_signatures=(TimeSignature(0.0, numerator, 4),)))
    return path


def _notes(window) -> list[Note]:
    return sorted(rn.note for rn in window.doc.notes.values())


def _sounding(melody, beat: float) -> int | None:
    return next((n.pitch for n in melody if n.start - 1e-9 <= beat < n.end - 1e-9), None)


def test_takes_appear_and_keep_adds_the_voices_under_the_melody_with_undo(window, tmp_path,
                                                                          qtbot):
    window.open_file(_write(tmp_path / "twinkle.mid", _tune()))
    melody = _notes(window)
    window.controls.takes.setValue(2)
    window.controls.fixed_seed.setChecked(True)
    window.controls.random_seed.setValue(11)
    action = window.harmonize_action
    assert action.isEnabled() and "top line" in action.toolTip()
    with qtbot.waitSignal(window.takesReady, timeout=60000) as ready:
        action.trigger()
        job = window.harmonizer.job
        assert job is not None and job.is_running()  # in the background, not done yet
        assert window.cancel_action.isEnabled() and not action.isEnabled()
    takes = ready.args[0]
    assert len(takes) == 2 and all(isinstance(t, HarmonyTake) for t in takes)
    assert [t.random_seed for t in takes] == [11, 12]
    assert takes[0].notes != takes[1].notes  # two seeds, two harmonizations
    assert window.takes_panel.keys() == [(1, 0), (1, 1)]
    assert window.takes_panel.list.item(0).text().startswith("Harmonization 1: 2 takes")
    panel = window.takes_panel
    assert not panel.continue_button.isEnabled() and not panel.again_button.isEnabled()
    assert panel.keep_button.isEnabled() and panel.play_button.isEnabled()
    assert window.roll.take_span == (0.0, 16.0)
    assert not window.continue_action.isEnabled() and not window.again_action.isEnabled()
    assert not window.cancel_action.isEnabled() and action.isEnabled()
    take = takes[0]
    assert take.melody == tuple(melody)  # the line harmonized is the piece's own notes
    for voice in (take.alto, take.tenor, take.bass):
        assert voice and all(0.0 <= n.start and n.end <= 16.0 for n in voice)
    assert all(n.pitch < _sounding(melody, n.start) for n in take.bass
               if _sounding(melody, n.start) is not None)
    assert all(36 <= n.pitch <= 64 for n in take.bass)
    # heard in place: the melody and the voices together
    heard = window.playback.piece_with_take()
    assert sorted(heard.notes) == sorted(melody + list(take.notes))

    steps = window.doc.undo_stack.count()
    assert window.keep_take()
    assert window.doc.undo_stack.count() == steps + 1
    after = _notes(window)
    assert sorted(after) == sorted(melody + list(take.notes))
    assert [n for n in after if n in melody] == melody  # the melody exactly as it was
    assert window.takes == []
    window.undo_action.trigger()
    assert _notes(window) == melody
    assert window.takes_panel.keys() == [(1, 0), (1, 1)]  # undo brings the takes back
    window.redo_action.trigger()
    assert sorted(_notes(window)) == sorted(melody + list(take.notes))


def test_selected_notes_are_harmonized_alone_and_the_harmonizer_is_loaded_once(window,
                                                                               tmp_path,
                                                                               qtbot):
    window.open_file(_write(tmp_path / "twinkle.mid", _tune(8)))
    window.controls.takes.setValue(1)
    ids = [i for i, rn in window.doc.notes.items() if 8.0 <= rn.note.start < 16.0]
    window.roll.select(ids)
    assert "selected notes" in window.harmonize_action.toolTip()
    with qtbot.waitSignal(window.takesReady, timeout=60000) as ready:
        window.harmonize_action.trigger()
    take = ready.args[0][0]
    assert (take.start_beat, take.end_beat) == (8.0, 16.0)
    assert all(8.0 <= n.start and n.end <= 16.0 for n in take.notes)
    assert len(take.melody) == len(ids)
    loaded = window.harmonizer.harmonizers.cached(None)
    assert loaded is not None and loaded.bundle.path == SHIPPED.resolve()
    with qtbot.waitSignal(window.takesReady, timeout=60000):
        window.harmonize_action.trigger()
    assert window.harmonizer.harmonizers.cached(None) is loaded  # not loaded again
    assert window.takes_panel.keys() == [(2, 0), (1, 0)]  # newest first


def test_stop_cancels_harmonizing(window, tmp_path, qtbot):
    window.open_file(_write(tmp_path / "long.mid", _tune(32)))
    window.controls.takes.setValue(8)  # many seconds of work
    job = window.harmonizer.harmonize()
    assert job is not None and window.controls.cancel_button.isEnabled()
    with qtbot.waitSignal(job.cancelled, timeout=30000):
        qtbot.wait(200)
        window.controls.cancel_button.click()  # the panel's Stop (Esc is the same action)
    assert window.takes == [] and not job.is_running()
    assert not window.cancel_action.isEnabled() and window.harmonize_action.isEnabled()
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.last_error is None


def test_escape_cancels_too(window, tmp_path, qtbot):
    window.open_file(_write(tmp_path / "long.mid", _tune(32)))
    window.controls.takes.setValue(8)
    job = window.harmonizer.harmonize()
    with qtbot.waitSignal(job.cancelled, timeout=30000):
        window.cancel_action.trigger()
    assert window.takes == []


def test_a_chord_is_no_melody_and_says_so_in_a_dialog(window, tmp_path):
    chord = [Note(0.0, 2.0, p, 90) for p in (60, 64, 67)] + [Note(4.0, 5.0, 72, 90)]
    window.open_file(_write(tmp_path / "chord.mid", chord))
    window.roll.select([i for i, rn in window.doc.notes.items() if rn.note.start == 0.0])
    assert window.harmonizer.harmonize() is None
    message = window.last_error
    assert "chord, not a melody" in message and "\n" not in message
    assert window._error_box is not None
    assert window._error_box.windowTitle() == "Cannot harmonize"
    assert window.takes == []


def test_an_empty_piece_cannot_be_harmonized(window):
    assert not window.harmonize_action.isEnabled()
    assert "needs a melody" in window.harmonize_action.toolTip()
    assert window.harmonizer.harmonize() is None
    assert "no notes" in window.last_error


@pytest.mark.parametrize("broken", ["missing", "corrupt"])
def test_a_missing_or_broken_harmonizer_is_one_line_in_a_dialog(window, tmp_path, qtbot,
                                                                broken):
    folder = tmp_path / "harmonizer"
    if broken == "corrupt":
        folder.mkdir()
        (folder / "config.json").write_text('{"harmonizer": {"units": 64}}')
        (folder / "weights.npz").write_bytes(b"PK\x03\x04 not really a zip file")
    window.open_file(_write(tmp_path / "twinkle.mid", _tune()))
    window.harmonizer.model_dir = folder
    job = window.harmonizer.harmonize()
    with qtbot.waitSignal(job.failed, timeout=30000):
        pass
    message = window.last_error
    assert str(folder) in message and "\n" not in message and "Traceback" not in message
    assert ("no harmonizer bundle" in message) if broken == "missing" else (
        "weights.npz" in message)
    assert job.details is None  # a known failure, no traceback behind "Show Details"
    assert window._error_box.windowTitle() == "Cannot harmonize"
    assert window.takes == [] and window.harmonize_action.isEnabled()
    assert not window.cancel_action.isEnabled()
