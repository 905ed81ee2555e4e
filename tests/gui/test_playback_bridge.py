"""Play buttons -> the real QtPlayer -> a real MIDI port (JACK dummy server); the playhead."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import SEED_NOTES
from tests.jack_server import PolledSynth, jack  # noqa: F401  (fixture)


@pytest.fixture
def synth_port(jack, monkeypatch):  # noqa: F811
    """A virtual MIDI input standing in for a hardware synth; collects what it is sent."""
    monkeypatch.setenv("COMPOSER_MIDI_API", "jack")  # the app's output list looks there
    synth = PolledSynth("Test synth", client_name="synth")
    yield synth
    synth.close()


def test_play_to_a_midi_port_moves_the_playhead(window, seed_file, synth_port, qtbot):
    window.open_file(seed_file)
    window.playback.player()
    names = [window.output_combo.itemText(i) for i in range(window.output_combo.count())]
    assert names[0] == "Built-in synth"
    window.output_combo.setCurrentIndex(
        next(i for i, name in enumerate(names) if "Test synth" in name))
    window.roll.set_cursor_beat(6.0)  # the last second of the held chord
    positions = []
    window.playback._player.positionChanged.connect(positions.append)
    with qtbot.waitSignal(window.playback._player.finished, timeout=60_000):  # returns early
        window.play_action.trigger()  # Space
        assert window.playback.is_playing()
    assert positions and 6.0 <= positions[0] < positions[-1] <= 8.05
    assert window.roll.playhead is None  # gone at the end
    # The notes reach the port on a JACK cycle after the playhead, which a loaded machine
    # can hold up.
    expected = {n.pitch for n in SEED_NOTES if n.start < 8.0 <= n.end + 1e-9}
    qtbot.waitUntil(lambda: started_pitches(synth_port) == expected, timeout=60_000)


def started_pitches(synth: PolledSynth) -> set[int]:
    return {m.note for m in synth.messages() if m.type == "note_on" and m.velocity > 0}


def test_space_stops_what_plays(window, seed_file, synth_port, qtbot):
    window.open_file(seed_file)
    window.playback.player()
    window.output_combo.setCurrentIndex(window.output_combo.count() - 1)
    window.roll.setFocus()
    QTest.keyClick(window.roll, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.roll.playhead is not None, timeout=5000)
    QTest.keyClick(window.roll, Qt.Key.Key_Space)
    assert not window.playback.is_playing() and window.roll.playhead is None


def test_a_vanished_port_is_a_dialog_and_leaves_the_list(window, seed_file, jack, qtbot,  # noqa: F811
                                                         monkeypatch):
    monkeypatch.setenv("COMPOSER_MIDI_API", "jack")
    synth = PolledSynth("Pulled synth", client_name="pulled")
    window.open_file(seed_file)
    player = window.playback.player()
    player._port_check.setInterval(100)
    window.output_combo.setCurrentIndex(window.output_combo.findText("pulled:Pulled synth"))
    window.roll.set_cursor_beat(0.0)
    assert window.playback.play_all()
    qtbot.waitUntil(lambda: bool(started_pitches(synth)), timeout=5000)
    with qtbot.waitSignal(window.errorShown, timeout=5000) as shown:
        synth.close()
    assert "'pulled:Pulled synth' has gone" in shown.args[0]
    assert window._error_box is not None and window._error_box.isVisible()
    assert not window.playback.is_playing() and window.roll.playhead is None
    assert window.output_combo.currentText() == "Built-in synth"
    assert window.output_combo.findText("pulled:Pulled synth") < 0


def test_switching_takes_while_playing_goes_on_with_the_other_take(window, seed_file,
                                                                   synth_port, qtbot):
    """A/B: the music goes on from the same spot with the newly selected take."""
    from composer.generate import Take
    from composer.notes import Note

    window.open_file(seed_file)
    takes = [Take(i, tuple(Note(8.0 + b, 8.5 + b, pitch, 100) for b in range(8)), (), 8.0,
                  16.0, ()) for i, pitch in enumerate((84, 86))]
    window.generation_bridge._takes_ready(takes)
    window.playback.player()
    window.output_combo.setCurrentIndex(window.output_combo.count() - 1)
    window.roll.set_cursor_beat(7.5)
    assert window.playback.play_all()
    qtbot.waitUntil(lambda: 84 in started_pitches(synth_port), timeout=10000)
    window.next_take_action.trigger()  # Alt+Down: take 2, while playing
    assert window.playback.is_playing()
    qtbot.waitUntil(lambda: 86 in started_pitches(synth_port), timeout=10000)
    window.stop_action.trigger()
