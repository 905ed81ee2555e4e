"""Training windows drawn from the corpus, with their extra inputs and on-the-fly augmentation.

Why sampling instead of sweeping the corpus in order: Palestrina alone is about two thirds of
the classical tokens in music21, so windows are drawn with composer weights proportional to
(composer tokens) ** balance — 1.0 would follow the corpus, 0.0 would give every composer the same
share — and within a composer proportional to piece length. On top of that, a group of pieces
(the piano pieces) can be given a fixed share of all windows, whatever its size. Every window is
transposed by a random interval that keeps all its notes on the piano and its velocities
jittered by a bin, so the model sees every piece in many keys (the corpus is small for an
LSTM).

Extra inputs (composer.conditioning): each window carries the position and metre classes of its
events and the style and composer of its piece; each input is hidden ("unknown", class 0) in a
share of the windows (``dropout``), so the model learns to do without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from composer.vocabulary import Vocabulary


@dataclass(frozen=True)
class Batch:
    inputs: np.ndarray  # (batch, length) int32
    targets: np.ndarray  # (batch, length) int32
    weights: np.ndarray  # (batch, length) float32: 0 where the target is padding
    conditions: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (batch, length)

    def model_inputs(self, names: Sequence[str]):
        """What the Keras model takes: the ids alone, or a dict with the named inputs."""
        if not names:
            return self.inputs
        return {"ids": self.inputs, **{name: self.conditions[name] for name in names}}


@dataclass(frozen=True)
class PieceInputs:
    """Per piece: position and metre classes per event, style and composer class ids."""

    positions: Sequence[np.ndarray]
    meters: Sequence[np.ndarray]
    styles: Sequence[int]
    composers: Sequence[int]


class WindowSampler:
    def __init__(
        self,
        sequences: Sequence[np.ndarray],
        composers: Sequence[str],
        vocab: Vocabulary,
        *,
        length: int,
        balance: float = 0.5,
        transpose_range: int = 6,
        velocity_jitter: int = 1,
        inputs: PieceInputs | None = None,
        groups: Sequence[str] | None = None,
        group_shares: Mapping[str, float] | None = None,
        dropout: Mapping[str, float] | None = None,
    ) -> None:
        if not sequences:
            raise ValueError("no sequences to sample from")
        self.sequences = [np.asarray(s, dtype=np.int32) for s in sequences]
        self.vocab = vocab
        self.length = length
        self.transpose_range = transpose_range
        self.velocity_jitter = velocity_jitter
        self.inputs = inputs
        self.dropout = dict(dropout or {})
        lengths = np.array([len(s) for s in self.sequences], dtype=np.float64)
        totals: dict[str, float] = {}
        for composer, n in zip(composers, lengths):
            totals[composer] = totals.get(composer, 0.0) + n
        weights = np.array(
            [n / totals[c] * totals[c] ** balance for c, n in zip(composers, lengths)]
        )
        self.piece_probabilities = _group_weights(weights, groups, group_shares)
        # Id ranges for augmentation.
        self._on = (vocab.note_on_base, vocab.note_off_base)
        self._off = (vocab.note_off_base, vocab.shift_base)
        self._vel = (vocab.velocity_base, vocab.velocity_base + vocab.settings.velocity_bins)

    def composer_shares(self, composers: Sequence[str]) -> dict[str, float]:
        """Expected share of windows per composer (for the training log)."""
        shares: dict[str, float] = {}
        for composer, p in zip(composers, self.piece_probabilities):
            shares[composer] = shares.get(composer, 0.0) + float(p)
        return shares

    def _start(self, rng: np.random.Generator, piece: int) -> int:
        size = len(self.sequences[piece])
        need = self.length + 1
        return 0 if size <= need else int(rng.integers(0, size - need + 1))

    @staticmethod
    def _cut(values: np.ndarray, start: int, need: int, fill: int) -> np.ndarray:
        out = np.full(need, fill, dtype=np.int32)
        part = values[start : start + need]
        out[: len(part)] = part
        return out

    def window(self, rng: np.random.Generator, piece: int) -> np.ndarray:
        """length + 1 ids from one piece, padded with PAD when the piece is shorter."""
        return self._cut(self.sequences[piece], self._start(rng, piece), self.length + 1,
                         self.vocab.pad)

    def augment(self, rng: np.random.Generator, ids: np.ndarray) -> np.ndarray:
        low, high = self._on
        is_on = (ids >= low) & (ids < high)
        is_off = (ids >= self._off[0]) & (ids < self._off[1])
        notes = is_on | is_off
        if self.transpose_range and notes.any():
            offsets = np.where(is_on, ids - low, ids - self._off[0])[notes]
            span = self.vocab.pitch_count - 1
            down = min(self.transpose_range, int(offsets.min()))
            up = min(self.transpose_range, span - int(offsets.max()))
            shift = int(rng.integers(-down, up + 1))
            ids = np.where(notes, ids + shift, ids)
        if self.velocity_jitter:
            is_vel = (ids >= self._vel[0]) & (ids < self._vel[1])
            if is_vel.any():
                jitter = int(rng.integers(-self.velocity_jitter, self.velocity_jitter + 1))
                moved = np.clip(ids + jitter, self._vel[0], self._vel[1] - 1)
                ids = np.where(is_vel, moved, ids)
        return ids

    def _conditions(self, rng: np.random.Generator, piece: int, start: int,
                    hide: bool) -> dict[str, np.ndarray]:
        need = self.length + 1
        inputs = self.inputs
        hidden = {name: hide and rng.random() < self.dropout.get(name, 0.0)
                  for name in ("positions", "styles", "composers")}
        positions = self._cut(inputs.positions[piece], start, need, 0)
        meters = self._cut(inputs.meters[piece], start, need, 0)
        if hidden["positions"]:  # position and metre come from the same bar grid
            positions[:] = 0
            meters[:] = 0
        style = 0 if hidden["styles"] else int(inputs.styles[piece])
        composer = 0 if hidden["composers"] else int(inputs.composers[piece])
        return {"positions": positions, "meters": meters,
                "styles": np.full(need, style, dtype=np.int32),
                "composers": np.full(need, composer, dtype=np.int32)}

    def batch(self, rng: np.random.Generator, size: int, *, augment: bool = True) -> Batch:
        pieces = rng.choice(len(self.sequences), size=size, p=self.piece_probabilities)
        rows = []
        conditions: dict[str, list[np.ndarray]] = {}
        for piece in pieces:
            piece = int(piece)
            start = self._start(rng, piece)
            ids = self._cut(self.sequences[piece], start, self.length + 1, self.vocab.pad)
            rows.append(self.augment(rng, ids) if augment else ids)
            if self.inputs is not None:
                for name, values in self._conditions(rng, piece, start, augment).items():
                    conditions.setdefault(name, []).append(values)
        data = np.stack(rows)
        inputs, targets = data[:, :-1], data[:, 1:]
        weights = (targets != self.vocab.pad).astype(np.float32)
        # The input at step t describes the moment after event t: drop the last column.
        stacked = {name: np.stack(values)[:, :-1] for name, values in conditions.items()}
        return Batch(inputs, targets, weights, stacked)


def _group_weights(weights: np.ndarray, groups: Sequence[str] | None,
                   shares: Mapping[str, float] | None) -> np.ndarray:
    """Normalize ``weights`` so each group in ``shares`` gets its share; the rest share the
    remainder in proportion to their weights."""
    total = weights / weights.sum()
    if not groups or not shares:
        return total
    groups_array = np.asarray(groups)
    present = {g: s for g, s in shares.items() if (groups_array == g).any()}
    fixed = sum(present.values())
    rest = ~np.isin(groups_array, list(present))
    if not rest.any():  # only fixed groups present: their shares are relative
        fixed, present = 1.0, {g: s / sum(present.values()) for g, s in present.items()}
    result = np.zeros_like(total)
    for group, share in present.items():
        mask = groups_array == group
        result[mask] = total[mask] / total[mask].sum() * share
    if rest.any():
        result[rest] = total[rest] / total[rest].sum() * max(0.0, 1.0 - fixed)
    return result / result.sum()


def validation_batch(
    sequences: Sequence[np.ndarray], vocab: Vocabulary, *, length: int, windows: int,
    seed: int = 0, inputs: PieceInputs | None = None,
) -> Batch:
    """A fixed set of unaugmented windows, spread over the pieces by length (deterministic),
    with every input given."""
    sampler = WindowSampler(sequences, ["all"] * len(sequences), vocab, length=length,
                            balance=1.0, transpose_range=0, velocity_jitter=0, inputs=inputs)
    return sampler.batch(np.random.default_rng(seed), windows, augment=False)
