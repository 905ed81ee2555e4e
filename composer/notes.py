"""The musical data types that flow between the modules.

Time is measured in beats (quarter notes) everywhere inside composer: the model, the tokenizer,
the piano roll and the generator all think in beats, so a continuation lands on the seed's grid
whatever its tempo. Seconds appear only at the edges (audio rendering, live playing), through
the piece's tempo map (:func:`Piece.seconds_at`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

PIANO_LOW = 21  # A0
PIANO_HIGH = 108  # C8
DEFAULT_TEMPO_BPM = 120.0
MIN_PITCH, MAX_PITCH = 0, 127  # the MIDI range
PEDAL_CC = 64  # MIDI controller number of the sustain (damper) pedal
PEDAL_DOWN = 64  # the pedal's controller values from this up hold it down


def clamp_pitch(pitch: float) -> int:
    """A pitch inside the MIDI range (the one clamp every writer and player uses)."""
    return min(max(int(pitch), MIN_PITCH), MAX_PITCH)


def clamp_velocity(velocity: float) -> int:
    """A velocity that sounds: 1..127 (a note-on of velocity 0 would be a note-off)."""
    return min(max(int(velocity), 1), 127)


@dataclass(frozen=True, order=True)
class Note:
    """One sounding note; ``start`` and ``end`` in beats, ``end > start``."""

    start: float
    end: float
    pitch: int
    velocity: int = 80

    @property
    def duration(self) -> float:
        return self.end - self.start

    def shifted(self, beats: float) -> Note:
        return replace(self, start=self.start + beats, end=self.end + beats)


@dataclass(frozen=True, order=True)
class PedalSpan:
    """Sustain pedal (CC64) held down from ``start`` to ``end``, in beats."""

    start: float
    end: float

    def shifted(self, beats: float) -> PedalSpan:
        return PedalSpan(self.start + beats, self.end + beats)


@dataclass(frozen=True, order=True)
class TempoChange:
    """From ``beat`` on, the tempo is ``bpm`` quarter notes per minute."""

    beat: float
    bpm: float


@dataclass(frozen=True, order=True)
class TimeSignature:
    beat: float
    numerator: int = 4
    denominator: int = 4

    @property
    def beats_per_bar(self) -> float:
        """Bar length in quarter-note beats (6/8 -> 3.0)."""
        return self.numerator * 4.0 / self.denominator


@dataclass(frozen=True)
class Piece:
    """What a MIDI file holds that composer cares about.

    ``notes`` are the pitched notes of every non-drum channel, merged (the model is a
    single-stream piano model); ``drum_notes`` are kept apart so they are never fed to it.
    ``program`` is the General MIDI program of the first pitched track, kept so the output
    sounds like the seed.
    """

    notes: tuple[Note, ...]
    pedals: tuple[PedalSpan, ...] = ()
    tempos: tuple[TempoChange, ...] = (TempoChange(0.0, DEFAULT_TEMPO_BPM),)
    time_signatures: tuple[TimeSignature, ...] = (TimeSignature(0.0),)
    program: int = 0
    drum_notes: tuple[Note, ...] = ()
    texts: tuple[str, ...] = field(default=())

    @property
    def end_beat(self) -> float:
        ends = [n.end for n in self.notes] + [p.end for p in self.pedals]
        return max(ends, default=0.0)

    @property
    def bpm(self) -> float:
        """The first tempo: what a continuation keeps."""
        return self.tempos[0].bpm if self.tempos else DEFAULT_TEMPO_BPM

    @property
    def time_signature(self) -> TimeSignature:
        return self.time_signatures[0] if self.time_signatures else TimeSignature(0.0)

    def seconds_at(self, beat: float) -> float:
        """Wall-clock seconds at ``beat``, following every tempo change (the time map lives
        in :mod:`composer.meter`, imported here lazily: it builds on these types)."""
        from composer import meter

        return meter.seconds_at(self.tempos, beat)

    def with_notes(self, notes, pedals=None) -> Piece:
        return replace(
            self,
            notes=tuple(sorted(notes)),
            pedals=self.pedals if pedals is None else tuple(sorted(pedals)),
        )


def fold_pitch(pitch: int, low: int = PIANO_LOW, high: int = PIANO_HIGH) -> int:
    """Move a pitch by octaves into [low, high] (MIDI allows 0-127, the piano 21-108).

    Computed, not looped, so any int is cheap; the range must hold a whole octave, or some
    pitches would have no octave inside it.
    """
    if high - low < 11:
        raise ValueError(f"the range {low}..{high} is narrower than an octave")
    if pitch < low:
        pitch += 12 * -((pitch - low) // 12)
    elif pitch > high:
        pitch -= 12 * -((high - pitch) // 12)
    return pitch
