"""Listening: when has the player finished a phrase, and what did they play, on a beat grid.

:class:`PhraseDetector` is fed the keyboard's messages with their times and ``tick(now)``-ed;
it returns a :class:`Phrase` once the player has let go of every key **and the sustain pedal**
and then stayed silent for a wait that follows their tempo: ``wait_iois`` times the median of
the recent inter-onset intervals (chords count as one onset), clamped to
``[min_wait, max_wait]``. A fast player gets a quick answer, a slow one is not interrupted while
thinking between notes; AI Duet's fixed 600 ms and magenta_midi's 2-4 s are the two ends of
that range. Holding the pedal keeps the phrase open, as it keeps the sound.
:func:`phrase_to_piece` quantizes a phrase onto a beat grid, the seed of the answer.
Everything takes explicit times: no ports, no threads, no clock of its own.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import mido

from composer.notes import PEDAL_CC, PEDAL_DOWN, Note, PedalSpan, Piece, TempoChange, TimeSignature

Clock = Callable[[], float]


@dataclass(frozen=True)
class LiveSettings:
    """How the live mode listens and answers (times in seconds)."""

    min_wait: float = 0.4  # shortest silence that ends a phrase
    max_wait: float = 2.0  # longest: a slow player is answered after this at the latest
    wait_iois: float = 1.75  # the wait in median inter-onset intervals of the recent playing
    default_wait: float = 1.0  # before any interval is known (a single note)
    chord_window: float = 0.05  # onsets closer than this are one chord
    ioi_history: int = 16  # intervals remembered across phrases
    bpm: float | None = None  # None: estimate the tempo from the phrase
    bpm_range: tuple[float, float] = (72.0, 144.0)  # estimated tempi are folded into this
    grid: float = 0.25  # quantize the phrase to this many beats (sixteenth notes)
    beats_per_bar: int = 4
    min_answer_beats: float = 2.0
    max_answer_bars: float = 8.0
    echo: bool = False  # also send the player's notes to the output (a mute controller)
    speculate: bool = True  # start generating before the wait is over ...
    speculate_lead: float = 0.15  # ... this long before (short gaps between notes cost nothing)
    stuck_after: float = 10.0  # keys (or pedal) held this long with nothing else: let go

    def validate(self) -> None:
        from composer.errors import SettingsError

        if not 0 < self.min_wait <= self.max_wait:
            raise SettingsError(f"the wait must satisfy 0 < minimum <= maximum "
                                f"(got {self.min_wait} s and {self.max_wait} s)")
        if self.bpm is not None and not 10 <= self.bpm <= 400:
            raise SettingsError(f"the tempo must be between 10 and 400 bpm (got {self.bpm})")
        if self.grid <= 0:
            raise SettingsError(f"the grid must be above 0 beats (got {self.grid})")
        if self.max_answer_bars <= 0:
            raise SettingsError("the answer must be at least some beats long")


@dataclass(frozen=True, order=True)
class PlayedNote:
    """A note as played: times in clock seconds."""

    start: float
    end: float
    pitch: int
    velocity: int


@dataclass(frozen=True)
class Phrase:
    """What the player played, on the clock (seconds), and when its end was detected."""

    notes: tuple[PlayedNote, ...]
    pedals: tuple[tuple[float, float], ...]
    last_release: float  # when the last key (or the pedal) came up
    detected_at: float  # when the silence had lasted long enough
    wait: float  # the silence that was required

    @property
    def start(self) -> float:
        return min(n.start for n in self.notes)

    @property
    def onsets(self) -> list[float]:
        return sorted(n.start for n in self.notes)


def inter_onset_intervals(onsets: Iterable[float], chord_window: float = 0.05) -> list[float]:
    """Gaps between successive onsets; onsets within ``chord_window`` count as one chord."""
    result, last = [], None
    for onset in sorted(onsets):
        if last is None:
            last = onset
        elif onset - last >= chord_window:
            result.append(onset - last)
            last = onset
    return result


def estimate_bpm(onsets: Iterable[float], settings: LiveSettings = LiveSettings()) -> float:
    """A tempo from the median inter-onset interval, folded by octaves into ``bpm_range``.

    Whether the player's typical note is an eighth or a quarter cannot be known from timing
    alone; folding into one octave of tempi (72-144 bpm by default) picks the reading a
    musician would most often mean. With fewer than two onsets: the range's geometric middle.
    """
    low, high = settings.bpm_range
    iois = inter_onset_intervals(onsets, settings.chord_window)
    if not iois:
        return math.sqrt(low * high)
    bpm = 60.0 / statistics.median(iois)
    while bpm < low:
        bpm *= 2
    while bpm >= high:
        bpm /= 2
    return bpm


class PhraseDetector:
    """Finds the end of the player's phrase (see the module docstring)."""

    def __init__(self, settings: LiveSettings = LiveSettings(), clock: Clock = time.perf_counter
                 ) -> None:
        self.settings = settings
        self.clock = clock
        self._iois: deque[float] = deque(maxlen=settings.ioi_history)
        self._last_onset: float | None = None
        self._pedal_since: float | None = None
        self._reset_phrase()

    def _reset_phrase(self) -> None:
        self._notes: list[PlayedNote] = []
        self._open: dict[int, tuple[float, int]] = {}  # pitch -> (start, velocity)
        self._pedals: list[tuple[float, float]] = []
        self._silent_since: float | None = None
        self._last_event: float | None = None

    # --- input --------------------------------------------------------------------------
    def feed(self, message: mido.Message, now: float | None = None) -> None:
        """One keyboard message at ``now`` (default: the clock)."""
        now = self.clock() if now is None else now
        kind = message.type
        if kind in ("note_on", "note_off") or (
                kind == "control_change" and message.control == PEDAL_CC):
            self._last_event = now
        if kind == "note_on" and message.velocity > 0:
            self._press(message.note, message.velocity, now)
        elif kind in ("note_on", "note_off"):
            self._release(message.note, now)
        elif kind == "control_change" and message.control == PEDAL_CC:
            if message.value >= PEDAL_DOWN and self._pedal_since is None:
                self._pedal_since = now
                self._silent_since = None
            elif message.value < PEDAL_DOWN and self._pedal_since is not None:
                if self.in_phrase:
                    self._pedals.append((self._pedal_since, now))
                self._pedal_since = None
                self._update_silence(now)

    def _press(self, pitch: int, velocity: int, now: float) -> None:
        if pitch in self._open:  # a repeated note-on without note-off: restart it
            self._release(pitch, now)
        if self._last_onset is not None and now - self._last_onset >= self.settings.chord_window:
            gap = now - self._last_onset
            if gap <= self.settings.max_wait * 2:  # a pause between phrases is no interval
                self._iois.append(gap)
        if self._last_onset is None or now - self._last_onset >= self.settings.chord_window:
            self._last_onset = now
        if not self.in_phrase and self._pedal_since is not None:
            self._pedal_since = now  # a pedal held from before counts from the first note
        self._open[pitch] = (now, velocity)
        self._silent_since = None

    def _release(self, pitch: int, now: float) -> None:
        opened = self._open.pop(pitch, None)
        if opened is None:
            return
        start, velocity = opened
        self._notes.append(PlayedNote(start, max(now, start + 1e-3), pitch, velocity))
        self._update_silence(now)

    def _update_silence(self, now: float) -> None:
        if self.in_phrase and not self._open and self._pedal_since is None:
            self._silent_since = now

    # --- state --------------------------------------------------------------------------
    @property
    def in_phrase(self) -> bool:
        """The player has started a phrase that has not been answered yet."""
        return bool(self._notes or self._open)

    @property
    def silent_since(self) -> float | None:
        """When the player let go of every key and the pedal (None: playing, or no phrase)."""
        return self._silent_since

    @property
    def keys_down(self) -> frozenset[int]:
        return frozenset(self._open)

    @property
    def pedal_down(self) -> bool:
        return self._pedal_since is not None

    def wait(self) -> float:
        """The silence that ends a phrase now: ``wait_iois`` median IOIs, clamped."""
        s = self.settings
        base = s.wait_iois * statistics.median(self._iois) if self._iois else s.default_wait
        return min(max(base, s.min_wait), s.max_wait)

    def deadline(self) -> float | None:
        """When the phrase will end if nothing else is played (None: not waiting)."""
        if self._silent_since is not None:
            return self._silent_since + self.wait()
        if self.in_phrase and self._last_event is not None:
            return self._last_event + self.settings.stuck_after  # a lost note-off?
        return None

    def tick(self, now: float | None = None) -> Phrase | None:
        """The finished phrase if its silence has lasted long enough, else None.

        Keys or a pedal held ``stuck_after`` seconds with nothing else happening are let go
        then: a note-off lost on the way (a glitch, a cable pulled) must not keep the phrase
        open for ever. Their real note-offs, if they ever come, are ignored.
        """
        now = self.clock() if now is None else now
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return None
        wait = self.wait()
        if self._silent_since is None:
            for pitch in list(self._open):
                self._release(pitch, now)
            if self._pedal_since is not None:
                self._pedals.append((self._pedal_since, now))
                self._pedal_since = None
            self._silent_since, wait = now, 0.0
        phrase = Phrase(tuple(sorted(self._notes)), tuple(self._pedals), self._silent_since,
                        now, wait)
        self._reset_phrase()
        return phrase

    def snapshot(self, now: float | None = None) -> Phrase | None:
        """The phrase so far (held keys end ``now``), for display; None before any note."""
        now = self.clock() if now is None else now
        notes = list(self._notes) + [PlayedNote(start, max(now, start + 1e-3), pitch, vel)
                                     for pitch, (start, vel) in self._open.items()]
        if not notes:
            return None
        pedals = list(self._pedals)
        if self._pedal_since is not None:
            pedals.append((self._pedal_since, max(now, self._pedal_since)))
        return Phrase(tuple(sorted(notes)), tuple(pedals), self._silent_since or now, now,
                      self.wait())


def phrase_to_piece(phrase: Phrase, settings: LiveSettings = LiveSettings()) -> Piece:
    """Quantize a played phrase onto a beat grid: beat 0 is the first onset.

    The tempo is ``settings.bpm`` or estimated from the phrase (:func:`estimate_bpm`); the
    pedal spans are kept (quantized the same way) so the model hears the phrase as played.
    """
    bpm = settings.bpm or estimate_bpm(phrase.onsets, settings)
    origin = phrase.start
    grid = settings.grid

    def beat(seconds: float) -> float:
        return round((seconds - origin) * bpm / 60.0 / grid) * grid

    notes = []
    for played in phrase.notes:
        start = max(beat(played.start), 0.0)
        end = max(beat(played.end), start + grid)
        notes.append(Note(start, end, int(played.pitch), int(played.velocity)))
    pedals = []
    for down, up in phrase.pedals:
        start, end = max(beat(down), 0.0), beat(up)
        if end > start:
            pedals.append(PedalSpan(start, end))
    return Piece(
        notes=tuple(sorted(set(notes))),
        pedals=tuple(sorted(pedals)),
        tempos=(TempoChange(0.0, float(bpm)),),
        time_signatures=(TimeSignature(0.0, settings.beats_per_bar, 4),),
    )


def answer_bars(seed: Piece, settings: LiveSettings = LiveSettings()) -> float:
    """An answer about as long as the phrase (whole beats), within the configured limits."""
    played = max((n.end for n in seed.notes), default=0.0) - min(
        (n.start for n in seed.notes), default=0.0)
    beats = min(max(math.ceil(played - 1e-9), settings.min_answer_beats),
                settings.max_answer_bars * settings.beats_per_bar)
    return beats / settings.beats_per_bar

