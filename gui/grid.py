"""Musical grid arithmetic for the piano roll: bars, beats, snapping, pitch names.

Kept free of Qt so it is easy to test and reason about; the roll, the ruler and the readouts
all use the same bar positions, which follow every time-signature change of the piece.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from composer.notes import Note, TimeSignature

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
BLACK_KEYS = frozenset({1, 3, 6, 8, 10})

# Snap choices shown in the toolbar: label -> grid in beats (0 = off). 12 steps per beat in the
# tokenizer make sixteenths and both kinds of triplets exact.
SNAP_CHOICES: tuple[tuple[str, float], ...] = (
    ("1/4", 1.0),
    ("1/8", 0.5),
    ("1/16", 0.25),
    ("1/32", 0.125),
    ("1/8 triplet", 1.0 / 3.0),
    ("1/16 triplet", 1.0 / 6.0),
    ("Off", 0.0),
)
DEFAULT_SNAP = "1/16"


def pitch_name(pitch: int) -> str:
    """Scientific pitch name, middle C (60) = C4."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def is_black(pitch: int) -> bool:
    return pitch % 12 in BLACK_KEYS


def snap(beat: float, grid: float) -> float:
    """Nearest grid line (no snapping when ``grid`` is 0)."""
    if grid <= 0:
        return beat
    return round(beat / grid) * grid


def quantized(note: Note, grid: float) -> Note:
    """``note`` with its start and end on the nearest grid lines, at least one step long.

    Both ends move, not only the start: a phrase played on a keyboard is uneven at both ends,
    and the model reads lengths as well as onsets.
    """
    first = max(round(note.start / grid), 0)  # in whole grid steps, so that quantizing
    last = max(round(note.end / grid), first + 1)  # twice changes nothing (triplets!)
    return replace(note, start=first * grid, end=last * grid)


def snap_down(beat: float, grid: float) -> float:
    """Grid line at or before ``beat``: where a click inside a grid cell puts a new note."""
    if grid <= 0:
        return beat
    return math.floor(beat / grid + 1e-9) * grid


@dataclass(frozen=True)
class Bar:
    number: int  # 1-based, as musicians count
    start: float  # beats
    length: float  # beats
    signature: TimeSignature

    @property
    def end(self) -> float:
        return self.start + self.length


def _signatures(signatures: Sequence[TimeSignature]) -> list[TimeSignature]:
    ordered = sorted(signatures, key=lambda s: s.beat) or [TimeSignature(0.0)]
    if ordered[0].beat > 0:
        ordered.insert(0, TimeSignature(0.0))
    return ordered


def bars(signatures: Sequence[TimeSignature], until: float) -> Iterator[Bar]:
    """Every bar that starts before ``until`` (a signature change starts a new bar)."""
    ordered = _signatures(signatures)
    number = 1
    for index, sig in enumerate(ordered):
        length = max(sig.beats_per_bar, 1e-6)
        stop = ordered[index + 1].beat if index + 1 < len(ordered) else math.inf
        beat = sig.beat
        while beat < stop - 1e-9 and beat < until:
            yield Bar(number, beat, length, sig)
            number += 1
            beat += length
        if beat >= until:
            return


def bar_at(signatures: Sequence[TimeSignature], beat: float) -> Bar:
    """The bar that contains ``beat`` (beats before 0 belong to bar 1)."""
    found = None
    for bar in bars(signatures, max(beat, 0.0) + 1e-9):
        found = bar
    assert found is not None
    return found


def bar_start(signatures: Sequence[TimeSignature], number: int) -> float:
    """Start beat of bar ``number`` (1-based); bars past the end continue the last metre."""
    last = None
    for bar in bars(signatures, math.inf):
        if bar.number == number:
            return bar.start
        last = bar
        if bar.number > number:
            break
    assert last is not None
    return last.start


def next_bar_line(signatures: Sequence[TimeSignature], beat: float) -> float:
    """The first bar line at or after ``beat``: where recorded or appended material starts."""
    bar = bar_at(signatures, beat)
    return bar.start if abs(bar.start - beat) < 1e-9 else bar.end


def describe_beat(signatures: Sequence[TimeSignature], beat: float) -> str:
    """'bar.beat' as a musician reads a position (beats counted in the bar's own unit)."""
    bar = bar_at(signatures, beat)
    unit = 4.0 / bar.signature.denominator
    return f"{bar.number}.{int((beat - bar.start) / unit + 1e-9) + 1}"


@dataclass(frozen=True)
class Readout:
    """What the takes list shows about a group of notes."""

    notes: int
    low: int | None
    high: int | None
    density: float  # notes per beat

    def text(self) -> str:
        if not self.notes:
            return "no notes"
        return (
            f"{self.notes} notes, {pitch_name(self.low)}–{pitch_name(self.high)}, "
            f"{self.density:.1f} notes/beat"
        )


def readout(notes: Sequence[Note], start: float, end: float) -> Readout:
    if not notes:
        return Readout(0, None, None, 0.0)
    pitches = [n.pitch for n in notes]
    span = max(end - start, 1e-9)
    return Readout(len(notes), min(pitches), max(pitches), len(notes) / span)
