"""Key estimation (Krumhansl-Schmuckler) and the scale a key-locked continuation stays in.

Why this algorithm: it needs nothing but the seed's notes, it is the classic one (music21 offers
it as ``analyze('krumhansl')``; here without importing music21 on the generation path), and it
is right on the material that matters here — tonal pieces of a few bars. The pitch classes of the
seed are counted weighted by duration (capped, so one long pedal note does not decide the key),
and correlated with the Krumhansl-Kessler probe-tone profiles of all 24 major and minor keys.

A minor key's scale is the union of its natural, harmonic and melodic forms (the raised sixth
and seventh are everyday notes in minor: G# in A minor), so a key-locked continuation may use
nine pitch classes in minor and seven in major.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from composer.notes import Note

# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
MINOR_STEPS = (0, 2, 3, 5, 7, 8, 9, 10, 11)  # natural + raised 6th and 7th
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAX_WEIGHT_BEATS = 4.0


@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class 0..11 (0 = C)
    mode: str  # "major" or "minor"
    correlation: float = 1.0  # how well the seed fits the key's profile (-1..1)

    @property
    def name(self) -> str:
        return f"{NAMES[self.tonic]} {self.mode}"

    @cached_property
    def scale(self) -> frozenset[int]:
        """Pitch classes a key-locked continuation may use."""
        steps = MAJOR_STEPS if self.mode == "major" else MINOR_STEPS
        return frozenset((self.tonic + s) % 12 for s in steps)

    def contains(self, pitch: int) -> bool:
        return pitch % 12 in self.scale


def pitch_class_histogram(notes: Iterable[Note]) -> np.ndarray:
    histogram = np.zeros(12)
    for note in notes:
        histogram[note.pitch % 12] += min(max(note.end - note.start, 0.0), MAX_WEIGHT_BEATS)
    return histogram


def estimate_key(notes: Iterable[Note]) -> Key:
    """The best-correlating of the 24 major and minor keys; ValueError without notes."""
    histogram = pitch_class_histogram(notes)
    if not histogram.any():
        raise ValueError("no notes to estimate a key from")
    centered = histogram - histogram.mean()
    norm = float(np.sqrt((centered * centered).sum()))
    correlations = _UNIT_PROFILES @ centered / norm if norm else np.zeros(24)
    best = int(np.argmax(correlations))  # the first of equals, major before minor, C upward
    return Key(best % 12, "major" if best < 12 else "minor", float(correlations[best]))


def _unit_profiles() -> np.ndarray:
    """The 24 rotated profiles, centred and scaled to unit length: computed once, because the
    live answer estimates the key on its way to the first note."""
    rows = [np.roll(profile, tonic) for profile in (MAJOR_PROFILE, MINOR_PROFILE)
            for tonic in range(12)]
    centered = np.array(rows) - np.mean(rows, axis=1, keepdims=True)
    return centered / np.linalg.norm(centered, axis=1, keepdims=True)


_UNIT_PROFILES = _unit_profiles()
