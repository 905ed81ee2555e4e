"""Recording a seed from a MIDI keyboard through a real MIDI port (JACK dummy server)."""

import time

import mido
import pytest

from composer import ports
from composer.errors import PortError
from gui.document import SEED
from tests import jack_server
from tests.jack_server import jack  # noqa: F401  (fixture)


@pytest.fixture
def keyboard(jack, monkeypatch):  # noqa: F811
    """A virtual 'keyboard' the app can record from, through JACK."""
    monkeypatch.setenv("COMPOSER_MIDI_API", "jack")
    port = ports.open_virtual_output("Test keyboard", client_name="keyboard")
    yield port
    port.close()


def test_record_notes_from_a_keyboard(window, keyboard, jack, qtbot):  # noqa: F811
    names = window.refresh_inputs()
    assert any("Test keyboard" in name for name in names), names
    window.input_combo.setCurrentIndex(
        next(i for i, name in enumerate(names) if "Test keyboard" in name))
    window.record_action.trigger()  # Ctrl+R
    assert window.recorder.is_recording()
    assert jack_server.wait_connected(jack, "Test keyboard"), "the recorder never connected"
    sent = []  # (on, off) times as sent: a loaded machine oversleeps, the recorder must not
    for pitch in (60, 64):
        on = time.monotonic()
        keyboard.send(mido.Message("note_on", note=pitch, velocity=100))
        time.sleep(0.25)  # half a beat at 120 bpm
        off = time.monotonic()
        keyboard.send(mido.Message("note_off", note=pitch))
        sent.append((on, off))
    qtbot.waitUntil(lambda: len(window.recorder.notes()) == 2, timeout=60_000)  # returns early
    assert len(window.roll.overlay("recording")) == 2  # shown while recording
    window.record_action.trigger()
    notes = sorted(rn.note for rn in window.doc.notes.values())
    assert [n.pitch for n in notes] == [60, 64]
    assert all(rn.origin == SEED for rn in window.doc.notes.values())
    beats = 120.0 / 60.0  # per second
    for note, (on, off) in zip(notes, sent):
        assert note.duration == pytest.approx((off - on) * beats, abs=0.15)
        assert note.velocity == 100
    assert notes[1].start - notes[0].start == pytest.approx((sent[1][0] - sent[0][0]) * beats,
                                                           abs=0.15)
    assert window.roll.overlay("recording") == []
    window.undo_action.trigger()  # a recording is one undoable step
    assert not window.doc.notes


def test_a_vanished_port_is_a_message(window, jack, monkeypatch, qtbot):  # noqa: F811
    monkeypatch.setenv("COMPOSER_MIDI_API", "jack")
    with pytest.raises(PortError):
        window.recorder.start("Keyboard that was unplugged", 0.0, 120.0)
    assert not window.start_recording("Keyboard that was unplugged")
    assert "Keyboard that was unplugged" in window.last_error
    assert not window.record_action.isChecked()
