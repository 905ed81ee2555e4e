"""What each take of the list is like, in numbers: how likely the model finds it, how well it
fits the listener's taste, how much of it is in the seed's key, how dense it is against the
seed. Plain NumPy, no widgets: the ratings bridge computes :class:`TakeScore` in the
background and the takes list shows it.

Nothing here is new measuring: the NLL runs the bundle's LSTM over the seed and the take with
:func:`composer.adapt.hidden_rows_batch` (the takes of one generation share one pass over
their seed) and applies the output layer; key share and density are
:func:`composer.measures.measure`; the taste's statistics and fit are
:func:`composer.taste.take_stats` and :meth:`composer.taste.Taste.fit`.

Why the seed's last :data:`SEED_WINDOW` beats and not all of it: a take continues what was
just played; the key and the density of a piece's opening, 200 bars back, say little about
whether the continuation fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from composer.notes import Note, Piece
from composer.taste import STATS, TakeStats, Taste, take_stats

SEED_WINDOW = 32.0  # beats of the seed before the take that key and density are held against


@dataclass(frozen=True)
class TakeScore:
    """One take's numbers (``nll`` is nan when the take has no event to score)."""

    nll: float  # nats per event under the model, lower = more expected
    events: int
    key_share: float  # share of the take's notes in the seed's key
    key_name: str
    density: float  # the take's notes per beat
    seed_density: float  # the seed's (its last SEED_WINDOW beats)
    stats: TakeStats
    model: str = ""

    @property
    def density_ratio(self) -> float:
        return self.density / self.seed_density if self.seed_density > 0 else float("nan")


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def seed_window(seed: Piece, start: float) -> tuple[list[Note], float, float]:
    """The seed's notes in its last :data:`SEED_WINDOW` beats before ``start``, and that span."""
    begin = max(0.0, start - SEED_WINDOW)
    notes = [n for n in seed.notes if begin - 1e-9 <= n.start < start - 1e-9]
    return notes, begin, start


def score_takes(bundle, takes: Sequence, seed: Piece) -> list[TakeScore]:
    """The :class:`TakeScore` of each take of one generation (all continue ``seed``)."""
    from composer.adapt import hidden_rows_batch, stream_of
    from composer.keys import estimate_key
    from composer.measures import measure

    streams, where = [], []
    for index, take in enumerate(takes):
        context = [n for n in seed.notes if n.start < take.start_beat - 1e-9]
        stream = stream_of(bundle, take.notes, take.start_beat, take.end_beat, context,
                           seed.pedals, seed.time_signatures, style=take.style)
        if stream is not None:
            streams.append(stream)
            where.append(index)
    nlls = [(float("nan"), 0)] * len(takes)
    if streams:
        kernel = np.asarray(bundle.weights["dense_kernel"], np.float32)
        bias = np.asarray(bundle.weights["dense_bias"], np.float32)
        for index, (h, y) in zip(where, hidden_rows_batch(bundle, streams)):
            if len(y):
                lp = log_softmax((h @ kernel + bias).astype(np.float64))
                nlls[index] = (float(-lp[np.arange(len(y)), y].mean()), len(y))
    result = []
    for take, (nll, events) in zip(takes, nlls):
        before, begin, end = seed_window(seed, take.start_beat)
        key = estimate_key(before or list(seed.notes) or list(take.notes))
        inside = measure(take.notes, take.pedals, seed.time_signatures, take.start_beat,
                         take.end_beat, key=key)
        seed_density = len(before) / max(end - begin, 1e-9)
        result.append(TakeScore(nll, events, inside.key_share, key.name,
                                inside.notes_per_beat, seed_density,
                                take_stats(take.notes, take.start_beat, take.end_beat),
                                bundle.name))
    return result


def reference(ratings: Sequence) -> dict[str, tuple[float, float]]:
    """Centre and spread of each statistic over the rated takes: what a fit is measured
    against (a take denser than the takes rated so far fits a "denser" taste)."""
    from composer.taste import rating_stats

    stats = [rating_stats(r) for r in ratings if r.notes]
    result = {}
    for name in STATS:
        values = np.array([s.value(name) for s in stats])
        values = values[np.isfinite(values)]
        if values.size:
            result[name] = (float(values.mean()), float(values.std()))
    return result


def fit_of(score: TakeScore | None, taste: Taste, ref: dict) -> float | None:
    """The take's fit to the taste (None when the taste steers nothing or it is not scored)."""
    if score is None or not taste.steered():
        return None
    return taste.fit(score.stats, ref)


def rank_value(score: TakeScore | None, taste: Taste, ref: dict) -> float:
    """Smaller = better: minus the fit when the taste steers something, else the NLL
    (takes not scored yet, and takes with nothing to score, come last)."""
    fit = fit_of(score, taste, ref)
    if fit is not None:
        return -fit
    if score is None or not math.isfinite(score.nll):
        return math.inf
    return score.nll


def describe(score: TakeScore | None, taste: Taste, ref: dict) -> tuple[str, str]:
    """A short line for the list and the tooltip's lines."""
    if score is None:
        return "", "Scoring the take…"
    fit = fit_of(score, taste, ref)
    parts = []
    if fit is not None:
        parts.append(f"fit {fit:+.1f}")
    if math.isfinite(score.nll):
        parts.append(f"NLL {score.nll:.2f}")
    parts.append(f"{score.key_share:.0%} in key")
    ratio = score.density_ratio
    if math.isfinite(ratio):
        parts.append(f"×{ratio:.1f} dense")
    lines = []
    if math.isfinite(score.nll):
        lines.append(f"NLL {score.nll:.2f} nats per event under {score.model} "
                     f"({score.events} events; lower = what the model expects more)")
    else:
        lines.append("NLL: nothing to score (no events)")
    if fit is not None:
        lines.append(f"Fit to your taste ({taste.describe()}): {fit:+.2f} "
                     "(above 0: more of what you liked)")
    else:
        lines.append("Fit to your taste: no clear taste yet (like and dislike a few takes)")
    lines.append(f"{score.key_share:.0%} of its notes in {score.key_name} (the seed's key)")
    if math.isfinite(ratio):
        lines.append(f"{score.density:.2f} notes per beat, ×{ratio:.2f} the seed's "
                     f"{score.seed_density:.2f} (its last {SEED_WINDOW:g} beats)")
    else:
        lines.append(f"{score.density:.2f} notes per beat (the seed has none to compare)")
    return " · ".join(parts), "\n".join(lines)
