"""Does a continuation sound like the piano piece it continues? Held-out piano works.

    .venv/bin/python benchmarks/continuation.py [--model DIR] [--split test] [--takes 4]
        [--seed-bars 4] [--bars 8] [--variants default,no-grid,...] [--render DIR]

The pieces are the piano-midi.de files of the corpus's ``--split`` (default: test; split by
work, so no movement of these works was trained on). Each gives a seed, its first
``--seed-bars`` bars, and its *real continuation*, the next ``--bars`` bars. Every row of the
table continues (or stands for a continuation of) every seed, ``--takes`` times for sampled
rows, and each continuation is measured (composer/measures.py):

- **density**: notes per beat over the seed's (median over continuations, and the share
  between 0.75x and 1.4x);
- **rhythm**: distance of the continuation's inter-onset-interval histogram to the seed's
  (0 = the same mix of note values, 1 = none in common);
- **poly**: notes sounding at once; **key**: share of notes in the seed's key;
- **beat 1**: onsets on beat one over onsets on the other beats (1 = the bar line carries no
  weight);
- **vel**: distinct velocities; **pedal**: share of continuations with pedal, among those
  whose seed pedals;
- **closer**: on how many of the 8 statistics (density, rhythm, poly, key, beat 1, vel, pedal
  share, mean pitch) the row is closer to the real continuation than the looped seed is, on
  average over the pieces (mean absolute difference per piece).

Rows: the real continuation; the seed looped; a passage of another held-out piece transposed
to the seed's key; a sample of the best n-gram (KN-6, trained on the corpus's train split,
sampled with the same masks as the model); then the model in each ``--variant``:

- ``default``: the default settings (temperature 1.0, top-p 0.95, style chosen from the seed,
  seed memory at its default);
- ``no-grid``: without the position in the bar (as a model without it would play);
- ``no-style``: style "unknown";
- ``t0.8`` / ``t1.2``: temperature;
- ``no-guard``: repetition guard off;
- ``no-memory`` / ``memory-0.5`` / ``memory-0.7``: the seed memory off or stronger.

Below the table: the NLL of the real continuation given the seed (nats per note), model and
KN-6. Needs a prepared corpus (``composer prepare``) for the n-gram; ``--render DIR`` writes
seed + first take of the first pieces as MIDI (and WAV with ``--wav``) to listen to.
"""

from __future__ import annotations

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
from composer.conditioning import STYLE_PRIOR, token_features  # noqa: E402
from composer.corpus import load_corpus, piano_sources, split_of_source  # noqa: E402
from composer.evaluate import count_notes  # noqa: E402
from composer.generate import (  # noqa: E402
    GenerationSettings,
    _plan,
    cut_seed,
    engine_for,
    generate,
    merge,
)
from composer.keys import estimate_key  # noqa: E402
from composer.measures import PassageMeasures, measure, rhythm_distance  # noqa: E402
from composer.midi_io import read_midi, write_midi  # noqa: E402
from composer.ngram import KneserNeyModel  # noqa: E402
from composer.notes import Note, PedalSpan, Piece  # noqa: E402
from composer.sampling import sample_ids  # noqa: E402
from composer.seed_memory import memory_log_probs  # noqa: E402
from composer.tokenizer import Tokenizer  # noqa: E402

VARIANTS = {
    "default": {},
    "no-grid": {"bar_grid": False},
    "no-style": {"style": "unknown"},
    "t0.8": {"temperature": 0.8},
    "t1.2": {"temperature": 1.2},
    "no-guard": {"repetition_guard": False},
    "no-memory": {"seed_memory": 0.0},
    "memory-0.5": {"seed_memory": 0.5},
    "memory-0.7": {"seed_memory": 0.7},
}
STATS = ("density", "rhythm", "poly", "key", "beat1", "vel", "pedal", "pitch")


@dataclass(frozen=True)
class Case:
    name: str
    piece: Piece
    seed: Piece  # the first bars
    start: float  # beat where the continuation starts
    end: float  # beat where the real continuation ends
    real_notes: tuple[Note, ...]
    real_pedals: tuple[PedalSpan, ...]


def cases(split: str, seed_bars: int, bars: int) -> list[Case]:
    result = []
    for source in piano_sources():
        if split_of_source(source) != split:
            continue
        piece = read_midi(source.path)
        lines = meter.bar_lines(piece.time_signatures, 0.0, piece.end_beat + 1)
        if len(lines) < seed_bars + bars + 1:
            continue
        start, end = lines[seed_bars], lines[seed_bars + bars]
        seed = cut_seed(piece, start)
        seed = replace(seed, time_signatures=tuple(s for s in piece.time_signatures
                                                   if s.beat < start) or
                       piece.time_signatures[:1])
        real = tuple(n for n in piece.notes if start <= n.start < end)
        if len(seed.notes) < 4 or len(real) < 4:
            continue
        pedals = tuple(PedalSpan(max(p.start, start), min(p.end, end)) for p in piece.pedals
                       if p.end > start and p.start < end)
        result.append(Case(Path(source.path).stem, piece, seed, start, end, real, pedals))
    return result


# ----- the stand-ins -------------------------------------------------------------------------
def looped(case: Case) -> tuple[list[Note], list[PedalSpan]]:
    length = case.start
    notes, pedals = [], []
    copy = 0
    while case.start + copy * length < case.end:
        offset = case.start + copy * length
        notes += [n.shifted(offset) for n in case.seed.notes if n.start + offset < case.end]
        pedals += [p.shifted(offset) for p in case.seed.pedals if p.start + offset < case.end]
        copy += 1
    return notes, pedals


def other_passage(case: Case, others: list[Case], rng: np.random.Generator
                  ) -> tuple[list[Note], list[PedalSpan]]:
    choices = [o for o in others if o.name != case.name]
    other = choices[int(rng.integers(len(choices)))]
    length = case.end - case.start
    lines = meter.bar_lines(other.piece.time_signatures, 0.0, other.piece.end_beat)
    usable = [b for b in lines if b + length <= other.piece.end_beat]
    begin = usable[int(rng.integers(len(usable)))] if usable else 0.0
    passage = [n for n in other.piece.notes if begin <= n.start < begin + length]
    shift = (estimate_key(case.seed.notes).tonic - estimate_key(passage or case.seed.notes).tonic
             + 6) % 12 - 6
    notes = [replace(n.shifted(case.start - begin), pitch=min(108, max(21, n.pitch + shift)))
             for n in passage]
    pedals = [p.shifted(case.start - begin) for p in other.piece.pedals
              if begin <= p.start < begin + length]
    return notes, pedals


def ngram_take(model: KneserNeyModel, bundle, case: Case, rng: np.random.Generator
               ) -> tuple[list[Note], list[PedalSpan]]:
    """A KN sample under the same masks and length as the model's takes."""
    settings = GenerationSettings(bars=(case.end - case.start) / meter.signature_at(
        case.seed.time_signatures, case.start - 1e-9).beats_per_bar, start_beat=case.start)
    plan = _plan(bundle, case.seed, settings)
    tracker = plan.tracker(bundle)
    context = list(plan.prime_ids)
    while tracker.step < plan.target_steps:
        probs = model.distribution(context)
        logits = np.log(np.maximum(probs, 1e-30))[None, :]
        token = int(sample_ids(logits, rng, top_p=0.95, bias=tracker.offsets()[None, :])[0])
        tracker.feed(token)
        context.append(token)
    state = tracker.state
    state.step = min(state.step, plan.target_steps)
    decoded = state.finish()
    return ([n.shifted(plan.start_beat) for n in decoded.notes],
            [p.shifted(plan.start_beat) for p in decoded.pedals])


# ----- measuring -------------------------------------------------------------------------------
def stats_of(case: Case, notes, pedals, seed_measures: PassageMeasures, key) -> dict:
    m = measure(notes, pedals, case.seed.time_signatures, case.start, case.end, key)
    return {
        "density": m.notes_per_beat / max(seed_measures.notes_per_beat, 1e-9),
        "rhythm": rhythm_distance(m.ioi_histogram, seed_measures.ioi_histogram),
        "poly": m.polyphony, "key": m.key_share, "beat1": m.beat_one_emphasis,
        "vel": m.distinct_velocities, "pedal": m.pedal_share, "pitch": m.mean_pitch,
        "empty": m.notes == 0, "seed_pedals": bool(case.seed.pedals),
        "ioi": m.ioi_histogram,
    }


def continuation_nll(bundle, kn: KneserNeyModel, case: Case, strengths: list[float]
                     ) -> tuple[list[float], float, int]:
    """NLL (nats) of the real continuation given the seed: the model with a seed memory of
    each strength (0 = the model alone; composer/seed_memory.py), KN-6, and its notes."""
    tokenizer = Tokenizer(bundle.vocab.settings)
    notes = [replace(n, end=min(n.end, case.end)) for n in case.piece.notes if n.start < case.end]
    pedals = [PedalSpan(p.start, min(p.end, case.end)) for p in case.piece.pedals
              if p.start < case.end]
    ids = np.asarray(tokenizer.encode(notes, pedals, eos=False))
    positions, meters = token_features(ids, bundle.vocab, case.piece.time_signatures)
    spb = bundle.vocab.settings.steps_per_beat
    steps_before = np.concatenate([[0], np.cumsum(np.where(
        (ids >= bundle.vocab.shift_base) & (ids < bundle.vocab.velocity_base),
        ids - bundle.vocab.shift_base + 1, 0))[:-1]])
    cut = int(np.argmax(steps_before >= round(case.start * spb)))
    rows = model_rows(bundle, ids, positions, meters, cut)
    kn_lp = kn.log_probs(ids)
    count = count_notes(ids[cut:], bundle.vocab)
    model = [-float(memory_log_probs(rows, ids, cut, strength, len(bundle.vocab)).sum())
             for strength in strengths]
    return model, -float(kn_lp[cut - 1:].sum()), count


def model_rows(bundle, ids: np.ndarray, positions, meters, cut: int) -> np.ndarray:
    """log p rows ``(len(ids), V)`` (row t predicts ids[t]; row 0 unused), under the style the
    generator would choose from the seed (ids[:cut]), as when it samples."""
    engine = engine_for(bundle)
    conditioning = bundle.conditioning
    context = None
    inputs = None
    if conditioning is not None and engine.inputs:
        inputs = {"positions": positions.astype(np.intp), "meters": meters.astype(np.intp)}
        if "styles" in engine.inputs:
            styles = list(conditioning.styles[1:])
            ctx = engine.context(len(styles), styles=[conditioning.style_id(x) for x in styles])
            logits, _ = engine.run(ids[:cut], inputs={k: v[:cut] for k, v in inputs.items()},
                                   context=ctx)
            scores = []
            for index, style in enumerate(styles):
                row = logits[:-1, index].astype(np.float64)
                row = row - row.max(axis=1, keepdims=True)
                lp = row - np.log(np.exp(row).sum(axis=1, keepdims=True))
                scores.append(lp[np.arange(cut - 1), ids[1:cut]].sum()
                              + np.log(STYLE_PRIOR.get(style, 0.05)))
            context = ctx[int(np.argmax(scores))][None, :]
    logits, _ = engine.run(ids, inputs=inputs, context=context)
    logits = np.asarray(logits, np.float64).reshape(len(ids), -1)
    logits -= logits.max(axis=1, keepdims=True)
    lp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return np.concatenate([np.zeros((1, lp.shape[1])), lp[:-1]])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(REPO / "models" / "default"))
    parser.add_argument("--corpus", default=str(REPO / "data" / "corpus"))
    parser.add_argument("--split", default="test")
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--seed-bars", type=int, default=4)
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--variants", default="default,no-grid,no-style")
    parser.add_argument("--random-seed", type=int, default=1)
    parser.add_argument("--memory-strengths", default="0,0.1,0.2,0.3,0.5",
                        help="seed-memory strengths to score the real continuation with")
    parser.add_argument("--nll-only", action="store_true",
                        help="only the NLL of the real continuations (no takes)")
    parser.add_argument("--render", metavar="DIR")
    parser.add_argument("--render-pieces", type=int, default=4)
    parser.add_argument("--wav", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    bundle = load_bundle(args.model)
    corpus = load_corpus(args.corpus)
    kn = KneserNeyModel.fit(corpus.select("train").tokens, 6, len(bundle.vocab))
    all_cases = cases(args.split, args.seed_bars, args.bars)
    rng = np.random.default_rng(args.random_seed)
    rows: dict[str, list[list[dict]]] = {}  # row -> per case -> takes' stats
    strengths = [float(x) for x in args.memory_strengths.split(",")]
    nll_model = [0.0] * len(strengths)
    nll_kn = 0.0
    nll_notes = 0
    for index, case in enumerate(all_cases):
        key = estimate_key(case.seed.notes)
        seed_m = measure(case.seed.notes, case.seed.pedals, case.seed.time_signatures, 0.0,
                         case.start, key)

        def add(row, notes, pedals, case=case, seed_m=seed_m, key=key, index=index):
            rows.setdefault(row, [[] for _ in all_cases])[index].append(
                stats_of(case, notes, pedals, seed_m, key))

        if args.nll_only:
            m, k, n = continuation_nll(bundle, kn, case, strengths)
            nll_model = [a + b for a, b in zip(nll_model, m)]
            nll_kn, nll_notes = nll_kn + k, nll_notes + n
            continue
        add("real continuation", case.real_notes, case.real_pedals)
        add("seed looped", *looped(case))
        for _ in range(args.takes):
            add("another piece, in key", *other_passage(case, all_cases, rng))
            add("KN-6 sample", *ngram_take(kn, bundle, case, rng))
        bars = args.bars
        for variant in args.variants.split(","):
            settings = GenerationSettings(bars=bars, takes=args.takes, start_beat=case.start,
                                          random_seed=args.random_seed + index,
                                          **VARIANTS[variant])
            takes = generate(bundle, case.seed, settings)
            for take in takes:
                add(f"model: {variant}", take.notes, take.pedals)
            if args.render and variant == "default" and index < args.render_pieces:
                render(Path(args.render), case, takes[0], args.wav)
        m, k, n = continuation_nll(bundle, kn, case, strengths)
        nll_model = [a + b for a, b in zip(nll_model, m)]
        nll_kn, nll_notes = nll_kn + k, nll_notes + n
    if not args.nll_only:
        print_table(rows, all_cases, args)
    figures = ", ".join(f"memory {s:g}: {v / nll_notes:.3f}" for s, v in zip(strengths, nll_model))
    print(f"\nNLL of the real continuation given the seed, nats per note ({nll_notes} notes in "
          f"{len(all_cases)} continuations): model with {figures}; KN-6 {nll_kn / nll_notes:.3f}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


def print_table(rows: dict, all_cases: list[Case], args) -> None:
    print(f"{len(all_cases)} held-out piano pieces ({args.split} split), seed = first "
          f"{args.seed_bars} bars, continuation = next {args.bars} bars, "
          f"{args.takes} takes per sampled row\n")
    header = ("| | density vs seed (median) | in 0.75-1.4x | rhythm dist. to seed | poly | "
              "in key | beat-1 emphasis | distinct velocities | pedal (seed pedals) | empty | "
              "closer to real than loop |")
    print(header)
    print("|---" * 11 + "|")
    real = rows["real continuation"]
    loop = rows["seed looped"]

    def piece_mean(per_case, stat):
        values = []
        for takes in per_case:
            got = [t[stat] for t in takes if not np.isnan(t[stat])]
            values.append(float(np.mean(got)) if got else float("nan"))
        return values

    def distance(per_case, stat):
        ours, truth = piece_mean(per_case, stat), piece_mean(real, stat)
        pairs = [abs(a - b) for a, b in zip(ours, truth) if not (np.isnan(a) or np.isnan(b))]
        return float(np.mean(pairs)) if pairs else float("nan")

    for name, per_case in rows.items():
        flat = [t for takes in per_case for t in takes]
        density = [t["density"] for t in flat]
        within = np.mean([0.75 <= d <= 1.4 for d in density])
        beat1 = [t["beat1"] for t in flat if not np.isnan(t["beat1"])]
        pedal_cases = [t for t in flat if t["seed_pedals"]]
        pedal = np.mean([t["pedal"] > 0 for t in pedal_cases]) if pedal_cases else float("nan")
        if name in ("real continuation", "seed looped"):
            closer = "—"
        else:
            wins = sum(distance(per_case, s) < distance(loop, s) for s in STATS)
            closer = f"{wins}/{len(STATS)}"
        print(f"| {name} | {statistics.median(density):.2f} | {within:.0%} | "
              f"{statistics.median(t['rhythm'] for t in flat):.2f} | "
              f"{statistics.median(t['poly'] for t in flat):.2f} | "
              f"{np.mean([t['key'] for t in flat]):.0%} | "
              f"{statistics.median(beat1) if beat1 else float('nan'):.2f} | "
              f"{statistics.median(t['vel'] for t in flat):.0f} | {pedal:.0%} | "
              f"{sum(t['empty'] for t in flat)} | {closer} |")


def render(folder: Path, case: Case, take, wav: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    piece = merge(case.seed, take)
    out = folder / f"{case.name}-continued.mid"
    write_midi(out, piece, generated=take.notes)
    real = replace(case.piece, notes=tuple(n for n in case.piece.notes if n.start < case.end),
                   pedals=tuple(p for p in case.piece.pedals if p.start < case.end))
    write_midi(folder / f"{case.name}-real.mid", real)
    if wav:
        from composer.audio import render_wav

        render_wav(piece, out.with_suffix(".wav"))


if __name__ == "__main__":
    raise SystemExit(main())
