"""The time map of a piece: which time signature holds where, where bars begin, where in its
bar a moment falls, and which tempo holds where (beats to seconds and back). Qt-free, so the
library, the generator, playback and the piano roll share it.

A list of :class:`~composer.notes.TimeSignature` is read as a MIDI file means it: each entry
starts a bar at its ``beat`` and bars of its length follow until the next entry. Before the
first entry its bars extend backwards, so a pickup written as a signature at beat 1 (a bar line
there) puts beat 0 on the last beat of a bar, as a musician would count it.

Why the model needs this: note-on, note-off and time-shift events carry no bar line, so an
LSTM has to count the time itself to know where beat one is, and over a long take it loses
count (continuations with no accent on the bar, issue 10). The generator and the training data
therefore give it the position in the bar as an input at every step
(:func:`step_positions`), computed from this map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from composer.notes import DEFAULT_TEMPO_BPM, TempoChange, TimeSignature

# Metres the model tells apart (each its own input class); any other is "other".
METERS = ("4/4", "3/4", "2/4", "6/8", "3/8", "2/2", "3/2", "4/2", "6/4", "9/8", "12/8", "5/4")
OTHER_METER = "other"
UNKNOWN = "unknown"
MAX_POSITION_STEPS = 96  # positions in a bar, in grid steps; later steps share the last class


def ordered(signatures: Sequence[TimeSignature]) -> tuple[TimeSignature, ...]:
    """Sorted by beat, one per beat (the last given wins), never empty (4/4 from beat 0)."""
    by_beat: dict[float, TimeSignature] = {}
    for signature in signatures:
        by_beat[float(signature.beat)] = signature
    return tuple(by_beat[b] for b in sorted(by_beat)) or (TimeSignature(0.0),)


def signature_at(signatures: Sequence[TimeSignature], beat: float) -> TimeSignature:
    """The time signature in force at ``beat`` (the first one before it starts)."""
    chosen = ordered(signatures)
    current = chosen[0]
    for signature in chosen[1:]:
        if signature.beat <= beat + 1e-9:
            current = signature
        else:
            break
    return current


def bar_start(signatures: Sequence[TimeSignature], beat: float) -> float:
    """The bar line at or before ``beat``."""
    signature = signature_at(signatures, beat)
    bar = signature.beats_per_bar
    return signature.beat + math.floor((beat - signature.beat) / bar + 1e-9) * bar


def next_bar_line(signatures: Sequence[TimeSignature], beat: float) -> float:
    """The first bar line at or after ``beat``."""
    start = bar_start(signatures, beat)
    if abs(start - beat) < 1e-9:
        return start
    return start + signature_at(signatures, beat).beats_per_bar


def bar_lines(signatures: Sequence[TimeSignature], start: float, end: float) -> list[float]:
    """Every bar line in ``[start, end)``, following the changes of time signature."""
    lines = []
    beat = next_bar_line(signatures, start)
    while beat < end - 1e-9 and len(lines) < 1_000_000:
        lines.append(beat)
        signature = signature_at(signatures, beat)
        following = [s.beat for s in ordered(signatures) if s.beat > beat + 1e-9]
        step = signature.beats_per_bar
        beat = min(beat + step, following[0]) if following else beat + step
    return lines


def bar_number_at(signatures: Sequence[TimeSignature], beat: float, origin: float = 0.0) -> int:
    """1-based number of the bar holding ``beat``, counting from the bar that holds ``origin``."""
    first = bar_start(signatures, origin)
    if beat < first:
        return 1
    return len(bar_lines(signatures, first, beat + 1e-9))


def meter_name(signature: TimeSignature) -> str:
    name = f"{signature.numerator}/{signature.denominator}"
    return name if name in METERS else OTHER_METER


def step_positions(
    signatures: Sequence[TimeSignature], steps: np.ndarray, steps_per_beat: int
) -> tuple[np.ndarray, np.ndarray]:
    """For grid steps ``steps`` (absolute, from beat 0): the step within the bar and the
    metre's name index (into ``METERS + (OTHER_METER,)``), both int arrays.

    Vectorized: corpus preparation calls it on every event of 5 M.
    """
    steps = np.asarray(steps, dtype=np.int64)
    chosen = ordered(signatures)
    starts = np.array([round(s.beat * steps_per_beat) for s in chosen], dtype=np.int64)
    lengths = np.array([max(1, round(s.beats_per_bar * steps_per_beat)) for s in chosen],
                       dtype=np.int64)
    names = METERS + (OTHER_METER,)
    meters = np.array([names.index(meter_name(s)) for s in chosen], dtype=np.int64)
    which = np.maximum(np.searchsorted(starts, steps, side="right") - 1, 0)
    within = np.mod(steps - starts[which], lengths[which])
    return within, meters[which]


def tempo_at(tempos: Sequence[TempoChange], beat: float) -> float:
    """The tempo (bpm) in force at ``beat``."""
    bpm = tempos[0].bpm if tempos else DEFAULT_TEMPO_BPM
    for change in sorted(tempos, key=lambda t: t.beat):
        if change.beat <= beat:
            bpm = change.bpm
        else:
            break
    return bpm


def seconds_at(tempos: Sequence[TempoChange], beat: float) -> float:
    """Wall-clock seconds at ``beat``, integrating the tempo map (changes in beat order); the
    first tempo also covers negative beats. :meth:`Piece.seconds_at` is this."""
    tempos = tuple(tempos) or (TempoChange(0.0, DEFAULT_TEMPO_BPM),)
    seconds, prev_beat, prev_bpm = 0.0, 0.0, tempos[0].bpm
    for change in tempos[1:]:
        if change.beat >= beat:
            break
        seconds += (change.beat - prev_beat) * 60.0 / prev_bpm
        prev_beat, prev_bpm = change.beat, change.bpm
    return seconds + (beat - prev_beat) * 60.0 / prev_bpm


def beat_at(tempos: Sequence[TempoChange], seconds: float) -> float:
    """Inverse of :func:`seconds_at`: the beat sounding ``seconds`` after beat 0."""
    tempos = tuple(tempos)
    beat, elapsed = 0.0, 0.0
    bpm = tempos[0].bpm if tempos else DEFAULT_TEMPO_BPM
    for change in tempos[1:]:
        span = (change.beat - beat) * 60.0 / bpm
        if elapsed + span >= seconds:
            break
        elapsed += span
        beat, bpm = change.beat, change.bpm
    return beat + (seconds - elapsed) * bpm / 60.0
