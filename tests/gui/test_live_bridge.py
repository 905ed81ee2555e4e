"""Live mode in the window: the real LivePanel in a dock, a phrase played on a (JACK) keyboard,
the model's answer, both shown in the roll as they happen."""

import sys
import time

import mido
import pytest

from composer import ports
from gui.document import ANSWER, PHRASE
from tests.jack_server import PolledSynth, jack  # noqa: F401  (fixture)


@pytest.fixture
def midi_rig(jack, monkeypatch):  # noqa: F811
    monkeypatch.setenv("COMPOSER_MIDI_API", "jack")
    keyboard = ports.open_virtual_output("Test keyboard", client_name="keyboard")
    synth = PolledSynth("Test synth", client_name="synth")
    yield keyboard, synth
    keyboard.close()
    synth.close()


def choose(combo, text):
    index = next(i for i in range(combo.count()) if text in combo.itemText(i))
    combo.setCurrentIndex(index)


def test_live_phrase_and_answer_appear_in_the_roll(window, midi_rig, tiny_bundle, qtbot):
    keyboard, synth = midi_rig
    window.controls.choose_model(str(tiny_bundle))
    window.controls.fixed_seed.setChecked(True)
    window.live_action.trigger()  # Ctrl+L
    panel = window.live.panel
    assert window.live.dock.isVisible() and panel._bundle_path == str(tiny_bundle)
    window.takes_dock.raise_()  # the Takes tab on top: Live stays on
    assert window.live_action.isChecked()
    window.live.dock.raise_()
    panel.refresh()
    choose(panel.input_combo, "Test keyboard")
    choose(panel.output_combo, "Test synth")
    panel.max_wait.setValue(0.5)
    panel.start()
    qtbot.waitUntil(panel.is_running, timeout=15000)
    # The session opens its ports on a thread of its own: notes played before it says it
    # listens are not heard (a loaded machine can take seconds for that).
    qtbot.waitUntil(lambda: "listening" in panel.status_text().lower(), timeout=30000)
    phrase = [60, 64, 67, 72]
    for pitch in phrase:
        keyboard.send(mido.Message("note_on", note=pitch, velocity=90))
        time.sleep(0.12)
        keyboard.send(mido.Message("note_off", note=pitch))
    qtbot.waitUntil(lambda: sorted(n.pitch for n in window.roll.overlay(PHRASE)) == phrase,
                    timeout=10000)
    qtbot.waitUntil(lambda: bool(window.roll.overlay(ANSWER)), timeout=15000)
    qtbot.waitUntil(lambda: any(m.type == "note_on" for m in synth.messages()), timeout=15000)
    panel.stop()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=10000)
    window.live_action.trigger()  # Live off closes the dock ...
    assert window.live.dock.isHidden()
    window.live_action.trigger()  # ... on again, and its close button switches Live off
    assert not window.live.dock.isHidden()
    window.live.dock.close()
    assert not window.live_action.isChecked()


def test_without_the_live_panel_the_app_says_so(window, monkeypatch):
    monkeypatch.setitem(sys.modules, "gui.live_panel", None)  # as if it were not installed
    window.live_action.trigger()
    assert window.last_error.startswith("Live mode is not available")
    assert not window.live_action.isChecked()
