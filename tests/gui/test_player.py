"""QtPlayer (gui/player.py): real playback behind Qt signals, offscreen.

MIDI: a JACK dummy server with a virtual input port recording what arrives. Sound card:
PortAudio playing into the same JACK server; and, pointed at no server, the "no sound card"
path every machine without one takes.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from composer import ports
from composer.errors import PortError
from composer.midi_io import read_midi
from composer.notes import TempoChange
from composer.playback import BUILTIN_SYNTH, audio_available, rescan_audio_devices
from gui.player import QtPlayer
from tests import jack_server
from tests.conftest import music21_test_midis
from tests.jack_server import PolledSynth

jack = jack_server.jack  # the fixture: a JACK dummy server for this module
LOADED_MS = 60_000  # waitSignal/waitUntil timeouts: they return early, a busy machine needs it
NO_SERVER = {"JACK_DEFAULT_SERVER": "composer-nobody-runs-this", "JACK_NO_START_SERVER": "1"}


def short_piece(seconds: float = 0.8):
    piece = read_midi(next(p for p in music21_test_midis() if p.name == "test08.mid"))
    return replace(piece, tempos=(TempoChange(0.0, piece.end_beat * 60.0 / seconds),))


@pytest.fixture
def player(qtbot):
    player = QtPlayer(api="jack")
    yield player
    player.close()


def test_no_sound_card_is_reported_once(qtbot, monkeypatch):
    for key, value in NO_SERVER.items():
        monkeypatch.setenv(key, value)
    rescan_audio_devices()  # forget a JACK server of other tests
    if audio_available() is None:
        pytest.skip("this machine has a sound card")
    player = QtPlayer()
    reasons, finished = [], []
    player.audioUnavailable.connect(reasons.append)
    player.finished.connect(lambda: finished.append(True))
    for count in (1, 2):
        assert player.play(short_piece(), BUILTIN_SYNTH) is False
        assert not player.is_playing()
        qtbot.waitUntil(lambda count=count: len(finished) == count, timeout=2000)
    assert len(reasons) == 1 and reasons[0].startswith("no audio device")
    assert player.outputs()[0] == BUILTIN_SYNTH


def test_outputs_without_a_midi_system(qtbot, monkeypatch):
    for key, value in NO_SERVER.items():
        monkeypatch.setenv(key, value)
    assert QtPlayer(api="jack").outputs() == [BUILTIN_SYNTH]


@pytest.mark.jack
def test_plays_to_a_jack_port_with_moving_position(qtbot, jack, player):
    synth = PolledSynth("roll", client_name="qtroll")
    try:
        assert player.outputs() == [BUILTIN_SYNTH, "qtroll:roll"]
        # Two seconds: about 40 positions at one every 50 ms, so 8 of them still arrive when
        # a loaded machine wakes the player thread only every 250 ms.
        piece = short_piece(2.0)
        positions = []
        player.positionChanged.connect(positions.append)
        # Generous timeouts: waitSignal and waitUntil return as soon as it happens.
        with qtbot.waitSignal(player.finished, timeout=LOADED_MS):
            assert player.play(piece, "qtroll:roll")
            assert player.is_playing()
        assert len(positions) >= 8 and positions == sorted(positions)
        assert positions[-1] == pytest.approx(piece.end_beat)
        qtbot.waitUntil(lambda: len(note_ons(synth)) == len(piece.notes), timeout=LOADED_MS)
    finally:
        synth.close()


def note_ons(synth: PolledSynth) -> list:
    return [m for m in synth.messages() if m.type == "note_on" and m.velocity > 0]


@pytest.mark.jack
def test_a_port_that_vanishes_while_playing_stops_it_with_the_reason(qtbot, jack, player):
    synth = PolledSynth("unplugged", client_name="usbsynth")
    player._port_check.setInterval(100)  # look often: the test need not wait a second
    finished = []
    player.finished.connect(lambda: finished.append(True))
    # A piece far longer than the test waits: the port check must stop it, never its end
    # (a 10 s piece once ended first on a loaded machine). Stopped at once, so no slower.
    assert player.play(short_piece(120.0), "usbsynth:unplugged")
    qtbot.waitUntil(lambda: bool(note_ons(synth)), timeout=LOADED_MS)
    with qtbot.waitSignal(player.errorOccurred, timeout=LOADED_MS) as error:
        synth.close()  # the synth is unplugged
    assert "'usbsynth:unplugged' has gone" in error.args[0]
    assert not player.is_playing() and not finished
    with pytest.raises(PortError, match="no MIDI output port named 'usbsynth:unplugged'"):
        player.play(short_piece(), "usbsynth:unplugged")  # asked again: says why not
    back = PolledSynth("unplugged", client_name="usbsynth")  # plugged in again: plays
    try:
        with qtbot.waitSignal(player.finished, timeout=LOADED_MS):
            assert player.play(short_piece(), "usbsynth:unplugged")
        qtbot.waitUntil(lambda: len(note_ons(back)) == len(short_piece().notes), timeout=LOADED_MS)
        back.close()  # unplugged and back between two plays: the next play reaches it too
        back = PolledSynth("unplugged", client_name="usbsynth")
        with qtbot.waitSignal(player.finished, timeout=LOADED_MS):
            assert player.play(short_piece(), "usbsynth:unplugged")
        qtbot.waitUntil(lambda: len(note_ons(back)) == len(short_piece().notes), timeout=LOADED_MS)
    finally:
        back.close()


@pytest.mark.jack
def test_stop_means_no_finished_and_no_late_positions(qtbot, jack, player):
    port = ports.open_virtual_input("stopper", api="jack", client_name="qtstop")
    try:
        finished, positions = [], []
        player.finished.connect(lambda: finished.append(True))
        player.positionChanged.connect(positions.append)
        player.play(short_piece(2.0), "qtstop:stopper")
        qtbot.waitUntil(lambda: len(positions) >= 3, timeout=2000)
        player.stop()
        count = len(positions)
        qtbot.wait(300)
    finally:
        port.close()
    assert not player.is_playing() and not finished
    assert len(positions) == count


@pytest.mark.jack
def test_plays_to_the_builtin_synth_through_jack_audio(qtbot, jack, player):
    if audio_available() is not None:
        pytest.skip(f"PortAudio cannot play into JACK here: {audio_available()}")
    unavailable = []
    player.audioUnavailable.connect(unavailable.append)
    with qtbot.waitSignal(player.finished, timeout=5000):
        assert player.play(short_piece(0.5), BUILTIN_SYNTH)
    assert not unavailable
    assert player._output.frames_played > 0 and player._output.peak > 0.01
