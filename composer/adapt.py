"""The durable adaptation: a personal update of the model's output layer learned from ratings,
in NumPy (no TensorFlow), anchored to the base model so it cannot forget music.

How: the bundle's LSTM (composer.engine) is run over every rated take, in the context it was
generated in (its seed, the position in the bar, the style the generator chose), and the last
layer's hidden state before each rated event is kept (:func:`hidden_rows`; the engine run with
an identity output layer gives them exactly). On those rows the output layer
``logits = h W + b`` gets an update ``logits' = h (W + A B) + b + d`` that

- raises the likelihood of the events of liked takes (``-log p'(event)``),
- lowers that of disliked takes (``+log p'(event)``; unbounded alone, but the KL anchor grows
  faster than it can fall, so the fit stays near the base model. The bounded unlikelihood
  ``-log(1 - p')`` was tried first: its gradient vanishes for the events a model gives a
  small probability, so the liked term dominated and disliked takes became *more* likely;
  see docs/feedback.md),
- stays close to the base model on replay data (``KL(p_base || p')`` on the hidden states of
  music that was not rated: the seeds, the bundled sample files), and is kept small (L2).

Each rated take counts once whatever its length (its rows are averaged), a "more like this"
twice. Fitted by full-batch Adam; the LSTM itself is never changed, so hidden states are
computed once per rated take and cached (:class:`Adapter`), and a round of adaptation costs the
new takes' LSTM passes plus a fraction of a second of fitting.

Two variants (``VARIANTS``): ``bias`` (only ``d``: one number per event class, what the
immediate steering of composer.taste also moves) and ``lowrank`` (``d`` plus a rank-``r``
``A B``: the preference may depend on the context, e.g. "fewer notes where it is already
busy"). ``benchmarks/feedback.py`` measures both; the default is the one it chose (see
docs/feedback.md).

The result folds into the output layer exactly (``W + A B``, ``b + d``), so an adapted bundle
has the format of every bundle and loads like one (:func:`save_adapted`); its other weights are
the base model's, byte for byte. Its ``config.json`` says ``adapted_from`` and its card lists the
base model and what was rated.
"""

from __future__ import annotations

import json
import math
import os
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from composer.atomic import staged_folder, write_json_atomic, write_text_atomic
from composer.bundle import ModelBundle, model_checksums
from composer.conditioning import STYLE_PRIOR, token_features
from composer.engine import LSTMEngine
from composer.errors import ModelBundleError, RatingsError
from composer.notes import Note, PedalSpan, TimeSignature
from composer.tokenizer import Tokenizer

VARIANTS = ("bias", "lowrank")
DEFAULT_VARIANT = "bias"
CONTEXT_BEATS = 64.0  # the generator primes on at most this much seed (composer.generate)
MAX_RATED_ROWS = 6000  # rows used per fit (a random subset beyond; about 20 takes of 8 bars)
MAX_REPLAY_ROWS = 2000
MAX_STREAM_EVENTS = 1024  # rated events per stream (a whole piece: its first ones)
REPLAY_EVENTS = 384  # events per replay stream
STYLE_EVENTS = 192  # events the style is chosen on


@dataclass(frozen=True)
class Stream:
    """One stream to run the model over: its events and inputs, and which events are rated
    (``ids[first:]``; ``first`` >= 1, each is predicted from the events before it)."""

    ids: np.ndarray
    positions: np.ndarray | None
    meters: np.ndarray | None
    first: int
    style: str | None = None  # None: chosen as the generator would, from the context


def stream_of(bundle: ModelBundle, notes: Sequence[Note], start: float, end: float,
              context: Sequence[Note] = (), pedals: Sequence[PedalSpan] = (),
              time_signatures: Sequence[TimeSignature] = (), style: str | None = None,
              max_events: int = MAX_STREAM_EVENTS) -> Stream | None:
    """The stream of ``context`` (before ``start``) followed by ``notes`` (from ``start`` to
    ``end``), as the generator saw it: at most :data:`CONTEXT_BEATS` of context from a bar
    line. None when nothing is rated (no event from ``start`` on)."""
    vocab = bundle.vocab
    tokenizer = Tokenizer(vocab.settings)
    spb = vocab.settings.steps_per_beat
    signatures = list(time_signatures) or [TimeSignature(0.0)]
    bar = signatures[-1].beats_per_bar
    window = max(0.0, math.floor((start - CONTEXT_BEATS) / bar) * bar) if start > 0 else 0.0
    window = round(window * spb) / spb
    before = [n for n in context if n.start < start - 1e-9 and n.start >= window - 1e-9]
    before = [replace(n, end=min(n.end, max(start, n.start + 1 / spb))) for n in before]
    rated = [n for n in notes if start - 1e-9 <= n.start < end - 1e-9]
    if not rated:
        return None
    every = [n.shifted(-window) for n in before + rated]
    kept_pedals = [PedalSpan(max(p.start, window) - window, p.end - window) for p in pedals
                   if p.end > window]
    ids = np.asarray(tokenizer.encode(every, kept_pedals, bos=window == 0, eos=False,
                                      end_beat=end - window), dtype=np.int64)
    # The context alone, up to the start, is what the generator primed with: the events
    # after it are the rated ones (the seed's note-offs at the start belong to the context).
    context_pedals = [PedalSpan(p.start, min(p.end, start - window)) for p in kept_pedals
                      if p.start < start - window - 1e-9]
    prefix = tokenizer.encode([n.shifted(-window) for n in before], context_pedals,
                              bos=window == 0, eos=False, end_beat=start - window)
    first = max(len(prefix), 1)
    if first >= len(ids):
        return None
    ids = ids[: first + max_events]
    positions = meters = None
    if bundle.conditioning is not None and bundle.config.conditions:
        positions, meters = token_features(ids, vocab, signatures,
                                           start_step=round(window * spb),
                                           positions=bundle.conditioning.positions)
    return Stream(ids, positions, meters, first, style)


def stream_of_rating(bundle: ModelBundle, rating) -> Stream | None:
    """The stream of a :class:`composer.ratings.Rating` (its seed is the context)."""
    style = rating.settings.get("style_used") or rating.settings.get("style")
    return stream_of(bundle, rating.notes, rating.start_beat, rating.end_beat, rating.seed,
                     time_signatures=rating.time_signatures,
                     style=style if isinstance(style, str) else None)


# ----- hidden states ----------------------------------------------------------------------
_hidden_engines: dict[int, tuple[weakref.ref, LSTMEngine]] = {}


def hidden_engine(bundle: ModelBundle) -> LSTMEngine:
    """The bundle's LSTM with an identity output layer: its "logits" are the last layer's
    hidden states (cached per bundle)."""
    cached = _hidden_engines.get(id(bundle))
    if cached is not None and cached[0]() is bundle:
        return cached[1]
    units = int(bundle.config.lstm_units[-1])
    weights = dict(bundle.weights)
    weights["dense_kernel"] = np.eye(units, dtype=np.float32)
    weights["dense_bias"] = np.zeros(units, dtype=np.float32)
    engine = LSTMEngine(weights, len(bundle.config.lstm_units))
    for key in [k for k, (ref, _) in _hidden_engines.items() if ref() is None]:
        del _hidden_engines[key]
    _hidden_engines[id(bundle)] = (weakref.ref(bundle), engine)
    return engine


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def hidden_rows(bundle: ModelBundle, stream: Stream) -> tuple[np.ndarray, np.ndarray]:
    """The hidden state before each rated event ``(n, H)`` and the events ``(n,)``."""
    engine = hidden_engine(bundle)
    ids = stream.ids
    inputs = context = None
    conditioning = bundle.conditioning
    if conditioning is not None and engine.inputs:
        inputs = {"positions": stream.positions.astype(np.intp),
                  "meters": stream.meters.astype(np.intp)}
        if "styles" in engine.inputs:
            context = _style_context(bundle, engine, stream, inputs)
    h, _ = engine.run(ids[:-1], inputs=None if inputs is None else
                      {k: v[:-1] for k, v in inputs.items()}, context=context)
    h = np.asarray(h, dtype=np.float32).reshape(len(ids) - 1, -1)
    return h[stream.first - 1 :], ids[stream.first :]


def hidden_rows_batch(bundle: ModelBundle, streams: Sequence[Stream]
                      ) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`hidden_rows` of several streams; those with the same context (the takes of one
    generation) share one pass over it and then run side by side, one batched step per event
    (about as fast as one stream alone)."""
    results: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(streams)
    groups: dict[tuple, list[int]] = {}
    for index, stream in enumerate(streams):
        key = (stream.ids[: stream.first].tobytes(), stream.style,
               None if stream.positions is None else stream.positions[: stream.first].tobytes())
        groups.setdefault(key, []).append(index)
    engine = hidden_engine(bundle)
    conditioned = bundle.conditioning is not None and bool(engine.inputs)
    for members in groups.values():
        if len(members) == 1:
            results[members[0]] = hidden_rows(bundle, streams[members[0]])
            continue
        lead = streams[members[0]]
        first = lead.first
        inputs = context = None
        if conditioned:
            inputs = {"positions": lead.positions[:first].astype(np.intp),
                      "meters": lead.meters[:first].astype(np.intp)}
            if "styles" in engine.inputs:
                context = _style_context(bundle, engine, lead, {
                    "positions": lead.positions.astype(np.intp),
                    "meters": lead.meters.astype(np.intp)})
        h0, state = engine.run(lead.ids[:first], inputs=inputs, context=context)
        h0 = np.asarray(h0).reshape(first, -1)[-1]
        batch = len(members)
        state = LSTMEngine.broadcast(state, batch)
        context_rows = None if context is None else np.repeat(context, batch, axis=0)
        lengths = [len(streams[m].ids) - first - 1 for m in members]
        rows = [[h0] for _ in members]
        for t in range(max(lengths)):
            ids = np.array([streams[m].ids[first + t] if t < n else 0
                            for m, n in zip(members, lengths)], dtype=np.intp)
            step_inputs = None
            if conditioned:
                step_inputs = {name: np.array(
                    [getattr(streams[m], name)[first + t] if t < n else 0
                     for m, n in zip(members, lengths)], dtype=np.intp)
                    for name in ("positions", "meters")}
            h, state = engine.step(ids, state, step_inputs, context_rows)
            for row, n, out in zip(h, lengths, rows):
                if t < n:
                    out.append(row.copy())
        for m, out in zip(members, rows):
            stream = streams[m]
            results[m] = (np.asarray(out, dtype=np.float32), stream.ids[stream.first :])
    return results  # type: ignore[return-value]


def _style_context(bundle: ModelBundle, engine: LSTMEngine, stream: Stream,
                   inputs: dict) -> np.ndarray:
    """The style row the generator would have used: the named one, else the one under which
    the context (or, without context, the rated events) is most likely."""
    conditioning = bundle.conditioning
    if stream.style is not None and stream.style in conditioning.styles:
        return engine.context(1, styles=conditioning.style_id(stream.style))
    styles = list(conditioning.styles[1:])
    cut = stream.first if stream.first >= 8 else len(stream.ids)
    begin = max(0, cut - STYLE_EVENTS)  # the last events before the rated ones suffice
    ids = stream.ids[begin:cut]
    inputs = {k: v[begin:cut] for k, v in inputs.items()}
    cut -= begin
    ctx = engine.context(len(styles), styles=[conditioning.style_id(s) for s in styles])
    w = bundle.weights
    dense = np.asarray(w["dense_kernel"], np.float32)
    bias = np.asarray(w["dense_bias"], np.float32)
    h, _ = engine.run(ids[: cut - 1], inputs={k: v[: cut - 1] for k, v in inputs.items()},
                      context=ctx)
    h = np.asarray(h).reshape(cut - 1, len(styles), -1)
    targets = ids[1:cut]
    scores = []
    for index, style in enumerate(styles):
        lp = _log_softmax((h[:, index] @ dense + bias).astype(np.float64))
        scores.append(lp[np.arange(cut - 1), targets].sum()
                      + math.log(STYLE_PRIOR.get(style, 0.05)))
    return ctx[int(np.argmax(scores))][None, :]


# ----- the update ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Adaptation:
    """An update of the output layer: ``W + a @ b`` and ``bias + d`` (``a``/``b`` empty for
    the ``bias`` variant; all zero = the base model)."""

    variant: str
    d: np.ndarray = field(repr=False)
    a: np.ndarray = field(repr=False)
    b: np.ndarray = field(repr=False)
    likes: int = 0
    dislikes: int = 0
    seconds: float = 0.0
    losses: dict = field(default_factory=dict)

    @property
    def ratings(self) -> int:
        return self.likes + self.dislikes

    def dense(self, bundle: ModelBundle) -> tuple[np.ndarray, np.ndarray]:
        kernel = np.asarray(bundle.weights["dense_kernel"], np.float32)
        bias = np.asarray(bundle.weights["dense_bias"], np.float32)
        if self.a.size:
            kernel = kernel + (self.a @ self.b).astype(np.float32)
        return kernel, bias + self.d.astype(np.float32)

    def apply(self, bundle: ModelBundle, name: str | None = None) -> ModelBundle:
        """The adapted bundle, in memory (the base bundle is not changed)."""
        kernel, bias = self.dense(bundle)
        weights = dict(bundle.weights)
        weights["dense_kernel"], weights["dense_bias"] = kernel, bias
        info = dict(bundle.info)
        info["adapted_from"] = bundle.name
        return replace(bundle, name=name or f"{bundle.name}-adapted", weights=weights,
                       info=info)


@dataclass(frozen=True)
class FitSettings:
    variant: str = DEFAULT_VARIANT
    rank: int = 8
    steps: int = 100
    learning_rate: float = 0.04
    kl_weight: float = 1.0
    l2: float = 1e-3
    dislike_weight: float = 1.0
    seed: int = 0
    # lowrank: a disliked event is pushed down only while it is less than this many nats
    # below the base model's log-probability (rank 8 can otherwise drive it to -inf faster
    # than the KL anchor on replay music notices: seen on the tiny test model)
    dislike_margin: float = 1.0


@dataclass
class _Rated:
    h: np.ndarray
    y: np.ndarray
    sign: float
    weight: float


def fit(bundle: ModelBundle, rated: Sequence[_Rated], replay: tuple[np.ndarray, np.ndarray],
        settings: FitSettings = FitSettings(), start: Adaptation | None = None) -> Adaptation:
    """Fit the update on rated rows and replay hidden states (see the module docstring)."""
    if settings.variant not in VARIANTS:
        raise RatingsError(f"unknown adaptation variant {settings.variant!r} "
                           f"(choose from {', '.join(VARIANTS)})")
    began = time.perf_counter()
    rng = np.random.default_rng(settings.seed)
    kernel = np.asarray(bundle.weights["dense_kernel"], np.float32)
    base_bias = np.asarray(bundle.weights["dense_bias"], np.float32)
    units, vocab = kernel.shape
    likes = sum(1 for r in rated if r.sign > 0)
    dislikes = len(rated) - likes
    zero = Adaptation(settings.variant, np.zeros(vocab, np.float32),
                      np.zeros((units, 0), np.float32), np.zeros((0, vocab), np.float32),
                      likes, dislikes)
    rated = [r for r in rated if len(r.y)]
    if not rated:
        return replace(zero, seconds=time.perf_counter() - began)
    # Rows of the rated takes, each take's rows weighing 1 (x its rating's weight) in all.
    h = np.concatenate([r.h for r in rated])
    y = np.concatenate([r.y for r in rated])
    sign = np.concatenate([np.full(len(r.y), r.sign, np.float32) for r in rated])
    weight = np.concatenate([np.full(len(r.y), r.weight / len(r.y), np.float32)
                             for r in rated])
    weight[sign < 0] *= settings.dislike_weight
    if len(y) > MAX_RATED_ROWS:
        keep = rng.choice(len(y), MAX_RATED_ROWS, replace=False)
        scale = len(y) / MAX_RATED_ROWS
        h, y, sign, weight = h[keep], y[keep], sign[keep], weight[keep] * scale
    weight = weight / len(rated)
    replay_h = replay[0]
    if len(replay_h) > MAX_REPLAY_ROWS:
        replay_h = replay_h[rng.choice(len(replay_h), MAX_REPLAY_ROWS, replace=False)]
    z_rated = h @ kernel + base_bias
    base_lp = _log_softmax(z_rated)[np.arange(len(y)), y]
    z_replay = replay_h @ kernel + base_bias
    p_base = np.exp(_log_softmax(z_replay))
    rows = np.arange(len(y))
    like = sign > 0

    lowrank = settings.variant == "lowrank"
    rank = settings.rank if lowrank else 0
    if start is not None and start.variant == settings.variant and start.a.shape[1] == rank:
        d, a, b = start.d.copy(), start.a.copy(), start.b.copy()
    else:
        d = np.zeros(vocab, np.float32)
        a = (rng.standard_normal((units, rank)) / math.sqrt(units)).astype(np.float32)
        b = np.zeros((rank, vocab), np.float32)
    params = [d, a, b] if lowrank else [d]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    kl_w = settings.kl_weight / max(len(replay_h), 1)
    loss = {}
    for step in range(1, settings.steps + 1):
        ha = h @ a if lowrank else None
        ra = replay_h @ a if lowrank else None
        z1 = z_rated + d + (ha @ b if lowrank else 0.0)
        lp1 = _log_softmax(z1)
        p1 = np.exp(lp1)
        g1 = p1.copy()  # d(-log p_y)/dz = p - onehot, for a liked event; the opposite
        g1[rows, y] -= 1.0  # (raise -log p_y) for a disliked one
        g1[~like] *= -1.0
        if lowrank:  # the hinge: disliked events already far enough down are left alone
            g1[~like & (lp1[rows, y] < base_lp - settings.dislike_margin)] = 0.0
        g1 *= weight[:, None]
        if len(replay_h):
            z2 = z_replay + d + (ra @ b if lowrank else 0.0)
            lp2 = _log_softmax(z2)
            g2 = (np.exp(lp2) - p_base) * kl_w
        else:
            g2 = np.zeros((0, vocab), np.float32)
        grads = [g1.sum(0) + g2.sum(0) + 2 * settings.l2 * d]
        if lowrank:
            gb = ha.T @ g1 + ra.T @ g2 + 2 * settings.l2 * b
            ga = h.T @ (g1 @ b.T) + replay_h.T @ (g2 @ b.T) + 2 * settings.l2 * a
            grads += [ga, gb]
        lr = settings.learning_rate
        for p, g, (m, v) in zip(params, grads, moments):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= lr * (m / (1 - beta1 ** step)) / (np.sqrt(v / (1 - beta2 ** step)) + eps)
        if step == settings.steps:
            nll_like = float(-(weight[like] * lp1[rows[like], y[like]]).sum())
            ul = float((weight[~like] * lp1[rows[~like], y[~like]]).sum())
            kl = float((p_base * (np.log(np.maximum(p_base, 1e-30)) - lp2)).sum(1).mean()
                       ) if len(replay_h) else 0.0
            loss = {"liked_nll": nll_like, "disliked_log_p": ul, "replay_kl": kl}
    return Adaptation(settings.variant, d, a if lowrank else zero.a, b if lowrank else zero.b,
                      likes, dislikes, time.perf_counter() - began, loss)


# ----- the adapter: cached hidden states, one round at a time ------------------------------
class Adapter:
    """Hidden states of rated and replay streams, computed once each, and fits over them.

    ``add_rating``/``add_stream`` run the LSTM on the new stream only; :meth:`fit` refits the
    update on everything rated so far (warm-started from the last fit)."""

    def __init__(self, bundle: ModelBundle, settings: FitSettings = FitSettings()) -> None:
        self.bundle = bundle
        self.settings = settings
        self.rated: list[_Rated] = []
        self.names: list[tuple[str, str]] = []  # (verdict, what) per rated stream
        self._replay: list[np.ndarray] = []
        self.last: Adaptation | None = None

    def add_stream(self, stream: Stream | None, sign: float, weight: float = 1.0,
                   name: str = "") -> bool:
        return stream is not None and self.add_streams([(stream, sign, weight, name)]) == 1

    def add_streams(self, items: Sequence[tuple[Stream, float, float, str]]) -> int:
        """Add ``(stream, sign, weight, name)`` items; streams with the same context (takes
        of one seed) share one pass over it (:func:`hidden_rows_batch`). Returns how many
        had something to learn from."""
        added = 0
        rows = hidden_rows_batch(self.bundle, [stream for stream, *_ in items])
        for (_, sign, weight, name), (h, y) in zip(items, rows):
            if len(y):
                self.rated.append(_Rated(h, y, float(sign), float(weight)))
                self.names.append(("like" if sign > 0 else "dislike", name))
                added += 1
        return added

    def add_rating(self, rating) -> bool:
        return self.add_ratings([rating]) == 1

    def add_ratings(self, ratings: Sequence) -> int:
        """Add several ratings (the takes of one generation share one pass over their seed);
        returns how many had something to learn from."""
        pairs = [(r, stream_of_rating(self.bundle, r)) for r in ratings]
        return self.add_streams([(s, r.sign, r.weight, r.source) for r, s in pairs
                                 if s is not None])

    def add_replay(self, stream: Stream | None) -> None:
        if stream is not None:
            self._replay.append(hidden_rows(self.bundle, stream)[0])

    def replay(self) -> tuple[np.ndarray, np.ndarray]:
        units = int(self.bundle.config.lstm_units[-1])
        h = np.concatenate(self._replay) if self._replay else np.zeros((0, units), np.float32)
        return h, np.zeros(len(h), np.int64)

    def fit(self, settings: FitSettings | None = None) -> Adaptation:
        self.last = fit(self.bundle, self.rated, self.replay(), settings or self.settings,
                        start=self.last)
        return self.last

    def reset(self) -> None:
        self.rated.clear()
        self.names.clear()
        self.last = None


# ----- files --------------------------------------------------------------------------------
def read_rated_file(path: str | os.PathLike):
    """A rated MIDI file as (piece, start beat, context notes, rated notes): a take written by
    composer (its generated notes marked) is rated from its first generated note, in the
    context of what comes before; any other file is rated whole. A file with no notes is a
    RatingsError naming it."""
    from composer.errors import MidiFileError
    from composer.midi_io import read_midi_with_generated

    try:
        piece, flags = read_midi_with_generated(path)
    except MidiFileError as exc:
        raise RatingsError(str(exc)) from None
    if not piece.notes:
        raise RatingsError(f"{path}: has no notes, nothing to learn from")
    generated = [n for n, flag in zip(piece.notes, flags) if flag]
    if generated and len(generated) < len(piece.notes):
        start = min(n.start for n in generated)
        context = [n for n, flag in zip(piece.notes, flags) if not flag and n.start < start]
        return piece, start, tuple(context), tuple(generated)
    return piece, 0.0, (), tuple(piece.notes)


def file_stream(bundle: ModelBundle, path: str | os.PathLike) -> Stream:
    piece, start, context, rated = read_rated_file(path)
    end = max(n.end for n in piece.notes) + 1e-6
    stream = stream_of(bundle, rated, start, end, context, piece.pedals,
                       piece.time_signatures)
    if stream is None:
        raise RatingsError(f"{path}: has no events to learn from")
    return stream


def adapt_files(bundle: ModelBundle, likes: Sequence[str | os.PathLike],
                dislikes: Sequence[str | os.PathLike],
                replay_files: Sequence[str | os.PathLike] = (),
                settings: FitSettings = FitSettings(),
                progress: Callable[[str], None] | None = None) -> Adaptation:
    """Adapt to liked and disliked MIDI files (every file is read before any work starts, so
    a bad one is reported at once)."""
    streams = [(file_stream(bundle, p), 1.0, str(p)) for p in likes]
    streams += [(file_stream(bundle, p), -1.0, str(p)) for p in dislikes]
    adapter = Adapter(bundle, settings)
    if progress:
        for _stream, _sign, name in streams:
            progress(name)
    adapter.add_streams([(stream, sign, 1.0, name) for stream, sign, name in streams])
    if not adapter.rated:
        raise RatingsError("none of the rated files has events to learn from")
    for path in replay_files:
        try:
            piece, *_ = read_rated_file(path)
        except RatingsError:
            continue
        adapter.add_replay(stream_of(bundle, piece.notes, 0.0, piece.end_beat + 1e-6,
                                     pedals=piece.pedals, time_signatures=piece.time_signatures,
                                     max_events=REPLAY_EVENTS))
    # The rated files' own contexts (the seeds of takes) are replay data too, each once
    # (the takes of one seed share it).
    seen: set[bytes] = set()
    for stream, _sign, _name in streams:
        context = stream.ids[: stream.first].tobytes()
        if stream.first > 8 and context not in seen:
            seen.add(context)
            cut = slice(max(0, stream.first - REPLAY_EVENTS), stream.first)
            adapter.add_replay(replace(stream, ids=stream.ids[cut], first=1,
                                       positions=None if stream.positions is None
                                       else stream.positions[cut],
                                       meters=None if stream.meters is None
                                       else stream.meters[cut]))
    return adapter.fit()


def render_adapted_card(base: ModelBundle, adaptation: Adaptation, rated: Sequence[tuple[str, str]],
                        name: str) -> str:
    lines = [f"# Model card: {name} (an adapted model)", "",
             f"This bundle is **{base.name}**, adapted to one listener's ratings by "
             "`composer adapt` (composer/adapt.py). Its LSTM and every other weight are the "
             f"base model's; only the output layer was changed ({adaptation.variant} "
             "update" + (f" of rank {adaptation.a.shape[1]}" if adaptation.a.size else "") +
             ", anchored to the base model by a KL term on replay music).", "",
             f"- Base model: `{base.name}` (from `{base.path}`)",
             f"- Ratings: {adaptation.likes} liked, {adaptation.dislikes} disliked",
             f"- Fitted in {adaptation.seconds:.2f} s", ""]
    if adaptation.losses:
        lines += ["Fit: " + ", ".join(f"{k} {v:.4f}" for k, v in adaptation.losses.items()),
                  ""]
    lines += ["## Rated files", "", "| rating | file |", "|---|---|"]
    lines += [f"| {verdict} | {Path(what).name if what else '(app)'} |"
              for verdict, what in rated]
    base_card = base.path / "card.md"
    lines += ["", "The base model's card follows.", ""]
    if base_card.is_file():
        try:
            lines.append(base_card.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            pass
    return "\n".join(lines) + "\n"


def save_adapted(base: ModelBundle, adaptation: Adaptation, folder: str | os.PathLike, *,
                 rated: Sequence[tuple[str, str]] = (), name: str | None = None) -> Path:
    """Write the adapted bundle to ``folder`` as a whole (staged, then swapped into place:
    a crash leaves the old folder or the new one). No ``model.keras``: the bundle generates
    (weights.npz, NumPy) but cannot be fine-tuned, and its card and config say what it is."""
    folder = Path(folder)
    name = name or f"{base.name}-adapted"
    parent = folder.parent if str(folder.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelBundleError(f"{parent}: cannot create ({exc.strerror or exc})") from None
    try:
        with staged_folder(folder) as staging:
            kernel, bias = adaptation.dense(base)
            weights = {k: np.asarray(v) for k, v in base.weights.items()}
            weights["dense_kernel"], weights["dense_bias"] = kernel, bias
            with open(staging / "weights.npz", "wb") as handle:
                np.savez_compressed(handle, **weights)
                handle.flush()
                os.fsync(handle.fileno())
            vocab_text = base.vocab.to_json()
            write_text_atomic(staging / "vocabulary.json", vocab_text, error=ModelBundleError)
            info = json.loads(json.dumps(base.info, default=str))
            info["name"] = name
            info["adapted_from"] = {"name": base.name, "path": str(base.path),
                                    "variant": adaptation.variant,
                                    "rank": int(adaptation.a.shape[1]),
                                    "likes": adaptation.likes, "dislikes": adaptation.dislikes,
                                    "rated": [{"rating": v, "file": w} for v, w in rated]}
            info["checksums"] = model_checksums(staging)  # weights.npz only: no model.keras here
            write_json_atomic(staging / "config.json", info, error=ModelBundleError)
            card = render_adapted_card(base, adaptation, rated, name)
            write_text_atomic(staging / "card.md", card, error=ModelBundleError)
    except OSError as exc:
        raise ModelBundleError(f"{folder}: cannot write the adapted model "
                               f"({exc.strerror or exc})") from None
    return folder
