"""N-gram language models over event ids: the baselines a trained LSTM has to beat.

Two models, both proper distributions over the whole vocabulary for any context:

- ``UnigramModel``: add-one (Laplace) smoothed token frequencies,
  ``p(w) = (c(w) + 1) / (N + V)``; ``V`` is the full vocabulary (PAD and BOS included, which
  are never targets, so they only get the +1).
- ``KneserNeyModel``: interpolated *modified* Kneser-Ney of any order (Chen & Goodman 1998,
  section 3.5; the variant KenLM's ``lmplz`` estimates):

      p_k(w | h) = max(a(hw) - D_k(a(hw)), 0) / a(h.)  +  gamma_k(h) * p_{k-1}(w | h')
      gamma_k(h) = (D_k1 N1(h.) + D_k2 N2(h.) + D_k3+ N3+(h.)) / a(h.)
      p_0(w)     = 1 / V                      (uniform over the whole vocabulary)

  where ``h'`` is ``h`` without its first event, ``a`` the *adjusted* count (the raw count at
  the highest order and for n-grams that start at a piece's BOS, which nothing can precede;
  otherwise the number of distinct events seen just before the n-gram), ``a(h.)`` the sum of
  ``a(hw)`` over ``w`` and ``N_r(h.)`` the number of ``w`` with ``a(hw) == r`` (3+ for >= 3).
  A context never seen at order ``k`` passes the whole mass down (``p_k = p_{k-1}``).
  The three discounts of each order come from that order's count-of-counts ``n_r``:
  ``Y = n1 / (n1 + 2 n2)``, ``D_r = r - (r + 1) Y n_{r+1} / n_r``. Tiny corpora can make an
  estimate undefined or leave ``(0, r]``; it then falls back to ``Y`` (or 0.5 when ``Y`` is
  undefined), so every discount stays positive and every event keeps a non-zero probability.

Context never crosses pieces: each piece is a stream that starts at its BOS, and the first
events of a piece are predicted from the shorter history they have (``BOS``, ``BOS e1``, ...).
NLTK's ``KneserNeyInterpolated`` is neither modified KN nor fast, and KenLM's Python wheels only
query ARPA files (estimation needs the ``lmplz`` binary, which PyPI does not ship), so the
estimator is written here, in NumPy: every n-gram is one int64 (base-V digits), counts come
from ``np.unique`` and look-ups from ``np.searchsorted``; fitting 2.5 M events at order 6 takes
seconds.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from composer.errors import ComposerError
from composer.inputs import read_npz

FORMAT_VERSION = 1


def max_order(vocab_size: int) -> int:
    """Highest order whose n-grams still fit one int64 as base-``vocab_size`` digits."""
    return max(1, int(63 / math.log2(max(vocab_size, 2))))


def _as_arrays(sequences: Iterable[Sequence[int]], vocab_size: int) -> list[np.ndarray]:
    arrays = [np.asarray(s, dtype=np.int64).ravel() for s in sequences]
    for a in arrays:
        if a.size and (a.min() < 0 or a.max() >= vocab_size):
            raise ValueError(f"token ids must lie in 0..{vocab_size - 1}")
    return arrays


def _targets(arrays: Sequence[np.ndarray], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``width`` events ending at every predicted position (all but each first).

    Returns ``(windows, history)``: ``windows[i, -1]`` is the target, the columns before it the
    preceding events of the same piece (-1 where the piece has none), and ``history[i]`` how
    many real events precede the target (capped at ``width - 1``).
    """
    arrays = [a for a in arrays if a.size > 1]
    if not arrays:
        return np.zeros((0, width), np.int64), np.zeros(0, np.int64)
    lengths = np.array([a.size for a in arrays])
    flat = np.concatenate(arrays)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions = np.arange(flat.size)
    keep = positions > starts
    positions, starts = positions[keep], starts[keep]
    offsets = np.arange(-width + 1, 1)
    index = positions[:, None] + offsets[None, :]
    windows = np.where(index >= starts[:, None], flat[np.maximum(index, 0)], -1)
    history = np.minimum(positions - starts, width - 1)
    return windows, history


@dataclass(frozen=True)
class UnigramModel:
    """Add-one smoothed unigram model (see the module docstring)."""

    vocab_size: int
    counts: np.ndarray  # (V,) raw counts of predicted events

    @classmethod
    def fit(cls, sequences: Iterable[Sequence[int]], vocab_size: int) -> UnigramModel:
        arrays = _as_arrays(sequences, vocab_size)
        targets = [a[1:] for a in arrays]
        flat = np.concatenate(targets) if targets else np.zeros(0, np.int64)
        return cls(vocab_size, np.bincount(flat, minlength=vocab_size).astype(np.int64))

    @property
    def order(self) -> int:
        return 1

    def distribution(self, context: Sequence[int] = ()) -> np.ndarray:
        return (self.counts + 1.0) / (self.counts.sum() + self.vocab_size)

    def log_probs(self, sequence: Sequence[int]) -> np.ndarray:
        """Natural-log probability of every event after the first."""
        (array,) = _as_arrays([sequence], self.vocab_size)
        return np.log(self.distribution())[array[1:]]

    def nll(self, sequences: Iterable[Sequence[int]]) -> tuple[float, int]:
        """(summed negative log-likelihood in nats, number of predicted events)."""
        arrays = _as_arrays(sequences, self.vocab_size)
        targets = np.concatenate([a[1:] for a in arrays]) if arrays else np.zeros(0, np.int64)
        return float(-np.log(self.distribution())[targets].sum()), int(targets.size)


@dataclass(frozen=True)
class _OrderTable:
    """Adjusted counts of one order and the per-context sums the interpolation needs."""

    grams: np.ndarray  # sorted int64 codes of the n-grams
    counts: np.ndarray  # adjusted counts, int64
    contexts: np.ndarray  # sorted unique codes of the (n-1)-gram contexts
    totals: np.ndarray  # a(h.) per context, float64
    backoff_mass: np.ndarray  # D1 N1(h.) + D2 N2(h.) + D3 N3+(h.) per context, float64
    discounts: np.ndarray  # (4,) = [0, D1, D2, D3+]


def _lookup(keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``queries`` in sorted ``keys`` and whether each was found."""
    if keys.size == 0:
        return np.zeros(queries.shape, np.int64), np.zeros(queries.shape, bool)
    index = np.minimum(np.searchsorted(keys, queries), keys.size - 1)
    return index, keys[index] == queries


def estimate_discounts(counts: np.ndarray) -> np.ndarray:
    """Chen & Goodman's D1, D2, D3+ from the count-of-counts of ``counts``, as [0, D1, D2, D3+].

    Undefined estimates or ones outside (0, r] fall back to ``Y`` (0.5 if ``Y`` is undefined).
    """
    n = [int(np.count_nonzero(counts == r)) for r in range(5)]
    y = n[1] / (n[1] + 2 * n[2]) if n[1] > 0 else 0.5
    discounts = [0.0]
    for r in (1, 2, 3):
        d = r - (r + 1) * y * n[r + 1] / n[r] if n[r] > 0 else float("nan")
        discounts.append(d if 0 < d <= r else y)
    return np.array(discounts)


def _table(grams: np.ndarray, counts: np.ndarray, vocab_size: int,
           discounts: np.ndarray | None) -> _OrderTable:
    discounts = estimate_discounts(counts) if discounts is None else np.asarray(discounts, float)
    contexts_all = grams // vocab_size
    if grams.size:
        first = np.flatnonzero(np.r_[True, contexts_all[1:] != contexts_all[:-1]])
        totals = np.add.reduceat(counts, first).astype(np.float64)
        mass = np.add.reduceat(discounts[np.minimum(counts, 3)], first)
    else:
        first = np.zeros(0, np.int64)
        totals = mass = np.zeros(0)
    return _OrderTable(grams, counts, contexts_all[first], totals, mass, discounts)


def _unique_counts(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys, counts = np.unique(codes, return_counts=True)
    return keys, counts.astype(np.int64)


class KneserNeyModel:
    """Interpolated modified Kneser-Ney n-gram model (see the module docstring)."""

    def __init__(self, order: int, vocab_size: int, tables: Sequence[_OrderTable]) -> None:
        if len(tables) != order:
            raise ValueError("one table per order is needed")
        self.order = order
        self.vocab_size = vocab_size
        self.tables = tuple(tables)

    # ----- estimation -------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        sequences: Iterable[Sequence[int]],
        order: int,
        vocab_size: int,
        *,
        discounts: Sequence[Sequence[float]] | None = None,
    ) -> KneserNeyModel:
        """Count n-grams of ``sequences`` (each starting with its BOS).

        ``discounts`` (one ``(D1, D2, D3+)`` per order, lowest first) overrides the
        count-of-counts estimates; tests use it to check the arithmetic by hand.
        """
        if not 1 <= order <= max_order(vocab_size):
            raise ValueError(f"order must be 1..{max_order(vocab_size)} for {vocab_size} events")
        windows, history = _targets(_as_arrays(sequences, vocab_size), order)
        codes = np.zeros(len(history), np.int64)
        code_by_order = []
        for k in range(1, order + 1):  # code_k: the k events ending at the target
            codes = codes + np.maximum(windows[:, order - k], 0) * vocab_size ** (k - 1)
            code_by_order.append(codes)
        given = [None] * order if discounts is None else [np.r_[0.0, d] for d in discounts]
        if len(given) != order:
            raise ValueError("give one (D1, D2, D3+) per order")
        # The highest order: raw counts.
        grams, counts = _unique_counts(code_by_order[-1][history >= order - 1])
        tables = [_table(grams, counts, vocab_size, given[-1])]
        for k in range(order - 1, 0, -1):
            # n-grams at a piece start: raw counts (nothing can precede BOS); all others: the
            # number of distinct events seen before them, i.e. of (k+1)-gram types ending so.
            at_bos = code_by_order[k - 1][history == k - 1]
            suffixes = grams % vocab_size**k
            grams, counts = _unique_counts(np.concatenate([at_bos, suffixes]))
            tables.insert(0, _table(grams, counts, vocab_size, given[k - 1]))
        return cls(order, vocab_size, tables)

    # ----- probabilities ------------------------------------------------------------------
    def _probabilities(self, windows: np.ndarray, history: np.ndarray) -> np.ndarray:
        """p(window[-1] | window[:-1]) for each row, using ``history`` real context events."""
        vocab = self.vocab_size
        prob = np.full(len(history), 1.0 / vocab)
        codes = np.zeros(len(history), np.int64)
        width = windows.shape[1]
        for k, table in enumerate(self.tables, start=1):
            codes = codes + np.maximum(windows[:, width - k], 0) * vocab ** (k - 1)
            usable = history >= k - 1
            at, seen = _lookup(table.contexts, codes // vocab)
            seen &= usable
            if not seen.any():
                continue
            where, found = _lookup(table.grams, codes[seen])
            count = np.where(found, table.counts[where], 0)
            discounted = np.maximum(count - table.discounts[np.minimum(count, 3)], 0.0)
            ctx = at[seen]
            prob[seen] = (discounted + table.backoff_mass[ctx] * prob[seen]) / table.totals[ctx]
        return prob

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """p(. | context) over the whole vocabulary.

        ``context`` is the piece so far, BOS first; only its last ``order - 1`` events matter.
        A context shorter than that is taken as the start of a piece.
        """
        (ctx,) = _as_arrays([context], self.vocab_size)
        width = self.order
        ctx = ctx[max(ctx.size - (width - 1), 0):] if width > 1 else ctx[:0]
        windows = np.full((self.vocab_size, width), -1, np.int64)
        if ctx.size:
            windows[:, width - 1 - ctx.size : width - 1] = ctx
        windows[:, -1] = np.arange(self.vocab_size)
        return self._probabilities(windows, np.full(self.vocab_size, ctx.size))

    def log_probs(self, sequence: Sequence[int]) -> np.ndarray:
        """Natural-log probability of every event of ``sequence`` after its first (BOS)."""
        windows, history = _targets(_as_arrays([sequence], self.vocab_size), self.order)
        return np.log(self._probabilities(windows, history))

    def nll(self, sequences: Iterable[Sequence[int]], *, batch: int = 1 << 18) -> tuple[float, int]:
        """(summed negative log-likelihood in nats, number of predicted events)."""
        windows, history = _targets(_as_arrays(sequences, self.vocab_size), self.order)
        total = 0.0
        for start in range(0, len(history), batch):
            part = slice(start, start + batch)
            total -= float(np.log(self._probabilities(windows[part], history[part])).sum())
        return total, int(len(history))

    # ----- persistence -------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the counts to ``path`` (``.npz``) atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"meta": np.array([FORMAT_VERSION, self.order, self.vocab_size])}
        for k, table in enumerate(self.tables, start=1):
            arrays[f"grams_{k}"] = table.grams
            arrays[f"counts_{k}"] = table.counts
            arrays[f"discounts_{k}"] = table.discounts
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> KneserNeyModel:
        """Read counts written by ``save``; ValueError/OSError/KeyError if unusable."""
        try:  # a regular file within a limit, damaged zips included (composer.inputs)
            data = read_npz(path, limit=1 << 31, error=ComposerError)
        except ComposerError as exc:
            raise ValueError(str(exc)) from None
        with data:
            version, order, vocab = (int(x) for x in data["meta"])
            if version != FORMAT_VERSION:
                raise ValueError(f"n-gram file format {version}, expected {FORMAT_VERSION}")
            tables = [
                _table(data[f"grams_{k}"], data[f"counts_{k}"], vocab, data[f"discounts_{k}"])
                for k in range(1, order + 1)
            ]
        return cls(order, vocab, tables)

    def __repr__(self) -> str:
        sizes = ", ".join(str(t.grams.size) for t in self.tables)
        return f"KneserNeyModel(order={self.order}, vocab_size={self.vocab_size}, grams=[{sizes}])"
