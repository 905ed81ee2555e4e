"""A JACK server with the dummy driver, for testing real MIDI ports without hardware.

Each server gets a unique name (``JACK_DEFAULT_SERVER``), so tests never touch a JACK server a
developer is running, and ``JACK_NO_START_SERVER=1`` stops clients from starting one on their
own. The dummy driver runs a 512-frame period at 48 kHz (10.7 ms), like a modest real setup:
with 256 frames (5.3 ms) a loaded 2-core machine made JACK skip the late client's cycle and
drop whole MIDI messages (a recorder test lost a note on and its note off, connected all the
while, 1 run in 3 beside a training run); 1,024 frames made the onset jitter reach the
recorder test's 75 ms tolerance instead.

CI needs the Debian packages ``jackd2`` (the server and ``jack_lsp``;
``apt-get install -y --no-install-recommends jackd2`` is enough) and ``libasound2``
(python-rtmidi); ``libportaudio2`` lets PortAudio play into the same server. Without ``jackd``
the tests that need it are skipped with the reason.

Usage in a test module::

    from tests import jack_server
    jack = jack_server.jack  # the fixture

    def test_x(jack): ...          # jack.name, jack.env (for child processes)

``python -m tests.jack_server keyboard CLIENT PORT`` is the keyboard player of the end-to-end
tests: a second process that plays phrases into a virtual port on command (see
``KEYBOARD_HELP``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field

import pytest

START_TIMEOUT = 10.0


@dataclass
class JackServer:
    name: str
    process: subprocess.Popen
    env: dict[str, str] = field(default_factory=dict)  # what a child process needs

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_jack(name: str | None = None, rate: int = 48000, period: int = 512) -> JackServer:
    """Start ``jackd`` with the dummy driver and wait until clients can connect."""
    jackd = shutil.which("jackd")
    if jackd is None:
        raise RuntimeError("jackd is not installed (Debian: apt-get install jackd2)")
    name = name or f"composer-test-{uuid.uuid4().hex[:8]}"
    env = {"JACK_DEFAULT_SERVER": name, "JACK_NO_START_SERVER": "1"}
    child_env = {**os.environ, **env}
    log = tempfile.TemporaryFile()  # a file, not a pipe: a full pipe would block jackd
    process = subprocess.Popen(
        [jackd, "--no-realtime", "-n", name, "-d", "dummy", "-r", str(rate), "-p", str(period)],
        env=child_env, stdout=log, stderr=log,
    )
    server = JackServer(name, process, env)
    deadline = time.monotonic() + START_TIMEOUT
    lsp = shutil.which("jack_lsp")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            err = log.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"jackd exited at once: {err[-1] if err else process.returncode}")
        if lsp is None:
            time.sleep(1.0)
            return server
        try:
            probe = subprocess.run([lsp, "-s", name], env=child_env, capture_output=True,
                                   timeout=5)
        except subprocess.TimeoutExpired:  # a server half up can keep a client waiting
            continue
        if probe.returncode == 0:
            return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"jackd did not come up within {START_TIMEOUT:.0f} s")


@pytest.fixture(scope="module")
def jack():
    """A running JACK dummy server for this test module; this process talks to it."""
    try:
        server = start_jack()
    except RuntimeError as exc:
        pytest.skip(f"no JACK server for real MIDI ports: {exc}")
    saved = {key: os.environ.get(key) for key in server.env}
    os.environ.update(server.env)
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _detach_portaudio()
        server.stop()


def wait_connected(server: JackServer, port_part: str, timeout: float = 30.0) -> bool:
    """Wait until a JACK port whose name holds ``port_part`` has a connection.

    Opening a port asks the server for the connection; under load the server makes it a
    few periods later, and MIDI sent before that is dropped by JACK (as with hardware), so
    a test plays only once the wire is there.
    """
    lsp = shutil.which("jack_lsp")
    if lsp is None:
        time.sleep(0.5)
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = subprocess.run([lsp, "-c"], env={**os.environ, **server.env},
                               capture_output=True, text=True, timeout=10).stdout.splitlines()
        for index, line in enumerate(lines[:-1]):
            if not line.startswith((" ", "\t")) and port_part in line and \
                    lines[index + 1].startswith((" ", "\t")):
                return True
        time.sleep(0.05)
    return False


def _detach_portaudio() -> None:
    """Make PortAudio let go of the server before it stops.

    PortAudio's JACK host API aborts the whole process at exit (an assertion in
    ``pa_jack.c``) if the server it was attached to has gone away, so it is restarted
    here, pointed at no server, while ours is still running.
    """
    import sys

    sounddevice = sys.modules.get("sounddevice")
    if sounddevice is None:
        return
    keys = ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")
    previous = {key: os.environ.get(key) for key in keys}
    os.environ.update({"JACK_DEFAULT_SERVER": "composer-test-no-server",
                       "JACK_NO_START_SERVER": "1"})
    try:
        sounddevice._terminate()
        sounddevice._initialize()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class PolledSynth:
    """A virtual JACK MIDI input standing in for a hardware synth, read by polling.

    Why not a callback: python-rtmidi runs input callbacks on JACK's process thread, which
    then waits for the GIL; in a test process busy generating or painting, that wait can
    outlast JACK's cycle and the server drops the events of the cycle (seen under load: the
    note-ons of a chord lost, the note-offs kept). A real synth is another process, so here
    rtmidi's own queue fills without Python and :meth:`messages` drains it.
    """

    def __init__(self, port_name: str, client_name: str) -> None:
        import rtmidi

        self._midi_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name=client_name)
        self._midi_in.ignore_types(sysex=True, timing=True, active_sense=True)
        self._midi_in.open_virtual_port(port_name)
        self._seen: list = []

    def messages(self) -> list:
        """Every message received so far (``mido.Message``), oldest first."""
        import mido

        while (item := self._midi_in.get_message()) is not None:
            self._seen.append(mido.Message.from_bytes(item[0]))
        return list(self._seen)

    def close(self) -> None:
        self._midi_in.close_port()
        self._midi_in.delete()


# ----- a keyboard player in a second process -------------------------------------------------
KEYBOARD_HELP = """Commands, one per line on stdin (answers on stdout):
  play FILE BPM BEATS   play the first BEATS beats of FILE at BPM -> "played T" (last message)
  on PITCH / off PITCH  one note-on / note-off now -> "sent T"
  quit                  close the port and exit
T is time.monotonic() (CLOCK_MONOTONIC, the same clock in every process)."""


def keyboard_main(client: str, port_name: str) -> None:
    """Play the keyboard part from another process: a virtual JACK output port."""
    import sys
    from dataclasses import replace

    import mido

    from composer import ports
    from composer.audio import piece_messages
    from composer.midi_io import read_midi
    from composer.notes import TempoChange

    port = ports.open_virtual_output(port_name, api="jack", client_name=client)
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "play":
            piece = read_midi(words[1])
            beats = float(words[3])
            notes = [replace(n, end=min(n.end, beats)) for n in piece.notes if n.start < beats]
            piece = replace(piece, notes=tuple(notes), pedals=(),
                            tempos=(TempoChange(0.0, float(words[2])),))
            start = time.monotonic()
            last = start
            for event in piece_messages(piece):
                if event.message.type not in ("note_on", "note_off"):
                    continue
                delay = start + event.seconds - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                port.send(event.message)
                last = time.monotonic()
            print(f"played {last!r}", flush=True)
        elif words[0] in ("on", "off"):
            kind = "note_on" if words[0] == "on" else "note_off"
            port.send(mido.Message(kind, note=int(words[1]), velocity=90 if kind == "note_on"
                                   else 0))
            print(f"sent {time.monotonic()!r}", flush=True)
    port.close()


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 4 or sys.argv[1] != "keyboard":
        raise SystemExit("usage: python -m tests.jack_server keyboard CLIENT PORT\n\n"
                         + KEYBOARD_HELP)
    keyboard_main(sys.argv[2], sys.argv[3])
