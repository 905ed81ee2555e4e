"""LivePanel (gui/live_panel.py) offscreen: no MIDI system, and a real session over JACK.

The keyboard is a virtual JACK output port in this process, played from a plain thread; the
answers go to a virtual input port. The model is the tiny test bundle.
"""

from __future__ import annotations

import threading
import time

import mido
import pytest

from composer import ports
from composer.generate import GenerationSettings
from composer.playback import BUILTIN_SYNTH
from gui.live_panel import LivePanel
from tests import jack_server

jack = jack_server.jack  # the fixture: a JACK dummy server for this module
NO_SERVER = {"JACK_DEFAULT_SERVER": "composer-nobody-runs-this", "JACK_NO_START_SERVER": "1"}


@pytest.fixture
def panel(qtbot):
    panel = LivePanel(api="jack")
    qtbot.addWidget(panel)
    panel.show()
    yield panel
    panel.stop()
    if panel.is_running():
        qtbot.waitUntil(lambda: not panel.is_running(), timeout=5000)


def test_without_a_midi_system_it_says_so_and_stays_usable(qtbot, monkeypatch):
    for key, value in NO_SERVER.items():
        monkeypatch.setenv(key, value)
    panel = LivePanel(api="jack")
    qtbot.addWidget(panel)
    assert panel.status_text().startswith("No MIDI system: no JACK server is running")
    assert not panel.start_button.isEnabled()
    assert panel.refresh_button.isEnabled()
    assert [panel.output_combo.itemText(i) for i in range(panel.output_combo.count())] == [
        BUILTIN_SYNTH]
    panel.refresh()  # still fine
    panel.start()  # nothing to listen to: nothing happens
    assert not panel.is_running()


def play_phrase(port, pitches=(62, 66, 69, 74, 69, 66), step=0.15) -> None:
    for pitch in pitches:
        port.send(mido.Message("note_on", note=pitch, velocity=80))
        time.sleep(step * 0.8)
        port.send(mido.Message("note_off", note=pitch))
        time.sleep(step * 0.2)


@pytest.mark.jack
def test_a_session_answers_and_start_stop_never_block(qtbot, jack, tiny_bundle, panel):
    keyboard = ports.open_virtual_output("keys", api="jack", client_name="panelkbd")
    answers = []
    out = ports.open_virtual_input("answers", api="jack", client_name="panelout",
                                   callback=answers.append)
    try:
        panel.refresh()
        assert panel.input_combo.currentText() == "panelkbd:keys"
        panel.output_combo.setCurrentText("panelout:answers")
        panel.set_generation(str(tiny_bundle), GenerationSettings(key_lock=True,
                                                                  random_seed=3))
        panel.max_wait.setValue(0.5)
        phrases, answer_pieces = [], []
        panel.phraseChanged.connect(phrases.append)
        panel.answerChanged.connect(answer_pieces.append)

        with qtbot.waitSignal(panel.runningChanged, timeout=10000) as started:
            t0 = time.perf_counter()
            panel.start_button.click()
            assert time.perf_counter() - t0 < 0.1  # loading and opening happen elsewhere
            assert not panel.start_button.isEnabled()
        assert started.args == [True] and panel.stop_button.isEnabled()

        threading.Thread(target=play_phrase, args=(keyboard,), daemon=True).start()
        qtbot.waitUntil(lambda: bool(answer_pieces), timeout=8000)
        assert phrases and {n.pitch for n in phrases[-1].notes} == {62, 66, 69, 74}
        assert answer_pieces[-1].notes
        qtbot.waitUntil(lambda: any(m.type == "note_on" for m in answers), timeout=3000)

        with qtbot.waitSignal(panel.runningChanged, timeout=5000) as stopped:
            t0 = time.perf_counter()
            panel.stop_button.click()
            assert time.perf_counter() - t0 < 0.1
        assert stopped.args == [False]
        assert panel.status_text() == "Stopped."
        assert panel.start_button.isEnabled()
    finally:
        keyboard.close()
        out.close()


@pytest.mark.jack
def test_a_missing_model_is_said_in_the_status(qtbot, jack, tmp_path, panel):
    keyboard = ports.open_virtual_output("keys2", api="jack", client_name="panelkbd2")
    try:
        panel.refresh()
        panel.set_generation(str(tmp_path / "no-model"), GenerationSettings())
        panel.start()
        qtbot.waitUntil(lambda: "no model bundle" in panel.status_text(), timeout=5000)
        assert not panel.is_running() and panel.start_button.isEnabled()
    finally:
        keyboard.close()
