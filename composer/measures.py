"""What a passage of music is like, in numbers a musician recognises: how dense, how it moves
in time, how many notes sound together, how much of it is in the key, whether the bar line
carries weight, how varied its dynamics are, how much pedal.

Used to hold a continuation against its seed (benchmarks/continuation.py, the takes list of the
app) and to describe a listener's taste. Every measure takes notes in beats and the time
signatures of the piece, and is defined so that it can be compared between a seed and a
continuation of another length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from composer import meter
from composer.keys import Key, estimate_key
from composer.notes import Note, PedalSpan, TimeSignature

# Inter-onset intervals, in beats, are counted in these bins (upper edges): 32nds and
# sixteenths, triplet eighths, eighths, dotted eighths, quarters, halves, longer.
IOI_EDGES = (0.1875, 0.29, 0.4, 0.6, 0.8, 1.2, 2.2, float("inf"))
ONSET_TOLERANCE = 1 / 24  # beats: onsets this close to a beat count as on it


@dataclass(frozen=True)
class PassageMeasures:
    notes_per_beat: float
    ioi_histogram: tuple[float, ...]  # share of inter-onset intervals per IOI_EDGES bin
    polyphony: float  # notes sounding at once, averaged over the time anything sounds
    key_share: float  # share of notes in the reference key
    beat_one_emphasis: float  # onsets on beat one over onsets per sixteenth slot of the bar
    distinct_velocities: int
    pedal_share: float  # share of the passage's time with the sustain pedal down
    mean_pitch: float
    notes: int


def onset_times(notes: Sequence[Note]) -> np.ndarray:
    """Distinct onset times, sorted (a chord is one onset)."""
    if not notes:
        return np.zeros(0)
    return np.unique(np.round(np.array([n.start for n in notes]) * 48) / 48)


def ioi_histogram(notes: Sequence[Note]) -> np.ndarray:
    """Shares of the intervals between successive onsets, binned by :data:`IOI_EDGES`."""
    onsets = onset_times(notes)
    counts = np.zeros(len(IOI_EDGES))
    if onsets.size > 1:
        intervals = np.diff(onsets)
        counts += np.bincount(np.searchsorted(IOI_EDGES, intervals), minlength=len(IOI_EDGES))
    total = counts.sum()
    return counts / total if total else counts


def rhythm_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Total variation distance between two IOI histograms (0 = same rhythm mix, 1 = disjoint)."""
    return 0.5 * float(np.abs(np.asarray(a) - np.asarray(b)).sum())


def polyphony(notes: Sequence[Note]) -> float:
    """Notes sounding at once, averaged over the time when at least one sounds."""
    if not notes:
        return 0.0
    edges = sorted([(n.start, 1) for n in notes] + [(n.end, -1) for n in notes])
    sounding, weighted, covered, last = 0, 0.0, 0.0, edges[0][0]
    for time, change in edges:
        if sounding:
            weighted += sounding * (time - last)
            covered += time - last
        sounding += change
        last = time
    return weighted / covered if covered else float(len(notes))


def beat_one_emphasis(notes: Sequence[Note], signatures: Sequence[TimeSignature],
                      start: float, end: float) -> float:
    """Mean onsets (chord notes counted) on beat one over mean onsets per sixteenth position.

    Every sixteenth position of the bar (beat one included) is a slot; notes starting within
    :data:`ONSET_TOLERANCE` of it count for it. 1 means beat one gets no more notes than any
    slot, as when notes fall anywhere (or only on beat one's neighbours); music with a metre
    gives beat one a bass note and a chord, about 2-4 times an average slot. (Comparing beat
    one only with the other beats says little for piano music: its beats are about equally
    full.) Counted over the bars that start in ``[start, end)``; nan without bars.
    """
    firsts, slots = [], []
    starts = np.array([n.start for n in notes]) if notes else np.zeros(0)
    for line in meter.bar_lines(signatures, start, end):
        signature = meter.signature_at(signatures, line)
        count = max(1, round(signature.beats_per_bar * 4))
        for index in range(count):
            hits = int((np.abs(starts - (line + index * 0.25)) <= ONSET_TOLERANCE).sum())
            slots.append(hits)
            if index == 0:
                firsts.append(hits)
    if not firsts:
        return float("nan")
    slot = float(np.mean(slots))
    return float(np.mean(firsts)) / slot if slot else float("nan")


def measure(notes: Sequence[Note], pedals: Sequence[PedalSpan],
            signatures: Sequence[TimeSignature], start: float, end: float,
            key: Key | None = None) -> PassageMeasures:
    """The measures of the notes starting in ``[start, end)`` (beats)."""
    inside = [n for n in notes if start - 1e-9 <= n.start < end - 1e-9]
    length = max(end - start, 1e-9)
    key = key or estimate_key(inside)
    pedal_time = sum(max(0.0, min(p.end, end) - max(p.start, start)) for p in pedals)
    return PassageMeasures(
        notes_per_beat=len(inside) / length,
        ioi_histogram=tuple(float(x) for x in ioi_histogram(inside)),
        polyphony=polyphony(inside),
        key_share=(sum(key.contains(n.pitch) for n in inside) / len(inside)) if inside else 0.0,
        beat_one_emphasis=beat_one_emphasis(inside, signatures, start, end),
        distinct_velocities=len({n.velocity for n in inside}),
        pedal_share=min(1.0, pedal_time / length),
        mean_pitch=float(np.mean([n.pitch for n in inside])) if inside else float("nan"),
        notes=len(inside),
    )
