"""How good is a model? Its negative log-likelihood per event against n-gram baselines.

Every piece is scored as one stream: every event after BOS (EOS included) is predicted from the
whole piece before it, exactly as generation sees it. The model is run by a NumPy forward pass
over ``weights.npz`` (the same weights the generation engine uses; a test checks it against the
Keras ``model.keras``): it needs no TensorFlow, and all pieces run as one batch (sorted by
length, finished pieces drop out), layer by layer over chunks of time steps with the LSTM state
carried from chunk to chunk, so the result is the full-context computation while memory stays
bounded.

The baselines are trained on the corpus's train split and scored on the very same events:
add-one unigram, and interpolated modified Kneser-Ney of orders 4 and 6 (composer/ngram.py).
Estimating them is fast (KN-6 on the 2.3 M training events: about 1 s, scoring 190 k events
0.25 s), so nothing is cached.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from composer.bundle import ModelBundle, load_bundle
from composer.errors import ModelBundleError
from composer.ngram import KneserNeyModel, UnigramModel

KN_ORDERS = (4, 6)
CHUNK_STEPS = 256
CHUNK_FLOATS = 1 << 24  # bounds a chunk's activations to ~64 MB


# ----- the model ---------------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass(frozen=True)
class _Weights:
    input_table: np.ndarray  # (V, 4H0): embedding @ kernel_0 + bias_0, one lookup per event
    kernels: tuple[np.ndarray, ...]  # input kernels of layers 1.. (layer 0 is folded in)
    biases: tuple[np.ndarray, ...]
    recurrents: tuple[np.ndarray, ...]
    dense_kernel: np.ndarray
    dense_bias: np.ndarray


def _weights(bundle: ModelBundle) -> _Weights:
    w = {k: np.asarray(v, dtype=np.float32) for k, v in bundle.weights.items()}
    layers = len(bundle.config.lstm_units)
    return _Weights(
        input_table=w["embedding"] @ w["lstm_0_kernel"] + w["lstm_0_bias"],
        kernels=tuple(w[f"lstm_{i}_kernel"] for i in range(1, layers)),
        biases=tuple(w[f"lstm_{i}_bias"] for i in range(1, layers)),
        recurrents=tuple(w[f"lstm_{i}_recurrent"] for i in range(layers)),
        dense_kernel=w["dense_kernel"],
        dense_bias=w["dense_bias"],
    )


def sequence_log_probs(
    bundle: ModelBundle,
    sequences: Sequence[Sequence[int]],
    *,
    chunk_steps: int = CHUNK_STEPS,
    progress: Callable[[float], None] | None = None,
) -> list[np.ndarray]:
    """log p(event | everything before it in the piece) for every event after the first.

    One float64 array of ``len(s) - 1`` values per sequence, in the given order.
    """
    vocab = bundle.config.vocab_size
    arrays = [np.asarray(s, dtype=np.int64).ravel() for s in sequences]
    for a in arrays:
        if a.size and (a.min() < 0 or a.max() >= vocab):
            raise ModelBundleError(f"{bundle.path}: events outside the model's 0..{vocab - 1}")
    results = [np.zeros(max(a.size - 1, 0)) for a in arrays]
    order = sorted((i for i, a in enumerate(arrays) if a.size > 1), key=lambda i: -arrays[i].size)
    if not order:
        return results
    weights = _weights(bundle)
    steps = np.array([arrays[i].size - 1 for i in order])  # predicted events, descending
    batch, total_steps, total_events = len(order), int(steps[0]), int(steps.sum())
    active = np.searchsorted(-steps, -np.arange(total_steps), side="left")  # pieces with step t
    units = [r.shape[0] for r in weights.recurrents]
    h = [np.zeros((batch, u), np.float32) for u in units]
    c = [np.zeros((batch, u), np.float32) for u in units]
    parts: list[list[np.ndarray]] = [[] for _ in order]
    done = 0
    widest = max([vocab] + [4 * u for u in units])
    t0 = 0
    while t0 < total_steps:
        width = int(active[t0])  # pieces still running at the chunk's first step
        # Chunks hold (steps, pieces, 4H) floats: fewer steps when many pieces run together.
        t1 = min(t0 + max(1, min(chunk_steps, CHUNK_FLOATS // (width * widest))), total_steps)
        inputs = np.zeros((t1 - t0, width), np.int64)
        targets = np.zeros((t1 - t0, width), np.int64)
        lengths = np.minimum(steps[:width] - t0, t1 - t0)
        for column in range(width):
            segment = arrays[order[column]][t0 : t0 + lengths[column] + 1]
            inputs[: lengths[column], column] = segment[:-1]
            targets[: lengths[column], column] = segment[1:]
        x = weights.input_table[inputs]  # (T, B, 4H)
        for layer, recurrent in enumerate(weights.recurrents):
            if layer:
                x = x @ weights.kernels[layer - 1] + weights.biases[layer - 1]
            x = _lstm_layer(x, recurrent, h[layer], c[layer], active[t0:t1])
        logits = x @ weights.dense_kernel + weights.dense_bias  # (T, B, V)
        peak = logits.max(axis=-1, keepdims=True)
        log_norm = np.log(np.exp(logits - peak).sum(axis=-1)) + peak[..., 0]
        picked = np.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
        log_probs = picked.astype(np.float64) - log_norm
        for column in range(width):
            parts[column].append(log_probs[: lengths[column], column])
        done += int(lengths.sum())
        if progress is not None:
            progress(done / total_events)
        t0 = t1
    for column, i in enumerate(order):
        results[i] = np.concatenate(parts[column])
    return results


def _lstm_layer(x: np.ndarray, recurrent: np.ndarray, h: np.ndarray, c: np.ndarray,
                active: np.ndarray) -> np.ndarray:
    """Run one LSTM layer over ``x`` (T, B, 4H input projections, bias included).

    ``h`` and ``c`` (batch, H) are updated in place for the first ``active[t]`` rows at step
    ``t`` (the pieces still running), so they carry over to the next chunk.
    """
    units = recurrent.shape[0]
    out = np.zeros(x.shape[:2] + (units,), np.float32)
    for t in range(x.shape[0]):
        n = int(active[t])
        z = x[t, :n] + h[:n] @ recurrent
        i = _sigmoid(z[:, :units])
        f = _sigmoid(z[:, units : 2 * units])
        g = np.tanh(z[:, 2 * units : 3 * units])
        o = _sigmoid(z[:, 3 * units :])
        c[:n] = f * c[:n] + i * g
        h[:n] = o * np.tanh(c[:n])
        out[t, :n] = h[:n]
    return out


def _score(nll: float, events: int) -> dict:
    per_event = nll / events if events else float("nan")
    return {"nll": per_event, "perplexity": math.exp(per_event) if events else float("nan")}


def evaluate_bundle(bundle_path: str | os.PathLike | ModelBundle | None,
                    sequences: Sequence[Sequence[int]],
                    *, progress: Callable[[float], None] | None = None) -> dict:
    """The model's NLL per event (nats) and perplexity on ``sequences`` (each BOS ... EOS).

    ``bundle_path`` may also be a loaded bundle (None: the default model). Returns
    ``{"name", "path", "pieces", "events", "nll", "perplexity", "seconds"}``; events are the
    predicted ones (every id after BOS, EOS included).
    """
    bundle = bundle_path if isinstance(bundle_path, ModelBundle) else load_bundle(bundle_path)
    started = time.perf_counter()
    log_probs = sequence_log_probs(bundle, sequences, progress=progress)
    events = int(sum(lp.size for lp in log_probs))
    nll = -float(sum(lp.sum() for lp in log_probs))
    return {"name": bundle.name, "path": str(bundle.path), "pieces": len(sequences),
            "events": events, **_score(nll, events),
            "seconds": round(time.perf_counter() - started, 2)}


# ----- baselines ---------------------------------------------------------------------------
def baseline_scores(
    train: Sequence[Sequence[int]],
    sequences: Sequence[Sequence[int]],
    vocab_size: int,
    *,
    orders: Sequence[int] = KN_ORDERS,
) -> list[dict]:
    """Rows ``{"name", "nll", "perplexity", "seconds"}`` for the unigram and each KN order."""
    rows = []
    started = time.perf_counter()
    nll, events = UnigramModel.fit(train, vocab_size).nll(sequences)
    rows.append({"name": "unigram (add-one)", **_score(nll, events),
                 "seconds": round(time.perf_counter() - started, 2)})
    for order in orders:
        started = time.perf_counter()
        model = KneserNeyModel.fit(train, order, vocab_size)
        nll, events = model.nll(sequences)
        rows.append({"name": f"KN-{order} (modified Kneser-Ney)", **_score(nll, events),
                     "seconds": round(time.perf_counter() - started, 2)})
    return rows


# ----- the report --------------------------------------------------------------------------
def evaluation_report(
    bundle_path: str | os.PathLike | ModelBundle | None,
    sequences: Sequence[Sequence[int]],
    train: Sequence[Sequence[int]],
    *,
    data: str = "",
    orders: Sequence[int] = KN_ORDERS,
    progress: Callable[[float], None] | None = None,
) -> dict:
    """Model and baselines on the same events, with each row's ratio to the best n-gram."""
    if not sequences or not any(len(s) > 1 for s in sequences):
        raise ModelBundleError("nothing to evaluate: no piece with events")
    bundle = bundle_path if isinstance(bundle_path, ModelBundle) else load_bundle(bundle_path)
    model = evaluate_bundle(bundle, sequences, progress=progress)
    vocab_size = bundle.config.vocab_size
    baselines = baseline_scores(train, sequences, vocab_size, orders=orders)
    best = min(baselines, key=lambda row: row["nll"])
    rows = [{"name": f"model {model['name']}", "nll": model["nll"],
             "perplexity": model["perplexity"], "seconds": model["seconds"]}] + baselines
    for row in rows:
        row["ratio"] = row["nll"] / best["nll"]
    return {
        "model": {"name": model["name"], "path": model["path"]},
        "data": data,
        "pieces": model["pieces"],
        "tokens": int(sum(len(s) for s in sequences)),
        "events": model["events"],
        "train_pieces": len(train),
        "train_tokens": int(sum(len(s) for s in train)),
        "rows": rows,
        "best_ngram": best["name"],
        "ratio": rows[0]["ratio"],
    }


def format_report(report: dict) -> str:
    lines = [
        f"model:   {report['model']['name']} ({report['model']['path']})",
        f"data:    {report['data']}: {report['pieces']} pieces, {report['tokens']} tokens, "
        f"{report['events']} predicted events (all after BOS, EOS included)",
        f"n-grams: trained on {report['train_pieces']} pieces, {report['train_tokens']} tokens",
        "",
        f"{'':<34} {'nll/event':>10} {'perplexity':>11} {'ratio':>7}",
    ]
    for row in report["rows"]:
        lines.append(f"{row['name']:<34} {row['nll']:>10.4f} {row['perplexity']:>11.3f} "
                     f"{row['ratio']:>7.3f}")
    lines.append("")
    lines.append(f"nll in nats per event; ratio = nll / nll of the best n-gram "
                 f"({report['best_ngram']}); below 1 the model beats it.")
    return "\n".join(lines)


# ----- other data ---------------------------------------------------------------------------
def midi_dir_sequences(folder: str | os.PathLike, vocab) -> tuple[list[np.ndarray], list[str],
                                                                   list[tuple[str, str]]]:
    """Token sequences of every MIDI file under ``folder`` (as ``composer prepare`` makes them).

    Returns ``(sequences, file names, skipped)``; ``skipped`` lists ``(file, reason)`` for files
    that cannot be read or hold no notes: one bad file does not stop an evaluation.
    """
    from composer.corpus import convert_source, midi_dir_sources

    sequences, names, skipped = [], [], []
    for source in midi_dir_sources(folder):
        item = convert_source(source, vocab.settings)
        if item.tokens is None or len(item.tokens) < 2:
            skipped.append((source.path, item.error or "no events"))
        else:
            sequences.append(item.tokens)
            names.append(source.path)
    return sequences, names, skipped
