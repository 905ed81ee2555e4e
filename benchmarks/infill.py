"""How well does a regenerated region fit between its neighbours? Held-out pieces.

    .venv/bin/python benchmarks/infill.py [--model DIR] [--corpus DIR] [--piano N]
        [--chorale N] [--polyphony N] [--seeds 2] [--methods forward,rank4,rank8,...]
        [--first-bars]

Pieces: the piano-midi.de files of the test split (read as MIDI, with their time signatures)
and chorales and polyphonic pieces of the prepared corpus's test split (decoded from their
events; the metre from their position inputs). Split by work, so the model never trained on
them. In each piece two bars in the middle (from bar 9, or the middle of a shorter piece) are
regenerated, with two real bars after them, by every method, ``--seeds`` times
(``--first-bars``: bars 1-2 instead, which have nothing before them: written from the start
of a piece and ranked by what follows, see composer/infill.py):

- ``real``: the piece's own bars (the reference);
- ``forward``: plain forward sampling, one candidate (what ``generate`` from the region's
  start would write);
- ``rankK``: K candidates ranked by the likelihood of the two real bars that follow, density
  and key guards first (composer/infill.py);
- ``rank8-f1``: the same ranking with one following bar (the default of ``composer infill``:
  as good as two, and faster).

Columns: **NLL region**: nats per event of the region's events under the forward model
given what precedes (the real bars: how likely real music is; a sample: how typical it is);
**NLL after**: nats per note of the real two bars that follow, given the region (the join
into what follows: lower is better); **edge in / out**: mean interval (semitones) between the
top notes of the last onset before and the first onset inside the region, and of the last
onset inside and the first after it (the real bars' values are the reference);
**density**: notes per beat over the neighbours' (median) and the share within 0.5-2x;
**key**: share of notes in the piece's key; **time**: CPU seconds per infill of one take
(median and max) with ``OPENBLAS_NUM_THREADS=1``: the wall time on an idle core (the wall
time on a machine busy with other work is longer, so CPU time is what is compared).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# One BLAS thread for the NumPy engine, as the CLI does (set before NumPy is imported).
from composer.blas import limit_threads  # noqa: E402

limit_threads(1)

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402

import numpy as np  # noqa: E402

from composer import meter  # noqa: E402
from composer.bundle import load_bundle  # noqa: E402
from composer.conditioning import step_after_each, token_features  # noqa: E402
from composer.corpus import load_corpus, piano_sources, split_of_source  # noqa: E402
from composer.generate import GenerationSettings, engine_for  # noqa: E402
from composer.infill import (  # noqa: E402
    DENSITY_RANGE,
    Region,
    _neighbours,
    bar_count,
    bars_region,
    follow_end,
    infill,
)
from composer.midi_io import read_midi  # noqa: E402
from composer.notes import Piece, TimeSignature  # noqa: E402
from composer.tokenizer import Tokenizer  # noqa: E402

METHODS = {"forward": {"rank": False}, "rank4": {"pool": 4, "follow_bars": 2},
           "rank8": {"pool": 8, "follow_bars": 2}, "rank16": {"pool": 16, "follow_bars": 2},
           "rank8-f1": {"pool": 8, "follow_bars": 1}}


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    piece: Piece
    region: Region


def _region(piece: Piece, first_bars: bool = False) -> Region | None:
    count = bar_count(piece)
    first = 1 if first_bars else min(9, max(2, count // 2 - 1))
    if count < first + 3:
        return None
    region = bars_region(piece, first, first + 1)
    inside = [n for n in piece.notes if region.start <= n.start < region.end]
    if len(inside) < 4 or not (first_bars or any(n.start < region.start for n in piece.notes)):
        return None
    return region


def piano_cases(limit: int, first_bars: bool = False) -> list[Case]:
    result = []
    for source in piano_sources():
        if split_of_source(source) != "test" or len(result) >= limit:
            continue
        piece = read_midi(source.path)
        region = _region(piece, first_bars)
        if region is not None:
            result.append(Case(Path(source.path).stem, "piano", piece, region))
    return result


def _signature(corpus, index: int) -> TimeSignature | None:
    """The metre of a prepared piece, from its position and metre inputs."""
    vocab = corpus.vocab
    tokens, positions, meters = (corpus.tokens[index], corpus.positions[index],
                                 corpus.meters[index])
    names = meter.METERS
    steps = step_after_each(np.asarray(tokens, np.int64), vocab)
    spb = vocab.settings.steps_per_beat
    for t in range(len(tokens)):
        m = int(meters[t]) - 1
        if 0 <= m < len(names) and positions[t] >= 1:
            numerator, denominator = (int(x) for x in names[m].split("/"))
            bar = numerator * 4 / denominator
            start = (int(steps[t]) - (int(positions[t]) - 1)) / spb
            return TimeSignature(start % bar, numerator, denominator)
    return None


def corpus_cases(folder: str, style: str, limit: int, first_bars: bool = False
                 ) -> list[Case]:
    corpus = load_corpus(folder)
    tokenizer = Tokenizer(corpus.vocab.settings)
    result = []
    for index, (split, kind) in enumerate(zip(corpus.splits, corpus.styles)):
        if split != "test" or kind != style or len(result) >= limit:
            continue
        signature = _signature(corpus, index)
        if signature is None:
            continue
        decoded = tokenizer.decode(corpus.tokens[index])
        signatures = (TimeSignature(0.0, signature.numerator, signature.denominator),)
        if signature.beat > 0:
            signatures += (signature,)
        piece = Piece(notes=decoded.notes, pedals=decoded.pedals, time_signatures=signatures)
        region = _region(piece, first_bars)
        if region is not None:
            result.append(Case(corpus.piece_ids[index], style, piece, region))
    return result


# ----- measures --------------------------------------------------------------------------------
def scores(bundle, case: Case, notes, pedals) -> tuple[float, float]:
    """(nats per event of the region's events, nats per note of the two real bars after),
    under the forward model given what precedes, with the style the infill used (piano)."""
    piece, region = case.piece, case.region
    vocab = bundle.vocab
    spb = vocab.settings.steps_per_beat
    stop = follow_end(piece, region, 2)
    window = meter.bar_start(piece.time_signatures, max(region.start - 64.0, 0.0))
    window = max(0.0, round(window * spb) / spb)
    before = [replace(n, end=min(n.end, region.start)) for n in piece.notes
              if window <= n.start < region.start]
    after = [replace(n, end=min(n.end, stop)) for n in piece.notes
             if region.end <= n.start < stop]
    all_notes = [n.shifted(-window) for n in (*before, *notes, *after)]
    ids = np.asarray(Tokenizer(vocab.settings).encode(all_notes, [p.shifted(-window)
                                                                  for p in pedals],
                                                      bos=window == 0, eos=False))
    engine = engine_for(bundle)
    conditioning = bundle.conditioning
    inputs = context = None
    if conditioning is not None and engine.inputs:
        positions, meters = token_features(ids, vocab, piece.time_signatures,
                                           start_step=round(window * spb),
                                           positions=conditioning.positions)
        inputs = {"positions": positions.astype(np.intp), "meters": meters.astype(np.intp)}
        context = engine.context(1, styles=conditioning.style_id("piano" if case.kind ==
                                                                 "piano" else case.kind))
    logits, _ = engine.run(ids, inputs=inputs, context=context)
    logits = np.asarray(logits, np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    picked = np.concatenate([[0.0], logp[np.arange(len(ids) - 1), ids[1:]]])
    steps_before = np.concatenate([[0], step_after_each(ids, vocab)[:-1]])
    start_step, end_step = round((region.start - window) * spb), round((region.end - window)
                                                                       * spb)
    in_region = (steps_before >= start_step) & (steps_before < end_step)
    in_region[0] = False
    following = steps_before >= end_step
    region_nll = -float(picked[in_region].mean()) if in_region.any() else float("nan")
    return region_nll, -float(picked[following].sum()) / max(len(after), 1)


def _top(notes, when: str) -> int | None:
    if not notes:
        return None
    onset = (max if when == "last" else min)(n.start for n in notes)
    return max(n.pitch for n in notes if abs(n.start - onset) < 1e-6)


def edges(case: Case, notes) -> tuple[float | None, float | None]:
    piece, region = case.piece, case.region
    before = [n for n in piece.notes if n.start < region.start]
    after = [n for n in piece.notes if n.start >= region.end]
    last_before, first_in = _top(before, "last"), _top(notes, "first")
    last_in, first_after = _top(notes, "last"), _top(after, "first")
    into = None if None in (last_before, first_in) else abs(first_in - last_before)
    out = None if None in (last_in, first_after) else abs(first_after - last_in)
    return into, out


def measure(bundle, case: Case, notes, pedals, seconds: float | None) -> dict:
    around = _neighbours(case.piece, case.region)
    density = (len(notes) / case.region.beats / around.notes_per_beat
               if around.notes_per_beat else float("nan"))
    region_nll, after_nll = scores(bundle, case, notes, pedals)
    into, out = edges(case, notes)
    key = (sum(around.key.contains(n.pitch) for n in notes) / len(notes)) if notes else 0.0
    return {"region": region_nll, "after": after_nll, "in": into, "out": out,
            "density": density, "key": key, "time": seconds}


# ----- the table ---------------------------------------------------------------------------------
def _mean(values) -> float:
    values = [v for v in values if v is not None and not np.isnan(v)]
    return statistics.fmean(values) if values else float("nan")


def print_table(rows: dict[str, list[dict]], cases: list[Case], where: str = "") -> None:
    kinds = ", ".join(f"{k}: {sum(c.kind == k for c in cases)}"
                      for k in ("piano", "chorale", "polyphony"))
    print(f"{len(cases)} pieces ({kinds}), 2 bars{where} regenerated in each\n")
    print("| method | NLL region (nats/event) | NLL after (nats/note) | edge in | edge out "
          "| density (median) | in 0.5-2x | key | time s (median / max) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    low, high = DENSITY_RANGE
    for name, results in rows.items():
        densities = [r["density"] for r in results if not np.isnan(r["density"])]
        inside = sum(low <= d <= high for d in densities) / max(len(densities), 1)
        times = [r["time"] for r in results if r["time"] is not None]
        timing = (f"{statistics.median(times):.2f} / {max(times):.2f}" if times else "-")
        print(f"| {name} | {_mean(r['region'] for r in results):.3f} | "
              f"{_mean(r['after'] for r in results):.3f} | "
              f"{_mean(r['in'] for r in results):.1f} | {_mean(r['out'] for r in results):.1f} | "
              f"{statistics.median(densities) if densities else float('nan'):.2f} | "
              f"{inside:.0%} | {_mean(r['key'] for r in results):.2f} | {timing} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(REPO / "models" / "default"))
    parser.add_argument("--corpus", default=str(REPO / "data" / "corpus"))
    parser.add_argument("--piano", type=int, default=12)
    parser.add_argument("--chorale", type=int, default=6)
    parser.add_argument("--polyphony", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--first-bars", action="store_true",
                        help="regenerate bars 1-2 (nothing before them) instead of the middle")
    args = parser.parse_args(argv)
    bundle = load_bundle(args.model)
    engine_for(bundle)
    first = args.first_bars
    cases = piano_cases(args.piano, first)
    if Path(args.corpus, "tokens.npz").is_file():
        cases += corpus_cases(args.corpus, "chorale", args.chorale, first)
        cases += corpus_cases(args.corpus, "polyphony", args.polyphony, first)
    methods = [m for m in args.methods.split(",") if m]
    rows: dict[str, list[dict]] = {"real": []}
    rows.update({m: [] for m in methods})
    for number, case in enumerate(cases, 1):
        region = case.region
        real = [n for n in case.piece.notes if region.start <= n.start < region.end]
        rows["real"].append(measure(bundle, case, real, [], None))
        for method in methods:
            options = METHODS[method]
            for seed in range(args.seeds):
                settings = GenerationSettings(takes=1, random_seed=1000 * seed + number)
                began = time.process_time()
                take = infill(bundle, case.piece, region, settings, **options)[0]
                seconds = time.process_time() - began
                rows[method].append(measure(bundle, case, take.notes, take.pedals, seconds))
        print(f"[{number}/{len(cases)}] {case.kind} {case.name}: {region.label}",
              file=sys.stderr, flush=True)
    print(f"model {bundle.name}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores\n")
    print_table(rows, cases, " (bars 1-2)" if first else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
