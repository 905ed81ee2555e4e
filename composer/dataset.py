"""Training windows drawn from the corpus, with on-the-fly augmentation.

Why sampling instead of sweeping the corpus in order: Palestrina alone is about two thirds of
the classical tokens in music21, so windows are drawn with composer weights proportional to
(composer tokens) ** balance — 1.0 would follow the corpus, 0.0 would give every composer the same
share — and within a composer proportional to piece length. Every window is transposed by a
random interval that keeps all its notes on the piano and its velocities jittered by a bin, so
the model sees every piece in many keys (the corpus is small for an LSTM).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from composer.vocabulary import Vocabulary


@dataclass(frozen=True)
class Batch:
    inputs: np.ndarray  # (batch, length) int32
    targets: np.ndarray  # (batch, length) int32
    weights: np.ndarray  # (batch, length) float32: 0 where the target is padding


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
    ) -> None:
        if not sequences:
            raise ValueError("no sequences to sample from")
        self.sequences = [np.asarray(s, dtype=np.int32) for s in sequences]
        self.vocab = vocab
        self.length = length
        self.transpose_range = transpose_range
        self.velocity_jitter = velocity_jitter
        lengths = np.array([len(s) for s in self.sequences], dtype=np.float64)
        totals: dict[str, float] = {}
        for composer, n in zip(composers, lengths):
            totals[composer] = totals.get(composer, 0.0) + n
        weights = np.array(
            [n / totals[c] * totals[c] ** balance for c, n in zip(composers, lengths)]
        )
        self.piece_probabilities = weights / weights.sum()
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

    def window(self, rng: np.random.Generator, piece: int) -> np.ndarray:
        """length + 1 ids from one piece, padded with PAD when the piece is shorter."""
        seq = self.sequences[piece]
        need = self.length + 1
        if len(seq) <= need:
            out = np.full(need, self.vocab.pad, dtype=np.int32)
            out[: len(seq)] = seq
            return out
        start = int(rng.integers(0, len(seq) - need + 1))
        return seq[start : start + need].copy()

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

    def batch(self, rng: np.random.Generator, size: int, *, augment: bool = True) -> Batch:
        pieces = rng.choice(len(self.sequences), size=size, p=self.piece_probabilities)
        rows = []
        for piece in pieces:
            ids = self.window(rng, int(piece))
            rows.append(self.augment(rng, ids) if augment else ids)
        data = np.stack(rows)
        inputs, targets = data[:, :-1], data[:, 1:]
        weights = (targets != self.vocab.pad).astype(np.float32)
        return Batch(inputs, targets, weights)


def validation_batch(
    sequences: Sequence[np.ndarray], vocab: Vocabulary, *, length: int, windows: int, seed: int = 0
) -> Batch:
    """A fixed set of unaugmented windows, spread over the pieces by length (deterministic)."""
    sampler = WindowSampler(sequences, ["all"] * len(sequences), vocab, length=length,
                            balance=1.0, transpose_range=0, velocity_jitter=0)
    return sampler.batch(np.random.default_rng(seed), windows, augment=False)
