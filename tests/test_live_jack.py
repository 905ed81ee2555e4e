"""Live call and response end to end, through real MIDI ports, without hardware.

A JACK server with the dummy driver carries the MIDI. A second Python process plays the
keyboard part (``python -m tests.jack_server keyboard``): it opens a port, plays the first
bar of ``test17.mid`` (a real performance) and later comes back in. This process runs
a :class:`LiveSession` with the tiny test model (key lock on) and records what arrives on the
answer port. All times are CLOCK_MONOTONIC, shared by both processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import mido
import pytest

from composer import ports
from composer.bundle import load_bundle
from composer.generate import GenerationSettings
from composer.keys import estimate_key
from composer.live import LiveSession, LiveSettings, model_answerer
from tests import jack_server
from tests.conftest import music21_test_midis

jack = jack_server.jack  # the fixture: a JACK dummy server for this module
ROOT = Path(__file__).resolve().parent.parent
PHRASE = next(p for p in music21_test_midis() if p.name == "test17.mid")
MIN_WAIT = 0.4
# Waits for something that must happen: generous, since they return as soon as it does (a
# nice-19 test run beside a training can take seconds for what takes milliseconds alone).
LOADED = 60.0


def window(seconds: float) -> float:
    """A wall-clock window of this test, as asserted on a machine with a core to spare,
    widened in proportion on an overloaded one (load average above the cores). There the
    scheduler, not composer, decides how long an answer takes; what happens in which order is
    asserted the same either way."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return seconds * max(1.0, load / (os.cpu_count() or 1))


class Keyboard:
    """The keyboard player, in its own process."""

    def __init__(self, env: dict[str, str], client: str = "kbd", port: str = "keys") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.jack_server", "keyboard", client, port],
            cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )
        assert self.read() == "ready"
        self.name = f"{client}:{port}"

    def read(self) -> str:
        line = self.process.stdout.readline().strip()
        assert line, f"the keyboard process died (exit {self.process.poll()})"
        return line

    def ask(self, command: str) -> float:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return float(self.read().split()[1])

    def quit(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            self.process.wait(10)


class AnswerPort:
    """The answers' destination: a virtual input port in this process."""

    def __init__(self) -> None:
        self.received: list[tuple[float, mido.Message]] = []
        self.port = ports.open_virtual_input("answers", api="jack", client_name="listener",
                                             callback=self._got)
        self.name = "listener:answers"

    def _got(self, message):
        self.received.append((time.monotonic(), message))

    def note_ons(self, after: float = 0.0, before: float = float("inf")):
        return [(t, m) for t, m in self.received
                if m.type == "note_on" and m.velocity > 0 and after <= t < before]

    def wait_for_note(self, after: float, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            notes = self.note_ons(after)
            if notes:
                return notes[0][0]
            time.sleep(0.005)
        return None


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def session_parts(jack, tiny_bundle):
    answers = AnswerPort()
    keyboard = Keyboard(jack.env)
    statuses: list[str] = []
    seeds = []
    settings = LiveSettings(min_wait=MIN_WAIT, max_wait=0.6)
    generation = GenerationSettings(key_lock=True, random_seed=5)
    session = LiveSession(
        model_answerer(load_bundle(tiny_bundle), generation), keyboard.name, answers.name,
        api="jack", settings=settings, clock=time.monotonic, poll_interval=0.2,
        on_status=statuses.append, on_phrase=seeds.append,
    )
    session.start()
    try:
        yield session, keyboard, answers, statuses, seeds
    finally:
        session.stop()
        keyboard.quit()
        answers.port.close()


@pytest.mark.jack
def test_answer_arrives_after_the_phrase_in_key_and_stops_when_the_player_returns(
        session_parts):
    session, keyboard, answers, statuses, seeds = session_parts
    phrase_end = keyboard.ask(f"play {PHRASE} 100 4")  # one bar at 100 bpm: 2.4 s
    first = answers.wait_for_note(after=0.0, timeout=LOADED)
    assert first is not None, f"no answer arrived; status: {statuses}"
    assert not answers.note_ons(before=phrase_end + MIN_WAIT), "answered before the phrase ended"
    assert first - phrase_end < 0.6 + window(0.5)  # the longest wait plus generous slack
    seed = seeds[-1]
    key = estimate_key(seed.notes)  # the key the phrase was heard in (F# minor, in fact)
    time.sleep(0.3)
    played = answers.note_ons()
    assert all(key.contains(m.note) for _, m in played), [m.note for _, m in played]

    # the player comes back in (and holds the key): the answer stops
    back = keyboard.ask("on 62")
    stop_within = window(0.05)
    time.sleep(0.45 + stop_within)
    late = answers.note_ons(after=back + stop_within)
    assert not late, f"the answer went on after the player came back: {late}"
    sounding: dict[int, int] = {}
    for _, m in answers.received:
        if m.type == "note_on" and m.velocity > 0:
            sounding[m.note] = sounding.get(m.note, 0) + 1
        elif m.type in ("note_on", "note_off"):
            sounding[m.note] = 0
    assert not any(sounding.values()), f"answer notes left hanging: {sounding}"
    keyboard.ask("off 62")
    assert wait_until(lambda: len(session.timings) >= 1, LOADED)
    timing = session.timings[0]
    assert timing.latency is not None and timing.latency < window(0.5)
    assert answers.note_ons()[0][0] >= timing.detected_at


@pytest.mark.jack
def test_keyboard_unplugged_and_back(jack, session_parts):
    session, keyboard, answers, statuses, _ = session_parts
    keyboard.quit()
    assert wait_until(lambda: any("disappeared" in s for s in statuses), LOADED), statuses
    assert session.is_running()
    again = Keyboard(jack.env)  # the same port name comes back
    try:
        assert wait_until(lambda: any("is back" in s for s in statuses), LOADED), statuses
        phrase_end = again.ask(f"play {PHRASE} 160 2")
        first = answers.wait_for_note(after=phrase_end, timeout=LOADED)
        assert first is not None, f"no answer after reconnecting; status: {statuses}"
    finally:
        again.quit()


@pytest.mark.jack
def test_answers_through_the_builtin_synth(jack, tiny_bundle):
    """No output port: the answer is played by the built-in synth (PortAudio into JACK)."""
    from composer.playback import audio_available

    if audio_available() is not None:
        pytest.skip(f"PortAudio cannot play into JACK here: {audio_available()}")
    from composer.errors import AudioError

    keyboard = Keyboard(jack.env)
    for attempt in range(3):
        session = LiveSession(
            model_answerer(load_bundle(tiny_bundle), GenerationSettings(random_seed=4)),
            keyboard.name, None, api="jack", settings=LiveSettings(min_wait=0.4, max_wait=0.4),
            synth="additive")
        try:
            session.start()
            break
        except AudioError:  # PortAudio's JACK client refused on a loaded machine ("Cannot
            if attempt == 2:  # read socket"): made again, as a person would press Start again
                keyboard.quit()
                raise
            time.sleep(1.0)
    try:
        assert session.output.peak == 0.0  # nothing played yet
        keyboard.ask(f"play {PHRASE} 160 2")
        # the sound card gets the answer, not silence
        assert wait_until(lambda: session.output.peak > 0.05, LOADED)
    finally:
        session.stop()
        keyboard.quit()


@pytest.mark.jack
def test_missing_input_port_is_a_clear_error(jack, tiny_bundle):
    from composer.errors import PortError

    session = LiveSession(lambda seed, bars: iter(()), "no-such-keyboard", None, api="jack")
    with pytest.raises(PortError, match="no MIDI input port named 'no-such-keyboard'"):
        session.start()
    assert not session.is_running()
    assert threading.active_count() < 50


@pytest.mark.jack
def test_cli_live_session(jack, tiny_bundle):
    """``composer live`` in its own process: listens, answers, ends cleanly when told to.

    SIGTERM rather than SIGINT: a test run started in the background of a shell inherits
    SIGINT ignored, and so would the child (Ctrl-C is the same code path, minus the signal).
    """
    import signal

    answers = AnswerPort()
    keyboard = Keyboard(jack.env)
    live = subprocess.Popen(
        [sys.executable, "-m", "composer", "live", "--input", keyboard.name, "--output",
         answers.name, "--api", "jack", "--model", str(tiny_bundle), "--max-wait", "0.5",
         "--key-lock", "--random-seed", "2"],
        cwd=ROOT, env={**os.environ, **jack.env}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        first = live.stdout.readline()
        assert first.startswith("live: listening on 'kbd:keys'"), first + live.stderr.read()
        phrase_end = keyboard.ask(f"play {PHRASE} 160 2")
        assert answers.wait_for_note(after=phrase_end, timeout=LOADED) is not None
        live.send_signal(signal.SIGTERM)
        out, err = live.communicate(timeout=LOADED)
    finally:
        if live.poll() is None:
            live.kill()
        keyboard.quit()
        answers.port.close()
    assert live.returncode == 0, err
    assert "live: stopped" in out and "Traceback" not in err


class VanishWhileOpening:
    """Makes a real port vanish in the one moment that once crashed live mode: after mido has
    listed the ports and before rtmidi opens the listed number.

    The hook (in mido's rtmidi backend, once armed) lists the ports, SIGKILLs the keyboard
    process that owns the port (JACK removes its port, as an unplugged keyboard does), waits
    until the listing no longer shows it, then makes rtmidi's real ``open_port`` call on the
    stale number: rtmidi raises its own ``InvalidPortError`` if the number is now out of
    range, or opens whichever port has that number now (``outcome`` says which).
    """

    def __init__(self, monkeypatch) -> None:
        import mido.backends.rtmidi as backend

        self._real = backend._open_port
        self.victim: list[Keyboard] = []  # filled when the keyboard is up
        self.after: Callable[[], None] | None = None  # runs once the open has failed
        self.raised: list[BaseException] = []
        self.outcome: list[str] = []
        self.armed = False
        monkeypatch.setattr(backend, "_open_port", self._open_port)

    def _open_port(self, rt, name=None, client_name=None, virtual=False, api=None):
        if not self.armed or virtual:
            return self._real(rt, name, client_name=client_name, virtual=virtual, api=api)
        self.armed = False
        listed = rt.get_ports()
        assert wait_until(lambda: bool(self.victim), LOADED)
        keyboard = self.victim[0]
        keyboard.process.kill()
        keyboard.process.wait(5)
        assert wait_until(lambda: name not in rt.get_ports(), LOADED)
        number, now = listed.index(name), rt.get_ports()
        try:
            rt.open_port(number)
        except Exception as exc:
            self.raised.append(exc)
            self.outcome.append("InvalidPortError")
            raise
        else:
            self.outcome.append(f"opened {now[number]!r} instead")
            return name  # what mido returns: it believes it opened ``name``
        finally:
            if self.after is not None:
                self.after()


@pytest.fixture
def own_jack(jack, monkeypatch):
    """A JACK server of this test's own, so which ports exist (and their order) is known:
    ports left by other tests would change what a stale port number names."""
    try:
        server = jack_server.start_jack()
    except RuntimeError as exc:
        pytest.skip(f"no second JACK server: {exc}")
    monkeypatch.setitem(os.environ, "JACK_DEFAULT_SERVER", server.name)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.jack
def test_a_port_gone_between_listing_and_opening_is_a_port_error(own_jack, monkeypatch):
    import rtmidi

    from composer.errors import PortVanished

    env = own_jack.env
    racer = VanishWhileOpening(monkeypatch)
    racer.victim.append(Keyboard(env))  # the only port: its stale number is out of range
    racer.armed = True
    with pytest.raises(PortVanished, match=r"MIDI input port 'kbd:keys' went away while it "
                                           r"was being opened$"):
        ports.open_input("kbd", api="jack")
    assert racer.outcome == ["InvalidPortError"]
    assert isinstance(racer.raised[0], rtmidi.InvalidPortError)  # the real error, caught

    # the stale number names another port now: rtmidi opens that one without a word
    racer.victim[:] = [Keyboard(env)]
    other = Keyboard(env, client="other", port="pads")  # registered, so listed, after it
    racer.armed = True
    try:
        with pytest.raises(PortVanished, match="'kbd:keys' went away while it was being "
                                               "opened$"):
            ports.open_input("kbd", api="jack")
        assert racer.outcome[-1] == "opened 'other:pads' instead"
    finally:
        other.quit()

    # it comes straight back (a new process, the same name): the second try opens it
    racer.victim[:] = [Keyboard(env)]
    back: list[Keyboard] = []
    racer.after = lambda: back.append(Keyboard(env))
    racer.armed = True
    received = []
    port = ports.open_input("kbd", api="jack", callback=received.append)
    try:
        assert racer.outcome[-1] == "InvalidPortError"
        back[0].ask("on 60")
        assert wait_until(lambda: any(m.type == "note_on" for m in received), LOADED)
    finally:
        port.close()
        back[0].quit()


@pytest.mark.jack
def test_a_port_that_vanishes_while_it_is_reopened_keeps_the_session(jack, session_parts,
                                                                     monkeypatch):
    """The keyboard comes back and goes away again while live mode reopens it: said once,
    still listening, and the next return is answered."""
    session, keyboard, answers, statuses, _ = session_parts
    keyboard.quit()
    assert wait_until(lambda: any("disappeared" in s for s in statuses), LOADED), statuses
    racer = VanishWhileOpening(monkeypatch)
    racer.armed = True
    racer.victim.append(Keyboard(jack.env))  # back ... and gone while being opened
    assert wait_until(lambda: any("cannot be opened" in s for s in statuses), LOADED), statuses
    time.sleep(1.0)  # five more looks at the ports
    failed = [s for s in statuses if "cannot be opened" in s]
    assert len(failed) == 1 and "went away while it was being opened" in failed[0], statuses
    assert len(racer.outcome) == 1  # an InvalidPortError or another port opened: either way
    assert session.is_running() and not any("stopped" in s for s in statuses), statuses
    again = Keyboard(jack.env)
    try:
        assert wait_until(lambda: any("is back; listening" in s for s in statuses), LOADED)
        phrase_end = again.ask(f"play {PHRASE} 160 2")
        first = answers.wait_for_note(after=phrase_end, timeout=LOADED)
        assert first is not None, f"no answer after the port came back; status: {statuses}"
    finally:
        again.quit()
