"""Measures of four-voice writing on the grid (NumPy only): what benchmarks/harmonize.py
prints for the model, for Bach and for a random baseline, and what the tests hold the
harmonizer to.

All of them take tokens ``(steps, 4)`` (soprano, alto, tenor, bass; composer.chorales) and
count on the melody's onsets (the steps where the soprano starts a note) or per 100 beats:

- **consonant onsets**: the pitch classes sounding at a melody onset form a triad (major,
  minor, diminished, augmented) or part of one with at least two pitch classes, or a seventh
  chord (dominant, minor, half-diminished, diminished, major) that has its root, third and
  seventh (the fifth may be missing);
- **bass–melody fifths/octaves**: of the consecutive melody onsets where both the melody and
  the bass move, the share where both onsets make a perfect fifth or an octave (compound,
  counted by pitch class) between them: parallel or contrary, the textbook fault;
- **parallels per 100 beats**: the same for every pair of voices, at every step where at
  least one of the pair starts a note;
- **crossings per 100 beats**: a lower voice going above the voice over it (counted when it
  starts);
- **out of range per 100 beats**: notes outside the textbook ranges :data:`RANGES`;
- **bass in 36–64**: the share of bass notes inside MIDI 36..64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from composer.chorales import HOLD, STEPS_PER_BEAT, voice_pitches

RANGES = ((60, 81), (55, 74), (48, 69), (36, 64))  # S A T B, textbook (C4-A5 .. C2-E4)
BASS_RANGE = (36, 64)
_TRIADS = [(0, 4, 7), (0, 3, 7), (0, 3, 6), (0, 4, 8)]
_SEVENTHS = [(0, 4, 7, 10), (0, 3, 7, 10), (0, 3, 6, 10), (0, 3, 6, 9), (0, 4, 7, 11)]


def _chord_sets() -> tuple[list[frozenset[int]], list[tuple[frozenset[int], frozenset[int]]]]:
    """Every triad, and every seventh chord with the pitch classes it must keep."""
    triads, sevenths = [], []
    for root in range(12):
        for shape in _TRIADS:
            triads.append(frozenset((root + i) % 12 for i in shape))
        for shape in _SEVENTHS:
            full = frozenset((root + i) % 12 for i in shape)
            required = frozenset((root + i) % 12 for i in (shape[0], shape[1], shape[3]))
            sevenths.append((full, required))
    return triads, sevenths


TRIADS, SEVENTHS = _chord_sets()


def is_chord(pitch_classes) -> bool:
    """A triad or seventh chord, possibly incomplete (see the module's rules)."""
    pcs = frozenset(pitch_classes)
    if len(pcs) < 2:
        return False
    return any(pcs <= triad for triad in TRIADS) or any(
        required <= pcs <= full for full, required in SEVENTHS)


@dataclass(frozen=True)
class VoiceLeading:
    beats: float
    onsets: int
    consonant: float  # share of melody onsets
    bass_melody_parallels: float  # share of consecutive onset pairs where both move
    parallels_per_100: float
    crossings_per_100: float
    out_of_range_per_100: float
    bass_in_range: float  # share of bass notes in 36..64


def measure(tokens: np.ndarray) -> VoiceLeading:
    """Every measure of one four-voice piece."""
    tokens = np.asarray(tokens)
    pitches = np.stack([voice_pitches(tokens[:, v]) for v in range(4)], axis=1)
    starts = tokens < HOLD
    steps = tokens.shape[0]
    beats = steps / STEPS_PER_BEAT
    onsets = np.flatnonzero(starts[:, 0])
    consonant = sum(is_chord({int(p) % 12 for p in pitches[s] if p >= 0}) for s in onsets)
    moved = total = 0
    for a, b in zip(onsets, onsets[1:]):
        s0, s1, b0, b1 = pitches[a, 0], pitches[b, 0], pitches[a, 3], pitches[b, 3]
        if min(s0, s1, b0, b1) < 0 or s0 == s1 or b0 == b1:
            continue
        total += 1
        if (s0 - b0) % 12 in (0, 7) and (s0 - b0) % 12 == (s1 - b1) % 12:
            moved += 1
    parallels = 0
    for upper in range(4):
        for lower in range(upper + 1, 4):
            events = np.flatnonzero(starts[:, upper] | starts[:, lower])
            for a, b in zip(events, events[1:]):
                u0, u1, l0, l1 = (pitches[a, upper], pitches[b, upper], pitches[a, lower],
                                  pitches[b, lower])
                if min(u0, u1, l0, l1) < 0 or u0 == u1 or l0 == l1:
                    continue
                if (u0 - l0) % 12 in (0, 7) and (u0 - l0) % 12 == (u1 - l1) % 12:
                    parallels += 1
    crossed = np.zeros((steps, 3), dtype=bool)
    for upper in range(3):
        both = (pitches[:, upper] >= 0) & (pitches[:, upper + 1] >= 0)
        crossed[:, upper] = both & (pitches[:, upper + 1] > pitches[:, upper])
    crossings = int((crossed[1:] & ~crossed[:-1]).sum() + crossed[0].sum())
    out = 0
    for voice, (low, high) in enumerate(RANGES):
        started = pitches[starts[:, voice], voice]
        out += int(((started < low) | (started > high)).sum())
    bass = pitches[starts[:, 3], 3]
    per_100 = 100.0 / beats if beats else 0.0
    return VoiceLeading(
        beats=beats, onsets=int(onsets.size),
        consonant=consonant / onsets.size if onsets.size else 0.0,
        bass_melody_parallels=moved / total if total else 0.0,
        parallels_per_100=parallels * per_100,
        crossings_per_100=crossings * per_100,
        out_of_range_per_100=out * per_100,
        bass_in_range=float(((bass >= BASS_RANGE[0]) & (bass <= BASS_RANGE[1])).mean())
        if bass.size else 0.0,
    )


def pooled(results: list[VoiceLeading]) -> VoiceLeading:
    """Figures over several pieces, each weighted by its length (beats or onsets)."""
    beats = sum(r.beats for r in results)
    onsets = sum(r.onsets for r in results)

    def by(field: str, weight: str) -> float:
        total = sum(getattr(r, weight) for r in results)
        return sum(getattr(r, field) * getattr(r, weight) for r in results) / total if \
            total else 0.0

    return VoiceLeading(beats, onsets, by("consonant", "onsets"),
                        by("bass_melody_parallels", "onsets"), by("parallels_per_100", "beats"),
                        by("crossings_per_100", "beats"), by("out_of_range_per_100", "beats"),
                        by("bass_in_range", "beats"))
