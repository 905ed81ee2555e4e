"""Playing the answer: its notes sent on time while the rest is still being generated.

:class:`AnswerScheduler` takes the answer's notes as they are generated and sends note-on and
note-off messages when they are due; ``stop()`` ends exactly the notes it started. The first
note fixes the timeline; a note that arrives after its start time (a long note, which is
yielded only when it ends) starts at once, cut to the time it has left.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import mido

from composer.notes import Note, Piece, clamp_pitch, clamp_velocity

Send = Callable[[mido.Message], None]


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
        pitch = clamp_pitch(note.pitch)
        velocity = clamp_velocity(note.velocity)
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

