"""Sound: turn a :class:`Piece` into PCM audio, offline (WAV files) or in real time.

Two synthesizers share one small interface (:class:`Synth`: note on/off, controllers, program,
``render(frames)``), so the offline renderer, the player and the live mode all drive the same
code:

- :class:`SoundFontSynth`: a General MIDI SoundFont played by ``tinysoundfont``, whose
  synthesizer is compiled into its wheel and needs no audio device. It honours the GM program of
  the piece. The SoundFont is the system's FluidR3 GM when installed (Debian's
  ``fluid-soundfont-gm``, a much better piano), else the small ``TimGM6mb.sf2`` that pretty_midi
  ships (:func:`soundfont_path`); any other file can be given.
- :class:`AdditiveSynth`: a NumPy fallback when tinysoundfont is not installed: decaying
  harmonic partials (the higher ones fade faster, like a struck string) under an
  attack/decay/release envelope. It sounds like a soft electric piano whatever the program, but
  it is always there.

The sustain pedal is handled here, in the shared base class, rather than in the synthesizers:
TinySoundFont ignores CC64, so a note-off that arrives while the pedal is down is held back and
released when the pedal comes up, for both engines alike.

Timing: notes are in beats; :func:`piece_messages` turns them into MIDI messages on a seconds
timeline through the piece's tempo map (:meth:`Piece.seconds_at`). The player uses the same
timeline, so what you hear from ``composer play`` is what ``composer render`` writes.
"""

from __future__ import annotations

import math
import os
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from composer.atomic import atomic_file
from composer.errors import AudioError
from composer.notes import PEDAL_CC, PEDAL_DOWN, Piece, clamp_pitch, clamp_velocity

SAMPLE_RATE = 44100
TAIL_SECONDS = 1.0  # let the last notes ring out after the piece ends
TARGET_PEAK = 0.89  # -1 dBFS: normalized renders peak here; louder ones are brought down to it
CHANNEL = 0
ALL_SOUND_OFF_CC = 120
ALL_NOTES_OFF_CC = 123
SYNTH_NAMES = ("auto", "soundfont", "additive")


@dataclass(frozen=True, order=True)
class TimedMessage:
    """A MIDI message due ``seconds`` after the start; ``order`` breaks ties (offs first)."""

    seconds: float
    order: int
    message: mido.Message


def piece_messages(piece: Piece, start_beat: float = 0.0) -> list[TimedMessage]:
    """The piece as channel-0 MIDI messages on a seconds timeline starting at ``start_beat``.

    Notes that started before ``start_beat`` but still sound are started at time 0, so playing
    from the middle of a held chord sounds the chord. At equal times note-offs come before
    pedal changes and note-ons, so a repeated note is re-struck instead of cut.
    """
    origin = piece.seconds_at(start_beat)

    def at(beat: float) -> float:
        return max(piece.seconds_at(max(beat, start_beat)) - origin, 0.0)

    events = [TimedMessage(0.0, 0, mido.Message("program_change", program=piece.program & 0x7F))]
    for note in piece.notes:
        if note.end <= start_beat:
            continue
        pitch = clamp_pitch(note.pitch)
        velocity = clamp_velocity(note.velocity)
        events.append(TimedMessage(at(note.start), 3, mido.Message(
            "note_on", note=pitch, velocity=velocity)))
        events.append(TimedMessage(at(note.end), 1, mido.Message(
            "note_off", note=pitch, velocity=0)))
    for span in piece.pedals:
        if span.end <= start_beat:
            continue
        events.append(TimedMessage(at(span.start), 2, mido.Message(
            "control_change", control=PEDAL_CC, value=127)))
        events.append(TimedMessage(at(span.end), 1, mido.Message(
            "control_change", control=PEDAL_CC, value=0)))
    events.sort(key=lambda e: (e.seconds, e.order))
    return events


SYSTEM_SOUNDFONTS = (  # General MIDI SoundFonts of the system, best first
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/soundfonts/FluidR3_GM.sf2"),
)


def system_soundfont() -> Path | None:
    """The system's FluidR3 GM SoundFont, when installed."""
    return next((path for path in SYSTEM_SOUNDFONTS if path.is_file()), None)


def shipped_soundfont() -> Path | None:
    """The General MIDI SoundFont shipped inside pretty_midi (or tinysoundfont), if any."""
    for package in ("pretty_midi", "tinysoundfont"):
        try:
            module = __import__(package)
        except ImportError:
            continue
        candidate = Path(module.__file__).parent / "TimGM6mb.sf2"
        if candidate.is_file():
            return candidate
    return None


def soundfont_path() -> Path | None:
    """The SoundFont used unless another is given: the system's, else the shipped one."""
    return system_soundfont() or shipped_soundfont()


def soundfont_available() -> bool:
    try:
        import tinysoundfont  # noqa: F401
    except ImportError:
        return False
    return soundfont_path() is not None


class Synth:
    """A polyphonic synthesizer driven by MIDI messages, pulled for audio one block at a time.

    Thread-safe: the player thread sends messages while the audio callback renders. Subclasses
    implement ``_start``, ``_stop``, ``_render`` and may override ``_program``/``_silence``.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        self.sample_rate = sample_rate
        self._lock = threading.Lock()
        self._pedal = False
        self._held: set[int] = set()  # keys released while the pedal was down
        self._down: set[int] = set()  # keys currently pressed

    # --- MIDI in ------------------------------------------------------------------------
    def send(self, message: mido.Message) -> None:
        kind = message.type
        with self._lock:
            if kind == "note_on" and message.velocity > 0:
                self._held.discard(message.note)
                self._down.add(message.note)
                self._start(message.note, message.velocity)
            elif kind in ("note_on", "note_off"):
                self._down.discard(message.note)
                if self._pedal:
                    self._held.add(message.note)
                else:
                    self._stop(message.note)
            elif kind == "control_change" and message.control == PEDAL_CC:
                self._set_pedal(message.value >= PEDAL_DOWN)
            elif kind == "control_change" and message.control in (
                ALL_NOTES_OFF_CC, ALL_SOUND_OFF_CC,
            ):
                self._pedal = False
                self._held.clear()
                self._down.clear()
                self._silence(hard=message.control == ALL_SOUND_OFF_CC)
            elif kind == "program_change":
                self._program(message.program)

    def _set_pedal(self, down: bool) -> None:
        self._pedal = down
        if not down:
            for pitch in sorted(self._held - self._down):
                self._stop(pitch)
            self._held.clear()

    def render(self, frames: int) -> np.ndarray:
        """The next ``frames`` samples as float32 stereo, shape (frames, 2)."""
        with self._lock:
            return self._render(frames)

    # --- engine -------------------------------------------------------------------------
    def _start(self, pitch: int, velocity: int) -> None:
        raise NotImplementedError

    def _stop(self, pitch: int) -> None:
        raise NotImplementedError

    def _render(self, frames: int) -> np.ndarray:
        raise NotImplementedError

    def _program(self, program: int) -> None:  # noqa: B027 - optional for an engine
        pass

    def _silence(self, hard: bool) -> None:
        raise NotImplementedError


class SoundFontSynth(Synth):
    """General MIDI through TinySoundFont (``pip install --no-deps tinysoundfont``)."""

    name = "soundfont"

    def __init__(self, sample_rate: int = SAMPLE_RATE, soundfont: str | Path | None = None,
                 gain_db: float = 0.0) -> None:
        super().__init__(sample_rate)
        try:
            import tinysoundfont
        except ImportError:
            raise AudioError("tinysoundfont is not installed") from None
        path = Path(soundfont) if soundfont else soundfont_path()
        if path is None or not path.is_file():
            raise AudioError(f"{path or 'TimGM6mb.sf2'}: SoundFont not found")
        self._synth = tinysoundfont.Synth(gain=gain_db, samplerate=sample_rate)
        try:
            self._sfid = self._synth.sfload(str(path))
            self._synth.program_select(CHANNEL, self._sfid, 0, 0)
        except Exception as exc:  # tinysoundfont raises plain Exception/RuntimeError
            raise AudioError(f"{path}: cannot load the SoundFont ({exc})") from None

    def _start(self, pitch: int, velocity: int) -> None:
        self._synth.noteon(CHANNEL, pitch, velocity)

    def _stop(self, pitch: int) -> None:
        self._synth.noteoff(CHANNEL, pitch)

    def _program(self, program: int) -> None:
        try:
            self._synth.program_select(CHANNEL, self._sfid, 0, program & 0x7F)
        except RuntimeError:  # a program the SoundFont lacks: keep the piano
            self._synth.program_select(CHANNEL, self._sfid, 0, 0)

    def _silence(self, hard: bool) -> None:
        if hard:
            self._synth.sounds_off(CHANNEL)
        else:
            self._synth.notes_off(CHANNEL)

    def _render(self, frames: int) -> np.ndarray:
        if frames <= 0:
            return np.zeros((0, 2), np.float32)
        buffer = self._synth.generate_simple(frames)
        return np.frombuffer(buffer, dtype=np.float32).reshape(frames, 2).copy()


@dataclass
class _Voice:
    pitch: int
    amplitude: float
    age: int = 0  # samples since the note started
    released_at: int | None = None  # age at note-off


class AdditiveSynth(Synth):
    """Decaying harmonic partials with an envelope: a plain but pleasant fallback voice.

    Each partial k (1..6) has amplitude ~ 1/k and decays faster than the one below it, and low
    notes ring longer than high ones, which is what makes a struck string sound struck rather
    than like an organ of sine waves. Attack 4 ms, release 0.25 s after the key (or the pedal)
    lets go. At most ``max_voices`` voices sound; the oldest is dropped first.
    """

    name = "additive"
    PARTIALS = 6
    ATTACK = 0.004
    RELEASE = 0.25
    MAX_VOICES = 48

    def __init__(self, sample_rate: int = SAMPLE_RATE, gain: float = 0.3) -> None:
        super().__init__(sample_rate)
        self._voices: list[_Voice] = []
        self._gain = gain
        k = np.arange(1, self.PARTIALS + 1, dtype=np.float64)
        self._partial_amp = (1.0 / k ** 1.3)
        self._partial_amp /= self._partial_amp.sum()
        self._k = k

    def _start(self, pitch: int, velocity: int) -> None:
        for voice in self._voices:
            if voice.pitch == pitch and voice.released_at is None:
                voice.released_at = voice.age  # re-strike: let the old one fade
        self._voices.append(_Voice(pitch, (velocity / 127.0) ** 1.5))
        if len(self._voices) > self.MAX_VOICES:
            self._voices = self._voices[-self.MAX_VOICES:]

    def _stop(self, pitch: int) -> None:
        for voice in self._voices:
            if voice.pitch == pitch and voice.released_at is None:
                voice.released_at = voice.age

    def _silence(self, hard: bool) -> None:
        if hard:
            self._voices.clear()
        else:
            for voice in self._voices:
                if voice.released_at is None:
                    voice.released_at = voice.age

    def _render(self, frames: int) -> np.ndarray:
        out = np.zeros(frames, np.float64)
        sr = self.sample_rate
        alive = []
        for voice in self._voices:
            ages = voice.age + np.arange(frames, dtype=np.float64)
            t = ages / sr
            freq = 440.0 * 2.0 ** ((voice.pitch - 69) / 12.0)
            # decay time: ~3 s at A1, ~0.6 s at C8; partial k decays k**0.7 times faster
            tau = float(np.clip(3.5 * (110.0 / freq) ** 0.35, 0.4, 4.0))
            nyquist_ok = self._k * freq < sr / 2
            env = np.minimum(t / self.ATTACK, 1.0) * voice.amplitude
            if voice.released_at is not None:
                after = np.maximum(ages - voice.released_at, 0.0) / sr
                env = env * np.exp(-after / (self.RELEASE / 5.0))
            phase = 2.0 * np.pi * freq * t
            signal = np.zeros(frames, np.float64)
            for k, amp, ok in zip(self._k, self._partial_amp, nyquist_ok, strict=True):
                if ok:
                    signal += amp * np.exp(-t * (k ** 0.7) / tau) * np.sin(k * phase)
            out += env * signal
            voice.age += frames
            level = float(env[-1] * np.exp(-t[-1] / tau)) if frames else voice.amplitude
            if level >= 1e-4:  # a voice that has faded below -80 dB is dropped
                alive.append(voice)
        self._voices = alive
        mono = (out * self._gain).astype(np.float32)
        return np.repeat(mono[:, None], 2, axis=1)


def make_synth(kind: str = "auto", sample_rate: int = SAMPLE_RATE,
               soundfont: str | Path | None = None) -> Synth:
    """``auto``: the SoundFont if tinysoundfont and the SoundFont are there, else additive.
    ``soundfont``: a SoundFont file other than :func:`soundfont_path`'s."""
    if kind not in SYNTH_NAMES:
        raise AudioError(f"unknown synthesizer {kind!r} (choose from {', '.join(SYNTH_NAMES)})")
    if kind == "soundfont" or (kind == "auto" and soundfont_available()):
        return SoundFontSynth(sample_rate, soundfont)
    return AdditiveSynth(sample_rate)


BLOCK_SECONDS = 1.0  # rendering works in blocks of this length
IN_MEMORY_SECONDS = 600.0  # longer WAV renders stream to disk in two passes


def _check_rate(sample_rate: int) -> None:
    if not 8000 <= sample_rate <= 192000:
        raise AudioError(f"sample rate {sample_rate} Hz is out of range (8000-192000)")


def total_frames(piece: Piece, sample_rate: int) -> int:
    """Length of a render: the piece (through its tempo map) plus ``TAIL_SECONDS``."""
    return int(round((piece.seconds_at(piece.end_beat) + TAIL_SECONDS) * sample_rate))


def render_blocks(piece: Piece, sample_rate: int = SAMPLE_RATE, synth: str = "auto",
                  soundfont: str | Path | None = None):
    """The render of ``piece`` as consecutive float32 stereo blocks of about a second.

    Messages take effect at their exact sample; a fresh synthesizer is used, so two calls
    give the same samples (the two-pass WAV writer relies on it).
    """
    _check_rate(sample_rate)
    engine = make_synth(synth, sample_rate, soundfont)
    total = total_frames(piece, sample_rate)
    events = piece_messages(piece)
    block = max(int(BLOCK_SECONDS * sample_rate), 1)
    index = 0
    for start in range(0, total, block):
        end = min(start + block, total)
        out = np.zeros((end - start, 2), np.float32)
        position = start
        while index < len(events):
            frame = int(round(events[index].seconds * sample_rate))
            if frame >= end:
                break
            if frame > position:
                out[position - start:frame - start] = engine.render(frame - position)
                position = frame
            engine.send(events[index].message)
            index += 1
        if end > position:
            out[position - start:] = engine.render(end - position)
        yield out


def render(piece: Piece, sample_rate: int = SAMPLE_RATE, synth: str = "auto",
           normalize: bool = False, soundfont: str | Path | None = None) -> np.ndarray:
    """Render ``piece`` to float32 stereo PCM, shape (frames, 2), plus a short tail.

    The length is :func:`total_frames`. The music's own dynamics are kept: a quiet piece stays
    quiet. With ``normalize`` the result peaks at -1 dBFS (unless it is silent); without, a
    render that would clip is brought down to -1 dBFS (:func:`level_gain`).
    """
    blocks = list(render_blocks(piece, sample_rate, synth, soundfont))
    out = np.concatenate(blocks) if blocks else np.zeros((0, 2), np.float32)
    out *= level_gain(float(np.abs(out).max(initial=0.0)), normalize)
    return out


def level_gain(peak: float, normalize: bool = False) -> float:
    """The gain for a render peaking at ``peak``: to -1 dBFS when normalizing; otherwise 1
    (the dynamics as played), unless the render would clip, then down to -1 dBFS."""
    if peak <= 1e-6:
        return 1.0
    if normalize or peak > 1.0:
        return TARGET_PEAK / peak
    return 1.0


def to_int16(pcm: np.ndarray) -> np.ndarray:
    return (np.clip(pcm, -1.0, 1.0) * 32767.0).round().astype("<i2")


# A WAV file's sizes are 32-bit: its data (4 bytes a stereo frame) must stay below 4 GiB.
MAX_WAV_DATA_BYTES = 2**32 - 64


@dataclass(frozen=True)
class WavInfo:
    """What :func:`write_wav` wrote, measured on the 16-bit samples as they went out."""

    path: Path
    frames: int
    sample_rate: int
    rms: float
    peak: float

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


class _Meter:
    """RMS and peak of int16 PCM fed block by block (constant memory)."""

    def __init__(self) -> None:
        self.squares = 0.0
        self.count = 0
        self.peak = 0

    def add(self, pcm: np.ndarray) -> None:
        if pcm.size:
            wide = pcm.astype(np.int64)
            self.squares += float(np.dot(wide.ravel(), wide.ravel()))
            self.count += pcm.size
            self.peak = max(self.peak, int(np.abs(wide).max()))

    def result(self) -> tuple[float, float]:
        if not self.count:
            return 0.0, 0.0
        return math.sqrt(self.squares / self.count) / 32768.0, self.peak / 32768.0


def write_wav(piece: Piece, path: str | os.PathLike, sample_rate: int = SAMPLE_RATE,
              synth: str = "auto", *, normalize: bool = False,
              soundfont: str | Path | None = None) -> WavInfo:
    """Render ``piece`` and write a 16-bit stereo WAV file atomically (temp file + rename).

    The level is the music's own (``normalize``: peak at -1 dBFS instead; either way a render
    that would clip is brought down to -1 dBFS, :func:`level_gain`). Memory stays bounded
    whatever the length: pieces up to ``IN_MEMORY_SECONDS`` (at 44.1 kHz; the limit is in
    frames) are rendered once in memory, longer ones twice, block by block (once to find the
    peak, once to write); int16
    conversion and the loudness measurement go block by block in both cases. A render too long
    for the WAV format's 4 GiB is refused before any work.
    """
    path = Path(path)
    _check_rate(sample_rate)
    frames = total_frames(piece, sample_rate)
    if frames * 4 > MAX_WAV_DATA_BYTES:
        hours = MAX_WAV_DATA_BYTES / 4 / sample_rate / 3600
        raise AudioError(f"{path}: {frames / sample_rate / 3600:.1f} hours is too long for a "
                         f"WAV file (at most {hours:.1f} hours at {sample_rate} Hz)")
    block = max(int(BLOCK_SECONDS * sample_rate), 1)
    if frames <= IN_MEMORY_SECONDS * SAMPLE_RATE:
        blocks_list = list(render_blocks(piece, sample_rate, synth, soundfont))
        pcm = np.concatenate(blocks_list) if blocks_list else np.zeros((0, 2), np.float32)
        peak = float(np.abs(pcm).max(initial=0.0))
        blocks = (pcm[i:i + block] for i in range(0, len(pcm), block))
    else:
        peak = max((float(np.abs(b).max(initial=0.0))
                    for b in render_blocks(piece, sample_rate, synth, soundfont)), default=0.0)
        blocks = render_blocks(piece, sample_rate, synth, soundfont)
    gain = np.float32(level_gain(peak, normalize))
    meter = _Meter()
    written = 0
    with atomic_file(path, error=AudioError) as handle, wave.open(handle, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        for part in blocks:
            pcm16 = to_int16(part * gain)
            meter.add(pcm16)
            written += len(pcm16)
            wav.writeframes(pcm16.tobytes())
    rms, top = meter.result()
    return WavInfo(path, written, sample_rate, rms, top)


def render_wav(piece: Piece, path: str | os.PathLike, sample_rate: int = SAMPLE_RATE,
               synth: str = "auto", *, normalize: bool = False,
               soundfont: str | Path | None = None) -> Path:
    """:func:`write_wav`, returning only the path."""
    return write_wav(piece, path, sample_rate, synth, normalize=normalize,
                     soundfont=soundfont).path


def wav_loudness(path: str | os.PathLike, block_frames: int = 1 << 16) -> tuple[float, float]:
    """(RMS, peak) of a 16-bit WAV file, read in blocks (constant memory for any length)."""
    meter = _Meter()
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise AudioError(f"{path}: not a 16-bit WAV file")
            while chunk := wav.readframes(block_frames):
                meter.add(np.frombuffer(chunk, dtype="<i2"))
    except (OSError, EOFError, wave.Error) as exc:
        raise AudioError(f"{path}: cannot read the WAV file ({exc})") from None
    return meter.result()


def loudness(pcm: np.ndarray) -> tuple[float, float]:
    """(RMS, peak) of PCM in full scale units, for checks and reports."""
    if pcm.size == 0:
        return 0.0, 0.0
    data = pcm.astype(np.float64)
    if pcm.dtype.kind == "i":
        data /= 32768.0
    return float(np.sqrt(np.mean(data ** 2))), float(np.abs(data).max())
