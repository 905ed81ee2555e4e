"""The generation engine: the trained LSTM as a NumPy step function.

Why NumPy and not Keras: generating means one token at a time, and the tutorials' way (call
``model.predict`` on the last 100 tokens for every new token) redoes the whole window each time
and pays Keras' call overhead on top (about 100 ms per token on a 2-core CPU; measure it with
``benchmarks/generate.py``, which times both on the same model). Carrying the
LSTM state ``(h, c)`` of every layer explicitly makes priming on a seed cost one pass and every
further token one step, and doing that step in NumPy avoids importing TensorFlow at all (about
2 s and 600 MB saved at start-up). ``tests/test_engine.py`` checks the logits against the Keras
model, so the two cannot drift apart.

The maths is Keras' LSTM: ``z = x @ W + h @ U + b`` split into the gates in Keras order
(input, forget, cell, output), sigmoid gates, tanh cell and output activation::

    c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h' = sigmoid(o) * tanh(c')

Two measured tricks: the embedding lookup followed by the first layer's input matrix and bias
is folded into one table of shape ``(vocab, 4H)`` (a row lookup replaces a matrix product), and
for the layers above, the input and recurrent matrices are stacked so each layer costs one
matrix product per step. Every array is float32 (the shipped weights may be float16 on disk).

Extra inputs (position in the bar, metre, style, composer; composer.conditioning) are
embeddings added to the event's embedding before layer 0, so each folds the same way into a
table ``(classes, 4H)`` (without the bias): one row addition per input and step. Style and
composer do not change during a take, so their rows are added once into a per-stream
``context`` (:meth:`LSTMEngine.context`). A model without an input ignores it; a model with
one that is not given sees class 0, "unknown".

Batching: ``step`` advances N independent streams (takes) in one call; states are ``(N, H)``.
A seed is primed once with batch 1 (:meth:`LSTMEngine.prime`) and the state is then copied to
the N takes with :meth:`LSTMEngine.broadcast`.

Threads: a single step is a handful of small matrix products, for which one BLAS thread is as
fast as two and has a much flatter latency when the machine is busy. The ``composer generate``
command sets ``OPENBLAS_NUM_THREADS=1`` (and friends) before NumPy is imported; an application
embedding the engine for live playing should do the same in its own start-up code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from composer.bundle import ModelBundle
from composer.config import CONDITIONS
from composer.errors import ModelBundleError

PER_STEP = ("positions", "meters")  # change with time; the others are per stream


@dataclass(frozen=True)
class LSTMState:
    """Hidden and cell state of every layer, each an array of shape ``(batch, units)``."""

    h: tuple[np.ndarray, ...]
    c: tuple[np.ndarray, ...]

    @property
    def batch(self) -> int:
        return int(self.h[0].shape[0])


def _gate_scale(units: int) -> np.ndarray:
    """0.5 for the sigmoid gates (i, f, o), 1 for the cell candidate (g): see ``_cell``."""
    scale = np.full(4 * units, 0.5, dtype=np.float32)
    scale[2 * units : 3 * units] = 1.0
    return scale


class LSTMEngine:
    """Logits of the next event given the events so far, one step at a time."""

    def __init__(self, weights: dict[str, np.ndarray], layers: int) -> None:
        def w(name: str) -> np.ndarray:
            try:
                return np.asarray(weights[name], dtype=np.float32)
            except KeyError:
                raise ModelBundleError(f"weights lack '{name}'") from None

        if layers < 1:
            raise ModelBundleError("a model needs at least one LSTM layer")
        embedding = w("embedding")
        self.units = tuple(w(f"lstm_{i}_recurrent").shape[0] for i in range(layers))
        self.vocab_size = int(embedding.shape[0])
        # sigmoid(x) = 0.5 * tanh(x / 2) + 0.5: halving the columns of the sigmoid gates once
        # here (exact in floating point) lets one tanh over all four gates serve them all.
        scales = [_gate_scale(u) for u in self.units]
        kernels = [w(f"lstm_{i}_kernel") * scales[i] for i in range(layers)]
        self._recurrents = [np.ascontiguousarray(w(f"lstm_{i}_recurrent") * scales[i])
                            for i in range(layers)]
        self._biases = [w(f"lstm_{i}_bias") * scales[i] for i in range(layers)]
        # Layer 0: embedding @ kernel + bias folded into one lookup table (vocab, 4H), and
        # each extra input's embedding @ kernel into its own (classes, 4H).
        self._table = embedding @ kernels[0] + self._biases[0]
        self._condition_tables = {
            name: np.ascontiguousarray(w(f"{name}_embedding") @ kernels[0])
            for name in CONDITIONS if f"{name}_embedding" in weights
        }
        self._kernels = kernels
        # Layers above: [kernel; recurrent] stacked so one product covers [x, h].
        self._stacked = [
            np.ascontiguousarray(np.concatenate([kernels[i], self._recurrents[i]], axis=0))
            for i in range(1, layers)
        ]
        self._dense = np.ascontiguousarray(w("dense_kernel"))
        self._dense_bias = w("dense_bias")

    @classmethod
    def from_bundle(cls, bundle: ModelBundle) -> LSTMEngine:
        return cls(bundle.weights, len(bundle.config.lstm_units))

    @property
    def inputs(self) -> tuple[str, ...]:
        """The extra inputs this model takes."""
        return tuple(self._condition_tables)

    def context(self, batch: int, **classes: int | Sequence[int] | np.ndarray) -> np.ndarray:
        """The per-stream rows of the inputs that stay fixed during a take (``styles``,
        ``composers``; class 0 where not given), shape ``(batch, 4H0)``."""
        row = np.zeros((batch, 4 * self.units[0]), dtype=np.float32)
        for name, table in self._condition_tables.items():
            if name in PER_STEP:
                continue
            ids = np.broadcast_to(np.asarray(classes.get(name, 0), dtype=np.intp), (batch,))
            row += table[ids]
        return row

    def _per_step(self, inputs: dict | None, count: int) -> np.ndarray | None:
        """Sum of the per-step input rows for ``count`` positions (or streams)."""
        total = None
        for name in PER_STEP:
            table = self._condition_tables.get(name)
            if table is None:
                continue
            given = None if inputs is None else inputs.get(name)
            ids = (np.zeros(count, dtype=np.intp) if given is None
                   else np.asarray(given, dtype=np.intp).reshape(-1))
            rows = table[ids]
            total = rows if total is None else total + rows
        return total

    @property
    def layers(self) -> int:
        return len(self.units)

    # ----- state ------------------------------------------------------------------------
    def initial_state(self, batch: int = 1) -> LSTMState:
        zeros = tuple(np.zeros((batch, u), dtype=np.float32) for u in self.units)
        return LSTMState(zeros, tuple(z.copy() for z in zeros))

    @staticmethod
    def broadcast(state: LSTMState, batch: int) -> LSTMState:
        """Copy a batch-1 state (a primed seed) to ``batch`` independent streams."""
        if state.batch != 1:
            raise ValueError("only a batch-1 state can be broadcast")
        return LSTMState(
            tuple(np.repeat(h, batch, axis=0) for h in state.h),
            tuple(np.repeat(c, batch, axis=0) for c in state.c),
        )

    # ----- one step ---------------------------------------------------------------------
    @staticmethod
    def _cell(z: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One LSTM cell update; ``z`` holds pre-activations with the i, f, o columns halved
        (it is overwritten)."""
        units = c.shape[1]
        t = np.tanh(z, out=z)
        sig_if = t[:, : 2 * units]
        sig_if *= 0.5
        sig_if += 0.5
        sig_o = t[:, 3 * units :]
        sig_o *= 0.5
        sig_o += 0.5
        c = t[:, units : 2 * units] * c + t[:, :units] * t[:, 2 * units : 3 * units]
        return sig_o * np.tanh(c), c

    def step(self, ids: np.ndarray | Sequence[int], state: LSTMState,
             inputs: dict | None = None, context: np.ndarray | None = None,
             ) -> tuple[np.ndarray, LSTMState]:
        """Feed one id per stream; returns logits ``(batch, vocab)`` and the new state.

        ``inputs`` maps ``positions``/``meters`` to one class per stream (the moment after
        this event); ``context`` is :meth:`context` for the streams.
        """
        ids = np.asarray(ids, dtype=np.intp).reshape(-1)
        if ids.shape[0] != state.batch:
            raise ValueError(f"{ids.shape[0]} ids for a state of batch {state.batch}")
        z = self._table[ids]  # a fresh array (fancy indexing copies)
        if self._condition_tables:
            extra = self._per_step(inputs, ids.shape[0])
            if extra is not None:
                z += extra
            z += context if context is not None else self.context(ids.shape[0])
        z += state.h[0] @ self._recurrents[0]
        h, c = self._cell(z, state.c[0])
        hs, cs = [h], [c]
        for index, (stacked, bias) in enumerate(zip(self._stacked, self._biases[1:]), start=1):
            z = np.concatenate([h, state.h[index]], axis=1) @ stacked + bias
            h, c = self._cell(z, state.c[index])
            hs.append(h)
            cs.append(c)
        return h @ self._dense + self._dense_bias, LSTMState(tuple(hs), tuple(cs))

    # ----- whole sequences --------------------------------------------------------------
    def run(self, ids: Sequence[int] | np.ndarray, state: LSTMState | None = None,
            inputs: dict | None = None, context: np.ndarray | None = None,
            ) -> tuple[np.ndarray, LSTMState]:
        """Feed one sequence of ids to every stream of ``state`` (batch 1 by default).

        Returns logits ``(T, vocab)`` for one stream, ``(T, batch, vocab)`` for several, and
        the state. ``inputs`` holds the per-step classes for the T events (``positions``,
        ``meters``); ``context`` (:meth:`context`) may differ per stream: this is how one seed
        is scored under several styles at once.

        Layer by layer: the input projections of all T positions are one matrix product, only
        the recurrent part is sequential. This is how a seed is primed.
        """
        ids = np.asarray(ids, dtype=np.intp).reshape(-1)
        if ids.size == 0:
            raise ValueError("an empty sequence has no logits")
        batch = state.batch if state is not None else (
            1 if context is None else int(context.shape[0]))
        state = state or self.initial_state(batch)
        if context is not None and context.shape[0] != batch:
            raise ValueError("one context row per stream")
        projected = self._table[ids]  # (T, 4H0)
        if self._condition_tables:
            extra = self._per_step(inputs, ids.size)
            if extra is not None:
                projected = projected + extra
            context = context if context is not None else self.context(batch)
        hs, cs = [], []
        outputs: np.ndarray | None = None
        for layer in range(self.layers):
            if outputs is not None:
                projected = outputs @ self._kernels[layer] + self._biases[layer]
            elif context is not None:
                projected = projected[:, None, :] + context[None, :, :]  # (T, N, 4H)
            else:
                projected = np.repeat(projected[:, None, :], batch, axis=1)
            h, c = state.h[layer], state.c[layer]
            outputs = np.empty((ids.size, batch, self.units[layer]), dtype=np.float32)
            recurrent = self._recurrents[layer]
            for t in range(ids.size):
                h, c = self._cell(projected[t] + h @ recurrent, c)
                outputs[t] = h
            hs.append(h)
            cs.append(c)
        logits = outputs @ self._dense + self._dense_bias
        return (logits[:, 0] if batch == 1 else logits), LSTMState(tuple(hs), tuple(cs))

    def prime(self, ids: Sequence[int] | np.ndarray, inputs: dict | None = None,
              context: np.ndarray | None = None) -> tuple[np.ndarray, LSTMState]:
        """Logits after the last id ``(vocab,)`` and the batch-1 state: ready to sample."""
        logits, state = self.run(ids, inputs=inputs, context=context)
        return logits[-1], state

# The cell maths, for the other NumPy LSTMs (composer.harmonizer): one definition of Keras' LSTM.
lstm_cell = LSTMEngine._cell
gate_scale = _gate_scale
