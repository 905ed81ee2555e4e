"""The duet: detector and scheduler together, still in explicit time (no ports, no threads).

:class:`Duet` asks for an answer (an :class:`AnswerRequest`) a little before the wait is over
(speculation: the first notes are ready when the phrase ends), drops it if the player plays on,
plays it when the phrase has ended, and stops it when the player comes back in. Who generates
the answer is the caller's business (:class:`~composer.live.session.LiveSession` in real time,
tests in simulated time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import mido

from composer.live.phrase import (
    Clock,
    LiveSettings,
    Phrase,
    PhraseDetector,
    answer_bars,
    phrase_to_piece,
)
from composer.live.schedule import AnswerScheduler, Send, answer_piece
from composer.notes import Note, Piece


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

