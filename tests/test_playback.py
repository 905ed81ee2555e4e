"""The player: real pieces played in real time to real outputs.

MIDI output: a JACK dummy server (``tests/jack_server.py``) with a virtual input port in this
process that records what arrives and when. Sound card: PortAudio playing into the same JACK
server, which is an audio device as real as any; without JACK the "no audio device" path is
what a machine without a sound card gets. Pieces are music21 test files, sped up (a tempo
change on the real notes) so each plays in about a second.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import replace

import mido
import numpy as np
import pytest

from composer import ports
from composer.audio import AdditiveSynth, piece_messages
from composer.cli import main
from composer.errors import AudioError
from composer.midi_io import read_midi, write_midi
from composer.notes import TempoChange
from composer.playback import (
    BUILTIN_SYNTH,
    Player,
    PortOutput,
    SynthOutput,
    audio_available,
    beat_at,
    open_output,
    output_names,
    rescan_audio_devices,
)
from tests import jack_server
from tests.conftest import music21_test_midis

jack = jack_server.jack  # the fixture: a JACK dummy server for this module
FILES = {path.name: path for path in music21_test_midis()}


def fast(name: str, seconds: float = 1.0):
    """A real piece, its tempo raised so it lasts ``seconds``."""
    piece = read_midi(FILES[name])
    bpm = piece.end_beat * 60.0 / seconds
    return replace(piece, tempos=(TempoChange(0.0, bpm),))


class Recorder:
    """A JACK input port that keeps (arrival time, message)."""

    def __init__(self, name: str) -> None:
        self.received: list[tuple[float, mido.Message]] = []
        self.port = ports.open_virtual_input(name, api="jack", client_name=name,
                                             callback=self._got)
        self.name = f"{name}:{name}"

    def _got(self, message: mido.Message) -> None:
        self.received.append((time.perf_counter(), message))

    def notes(self, kind: str = "note_on") -> list[tuple[float, mido.Message]]:
        return [(t, m) for t, m in self.received
                if m.type == kind and (kind != "note_on" or m.velocity > 0)]

    def close(self) -> None:
        self.port.close()


def test_beat_at_inverts_the_tempo_map():
    piece = read_midi(FILES["test10.mid"])  # 120 -> 110 -> 90 -> 60 bpm
    for beat in np.linspace(0.0, piece.end_beat, 37):
        assert beat_at(piece, piece.seconds_at(beat)) == pytest.approx(beat)


@pytest.mark.jack
def test_player_sends_the_piece_on_time_through_a_port(jack):
    piece = fast("test14.mid", seconds=1.5)  # 6/8, chords and single notes
    recorder = Recorder("timing")
    positions, finished, errors = [], threading.Event(), []
    output = PortOutput(ports.open_output(recorder.name, api="jack"))
    player = Player(output, on_position=positions.append, on_finished=finished.set,
                    on_error=errors.append)
    try:
        start = time.perf_counter()
        player.play(piece)
        assert finished.wait(5.0) and not errors
        time.sleep(0.3)  # let the last messages cross JACK before the ports close
    finally:
        output.close()
        recorder.close()
    expected = [(e.seconds, e.message.note) for e in piece_messages(piece)
                if e.message.type == "note_on"]
    got = [(t - start, m.note) for t, m in recorder.notes()]
    assert sorted(p for _, p in got) == sorted(p for _, p in expected)
    assert abs(got[0][0] - expected[0][0]) < 0.2  # started at once (a busy machine: ~ms)
    # rhythm: every note where it belongs relative to the first one
    errors_ms = [abs((g - got[0][0]) - (e - expected[0][0])) * 1000
                 for (g, _), (e, _) in zip(sorted(got), sorted(expected), strict=True)]
    assert statistics.median(errors_ms) < 15 and max(errors_ms) < 60, errors_ms
    assert len(recorder.notes("note_off")) >= len(expected)
    assert positions == sorted(positions) and positions[-1] == pytest.approx(piece.end_beat)
    assert len(positions) >= 10  # about every 50 ms
    assert not player.is_playing()


@pytest.mark.jack
def test_stop_silences_the_notes_it_started(jack):
    piece = fast("test13.mid", seconds=2.0)  # long held chords
    recorder = Recorder("stopping")
    finished = threading.Event()
    output = PortOutput(ports.open_output(recorder.name, api="jack"))
    player = Player(output, on_finished=finished.set)
    try:
        player.play(piece)
        time.sleep(0.6)
        assert output.sounding, "chords should be sounding"
        player.stop()
        time.sleep(0.1)
    finally:
        output.close()
        recorder.close()
    assert not finished.is_set() and not player.is_playing()
    balance: dict[int, int] = {}
    for _, m in recorder.received:
        if m.type == "note_on" and m.velocity > 0:
            balance[m.note] = balance.get(m.note, 0) + 1
        elif m.type in ("note_on", "note_off"):
            balance[m.note] = max(balance.get(m.note, 0) - 1, 0)
    assert not any(balance.values()), f"hanging notes: {balance}"
    assert any(m.type == "control_change" and m.control == 123 for _, m in recorder.received)


@pytest.mark.jack
def test_play_from_the_middle(jack):
    piece = fast("test08.mid", seconds=1.0)
    recorder = Recorder("middle")
    output = PortOutput(ports.open_output(recorder.name, api="jack"))
    player = Player(output)
    try:
        player.play(piece, start_beat=piece.end_beat / 2)
        assert player.wait(3.0)
        time.sleep(0.05)
    finally:
        output.close()
        recorder.close()
    later = [n.pitch for n in piece.notes if n.end > piece.end_beat / 2]
    assert sorted(m.note for _, m in recorder.notes()) == sorted(later)


def test_a_failing_output_reports_an_error():
    """mido's own port class, closed under the player's feet."""
    port = mido.ports.BaseOutput()
    errors, finished = [], threading.Event()
    player = Player(PortOutput(port), on_error=errors.append, on_finished=finished.set)
    player.play(fast("test01.mid", seconds=1.0))
    time.sleep(0.2)
    port.close()
    assert player.wait(3.0)
    assert len(errors) == 1 and "cannot send" in errors[0]
    assert not finished.is_set()


def test_no_audio_device_is_a_plain_error(monkeypatch):
    """Without a sound card (and with no JACK server to play into)."""
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "composer-nobody-runs-this")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    rescan_audio_devices()  # forget the JACK server of other tests
    reason = audio_available()
    if reason is None:
        pytest.skip("this machine has a sound card")
    assert reason.startswith("no audio device")
    with pytest.raises(AudioError, match="^no audio device"):
        SynthOutput()
    assert output_names()[0] == BUILTIN_SYNTH


@pytest.mark.jack
def test_builtin_synth_plays_into_jack_audio(jack):
    if audio_available() is not None:
        pytest.skip(f"PortAudio cannot play into JACK here: {audio_available()}")
    finished = threading.Event()
    output = SynthOutput(AdditiveSynth(48000))  # the JACK dummy runs at 48 kHz
    player = Player(output, on_finished=finished.set)
    try:
        player.play(fast("test01.mid", seconds=0.8))
        assert finished.wait(5.0)
    finally:
        output.close()
    assert output.frames_played > 0.5 * 48000  # the sound card pulled the piece
    assert output.peak > 0.05  # and it was not silence


@pytest.mark.jack
def test_open_output_by_name(jack):
    recorder = Recorder("byname")
    try:
        output = open_output("byname", api="jack")
        assert isinstance(output, PortOutput)
        output.close()
        assert output_names("jack")[0] == BUILTIN_SYNTH
        assert recorder.name in output_names("jack")
    finally:
        recorder.close()


@pytest.mark.jack
def test_cli_play_to_a_port(jack, tmp_path, capsys):
    recorder = Recorder("cliplay")
    path = write_midi(tmp_path / "fast.mid", fast("test05.mid", seconds=0.7))
    try:
        assert main(["play", str(path), "--port", "cliplay", "--api", "jack"]) == 0
        time.sleep(0.05)
    finally:
        recorder.close()
    assert "playing" in capsys.readouterr().out
    assert len(recorder.notes()) == len(read_midi(path).notes)


def test_cli_play_without_sound_or_port(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "composer-nobody-runs-this")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    rescan_audio_devices()
    if audio_available() is None:
        pytest.skip("this machine has a sound card")
    assert main(["play", str(FILES["test01.mid"])]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("composer play: no audio device") and "--port" in err
    assert "\n" not in err
