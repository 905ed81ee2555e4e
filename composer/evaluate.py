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
from composer.conditioning import STYLE_PRIOR
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
    conditions: dict  # input name -> (classes, 4H0) folded table


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
        conditions={name: w[f"{name}_embedding"] @ w["lstm_0_kernel"]
                    for name, _ in bundle.config.conditions},
    )


@dataclass(frozen=True)
class _Column:
    """One stream of the batch: a sequence under one style."""

    sequence: int
    tokens: np.ndarray
    positions: np.ndarray | None
    meters: np.ndarray | None
    style: int


def sequence_log_probs(
    bundle: ModelBundle,
    sequences: Sequence[Sequence[int]],
    *,
    inputs: Sequence[dict | None] | None = None,
    styles: Sequence[str | None] | None = None,
    chunk_steps: int = CHUNK_STEPS,
    progress: Callable[[float], None] | None = None,
) -> list[np.ndarray]:
    """log p(event | everything before it in the piece) for every event after the first.

    One float64 array of ``len(s) - 1`` values per sequence, in the given order.

    For a model with extra inputs: ``inputs[i]`` gives the ``positions`` and ``meters``
    classes of sequence ``i`` (one per event; missing: unknown), and ``styles[i]`` its style.
    A sequence whose style is not given is scored as the mixture over all styles (with
    :data:`~composer.conditioning.STYLE_PRIOR`): each event's probability is the styles'
    predictions weighted by how well each style explained the events before it, so the total
    is exactly log sum_s prior(s) p(piece | s) and no style is picked by looking ahead.
    The composer is always "unknown".
    """
    vocab = bundle.config.vocab_size
    arrays = [np.asarray(s, dtype=np.int64).ravel() for s in sequences]
    for a in arrays:
        if a.size and (a.min() < 0 or a.max() >= vocab):
            raise ModelBundleError(f"{bundle.path}: events outside the model's 0..{vocab - 1}")
    results = [np.zeros(max(a.size - 1, 0)) for a in arrays]
    conditioning = bundle.conditioning if bundle.config.conditions else None
    style_ids: list[int] = [0]
    if conditioning is not None and bundle.config.styles:
        style_ids = list(range(1, len(conditioning.styles)))
    columns: list[_Column] = []
    for i, a in enumerate(arrays):
        if a.size <= 1:
            continue
        given = (inputs[i] or {}) if inputs is not None else {}
        positions, meters = given.get("positions"), given.get("meters")
        wanted = styles[i] if styles is not None else None
        chosen = ([conditioning.style_id(wanted)] if wanted is not None and conditioning
                  else style_ids)
        for style in chosen:
            columns.append(_Column(i, a, positions, meters, style))
    if not columns:
        return results
    column_logs = _forward(bundle, columns, chunk_steps, progress)
    by_sequence: dict[int, list[np.ndarray]] = {}
    for column, log_probs in zip(columns, column_logs):
        by_sequence.setdefault(column.sequence, []).append(log_probs)
    prior = np.array([STYLE_PRIOR.get(conditioning.styles[s], 0.05) if conditioning else 1.0
                      for s in style_ids])
    log_prior = np.log(prior / prior.sum())
    for i, parts in by_sequence.items():
        if len(parts) == 1:
            results[i] = parts[0]
            continue
        cumulative = np.cumsum(np.stack(parts), axis=1) + log_prior[:, None]  # (S, T)
        totals = _logsumexp(cumulative)  # log p(x_1..t), mixture
        before = np.concatenate([[0.0], totals[:-1]])
        results[i] = totals - before
    return results


def _logsumexp(x: np.ndarray) -> np.ndarray:
    peak = x.max(axis=0)
    return peak + np.log(np.exp(x - peak).sum(axis=0))


def _forward(bundle: ModelBundle, columns: Sequence[_Column], chunk_steps: int,
             progress: Callable[[float], None] | None) -> list[np.ndarray]:
    """Per-event log-probabilities of every column, all columns as one batch."""
    vocab = bundle.config.vocab_size
    order = sorted(range(len(columns)), key=lambda i: -columns[i].tokens.size)
    weights = _weights(bundle)
    steps = np.array([columns[i].tokens.size - 1 for i in order])  # predicted events, desc.
    batch, total_steps, total_events = len(order), int(steps[0]), int(steps.sum())
    active = np.searchsorted(-steps, -np.arange(total_steps), side="left")  # columns with step t
    units = [r.shape[0] for r in weights.recurrents]
    h = [np.zeros((batch, u), np.float32) for u in units]
    c = [np.zeros((batch, u), np.float32) for u in units]
    tables = weights.conditions
    context = np.zeros((batch, 4 * units[0]), np.float32)
    if "styles" in tables:
        context += tables["styles"][[columns[i].style for i in order]]
    if "composers" in tables:
        context += tables["composers"][0]
    parts: list[list[np.ndarray]] = [[] for _ in order]
    done = 0
    widest = max([vocab] + [4 * u for u in units])
    t0 = 0
    while t0 < total_steps:
        width = int(active[t0])  # columns still running at the chunk's first step
        # Chunks hold (steps, columns, 4H) floats: fewer steps when many columns run together.
        t1 = min(t0 + max(1, min(chunk_steps, CHUNK_FLOATS // (width * widest))), total_steps)
        inputs = np.zeros((t1 - t0, width), np.int64)
        targets = np.zeros((t1 - t0, width), np.int64)
        extra = {name: np.zeros((t1 - t0, width), np.int64) for name in ("positions", "meters")
                 if name in tables}
        lengths = np.minimum(steps[:width] - t0, t1 - t0)
        for slot in range(width):
            column = columns[order[slot]]
            segment = column.tokens[t0 : t0 + lengths[slot] + 1]
            inputs[: lengths[slot], slot] = segment[:-1]
            targets[: lengths[slot], slot] = segment[1:]
            for name, values in extra.items():
                given = getattr(column, name)
                if given is not None:
                    values[: lengths[slot], slot] = given[t0 : t0 + lengths[slot]]
        x = weights.input_table[inputs]  # (T, B, 4H)
        for name, values in extra.items():
            x += tables[name][values]
        if tables:
            x += context[None, :width]
        for layer, recurrent in enumerate(weights.recurrents):
            if layer:
                x = x @ weights.kernels[layer - 1] + weights.biases[layer - 1]
            x = _lstm_layer(x, recurrent, h[layer], c[layer], active[t0:t1])
        logits = x @ weights.dense_kernel + weights.dense_bias  # (T, B, V)
        peak = logits.max(axis=-1, keepdims=True)
        log_norm = np.log(np.exp(logits - peak).sum(axis=-1)) + peak[..., 0]
        picked = np.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
        log_probs = picked.astype(np.float64) - log_norm
        for slot in range(width):
            parts[slot].append(log_probs[: lengths[slot], slot])
        done += int(lengths.sum())
        if progress is not None:
            progress(done / total_events)
        t0 = t1
    result: list[np.ndarray] = [np.zeros(0)] * len(columns)
    for slot, i in enumerate(order):
        result[i] = np.concatenate(parts[slot])
    return result


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


def _score(nll: float, events: int, notes: int = 0) -> dict:
    per_event = nll / events if events else float("nan")
    return {"nll": per_event, "perplexity": math.exp(per_event) if events else float("nan"),
            "nll_per_note": nll / notes if notes else float("nan")}


def count_notes(sequence: Sequence[int], vocab) -> int:
    """Notes in an event sequence (its NOTE_ON events): the unit that compares tokenizations."""
    ids = np.asarray(sequence)
    return int(((ids >= vocab.note_on_base) & (ids < vocab.note_off_base)).sum())


def evaluate_bundle(bundle_path: str | os.PathLike | ModelBundle | None,
                    sequences: Sequence[Sequence[int]],
                    *, inputs: Sequence[dict | None] | None = None,
                    styles: Sequence[str | None] | None = None,
                    progress: Callable[[float], None] | None = None) -> dict:
    """The model's NLL per event and per note (nats) and perplexity on ``sequences`` (each
    BOS ... EOS), with the extra inputs where the model takes them (see
    :func:`sequence_log_probs`).

    ``bundle_path`` may also be a loaded bundle (None: the default model). Returns
    ``{"name", "path", "pieces", "events", "notes", "nll", "perplexity", "nll_per_note",
    "seconds", "piece_nll"}``; events are the predicted ones (every id after BOS, EOS
    included); ``piece_nll`` is the total NLL of each sequence.
    """
    bundle = bundle_path if isinstance(bundle_path, ModelBundle) else load_bundle(bundle_path)
    started = time.perf_counter()
    log_probs = sequence_log_probs(bundle, sequences, inputs=inputs, styles=styles,
                                   progress=progress)
    events = int(sum(lp.size for lp in log_probs))
    piece_nll = [-float(lp.sum()) for lp in log_probs]
    nll = float(sum(piece_nll))
    notes = sum(count_notes(seq, bundle.vocab) for seq in sequences)
    return {"name": bundle.name, "path": str(bundle.path), "pieces": len(sequences),
            "events": events, "notes": notes, **_score(nll, events, notes),
            "seconds": round(time.perf_counter() - started, 2), "piece_nll": piece_nll}


# ----- baselines ---------------------------------------------------------------------------
def baseline_piece_scores(
    train: Sequence[Sequence[int]],
    sequences: Sequence[Sequence[int]],
    vocab_size: int,
    *,
    orders: Sequence[int] = KN_ORDERS,
) -> list[tuple[str, list[float], float]]:
    """(name, NLL of each sequence, seconds) for the unigram and each KN order."""
    result = []
    started = time.perf_counter()
    unigram = UnigramModel.fit(train, vocab_size)
    result.append(("unigram (add-one)", [-float(unigram.log_probs(s).sum()) for s in sequences],
                   round(time.perf_counter() - started, 2)))
    for order in orders:
        started = time.perf_counter()
        model = KneserNeyModel.fit(train, order, vocab_size)
        result.append((f"KN-{order} (modified Kneser-Ney)",
                       [-float(model.log_probs(s).sum()) for s in sequences],
                       round(time.perf_counter() - started, 2)))
    return result


def baseline_scores(
    train: Sequence[Sequence[int]],
    sequences: Sequence[Sequence[int]],
    vocab_size: int,
    *,
    orders: Sequence[int] = KN_ORDERS,
) -> list[dict]:
    """Rows ``{"name", "nll", "perplexity", "seconds"}`` for the unigram and each KN order."""
    events = sum(max(len(s) - 1, 0) for s in sequences)
    return [{"name": name, **_score(sum(nlls), events), "seconds": seconds}
            for name, nlls, seconds in baseline_piece_scores(train, sequences, vocab_size,
                                                             orders=orders)]


# ----- the report --------------------------------------------------------------------------
def _rows(names_and_nlls: Sequence[tuple[str, Sequence[float]]], keep: Sequence[int],
          events: int, notes: int) -> list[dict]:
    """Rows for the pieces ``keep``, each with its ratio to the best n-gram (rows after the
    first are the n-grams)."""
    rows = [{"name": name, **_score(sum(nlls[i] for i in keep), events, notes)}
            for name, nlls in names_and_nlls]
    best = min(rows[1:], key=lambda row: row["nll"]) if len(rows) > 1 else rows[0]
    for row in rows:
        row["ratio"] = row["nll"] / best["nll"]
    return rows


def evaluation_report(
    bundle_path: str | os.PathLike | ModelBundle | None,
    sequences: Sequence[Sequence[int]],
    train: Sequence[Sequence[int]],
    *,
    data: str = "",
    orders: Sequence[int] = KN_ORDERS,
    progress: Callable[[float], None] | None = None,
    inputs: Sequence[dict | None] | None = None,
    styles: Sequence[str | None] | None = None,
    groups: dict[str, Sequence[str]] | None = None,
) -> dict:
    """Model and baselines on the same events, with each row's ratio to the best n-gram.

    ``groups`` maps a grouping's name (e.g. ``"style"``, ``"composer"``) to one label per
    sequence; the report then also has the rows of every label (``report["groups"]``).
    """
    if not sequences or not any(len(s) > 1 for s in sequences):
        raise ModelBundleError("nothing to evaluate: no piece with events")
    bundle = bundle_path if isinstance(bundle_path, ModelBundle) else load_bundle(bundle_path)
    model = evaluate_bundle(bundle, sequences, inputs=inputs, styles=styles, progress=progress)
    vocab_size = bundle.config.vocab_size
    baselines = baseline_piece_scores(train, sequences, vocab_size, orders=orders)
    named = [(f"model {model['name']}", model["piece_nll"])] + [(n, v) for n, v, _ in baselines]
    seconds = [model["seconds"]] + [t for _, _, t in baselines]
    piece_events = [max(len(s) - 1, 0) for s in sequences]
    piece_notes = [count_notes(s, bundle.vocab) for s in sequences]
    everything = range(len(sequences))
    rows = _rows(named, everything, sum(piece_events), sum(piece_notes))
    for row, took in zip(rows, seconds):
        row["seconds"] = took
    best = min(rows[1:], key=lambda row: row["nll"])
    report = {
        "model": {"name": model["name"], "path": model["path"]},
        "data": data,
        "pieces": model["pieces"],
        "tokens": int(sum(len(s) for s in sequences)),
        "events": model["events"],
        "notes": model["notes"],
        "train_pieces": len(train),
        "train_tokens": int(sum(len(s) for s in train)),
        "rows": rows,
        "best_ngram": best["name"],
        "ratio": rows[0]["ratio"],
        "groups": {},
    }
    for grouping, labels in (groups or {}).items():
        table = {}
        for label in sorted(set(labels)):
            keep = [i for i in everything if labels[i] == label]
            table[label] = {
                "pieces": len(keep),
                "events": sum(piece_events[i] for i in keep),
                "notes": sum(piece_notes[i] for i in keep),
                "rows": _rows(named, keep, sum(piece_events[i] for i in keep),
                              sum(piece_notes[i] for i in keep)),
            }
        report["groups"][grouping] = table
    return report


def corpus_report(bundle_path, corpus, split: str = "test", *, style: str | None = None,
                  progress: Callable[[float], None] | None = None, data: str = "") -> dict:
    """:func:`evaluation_report` on one split of a prepared corpus (composer.corpus.Corpus),
    with its inputs, per style and per composer; baselines trained on its train split."""
    part = corpus.select(split)
    inputs = [{"positions": p, "meters": m} for p, m in zip(part.positions, part.meters)]
    return evaluation_report(
        bundle_path, part.tokens, corpus.select("train").tokens, data=data or f"{split} split",
        progress=progress, inputs=inputs, styles=[style] * len(part) if style else None,
        groups={"style": list(part.styles), "composer": list(part.composers)})


def model_only_report(bundle: ModelBundle, sequences: Sequence[Sequence[int]], *,
                      data: str = "", **options) -> dict:
    """The model's figures alone (no corpus to train the baselines on)."""
    model = evaluate_bundle(bundle, sequences, **options)
    row = {"name": f"model {model['name']}", "nll": model["nll"],
           "perplexity": model["perplexity"], "nll_per_note": model["nll_per_note"],
           "ratio": float("nan"), "seconds": model["seconds"]}
    return {"model": {"name": model["name"], "path": model["path"]}, "data": data,
            "pieces": model["pieces"], "tokens": int(sum(len(s) for s in sequences)),
            "events": model["events"], "notes": model["notes"], "train_pieces": 0,
            "train_tokens": 0, "rows": [row], "best_ngram": "none (no corpus)",
            "ratio": float("nan"), "groups": {}}


def format_report(report: dict) -> str:
    lines = [
        f"model:   {report['model']['name']} ({report['model']['path']})",
        f"data:    {report['data']}: {report['pieces']} pieces, {report['tokens']} tokens, "
        f"{report['events']} predicted events (all after BOS, EOS included), "
        f"{report.get('notes', 0)} notes",
        f"n-grams: trained on {report['train_pieces']} pieces, {report['train_tokens']} tokens",
        "",
        f"{'':<34} {'nll/event':>10} {'nll/note':>9} {'perplexity':>11} {'ratio':>7}",
    ]
    for row in report["rows"]:
        lines.append(f"{row['name']:<34} {row['nll']:>10.4f} {row.get('nll_per_note', 0):>9.3f} "
                     f"{row['perplexity']:>11.3f} {row['ratio']:>7.3f}")
    lines.append("")
    lines.append(f"nll in nats; ratio = nll / nll of the best n-gram "
                 f"({report['best_ngram']}); below 1 the model beats it.")
    for grouping, table in report.get("groups", {}).items():
        lines += ["", f"by {grouping}: {'pieces':>6} {'notes':>8} {'model/event':>11} "
                      f"{'model/note':>10} {'best n-gram/note':>16} {'ratio':>6}"]
        for label, part in table.items():
            model, ngrams = part["rows"][0], part["rows"][1:]
            best = min(ngrams, key=lambda row: row["nll"]) if ngrams else model
            lines.append(f"  {label:<20} {part['pieces']:>6} {part['notes']:>8} "
                         f"{model['nll']:>11.4f} {model['nll_per_note']:>10.3f} "
                         f"{best['nll_per_note']:>16.3f} {model['ratio']:>6.3f}")
    return "\n".join(lines)


# ----- other data ---------------------------------------------------------------------------
def midi_dir_sequences(folder: str | os.PathLike, vocab) -> tuple[list[np.ndarray], list[str],
                                                                   list[tuple[str, str]]]:
    """Token sequences of every MIDI file under ``folder`` (as ``composer prepare`` makes them).

    Returns ``(sequences, file names, skipped)``; ``skipped`` lists ``(file, reason)`` for files
    that cannot be read or hold no notes: one bad file does not stop an evaluation.
    """
    sequences, inputs, names, skipped = midi_dir_pieces(folder, vocab)
    return sequences, names, skipped


def midi_dir_pieces(folder: str | os.PathLike, vocab):
    """:func:`midi_dir_sequences` plus the position and metre inputs of each sequence:
    ``(sequences, inputs, file names, skipped)``."""
    from composer.corpus import convert_source, midi_dir_sources, tokenize_parsed

    sequences, inputs, names, skipped = [], [], [], []
    for source in midi_dir_sources(folder):
        item = convert_source(source)
        if item.parsed is None:
            skipped.append((source.path, item.error or "no events"))
            continue
        tokens, positions, meters = tokenize_parsed(item.parsed, vocab)
        if len(tokens) < 2:
            skipped.append((source.path, "no events"))
            continue
        sequences.append(tokens)
        inputs.append({"positions": positions, "meters": meters})
        names.append(source.path)
    return sequences, inputs, names, skipped
