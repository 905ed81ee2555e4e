"""Regenerate a region of a piece (bars A..B) so that it leads into what follows.

A left-to-right LSTM cannot see what comes after the point where it writes. So, measured
against the alternatives (benchmarks/infill.py, docs/infill.md): the forward model is primed
on everything before the region and samples a *pool* of candidates for exactly the region's
length (one batched generation, :func:`composer.generate.generate` with ``start_beat``), and
each candidate is scored by the log-likelihood the same model gives to the *real* notes that
follow the region (the next bar, :data:`FOLLOW_BARS`; two rank no better), all candidates in
one batched pass through the NumPy engine. A candidate after which the real continuation is
likely joins it well. The best ``takes`` are kept.

Two guards a musician expects, checked before the score: the new bars keep the piece's
density (notes per beat within :data:`DENSITY_RANGE` of the bars around the region) and its
key (a share of notes in the key not far below that of the neighbours). Candidates outside
them rank after all those inside (the least outside first), so a result always comes back.

What is kept: every note that starts outside the region, exactly as it was (a note that starts
before the region and sounds into it keeps its end; the model was primed with it ending at the
region's start, as :func:`composer.generate.cut_seed` does). Every note that starts inside the
region is replaced, and every new note starts and ends inside it. A new note of a pitch that a
kept note still holds starts only when the kept note ends (one key cannot sound twice).

The first bars (a region with no notes before it) are regenerated the same way from the start
of a piece: the model writes from its start token, as it learnt how pieces begin (its training
sequences start with it), in the style it hears in the piece's first :data:`CONTEXT_BEATS`
beats (:func:`composer.generate.heard_style`, unless one is chosen), and the candidates are
ranked by the bar that follows, as above; key lock takes the key from the notes after the
region. The region needs music before or after it: with neither, there is nothing for it to
lead from or into.

Bars are counted as :mod:`composer.meter` counts them (the file's time signatures; bar 1 holds
beat 0).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from composer import meter
from composer.bundle import ModelBundle
from composer.conditioning import step_after_each, token_features
from composer.engine import LSTMEngine
from composer.errors import GenerationCancelled, MidiFileError, SettingsError
from composer.generate import (
    MAX_TAKES,
    GenerationSettings,
    cut_seed,
    engine_for,
    generate,
    heard_style,
    take_seed,
    with_random_seed,
)
from composer.keys import Key, estimate_key
from composer.notes import Note, PedalSpan, Piece
from composer.tokenizer import Tokenizer

FOLLOW_BARS = 1  # bars after the region whose likelihood ranks the candidates (2: no better)
NEIGHBOUR_BARS = 2  # bars on each side whose density and key the region must keep
DENSITY_RANGE = (0.5, 2.0)  # notes per beat of the region over its neighbours'
KEY_SLACK = 0.15  # the region's share of notes in the key may be this much below theirs
MIN_POOL = 8  # candidates sampled at least (ranking needs some to choose from) ...
POOL_PER_TAKE = 4  # ... and this many per take asked for
# What precedes the region that the model is primed on: the bars from this many beats before
# it (at most SCORE_CONTEXT_TOKENS events of them when scoring, the length of the training
# windows). generate() alone would prime on 64 beats, scored under every style: on dense
# piano that is over 1,000 events, most of the time of an infill, for a phrase two bars long.
CONTEXT_BEATS = 32.0
SCORE_CONTEXT_TOKENS = 384
EPS = 1e-9


@dataclass(frozen=True)
class Region:
    """The span to regenerate, in beats ``[start, end)``, and the bars it was named by."""

    start: float
    end: float
    first_bar: int | None = None
    last_bar: int | None = None

    @property
    def beats(self) -> float:
        return self.end - self.start

    @property
    def label(self) -> str:
        if self.first_bar is None:
            return f"beats {self.start:g}-{self.end:g}"
        if self.first_bar == self.last_bar:
            return f"bar {self.first_bar}"
        return f"bars {self.first_bar}-{self.last_bar}"


@dataclass(frozen=True)
class InfillTake:
    """One regenerated region; read like :class:`composer.generate.Take` (same fields first)
    by the app's takes list, and measured as it was ranked."""

    index: int  # 0-based rank among the results
    notes: tuple[Note, ...]  # the new notes only, absolute beats, all inside the region
    pedals: tuple[PedalSpan, ...]
    start_beat: float
    end_beat: float
    ids: tuple[int, ...]
    style: str | None = None
    random_seed: int | None = None  # the candidate's own seed (take_seed of the pool's)
    follow_log_prob: float = 0.0  # log-likelihood (nats) of the real following bars after it
    density_ratio: float = float("nan")  # notes per beat over the neighbours' (nan: none)
    key_share: float = float("nan")  # share of its notes in the piece's key
    in_bounds: bool = True  # density and key within the guards
    candidate: int = 0  # its index in the pool
    pool: int = 1  # how many candidates were sampled


# ----- bars --------------------------------------------------------------------------------
_BARS = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")


def parse_bars(text: str) -> tuple[int, int]:
    """``"5-6"`` -> (5, 6), ``"5"`` -> (5, 5); SettingsError for anything else."""
    match = _BARS.fullmatch(text or "")
    if match is None:
        raise SettingsError(f"--bars must be two bar numbers like 5-6, or one like 5 "
                            f"(got {text!r})")
    first, last = int(match[1]), int(match[2] or match[1])
    if first < 1:
        raise SettingsError(f"--bars {text.strip()}: bars are counted from 1")
    if last < first:
        raise SettingsError(f"--bars {text.strip()}: the last bar comes before the first "
                            f"(did you mean {last}-{first}?)")
    return first, last


def _origin(piece: Piece) -> float:
    return meter.bar_start(piece.time_signatures, 0.0)


def bar_lines(piece: Piece, until: float) -> list[float]:
    """The piece's bar lines from bar 1 up to ``until`` (beats)."""
    return meter.bar_lines(piece.time_signatures, _origin(piece), until)


def bar_count(piece: Piece) -> int:
    """Bars that start before the piece's last sound ends."""
    return len(bar_lines(piece, piece.end_beat)) if piece.end_beat > 0 else 0


def bars_region(piece: Piece, first: int, last: int, name: str = "the piece") -> Region:
    """Bars ``first``..``last`` (1-based, inclusive) of ``piece`` as a region."""
    if not piece.notes:
        raise MidiFileError(f"{name}: has no notes, nothing to regenerate")
    count = bar_count(piece)
    if first < 1 or last < first:
        raise SettingsError(f"{name}: bars {first}-{last} are not a range of bars")
    if last > count:
        raise SettingsError(f"{name}: bars {first}-{last} lie outside the piece, which has "
                            f"{count} bar{'s' if count != 1 else ''}")
    lines = bar_lines(piece, piece.end_beat + 64.0)
    return Region(lines[first - 1], lines[last], first, last)


def span_region(piece: Piece, start: float, end: float, steps_per_beat: int = 12,
                name: str = "the piece") -> Region:
    """A time span (beats, e.g. a selection in the app) as a region, snapped to the grid."""
    if not piece.notes:
        raise MidiFileError(f"{name}: has no notes, nothing to regenerate")
    start = round(max(start, 0.0) * steps_per_beat) / steps_per_beat
    end = round(end * steps_per_beat) / steps_per_beat
    if not end > start:
        raise SettingsError(f"{name}: the span {start:g}-{end:g} is empty")
    if start >= piece.end_beat - EPS:
        raise SettingsError(f"{name}: beats {start:g}-{end:g} lie after the piece's end "
                            f"(beat {piece.end_beat:g})")
    return Region(start, end)


def check_region(piece: Piece, region: Region, name: str = "the piece") -> None:
    """What the method needs: music before the region to continue from, or after it to lead
    into (the first bars are written from the start of a piece, ranked by what follows)."""
    if all(region.start - EPS <= n.start < region.end - EPS for n in piece.notes):
        raise SettingsError(f"{name}: {region.label}: no notes before or after them, nothing "
                            "for new bars to lead from or into (choose fewer bars, or "
                            "Generate to continue the piece)")


# ----- the piece around the region -----------------------------------------------------------
@dataclass(frozen=True)
class _Neighbours:
    notes_per_beat: float | None  # None: no neighbouring bars (nothing to compare with)
    key: Key
    key_share: float


def _neighbours(piece: Piece, region: Region) -> _Neighbours:
    lines = bar_lines(piece, piece.end_beat + 64.0)
    before = [b for b in lines if b < region.start - EPS][-NEIGHBOUR_BARS:]
    after = [b for b in lines if b > region.end + EPS][:NEIGHBOUR_BARS]
    spans = []
    if before:
        spans.append((before[0], region.start))
    if region.end < piece.end_beat - EPS:
        stop = after[-1] if after else piece.end_beat
        spans.append((region.end, min(stop, max(piece.end_beat, region.end))))
    near = [n for n in piece.notes if any(a - EPS <= n.start < b - EPS for a, b in spans)]
    beats = sum(b - a for a, b in spans)
    outside = [n for n in piece.notes if not region.start - EPS <= n.start < region.end - EPS]
    key = estimate_key(outside or piece.notes)
    share = (sum(key.contains(n.pitch) for n in near) / len(near)) if near else 1.0
    return _Neighbours(len(near) / beats if beats > EPS else None, key, share)


def _violation(notes: Sequence[Note], region: Region, around: _Neighbours
               ) -> tuple[float, float, float]:
    """(how far outside the guards, 0 = inside; density ratio; key share)."""
    low, high = DENSITY_RANGE
    share = (sum(around.key.contains(n.pitch) for n in notes) / len(notes)) if notes else 1.0
    if around.notes_per_beat is None or around.notes_per_beat <= 0:
        ratio = float("nan")
        density = 0.0 if around.notes_per_beat is None or not notes else 1.0
    else:
        ratio = len(notes) / region.beats / around.notes_per_beat
        density = 10.0 if ratio <= 0 else max(0.0, math.log(low / ratio),
                                                math.log(ratio / high))
    wanted = min(around.key_share, 0.95) - KEY_SLACK
    return density + max(0.0, wanted - share), ratio, share


def _fit(notes: Sequence[Note], piece: Piece, region: Region) -> tuple[Note, ...]:
    """New notes that do not strike a key a kept note still holds."""
    held: dict[int, float] = {}
    for n in piece.notes:
        if n.start < region.start - EPS and n.end > region.start + EPS:
            held[n.pitch] = max(held.get(n.pitch, 0.0), n.end)
    fitted = []
    for n in notes:
        free = held.get(n.pitch)
        if free is not None and n.start < free - EPS:
            if n.end <= free + EPS:
                continue
            n = replace(n, start=free)
        fitted.append(n)
    return tuple(sorted(fitted))


def merge_infill(piece: Piece, take: InfillTake) -> Piece:
    """``piece`` with its region replaced by ``take``: notes starting outside it kept exactly,
    pedal outside it kept (cut at its edges), the take's notes and pedal inside."""
    start, end = take.start_beat, take.end_beat
    kept = [n for n in piece.notes if not start - EPS <= n.start < end - EPS]
    pedals = []
    for p in piece.pedals:
        if p.start < start - EPS:
            pedals.append(PedalSpan(p.start, min(p.end, start)))
        if p.end > end + EPS:
            pedals.append(PedalSpan(max(p.start, end), p.end))
    return replace(piece, notes=tuple(sorted(kept + list(take.notes))),
                   pedals=tuple(sorted(pedals + list(take.pedals))))


def with_take(piece: Piece, take) -> Piece:
    """``piece`` with ``take`` in it: a regenerated region replaces its span
    (:func:`merge_infill`), a harmonization is added under its melody
    (:func:`composer.harmony_takes.merge_harmony`), a continuation is appended
    (:func:`composer.generate.merge`)."""
    if isinstance(take, InfillTake):
        return merge_infill(piece, take)
    from composer.harmony_takes import HarmonyTake, merge_harmony

    if isinstance(take, HarmonyTake):
        return merge_harmony(piece, take)
    from composer.generate import merge

    return merge(piece, take)


# ----- scoring the following bars -------------------------------------------------------------
def _log_softmax(logits: np.ndarray) -> np.ndarray:
    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def context_start(piece: Piece, region: Region) -> float:
    """The bar line :data:`CONTEXT_BEATS` before the region (or 0): where priming starts."""
    start = meter.bar_start(piece.time_signatures, max(region.start - CONTEXT_BEATS, 0.0))
    spb = 12
    return max(0.0, round(start * spb) / spb)


def follow_end(piece: Piece, region: Region, bars: int = FOLLOW_BARS) -> float:
    """Where the bars that rank the candidates end (at most the piece's end)."""
    lines = [b for b in bar_lines(piece, piece.end_beat + 64.0) if b > region.end + EPS]
    stop = lines[bars - 1] if len(lines) >= bars else piece.end_beat
    return max(region.end, min(stop, piece.end_beat))


def follow_log_probs(bundle: ModelBundle, piece: Piece, region: Region,
                     candidates: Sequence[tuple[Sequence[Note], Sequence[PedalSpan]]], *,
                     style: str | None = None, composer: str | None = None,
                     follow_bars: int = FOLLOW_BARS,
                     cancelled: Callable[[], bool] | None = None) -> np.ndarray:
    """For each candidate (notes, pedals inside the region): the log-likelihood (nats) the
    model gives to the piece's real events from the region's end over ``follow_bars`` bars,
    after the music before the region and the candidate. One batched pass: the events all
    candidates share (the music before) are run once, the rest as one stream per candidate.
    """
    vocab = bundle.vocab
    spb = vocab.settings.steps_per_beat
    tokenizer = Tokenizer(vocab.settings)
    engine = engine_for(bundle)
    stop = follow_end(piece, region, follow_bars)
    if stop <= region.end + EPS or not candidates:
        return np.zeros(len(candidates))
    window = context_start(piece, region)
    window = round(window * spb) / spb
    before = [replace(n, end=min(n.end, region.start)) for n in piece.notes
              if window - EPS <= n.start < region.start - EPS]
    after = [replace(n, end=min(n.end, stop)) for n in piece.notes
             if region.end - EPS <= n.start < stop - EPS]
    pedals_before = [PedalSpan(max(p.start, window), min(p.end, region.start))
                     for p in piece.pedals if p.start < region.start and p.end > window]
    pedals_after = [PedalSpan(max(p.start, region.end), min(p.end, stop))
                    for p in piece.pedals if p.end > region.end and p.start < stop]
    end_step = round((region.end - window) * spb)
    streams, firsts = [], []
    for notes, pedals in candidates:
        ids = np.asarray(tokenizer.encode(
            [n.shifted(-window) for n in (*before, *notes, *after)],
            [p.shifted(-window) for p in (*pedals_before, *pedals, *pedals_after)],
            bos=window == 0, eos=False), dtype=np.intp)
        steps_before = np.concatenate([[0], step_after_each(ids, vocab)[:-1]])
        scored = np.nonzero(steps_before >= end_step)[0]
        streams.append(ids)
        firsts.append(int(scored[0]) if scored.size else len(ids))
    # The events every stream shares (at least one, never one that is scored).
    shared = min(min(firsts), min(len(s) for s in streams))
    reference = streams[0]
    for ids in streams[1:]:
        differ = np.nonzero(ids[:shared] != reference[:shared])[0]
        if differ.size:
            shared = int(differ[0])
    shared = max(shared, 1)
    cut = max(0, shared - SCORE_CONTEXT_TOKENS)
    conditioning = bundle.conditioning
    features = []
    for ids in streams:
        if conditioning is not None and engine.inputs:
            positions, meters = token_features(ids, vocab, piece.time_signatures,
                                               start_step=round(window * spb),
                                               positions=conditioning.positions)
            features.append((positions.astype(np.intp), meters.astype(np.intp)))
        else:
            features.append(None)
    context = None
    if conditioning is not None and "styles" in engine.inputs:
        context = engine.context(1, styles=conditioning.style_id(style),
                                 composers=conditioning.composer_id(composer))
    inputs = None if features[0] is None else {
        "positions": features[0][0][cut:shared], "meters": features[0][1][cut:shared]}
    logits, state = engine.run(reference[cut:shared], inputs=inputs, context=context)
    count = len(streams)
    total = np.zeros(count)
    current = np.repeat(_log_softmax(np.atleast_2d(logits)[-1])[None, :], count, axis=0)
    state = LSTMEngine.broadcast(state, count)
    batch_context = None if context is None else np.repeat(context, count, axis=0)
    longest = max(len(s) for s in streams)
    for t in range(shared, longest):
        if cancelled is not None and cancelled():
            raise GenerationCancelled("infill cancelled")
        feed = np.zeros(count, dtype=np.intp)
        positions = np.zeros(count, dtype=np.intp)
        meters = np.zeros(count, dtype=np.intp)
        for k, ids in enumerate(streams):
            if t < len(ids):
                if t >= firsts[k]:
                    total[k] += current[k, ids[t]]
                feed[k] = ids[t]
                if features[k] is not None:
                    positions[k], meters[k] = features[k][0][t], features[k][1][t]
        if t == longest - 1:
            break
        step_inputs = None if features[0] is None else {"positions": positions,
                                                         "meters": meters}
        logits, state = engine.step(feed, state, step_inputs, batch_context)
        current = _log_softmax(logits)
    return total


# ----- the method ---------------------------------------------------------------------------
def pool_size(takes: int) -> int:
    return min(MAX_TAKES, max(MIN_POOL, POOL_PER_TAKE * int(takes), int(takes)))


def infill(
    bundle: ModelBundle,
    piece: Piece,
    region: Region,
    settings: GenerationSettings,
    *,
    pool: int | None = None,
    rank: bool = True,
    follow_bars: int = FOLLOW_BARS,
    name: str = "the piece",
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[InfillTake]:
    """``settings.takes`` regenerations of ``region``, best first (see the module docstring).

    ``settings`` gives the sampling (temperature, top-k/p, random seed, key lock...); its
    length and start are the region's. ``rank=False`` is plain forward sampling (the first
    ``takes`` candidates, unranked): the baseline the benchmark compares with.
    """
    if not piece.notes:
        raise MidiFileError(f"{name}: has no notes, nothing to regenerate")
    if not region.end > region.start:
        raise SettingsError(f"{name}: {region.label} is empty")
    check_region(piece, region, name)
    settings = with_random_seed(settings)
    takes = int(settings.takes)
    settings.validate()
    size = takes if not rank else max(takes, pool if pool is not None else pool_size(takes))
    if not 1 <= size <= MAX_TAKES:
        raise SettingsError(f"the pool must hold 1 to {MAX_TAKES} candidates (got {size})")
    bar = meter.signature_at(piece.time_signatures, region.start).beats_per_bar
    sampling = replace(settings, takes=size, start_beat=region.start, bars=region.beats / bar,
                       seconds=None, first_take=0)

    def sampled(fraction: float) -> None:
        if progress is not None:
            progress(0.7 * fraction if rank else fraction)

    if not any(n.start < region.start - EPS for n in piece.notes):  # the first bars
        opening = cut_seed(piece, max(region.end, region.start + CONTEXT_BEATS))
        sampling = replace(sampling, style=heard_style(bundle, opening, sampling))
    window = context_start(piece, region)
    context = replace(piece, notes=tuple(n for n in piece.notes if n.start >= window - EPS),
                      pedals=tuple(PedalSpan(max(p.start, window), p.end) for p in piece.pedals
                                   if p.end > window + EPS))
    if not any(n.start < region.start - EPS for n in context.notes):
        context = piece  # a long silence before the region: prime on what came before it
    drawn = generate(bundle, context, sampling, progress=sampled, cancelled=cancelled)
    fitted = [_fit(t.notes, piece, region) for t in drawn]
    style = drawn[0].style if drawn else None
    around = _neighbours(piece, region)
    measured = [_violation(notes, region, around) for notes in fitted]
    scores = np.zeros(len(drawn))
    if rank:
        # Only candidates within the guards can make the results when there are enough of
        # them; the others (often the densest, the longest to score) are not scored.
        within = [k for k in range(len(drawn)) if measured[k][0] == 0]
        scored = within if len(within) >= takes else list(range(len(drawn)))
        scores[:] = -np.inf
        scores[scored] = follow_log_probs(
            bundle, piece, region, [(fitted[k], drawn[k].pedals) for k in scored],
            style=style, composer=settings.composer, follow_bars=follow_bars,
            cancelled=cancelled)
    order = list(range(len(drawn)))
    if rank:
        order.sort(key=lambda k: (measured[k][0] > 0, measured[k][0], -scores[k]))
    results = []
    for position, k in enumerate(order[:takes]):
        take = drawn[k]
        violation, ratio, share = measured[k]
        results.append(InfillTake(
            index=position, notes=fitted[k], pedals=take.pedals, start_beat=take.start_beat,
            end_beat=take.end_beat, ids=take.ids, style=take.style,
            random_seed=take_seed(settings.random_seed, k), follow_log_prob=float(scores[k]),
            density_ratio=ratio, key_share=share, in_bounds=violation == 0, candidate=k,
            pool=size))
    if progress is not None:
        progress(1.0)
    return results


def provenance(bundle: ModelBundle, name: str, region: Region, settings: GenerationSettings,
               take: InfillTake, version: str) -> list[str]:
    """Text events that say how a regenerated region was made, so it can be made again."""
    options = (f"temperature={settings.temperature:g} top_k={settings.top_k} "
               f"top_p={settings.top_p:g} random_seed={settings.random_seed} "
               f"pool={take.pool} candidate={take.candidate + 1}")
    if settings.key_lock:
        options += " key_lock"
    if take.style is not None:
        options += f" style={take.style}"
    return [
        f"composer {version}: {region.label} regenerated by model '{bundle.name}'",
        f"source: {name}; beats {take.start_beat:g}-{take.end_beat:g}",
        f"settings: {options}",
    ]
