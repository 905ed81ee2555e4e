"""Play a Piece in real time: a pure player with hooks, and the outputs it can play to.

The idea is frescobaldi's ``midifile/player.py``: the player knows nothing of Qt or of the CLI.
It schedules the piece's messages (:func:`composer.audio.piece_messages`, the same timeline the
WAV renderer uses) on a background thread against a clock and reports through plain callables
(``on_position(beats)``, ``on_finished()``, ``on_error(message)``), called from that thread. The
GUI's ``QtPlayer`` turns them into signals; ``composer play`` just waits.

Outputs share one small interface (:class:`Output`): ``send(msg)``, ``panic()``, ``close()``.

- :class:`PortOutput`: a MIDI output port (mido + rtmidi), e.g. a hardware synth or a soft
  synth listening on ALSA/JACK.
- :class:`SynthOutput`: the built-in synthesizer (:mod:`composer.audio`) through the sound card
  with ``sounddevice`` (PortAudio). Without PortAudio or without any output device this raises
  :class:`AudioError` "no audio device", which the callers show and keep working.

Every output remembers which notes it started, so ``panic()`` can end exactly those (plus
all-notes-off and pedal up): stopping never leaves a note hanging on a hardware synth.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import mido
import numpy as np

from composer import meter
from composer.audio import (
    ALL_NOTES_OFF_CC,
    PEDAL_CC,
    SAMPLE_RATE,
    Synth,
    TimedMessage,
    make_synth,
    piece_messages,
)
from composer.errors import AudioError, ComposerError, PortError, one_line
from composer.notes import Piece

BUILTIN_SYNTH = "Built-in synth"
POSITION_INTERVAL = 0.05  # seconds between on_position calls while playing


class Output:
    """Where played messages go. Subclasses implement ``_send`` (and maybe ``close``)."""

    name = "output"

    def __init__(self) -> None:
        self._sounding: set[tuple[int, int]] = set()  # (channel, note)
        self._lock = threading.Lock()

    def send(self, message: mido.Message) -> None:
        with self._lock:
            if message.type == "note_on" and message.velocity > 0:
                self._sounding.add((message.channel, message.note))
            elif message.type in ("note_on", "note_off"):
                self._sounding.discard((message.channel, message.note))
            self._send(message)

    def panic(self) -> None:
        """End every note this output started, lift the pedal, all notes off."""
        with self._lock:
            sounding, self._sounding = sorted(self._sounding), set()
            for channel, note in sounding:
                self._send(mido.Message("note_off", channel=channel, note=note, velocity=0))
            for channel in sorted({c for c, _ in sounding} | {0}):
                self._send(mido.Message("control_change", channel=channel, control=PEDAL_CC,
                                        value=0))
                self._send(mido.Message("control_change", channel=channel,
                                        control=ALL_NOTES_OFF_CC, value=0))

    @property
    def sounding(self) -> frozenset[tuple[int, int]]:
        with self._lock:
            return frozenset(self._sounding)

    def _send(self, message: mido.Message) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class PortOutput(Output):
    """A MIDI output port. Send failures (the port vanished) become :class:`PortError`."""

    def __init__(self, port) -> None:
        super().__init__()
        self.port = port
        self.name = getattr(port, "name", "MIDI port")

    def _send(self, message: mido.Message) -> None:
        try:
            self.port.send(message)
        except (OSError, RuntimeError, ValueError) as exc:
            raise PortError(f"MIDI port {self.name!r}: cannot send ({exc})") from None

    def close(self) -> None:
        try:
            self.panic()
        except ComposerError:
            pass
        finally:
            self.port.close()


class SynthOutput(Output):
    """The built-in synthesizer played through the sound card (``sounddevice``).

    A short block (256 frames, ~6 ms) keeps the delay between a message and its sound small;
    a soft clip (tanh) keeps chords from crackling when many voices add up.
    """

    name = BUILTIN_SYNTH

    def __init__(self, synth: str | Synth = "auto", *, blocksize: int = 256,
                 device=None, soundfont=None) -> None:
        super().__init__()
        self.frames_played = 0  # what the sound card has pulled so far
        self.peak = 0.0  # the loudest sample sent to it (a meter, and a check in the tests)
        sample_rate = device_sample_rate(device)
        if isinstance(synth, Synth):
            if synth.sample_rate != sample_rate:
                raise AudioError(f"the synthesizer runs at {synth.sample_rate} Hz but the "
                                 f"audio device at {sample_rate} Hz")
            self.synth = synth
        else:
            self.synth = make_synth(synth, sample_rate, soundfont)
        self._stream = open_audio_stream(self._callback, sample_rate, blocksize, device)

    def _callback(self, outdata, frames, _time, _status) -> None:
        block = np.tanh(self.synth.render(frames))
        outdata[:] = block
        self.frames_played += frames
        if block.size:
            self.peak = max(self.peak, float(np.abs(block).max()))

    def _send(self, message: mido.Message) -> None:
        self.synth.send(message)

    def close(self) -> None:
        self.panic()
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:  # noqa: BLE001 - closing a dead device must not fail the caller
            pass


def _sounddevice():
    try:
        import sounddevice
    except ImportError:
        raise AudioError("no audio device: sounddevice is not installed "
                         "(pip install sounddevice)") from None
    except OSError:
        raise AudioError("no audio device: the PortAudio library is missing "
                         "(Debian/Ubuntu: apt install libportaudio2)") from None
    return sounddevice


def _reason(exc: BaseException) -> str:
    return one_line(exc) or type(exc).__name__


def _no_device(exc: BaseException) -> str:
    return f"no audio device (no sound output found; PortAudio says: {_reason(exc)})"


_streams_open = 0  # PortAudio may only be re-initialized while none of our streams runs
_streams_lock = threading.Lock()


def rescan_audio_devices() -> bool:
    """Let PortAudio look for sound cards again (False: a stream is open, not now)."""
    try:
        sounddevice = _sounddevice()
    except AudioError:
        return False
    return _rescan(sounddevice)


def _rescan(sounddevice) -> bool:
    """PortAudio lists the devices once, when it starts: restart it to list them again."""
    with _streams_lock:
        if _streams_open:
            return False
        try:
            sounddevice._terminate()
            sounddevice._initialize()
        except Exception:  # noqa: BLE001 - a failed rescan leaves the old list
            return False
        return True


def device_sample_rate(device=None) -> int:
    """The output device's own rate (JACK, for one, refuses any other)."""
    sounddevice = _sounddevice()
    for attempt in range(2):
        try:
            info = sounddevice.query_devices(device, "output")
            break
        except Exception as exc:  # sounddevice.PortAudioError, ValueError
            if attempt:
                raise AudioError(_no_device(exc)) from None
            _rescan(sounddevice)  # a device plugged in (or a server started) since
    rate = int(round(info.get("default_samplerate") or SAMPLE_RATE))
    return rate if 8000 <= rate <= 192000 else SAMPLE_RATE


class _Stream:
    """A sounddevice stream that counts itself, so rescans never pull the rug from it."""

    def __init__(self, stream) -> None:
        global _streams_open
        self._stream = stream
        self._closed = False
        with _streams_lock:
            _streams_open += 1

    def stop(self) -> None:
        self._stream.stop()

    def close(self) -> None:
        global _streams_open
        if self._closed:
            return
        self._closed = True
        try:
            self._stream.close()
        finally:
            with _streams_lock:
                _streams_open -= 1


def open_audio_stream(callback, sample_rate: int, blocksize: int = 256, device=None):
    """A started output stream (``stop()``, ``close()``), or :class:`AudioError`."""
    sounddevice = _sounddevice()
    try:
        stream = sounddevice.OutputStream(
            samplerate=sample_rate, channels=2, dtype="float32", blocksize=blocksize,
            latency="low", callback=callback, device=device,
        )
    except Exception as exc:  # sounddevice.PortAudioError, ValueError for a bad device
        raise AudioError(_no_device(exc)) from None
    wrapped = _Stream(stream)
    try:
        stream.start()
    except Exception as exc:  # noqa: BLE001
        wrapped.close()
        raise AudioError(_no_device(exc)) from None
    return wrapped


def audio_available(device=None) -> str | None:
    """``None`` if the sound card can be opened, else the reason it cannot."""
    try:
        stream = open_audio_stream(lambda out, *_: out.fill(0), device_sample_rate(device),
                                   device=device)
    except AudioError as exc:
        return str(exc)
    stream.stop()
    stream.close()
    return None


def audio_devices() -> list[str]:
    """The names of the sound outputs PortAudio sees (empty: none, or no PortAudio)."""
    try:
        sounddevice = _sounddevice()
        devices = sounddevice.query_devices()
    except Exception:  # noqa: BLE001 - AudioError, PortAudioError: no devices to offer
        return []
    return [str(d["name"]) for d in devices if d.get("max_output_channels", 0) > 0]


def output_names(api: str | None = None) -> list[str]:
    """What can be played to: the built-in synth first, then the MIDI output ports."""
    from composer.ports import list_ports

    try:
        return [BUILTIN_SYNTH, *list_ports(api).outputs]
    except PortError:
        return [BUILTIN_SYNTH]


def open_output(name: str | None = None, *, api: str | None = None,
                synth: str = "auto", device=None, soundfont=None) -> Output:
    """``None`` or "Built-in synth" -> the sound card (``device``: a sounddevice name or
    index, None = the system's default; ``soundfont``: another SoundFont file); anything else
    -> that MIDI port."""
    if name is None or name == BUILTIN_SYNTH:
        return SynthOutput(synth, device=device, soundfont=soundfont)
    from composer.ports import open_output as open_port

    return PortOutput(open_port(name, api=api))


def beat_at(piece: Piece, seconds: float) -> float:
    """Inverse of :meth:`Piece.seconds_at`: the beat sounding ``seconds`` after beat 0."""
    return meter.beat_at(piece.tempos, seconds)


class Player:
    """Plays one piece at a time on a background thread; hooks report what happens.

    ``on_position(beats)`` about every 50 ms and once at the end, ``on_finished()`` when the
    piece played to its end (not after :meth:`stop`), ``on_error(message)`` when the output
    fails (playing then stops). Hooks run on the player's thread.
    """

    def __init__(self, output: Output, *, clock: Callable[[], float] = time.perf_counter,
                 on_position: Callable[[float], None] | None = None,
                 on_finished: Callable[[], None] | None = None,
                 on_error: Callable[[str], None] | None = None,
                 position_interval: float = POSITION_INTERVAL) -> None:
        self.output = output
        self.clock = clock
        self.on_position = on_position
        self.on_finished = on_finished
        self.on_error = on_error
        self.position_interval = position_interval
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def play(self, piece: Piece, start_beat: float = 0.0) -> None:
        """Start playing ``piece`` from ``start_beat``; a piece already playing is stopped."""
        self.stop()
        events = piece_messages(piece, start_beat)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(piece, start_beat, events, self._stop),
            name="composer-player", daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop playing and silence the notes started (no ``on_finished``)."""
        thread = self._thread
        self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        self._thread = None

    def is_playing(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the piece ends or is stopped; ``False`` if ``timeout`` ran out."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self, piece: Piece, start_beat: float, events: list[TimedMessage],
             stopped: threading.Event) -> None:
        origin_seconds = piece.seconds_at(start_beat)
        end_seconds = max(piece.seconds_at(piece.end_beat) - origin_seconds, 0.0)
        t0 = self.clock()
        next_position = 0.0
        index = 0
        try:
            while not stopped.is_set():
                now = self.clock() - t0
                while index < len(events) and events[index].seconds <= now:
                    self.output.send(events[index].message)
                    index += 1
                if now >= next_position:
                    self._position(beat_at(piece, origin_seconds + min(now, end_seconds)))
                    next_position = now + self.position_interval
                if index >= len(events) and now >= end_seconds:
                    break
                due = events[index].seconds if index < len(events) else end_seconds
                stopped.wait(max(min(due, next_position) - (self.clock() - t0), 0.0))
        except ComposerError as exc:
            self._silence()
            if self.on_error:
                self.on_error(str(exc))
            return
        self._silence()
        if not stopped.is_set():
            self._position(piece.end_beat)
            if self.on_finished:
                self.on_finished()

    def _position(self, beats: float) -> None:
        if self.on_position:
            self.on_position(beats)

    def _silence(self) -> None:
        try:
            self.output.panic()
        except ComposerError:
            pass
