"""Call and response with a MIDI keyboard.

The person plays a phrase; when they stop, composer answers with a continuation of similar
length, played on time, and stops the moment they play again.

The musical logic knows nothing of ports, threads or real time:

- :class:`PhraseDetector` is fed the keyboard's messages with their times and ``tick(now)``-ed;
  it returns a :class:`Phrase` once the player has let go of every key **and the sustain
  pedal** and then stayed silent for a wait that follows their tempo: ``wait_iois`` times the
  median of the recent inter-onset intervals (chords count as one onset), clamped to
  ``[min_wait, max_wait]``. A fast player gets a quick answer, a slow one is not interrupted
  while thinking between notes; AI Duet's fixed 600 ms and magenta_midi's 2-4 s are the two
  ends of that range. Holding the pedal keeps the phrase open, as it keeps the sound.
- :class:`AnswerScheduler` takes the answer's notes as they are generated and sends note-on and
  note-off messages when they are due; ``stop()`` ends exactly the notes it started.
- :class:`Duet` puts the two together: it asks for an answer (an :class:`AnswerRequest`) a
  little before the wait is over (speculation: the first notes are ready when the phrase
  ends), drops it if the player plays on, plays it when the phrase has ended, and stops it
  when the player comes back in.

All of them take explicit times, so a recorded performance (a MIDI file turned into timed
messages by :func:`composer.audio.piece_messages`) replays through them deterministically in
simulated time. :class:`LiveSession` is the thin real-time shell: ports, a queue, a generation
thread, port watching and reconnection.

Timing of the answer: the phrase is quantized to a beat grid (tempo from ``--bpm`` or estimated
from the inter-onset intervals) and continued with :func:`composer.generate.stream_answer`,
which yields each note as soon as its end is generated. The first note is played the moment the
phrase ends (or the moment it arrives, if later); later notes keep their rhythm relative to
it. A note that arrives after its start time (a long note, which is yielded only when it ends)
starts at once, cut to the time it has left. Generation runs far faster than real time, so in
practice only the first few milliseconds move.
"""

from __future__ import annotations

import heapq
import itertools
import math
import queue
import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import mido

from composer.errors import ComposerError, PortError
from composer.notes import Note, PedalSpan, Piece, TempoChange, TimeSignature

PEDAL_CC = 64
Clock = Callable[[], float]
Send = Callable[[mido.Message], None]
AnswerSource = Callable[[Piece, float], Iterator[Note]]  # (seed, bars) -> notes


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
            if message.value >= 64 and self._pedal_since is None:
                self._pedal_since = now
                self._silent_since = None
            elif message.value < 64 and self._pedal_since is not None:
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


@dataclass(order=True)
class _Due:
    time: float
    order: int  # note-offs (0) before note-ons (1) at the same time
    seq: int
    kind: str = field(compare=False)
    pitch: int = field(compare=False)
    velocity: int = field(compare=False)
    owner: int = field(compare=False)


class AnswerScheduler:
    """Sends an answer's notes on time; notes may be added while it plays.

    ``add(note, now)``: the first note added fixes the timeline (its start is played at
    ``now``; the others keep their distance from it in beats at ``bpm``). ``tick(now)`` sends
    whatever is due and returns the messages sent. ``stop()`` ends the notes it started, at
    once. Every message goes through ``send`` with channel ``channel``.
    """

    def __init__(self, send: Send, bpm: float, *, channel: int = 0,
                 min_duration: float = 0.03) -> None:
        self.send = send
        self.seconds_per_beat = 60.0 / bpm
        self.channel = channel
        self.min_duration = min_duration
        self._heap: list[_Due] = []
        self._seq = itertools.count()
        self._owner: dict[int, int] = {}  # pitch -> seq of the note now sounding it
        self.origin: tuple[float, float] | None = None  # (beat, clock time)
        self.finished_input = False
        self.stopped = False
        self.first_sent_at: float | None = None
        self.notes_played = 0
        self.notes_dropped = 0

    def time_of(self, beat: float) -> float:
        assert self.origin is not None
        origin_beat, origin_time = self.origin
        return origin_time + (beat - origin_beat) * self.seconds_per_beat

    def add(self, note: Note, now: float) -> None:
        if self.stopped:
            return
        if self.origin is None:
            self.origin = (note.start, now)
        on, off = self.time_of(note.start), self.time_of(note.end)
        if off <= now:  # entirely in the past: a glitch would be worse than the gap
            self.notes_dropped += 1
            return
        on = max(on, now)
        off = max(off, on + self.min_duration)
        owner = next(self._seq)
        pitch = min(max(int(note.pitch), 0), 127)
        velocity = min(max(int(note.velocity), 1), 127)
        heapq.heappush(self._heap, _Due(on, 1, owner, "on", pitch, velocity, owner))
        heapq.heappush(self._heap, _Due(off, 0, next(self._seq), "off", pitch, 0, owner))

    def finish(self) -> None:
        """No more notes will be added."""
        self.finished_input = True

    def next_due(self) -> float | None:
        return self._heap[0].time if self._heap else None

    @property
    def done(self) -> bool:
        return self.stopped or (self.finished_input and not self._heap)

    @property
    def sounding(self) -> frozenset[int]:
        return frozenset(self._owner)

    def tick(self, now: float) -> list[mido.Message]:
        sent = []
        while self._heap and self._heap[0].time <= now and not self.stopped:
            due = heapq.heappop(self._heap)
            if due.kind == "on":
                if due.pitch in self._owner:  # re-strike a sounding pitch
                    sent.append(self._send("note_off", due.pitch, 0))
                self._owner[due.pitch] = due.owner
                sent.append(self._send("note_on", due.pitch, due.velocity))
                self.notes_played += 1
                if self.first_sent_at is None:
                    self.first_sent_at = now
            elif self._owner.get(due.pitch) == due.owner:
                del self._owner[due.pitch]
                sent.append(self._send("note_off", due.pitch, 0))
        return sent

    def stop(self) -> list[mido.Message]:
        """End the notes sounding now and drop the rest (the player came back in)."""
        sent = [self._send("note_off", pitch, 0) for pitch in sorted(self._owner)]
        self._owner.clear()
        self._heap.clear()
        self.stopped = True
        return sent

    def _send(self, kind: str, pitch: int, velocity: int) -> mido.Message:
        message = mido.Message(kind, channel=self.channel, note=pitch, velocity=velocity)
        self.send(message)
        return message


def answer_piece(seed: Piece, notes: Iterable[Note]) -> Piece:
    """The answer so far as a piece on the seed's beat timeline (for display)."""
    return Piece(notes=tuple(sorted(notes)), tempos=seed.tempos,
                 time_signatures=seed.time_signatures, program=seed.program)


def model_answerer(bundle, generation_settings) -> AnswerSource:
    """An answer source over a model bundle: ``stream_answer`` with the phrase's length."""
    from dataclasses import replace

    from composer.generate import engine_for, stream_answer

    engine_for(bundle)  # build the engine now, not when the first phrase ends
    _warm_up(bundle, generation_settings)

    def answer(seed: Piece, bars: float) -> Iterator[Note]:
        settings = replace(generation_settings, bars=bars, seconds=None, takes=1)
        return stream_answer(bundle, seed, settings)

    return answer


def _warm_up(bundle, generation_settings) -> None:
    """Run one short generation so the first real answer pays no first-call costs."""
    from dataclasses import replace

    from composer.generate import stream_answer

    seed = Piece(notes=(Note(0.0, 1.0, 60), Note(1.0, 2.0, 64), Note(2.0, 3.0, 67)))
    settings = replace(generation_settings, bars=0.5, seconds=None, takes=1, random_seed=0)
    try:
        for _ in stream_answer(bundle, seed, settings):
            break
    except ComposerError:
        pass  # bad settings show up, with their message, at the first phrase


# ----- the duet: detector + scheduler, still in explicit time --------------------------------
@dataclass(frozen=True)
class AnswerTiming:
    """One answer's latency: from detecting the phrase end to the first note sent."""

    detected_at: float
    first_note_at: float | None
    notes: int
    interrupted: bool
    due_at: float = 0.0  # when the silence had lasted long enough (detection can be later)

    @property
    def latency(self) -> float | None:
        return None if self.first_note_at is None else self.first_note_at - self.detected_at


@dataclass(frozen=True)
class AnswerRequest:
    """Generate ``bars`` bars continuing ``seed``, as answer ``number``.

    ``speculative``: asked for as soon as the player let go of everything, before the wait
    is over; if they play on, the answer is dropped (its number is no longer ``wanted``).
    """

    number: int
    seed: Piece
    bars: float
    phrase: Phrase
    speculative: bool = False


@dataclass
class _Answer:
    """An answer being generated (and, once committed, played)."""

    request: AnswerRequest
    silent_since: float | None
    notes: list[Note] = field(default_factory=list)
    done: bool = False
    failure: str | None = None


class Duet:
    """Call and response, in explicit time: the whole live logic without ports or threads.

    The caller feeds keyboard messages (:meth:`feed`), calls :meth:`tick` when
    :meth:`next_wake` says, generates the answer for each :class:`AnswerRequest` that
    :meth:`tick` returns and hands its notes back (:meth:`add_note`, :meth:`answer_done`).
    :class:`LiveSession` does this in real time; tests do it in simulated time.

    Speculation (``settings.speculate``): the answer is requested ``speculate_lead`` (0.15 s)
    before the wait is over, not when it is over, so its first notes are ready at the phrase
    end and the answer starts at once (generating them takes 5-50 ms). If the player plays on
    instead, the request is dropped: any message that changes the phrase makes it unwanted
    (see :attr:`wanted`). Short gaps between notes never reach the speculation point, so
    staccato playing does not start a generation at every gap. A note-on while the answer
    plays stops it.
    """

    def __init__(self, send: Send, settings: LiveSettings = LiveSettings(), *,
                 clock: Clock = time.perf_counter,
                 on_phrase: Callable[[Piece], None] | None = None,
                 on_answer: Callable[[Piece], None] | None = None,
                 on_timing: Callable[[AnswerTiming], None] | None = None,
                 on_status: Callable[[str], None] | None = None) -> None:
        settings.validate()
        self.send = send
        self.settings = settings
        self.clock = clock
        self.detector = PhraseDetector(settings, clock)
        self.on_phrase = on_phrase
        self.on_answer = on_answer
        self.on_timing = on_timing
        self.on_status = on_status
        self.timings: list[AnswerTiming] = []
        self.number = 0  # of the last request
        self.scheduler: AnswerScheduler | None = None
        self._prepared: _Answer | None = None  # requested, the phrase not yet over
        self._playing: _Answer | None = None  # committed: its notes are being played
        self._detected_at = 0.0
        self._due_at = 0.0

    @property
    def answering(self) -> bool:
        """An answer is being played (or generated for a phrase that has ended)."""
        return self._playing is not None

    @property
    def wanted(self) -> int | None:
        """The number of the answer whose notes are still wanted (None: none is)."""
        for answer in (self._playing, self._prepared):
            if answer is not None:
                return answer.request.number
        return None

    def feed(self, message: mido.Message, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        if message.type == "note_on" and message.velocity > 0 and self.answering:
            self.stop_answer(interrupted=True)  # the player is back: stop answering
        if message.type not in ("note_on", "note_off", "control_change"):
            return
        self.detector.feed(message, now)
        prepared = self._prepared
        if prepared is not None and self.detector.silent_since != prepared.silent_since:
            self._prepared = None  # the phrase goes on: that answer is not wanted
        if self.settings.echo:
            self.send(message.copy(channel=0))
        if self.on_phrase is not None and message.type != "control_change":
            snapshot = self.detector.snapshot(now)
            if snapshot is not None:
                self.on_phrase(phrase_to_piece(snapshot, self.settings))

    def _speculation_time(self) -> float | None:
        """When to request the answer of the phrase in progress (None: not now)."""
        deadline = self.detector.deadline()
        silent_since = self.detector.silent_since
        if (not self.settings.speculate or deadline is None or silent_since is None or
                (self._prepared is not None and self._prepared.silent_since == silent_since)):
            return None
        return max(deadline - self.settings.speculate_lead, silent_since)

    def next_wake(self) -> float | None:
        """When :meth:`tick` has something to do next, if nothing else happens."""
        times = [self.detector.deadline(), self._speculation_time()]
        if self.scheduler is not None:
            times.append(self.scheduler.next_due())
        times = [t for t in times if t is not None]
        return min(times) if times else None

    def tick(self, now: float | None = None) -> AnswerRequest | None:
        """Send what is due; returns a request when an answer should be generated."""
        now = self.clock() if now is None else now
        self._tick_answer(now)
        silent_since = self.detector.silent_since
        phrase = self.detector.tick(now)
        if phrase is not None:
            prepared, self._prepared = self._prepared, None
            if prepared is not None and prepared.silent_since == silent_since:
                self._commit(prepared, phrase, now)
                return None
            request = self._request(phrase, speculative=False)
            self._commit(_Answer(request, silent_since), phrase, now)
            return request
        speculate_at = self._speculation_time()
        if speculate_at is not None and now >= speculate_at:
            snapshot = self.detector.snapshot(now)
            if snapshot is not None:
                request = self._request(snapshot, speculative=True)
                self._prepared = _Answer(request, silent_since)
                return request
        return None

    def _request(self, phrase: Phrase, speculative: bool) -> AnswerRequest:
        seed = phrase_to_piece(phrase, self.settings)
        self.number += 1
        return AnswerRequest(self.number, seed, answer_bars(seed, self.settings), phrase,
                             speculative)

    def _commit(self, answer: _Answer, phrase: Phrase, now: float) -> None:
        """The phrase has ended: play ``answer`` (what is generated of it so far, and on)."""
        self.stop_answer(interrupted=True)
        seed = answer.request.seed
        if self.on_phrase is not None:
            self.on_phrase(seed)
        self._playing = answer
        self._detected_at = now
        self._due_at = phrase.last_release + phrase.wait
        self.scheduler = AnswerScheduler(self.send, seed.bpm)
        self._status(f"answering ({answer.request.bars:g} bars at {seed.bpm:.0f} bpm)")
        for note in answer.notes:
            self.scheduler.add(note, now)
        if answer.failure is not None:
            self.answer_failed(answer.request.number, answer.failure)
            return
        if answer.done:
            self.scheduler.finish()
        if answer.notes:
            self._answer_changed()
        self._tick_answer(now)

    def _answer_of(self, number: int) -> _Answer | None:
        for answer in (self._playing, self._prepared):
            if answer is not None and answer.request.number == number:
                return answer
        return None

    def add_note(self, number: int, note: Note, now: float | None = None) -> None:
        """A note of answer ``number`` has been generated (unwanted answers are ignored)."""
        answer = self._answer_of(number)
        if answer is None:
            return
        answer.notes.append(note)
        if answer is self._playing and self.scheduler is not None:
            now = self.clock() if now is None else now
            self.scheduler.add(note, now)
            self._tick_answer(now)
            self._answer_changed()

    def answer_done(self, number: int, now: float | None = None) -> None:
        answer = self._answer_of(number)
        if answer is None:
            return
        answer.done = True
        if answer is self._playing and self.scheduler is not None:
            self.scheduler.finish()
            self._tick_answer(self.clock() if now is None else now)

    def answer_failed(self, number: int, reason: str) -> None:
        answer = self._answer_of(number)
        if answer is None:
            return
        answer.failure = reason
        if answer is self._playing:
            self._status(f"cannot answer: {reason}")
            self.stop_answer(interrupted=True)

    def stop_answer(self, interrupted: bool = True) -> None:
        """Silence the answer's sounding notes and forget the rest."""
        if self.scheduler is not None:
            self.scheduler.stop()
        self._finish(interrupted)

    def _answer_changed(self) -> None:
        if self.on_answer is not None and self._playing is not None:
            self.on_answer(answer_piece(self._playing.request.seed, self._playing.notes))

    def _tick_answer(self, now: float) -> None:
        if self.scheduler is None:
            return
        self.scheduler.tick(now)
        if self.scheduler.done:
            self._finish(interrupted=False)

    def _finish(self, interrupted: bool) -> None:
        scheduler, self.scheduler = self.scheduler, None
        self._playing = None
        if scheduler is None:
            return
        timing = AnswerTiming(self._detected_at, scheduler.first_sent_at,
                              scheduler.notes_played, interrupted, self._due_at)
        self.timings.append(timing)
        if self.on_timing is not None:
            self.on_timing(timing)
        if not interrupted:
            self._status(f"answered with {scheduler.notes_played} notes; listening")

    def _status(self, text: str) -> None:
        if self.on_status is not None:
            self.on_status(text)


# ----- the real-time shell ----------------------------------------------------------------
class LiveSession:
    """A :class:`Duet` on real ports in real time.

    Listens on ``input_name`` and answers on ``output_name`` (None or "Built-in synth": the
    sound card). ``start()`` opens the ports (raising :class:`PortError`/:class:`AudioError`
    at once when they cannot be opened) and runs the loop on a thread; ``stop()`` ends it.
    Keyboard messages arrive on rtmidi's thread and are time-stamped there; answers are
    generated on a thread of their own; everything else happens on the session's thread, so
    the duet needs no locks. Hooks are called from the session's thread. Ports that vanish
    are noticed (checked every ``poll_interval`` s), waited for and reopened.
    """

    def __init__(self, answer: AnswerSource, input_name: str, output_name: str | None = None,
                 *, api: str | None = None, settings: LiveSettings = LiveSettings(),
                 synth: str = "auto", clock: Clock = time.perf_counter,
                 on_status: Callable[[str], None] | None = None,
                 on_phrase: Callable[[Piece], None] | None = None,
                 on_answer: Callable[[Piece], None] | None = None,
                 on_timing: Callable[[AnswerTiming], None] | None = None,
                 poll_interval: float = 1.0) -> None:
        settings.validate()
        self.answer = answer
        self.input_name = input_name
        self.output_name = output_name
        self.api = api
        self.settings = settings
        self.synth = synth
        self.clock = clock
        self.on_status = on_status
        self.poll_interval = poll_interval
        self.duet = Duet(self._send, settings, clock=clock, on_phrase=on_phrase,
                         on_answer=on_answer, on_timing=on_timing, on_status=on_status)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._input = None
        self._output = None
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._cancel = threading.Event()
        self._generating: int | None = None

    @property
    def timings(self) -> list[AnswerTiming]:
        return self.duet.timings

    @property
    def output(self):
        """The open :class:`~composer.playback.Output` (None while its port is away)."""
        return self._output

    # --- lifecycle ----------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        """Open the ports and run on a thread; errors opening the ports are raised here."""
        # The generation thread would otherwise hold the GIL for up to 5 ms at a time while
        # a due note waits: 1 ms keeps the answer on time (process-wide, harmless elsewhere).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self._stop_event = threading.Event()
        self._ready.clear()
        self._failure = None
        self._thread = threading.Thread(target=self._run_safely, name="composer-live",
                                        daemon=True)
        self._thread.start()
        self._ready.wait(timeout)
        if self._failure is not None:
            self._thread.join(1.0)
            self._thread = None
            raise self._failure

    def stop(self, timeout: float | None = 5.0) -> None:
        """End the session; wait up to ``timeout`` s for it (``None``: do not wait).

        Without waiting (a GUI), ``on_status("stopped")`` says when the ports are closed.
        """
        self._stop_event.set()
        thread = self._thread
        if timeout is not None and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            self._thread = None

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run_safely(self) -> None:
        try:
            self.run(self._stop_event)
        except BaseException as exc:  # noqa: BLE001 - handed to start() or reported
            if not self._ready.is_set():
                self._failure = exc
                self._ready.set()
            else:
                self._status(f"live mode stopped: {exc}")

    def run(self, stop: threading.Event) -> None:
        """Open the ports, then listen, detect, answer until ``stop`` is set."""
        from composer.ports import PortWatcher

        # The watcher's MIDI clients are made before the sound card is opened: python-rtmidi
        # holds the GIL while it creates a JACK client, and JACK waits for every client's
        # audio callback meanwhile, so with PortAudio playing through JACK in this process
        # the two would wait for each other for seconds.
        watcher = PortWatcher(self.api)
        try:
            watcher.ports()
            self._open_input()
            self._open_output()
        except BaseException:
            watcher.close()
            self._close_input()
            raise
        self._ready.set()
        out_name = self.output_name or "the built-in synth"
        self._status(f"listening on {self.input_name!r}, answering on {out_name!r}")
        watching = threading.Thread(target=self._watch_ports, args=(stop, watcher), daemon=True,
                                    name="composer-live-ports")
        watching.start()
        duet, clock = self.duet, self.clock
        try:
            while not stop.is_set():
                now = clock()
                wake = min(t for t in (duet.next_wake(), now + 0.25) if t is not None)
                try:
                    item = self._queue.get(timeout=max(wake - now, 0.0))
                except queue.Empty:
                    item = None
                if item is not None:
                    self._handle(item)
                request = duet.tick(clock())
                if request is not None:
                    self._start_generation(request)
        finally:
            self._cancel.set()
            duet.stop_answer(interrupted=True)
            watching.join(2.0)
            self._close_input()
            self._close_output()
            self._status("stopped")

    def _watch_ports(self, stop: threading.Event, watcher) -> None:
        """Look at the port names every ``poll_interval`` s, on a thread of its own.

        Asking the MIDI system can be slow (a JACK server busy with other clients), so it
        never happens on the thread that keeps the answer on time; the names reach that
        thread through the queue.
        """
        from composer.ports import NoMidiSystem

        try:
            while not stop.wait(self.poll_interval):
                try:
                    found = watcher.ports()
                except NoMidiSystem as exc:
                    found = exc
                self._queue.put(("ports", found))
        finally:
            watcher.close()

    def _handle(self, item: tuple) -> None:
        kind = item[0]
        if kind == "midi":
            _, at, message = item
            self.duet.feed(message, at)
            if self.duet.wanted != self._generating:
                self._cancel.set()  # the player played on: that answer is not wanted
        elif kind == "note":
            self.duet.add_note(item[1], item[2], self.clock())
        elif kind == "done":
            self.duet.answer_done(item[1], self.clock())
        elif kind == "error":
            self.duet.answer_failed(item[1], item[2])
        elif kind == "ports":
            self._check_ports(item[1])

    def _start_generation(self, request: AnswerRequest) -> None:
        self._cancel.set()  # an answer still being generated is not wanted any more
        self._cancel = threading.Event()
        self._generating = request.number
        threading.Thread(target=self._generate, args=(request, self._cancel),
                         name="composer-live-answer", daemon=True).start()

    def _generate(self, request: AnswerRequest, cancel: threading.Event) -> None:
        put = self._queue.put
        try:
            for note in self.answer(request.seed, request.bars):
                if cancel.is_set():
                    return
                put(("note", request.number, note))
            put(("done", request.number))
        except ComposerError as exc:
            put(("error", request.number, str(exc)))
        except Exception as exc:  # noqa: BLE001 - shown; the session goes on listening
            put(("error", request.number, f"{type(exc).__name__}: {exc}"))

    # --- ports --------------------------------------------------------------------------
    def _open_input(self, available: tuple[str, ...] | None = None) -> None:
        from composer.ports import open_input

        clock, put = self.clock, self._queue.put
        self._input = open_input(self.input_name, api=self.api, available=available,
                                 callback=lambda message: put(("midi", clock(), message)))

    def _open_output(self, available: tuple[str, ...] | None = None) -> None:
        from composer.playback import PortOutput, open_output
        from composer.ports import open_output as open_port

        if available is not None and self._uses_output_port():
            self._output = PortOutput(open_port(self.output_name, api=self.api,
                                                available=available))
        else:
            self._output = open_output(self.output_name, api=self.api, synth=self.synth)

    def _close_input(self) -> None:
        port, self._input = self._input, None
        if port is not None:
            try:
                port.close()
            except Exception:  # noqa: BLE001 - a vanished port may not close cleanly
                pass

    def _close_output(self) -> None:
        output, self._output = self._output, None
        if output is not None:
            try:
                output.close()
            except Exception:  # noqa: BLE001
                pass

    def _send(self, message: mido.Message) -> None:
        output = self._output
        if output is None:
            return
        try:
            output.send(message)
        except PortError as exc:
            self._status(str(exc))
            self._close_output()

    def _uses_output_port(self) -> bool:
        from composer.playback import BUILTIN_SYNTH

        return self.output_name not in (None, BUILTIN_SYNTH)

    def _check_ports(self, found) -> None:
        """React to the port names the watcher found (or to the MIDI system being gone)."""
        if isinstance(found, Exception):
            if self._input is not None:
                self._status(f"{found}; waiting for it to come back")
                self.duet.stop_answer(interrupted=True)
            self._close_input()
            if self._uses_output_port():
                self._close_output()
            return
        self._check_one(found.inputs, "input")
        if self._uses_output_port():
            self._check_one(found.outputs, "output")

    def _check_one(self, available: tuple[str, ...], kind: str) -> None:
        from composer.ports import match_port

        name = self.input_name if kind == "input" else self.output_name
        is_open = (self._input if kind == "input" else self._output) is not None
        try:
            match_port(name, available, kind)
            present = True
        except PortError:
            present = False
        if is_open and not present:
            if kind == "output":
                self.duet.stop_answer(interrupted=True)
            (self._close_input if kind == "input" else self._close_output)()
            self._status(f"{kind} port {name!r} disappeared; waiting for it to come back")
        elif not is_open and present:
            try:
                if kind == "input":
                    self._open_input(available)
                else:
                    self._open_output(available)
            except PortError as exc:
                self._status(f"{kind} port {name!r} is back but cannot be opened: {exc}")
                return
            self._status(f"{kind} port {name!r} is back; listening")

    def _status(self, text: str) -> None:
        if self.on_status is not None:
            self.on_status(text)
