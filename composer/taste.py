"""The listener's taste in numbers, and the immediate steering of sampling it gives.

Statistics of a take (:func:`take_stats`), each one a musician names: how dense (notes per
beat), how high (mean pitch), how long the notes are held (mean duration in beats: legato
against staccato), how loud (mean velocity), how fast the rhythm moves (share of onsets that
follow the previous one within a sixteenth).

What liked and disliked takes have in common (:meth:`Taste.from_ratings`): for each statistic,
the difference between the liked and the disliked takes' means, in units of its spread among
all rated takes, and how sure that difference is (a t statistic). A listener who likes the
sparse takes and dislikes the dense ones gives density a clear negative direction after a few
ratings; the statistics the listener does not care about differ between the two groups only by
chance, their t stays small, and they are not steered (the confidence ramps from 0 at
``|t| = 1.5`` to 1 at 3.5). With likes only (no dislikes) there is nothing to compare with, and
nothing is steered: the durable adaptation (composer.adapt) still learns from them.

Why a logit bias over event classes: every statistic above is moved by one family of events of
the vocabulary (a note-on rather than a time shift is a denser take; note-ons of high pitches a
higher one; fewer note-offs longer notes; the velocity events the loudness; short time shifts
a faster rhythm), so a bias on that family, added to every step's logits after temperature
(:meth:`Taste.bias`; ``composer.generate.generate(..., steer=bias)``), moves the statistic at no
cost per event and is undone by passing no bias. Notochord's per-event controls work the same
way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from composer.notes import Note
from composer.vocabulary import Vocabulary

STATS = ("density", "pitch", "duration", "velocity", "rhythm")
DESCRIPTIONS = {
    "density": ("sparser", "denser"),
    "pitch": ("lower", "higher"),
    "duration": ("more staccato", "more legato"),
    "velocity": ("softer", "louder"),
    "rhythm": ("slower rhythm", "quicker rhythm"),
}
SHORT_IOI = 0.26  # beats: an onset this soon after the previous is a quick one (sixteenths)
# Logit bias per unit of direction (a difference of one spread, fully confident), per family.
GAINS = {"density": 1.5, "pitch": 1.0, "duration": 1.5, "velocity": 0.8, "rhythm": 1.0}
MAX_DIRECTION = 1.5
T_FREE, T_FULL = 1.5, 3.5  # |t| below: no steering; above T_FULL: full confidence
MIN_SPREAD = {"density": 0.25, "pitch": 1.5, "duration": 0.05, "velocity": 3.0, "rhythm": 0.05}


@dataclass(frozen=True)
class TakeStats:
    density: float  # notes per beat
    pitch: float  # mean MIDI pitch (nan without notes)
    duration: float  # mean note length in beats
    velocity: float  # mean velocity
    rhythm: float  # share of inter-onset intervals of at most SHORT_IOI beats
    notes: int

    def value(self, name: str) -> float:
        return float(getattr(self, name))

    def as_dict(self) -> dict[str, float]:
        return {name: self.value(name) for name in STATS}


def take_stats(notes: Sequence[Note], start: float, end: float) -> TakeStats:
    """The statistics of the notes starting in ``[start, end)`` (beats)."""
    inside = [n for n in notes if start - 1e-9 <= n.start < end - 1e-9]
    length = max(end - start, 1e-9)
    if not inside:
        return TakeStats(0.0, float("nan"), float("nan"), float("nan"), float("nan"), 0)
    onsets = np.unique(np.round(np.array([n.start for n in inside]) * 48) / 48)
    gaps = np.diff(onsets)
    return TakeStats(
        density=len(inside) / length,
        pitch=float(np.mean([n.pitch for n in inside])),
        duration=float(np.mean([n.end - n.start for n in inside])),
        velocity=float(np.mean([n.velocity for n in inside])),
        rhythm=float((gaps <= SHORT_IOI + 1e-9).mean()) if gaps.size else 0.0,
        notes=len(inside),
    )


def rating_stats(rating) -> TakeStats:
    """:func:`take_stats` of a :class:`composer.ratings.Rating`."""
    return take_stats(rating.notes, rating.start_beat, rating.end_beat)


def features(vocab: Vocabulary) -> dict[str, np.ndarray]:
    """Per statistic, the direction over the vocabulary that raises it (one value per id)."""
    size = len(vocab)
    s = vocab.settings
    on, off, shift, velocity = (vocab.note_on_base, vocab.note_off_base, vocab.shift_base,
                                vocab.velocity_base)
    pitches = np.arange(s.pitch_low, s.pitch_high + 1, dtype=np.float64)
    result = {name: np.zeros(size) for name in STATS}
    result["density"][on : on + vocab.pitch_count] = 1.0
    # A velocity event opens a note-on (only note-ons may follow it), so it counts as one:
    # without it a sparser taste was dodged by velocity events and their forced note-ons.
    result["density"][velocity : velocity + s.velocity_bins] = 1.0
    result["pitch"][on : on + vocab.pitch_count] = (pitches - 64.0) / 12.0
    result["duration"][off : off + vocab.pitch_count] = -1.0
    bins = s.velocity_bins
    if bins > 1:
        result["velocity"][velocity : velocity + bins] = (np.arange(bins) - (bins - 1) / 2) / (
            (bins - 1) / 2)
    steps = np.arange(1, s.max_shift_steps + 1, dtype=np.float64)
    quarter = max(s.steps_per_beat / 2, 1.0)  # an eighth note: the middle of the scale
    result["rhythm"][shift : shift + s.max_shift_steps] = -np.log2(steps / quarter) / 2
    return result


@dataclass(frozen=True)
class Taste:
    """Per statistic: the direction (in spreads, + = more of it) and the confidence (0..1)."""

    directions: dict[str, float] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    likes: int = 0
    dislikes: int = 0

    @classmethod
    def from_ratings(cls, ratings: Sequence) -> Taste:
        """What the liked takes have that the disliked ones do not (see the module doc)."""
        stats = [(rating_stats(r), r.sign, r.weight) for r in ratings if r.notes]
        likes = [(s, w) for s, sign, w in stats if sign > 0]
        dislikes = [(s, w) for s, sign, w in stats if sign < 0]
        directions, confidence = {}, {}
        if likes and dislikes:
            for name in STATS:
                liked = [(s.value(name), w) for s, w in likes if math.isfinite(s.value(name))]
                disliked = [(s.value(name), w) for s, w in dislikes
                            if math.isfinite(s.value(name))]
                if not liked or not disliked:
                    continue
                every = np.array([v for v, _ in liked + disliked])
                spread = max(float(every.std()), MIN_SPREAD[name])
                mean_like = np.average([v for v, _ in liked], weights=[w for _, w in liked])
                mean_dis = np.average([v for v, _ in disliked],
                                      weights=[w for _, w in disliked])
                effect = (mean_like - mean_dis) / spread
                t = effect / math.sqrt(1 / len(liked) + 1 / len(disliked))
                directions[name] = float(np.clip(effect, -MAX_DIRECTION, MAX_DIRECTION))
                confidence[name] = float(np.clip((abs(t) - T_FREE) / (T_FULL - T_FREE), 0, 1))
        return cls(directions, confidence, len(likes), len(dislikes))

    @property
    def ratings(self) -> int:
        return self.likes + self.dislikes

    def steered(self) -> dict[str, float]:
        """The statistics steered, with their signed strength (direction x confidence)."""
        return {name: self.directions[name] * self.confidence.get(name, 0.0)
                for name in self.directions if self.confidence.get(name, 0.0) > 0}

    def bias(self, vocab: Vocabulary, strength: float = 1.0) -> np.ndarray | None:
        """The logit bias over ``vocab`` (None when nothing is steered)."""
        steered = self.steered()
        if not steered or strength == 0:
            return None
        families = features(vocab)
        total = np.zeros(len(vocab))
        for name, amount in steered.items():
            total += strength * GAINS[name] * amount * families[name]
        return total

    def describe(self) -> str:
        """In words: "denser, higher" (or "no clear taste yet")."""
        parts = []
        for name, amount in sorted(self.steered().items(), key=lambda kv: -abs(kv[1])):
            parts.append(DESCRIPTIONS[name][amount > 0])
        return ", ".join(parts) if parts else "no clear taste yet"

    def fit(self, stats: TakeStats, reference: dict[str, tuple[float, float]]) -> float:
        """How well a take matches the taste: the steered statistics' standardized values
        (``reference`` gives each statistic's centre and spread) along their directions,
        weighted by confidence; 0 when nothing is steered, higher is a better fit."""
        score = 0.0
        for name, amount in self.steered().items():
            value = stats.value(name)
            centre, spread = reference.get(name, (0.0, 1.0))
            if math.isfinite(value):
                score += math.copysign(1.0, amount) * self.confidence[name] * (
                    value - centre) / max(spread, MIN_SPREAD[name])
        return score
