"""Does the model learn a listener's taste? A scripted listener with a hidden taste rates takes.

    .venv/bin/python benchmarks/feedback.py [--model DIR] [--corpus DIR] [--rounds 5]
        [--takes 4] [--bars 4] [--test-seeds 6] [--variants bias,lowrank]
        [--tastes density+,density-,pitch+,pitch-,duration+,duration-]

For each taste (a statistic of composer/taste.py and a direction: ``density-`` likes sparser
takes, ``pitch+`` higher ones, ``duration+`` more legato ones) and each adaptation variant
(composer/adapt.py: ``bias``, ``lowrank``), the listener goes through ``--rounds`` rounds: a
seed from the piano pieces of the corpus's *train* split (its first 4 bars) is continued
``--takes`` times by the current model, with the immediate steering of the ratings so far (as
the app's next Generate is); the listener likes the half of the takes with the most of its
statistic (the least, for a ``-`` taste) and dislikes the other half; the model is adapted to all
ratings so far (the time of that round is measured: the LSTM over the new takes plus the fit).

Then fresh takes on seeds of the *test* split (works never trained on, never rated), with the
same random seeds, from the base model, the adapted model, and the adapted model with the
steering. The table gives the statistic's median over those takes, its change as a share of
the base median (+ = toward the taste), the NLL per event of the adapted model on pieces of the
corpus's test split (events the ratings never saw) against the base model's, the seconds per
adaptation round (wall clock and CPU), and how many takes were unmusical (empty, or one pitch
over a third of the notes).

Replay data for the KL anchor: the bundled sample seeds (midi_samples/) and the seeds of the
rounds. Wall-clock times depend on what else the machine runs: the CPU seconds are the
process's own.
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
from collections import Counter  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402

import numpy as np  # noqa: E402

from composer import meter  # noqa: E402
from composer.adapt import (  # noqa: E402
    REPLAY_EVENTS,
    Adapter,
    FitSettings,
    Stream,
    hidden_rows,
    stream_of,
)
from composer.bundle import load_bundle  # noqa: E402
from composer.corpus import load_corpus, piano_sources, split_of_source  # noqa: E402
from composer.generate import GenerationSettings, cut_seed, generate  # noqa: E402
from composer.midi_io import read_midi  # noqa: E402
from composer.notes import Piece  # noqa: E402
from composer.ratings import DISLIKE, LIKE, Rating  # noqa: E402
from composer.samples import samples  # noqa: E402
from composer.taste import Taste, take_stats  # noqa: E402

TASTES = ("density+", "density-", "pitch+", "pitch-", "duration+", "duration-")
WORDS = {"density": ("sparser", "denser"), "pitch": ("lower", "higher"),
         "duration": ("more staccato", "more legato"), "velocity": ("softer", "louder"),
         "rhythm": ("slower", "quicker")}


@dataclass(frozen=True)
class SeedCase:
    name: str
    seed: Piece
    start: float


def seed_cases(split: str, seed_bars: int) -> list[SeedCase]:
    result = []
    for source in piano_sources():
        if split_of_source(source) != split:
            continue
        piece = read_midi(source.path)
        lines = meter.bar_lines(piece.time_signatures, 0.0, piece.end_beat + 1)
        if len(lines) < seed_bars + 2:
            continue
        start = lines[seed_bars]
        seed = cut_seed(piece, start)
        seed = replace(seed, time_signatures=tuple(s for s in piece.time_signatures
                                                   if s.beat < start)
                       or piece.time_signatures[:1])
        if len(seed.notes) >= 8:
            result.append(SeedCase(Path(source.path).stem, seed, start))
    return result


def spread(cases: list[SeedCase], count: int) -> list[SeedCase]:
    """``count`` cases spread over the list (different composers, not the first few)."""
    if len(cases) <= count:
        return cases
    return [cases[round(i * (len(cases) - 1) / max(count - 1, 1))] for i in range(count)]


def unmusical(take) -> bool:
    if not take.notes:
        return True
    top = Counter(n.pitch for n in take.notes).most_common(1)[0][1]
    return top > len(take.notes) / 3


def take_ratings(case: SeedCase, takes, stat: str, sign: int) -> list[Rating]:
    """The listener: likes the half with the most (sign +1) or least (-1) of ``stat``."""
    values = [take_stats(t.notes, t.start_beat, t.end_beat).value(stat) for t in takes]
    values = [v if np.isfinite(v) else -1e9 * sign for v in values]
    order = sorted(range(len(takes)), key=lambda i: sign * values[i], reverse=True)
    half = len(takes) // 2
    ratings = []
    for rank, index in enumerate(order):
        take = takes[index]
        ratings.append(Rating(LIKE if rank < half else DISLIKE, take.notes, take.start_beat,
                              take.end_beat, case.seed.notes, case.seed.time_signatures,
                              {"style_used": take.style}, take.random_seed, "", case.name))
    return ratings


def test_nll_rows(bundle, corpus_dir: str, pieces: int, events: int):
    """Hidden states and targets of the first ``events`` events of ``pieces`` test pieces."""
    corpus = load_corpus(corpus_dir).select("test")
    picks = np.linspace(0, len(corpus) - 1, min(pieces, len(corpus))).round().astype(int)
    hs, ys = [], []
    for index in picks:
        ids = np.asarray(corpus.tokens[index][:events], np.int64)
        if len(ids) < 16:
            continue
        stream = Stream(ids, corpus.positions[index][:events].astype(np.int64),
                        corpus.meters[index][:events].astype(np.int64), 1,
                        corpus.styles[index])
        h, y = hidden_rows(bundle, stream)
        hs.append(h)
        ys.append(y)
    return np.concatenate(hs), np.concatenate(ys)


def nll(h: np.ndarray, y: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> float:
    z = (h @ kernel + bias).astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-lp[np.arange(len(y)), y].mean())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(REPO / "models" / "default"))
    parser.add_argument("--corpus", default=str(REPO / "data" / "corpus"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--bars", type=float, default=4)
    parser.add_argument("--seed-bars", type=int, default=4)
    parser.add_argument("--test-seeds", type=int, default=6)
    parser.add_argument("--test-takes", type=int, default=4)
    parser.add_argument("--variants", default="bias,lowrank")
    parser.add_argument("--tastes", default=",".join(TASTES))
    parser.add_argument("--nll-pieces", type=int, default=8)
    parser.add_argument("--nll-events", type=int, default=512)
    parser.add_argument("--random-seed", type=int, default=11)
    args = parser.parse_args(argv)

    began = time.perf_counter()
    bundle = load_bundle(args.model)
    train_cases = spread(seed_cases("train", args.seed_bars), 40)
    test_cases = spread(seed_cases("test", args.seed_bars), args.test_seeds)
    rng = np.random.default_rng(args.random_seed)
    replay_streams = []
    for sample in samples():
        piece = read_midi(sample.path)
        replay_streams.append(stream_of(bundle, piece.notes, 0.0, piece.end_beat + 1e-6,
                                        pedals=piece.pedals,
                                        time_signatures=piece.time_signatures,
                                        max_events=REPLAY_EVENTS))
    h_test, y_test = test_nll_rows(bundle, args.corpus, args.nll_pieces, args.nll_events)
    base_kernel = np.asarray(bundle.weights["dense_kernel"], np.float32)
    base_bias = np.asarray(bundle.weights["dense_bias"], np.float32)
    base_nll = nll(h_test, y_test, base_kernel, base_bias)

    def test_takes(model, steer=None):
        takes = []
        for index, case in enumerate(test_cases):
            settings = GenerationSettings(bars=args.bars, takes=args.test_takes,
                                          start_beat=case.start,
                                          random_seed=args.random_seed * 1000 + index)
            takes += generate(model, case.seed, settings, steer=steer)
        return takes

    base_takes = test_takes(bundle)
    rows = []
    for taste_name in args.tastes.split(","):
        stat, sign = taste_name[:-1], (1 if taste_name.endswith("+") else -1)
        for variant in args.variants.split(","):
            settings = FitSettings(variant=variant)
            adapter = Adapter(bundle, settings)
            for stream in replay_streams:
                adapter.add_replay(stream)
            ratings: list[Rating] = []
            model, steer = bundle, None
            round_wall, round_cpu = [], []
            picks = rng.choice(len(train_cases), args.rounds, replace=False)
            for round_index, pick in enumerate(picks):
                case = train_cases[int(pick)]
                gen = GenerationSettings(bars=args.bars, takes=args.takes, start_beat=case.start,
                                         random_seed=int(rng.integers(1 << 30)))
                takes = generate(model, case.seed, gen, steer=steer)
                new = take_ratings(case, takes, stat, sign)
                ratings += new
                wall, cpu = time.perf_counter(), time.process_time()
                adapter.add_ratings(new)
                adapter.add_replay(stream_of(bundle, case.seed.notes, 0.0, case.start,
                                             time_signatures=case.seed.time_signatures))
                adaptation = adapter.fit()
                taste = Taste.from_ratings(ratings)
                model = adaptation.apply(bundle)
                steer = taste.bias(bundle.vocab)
                round_wall.append(time.perf_counter() - wall)
                round_cpu.append(time.process_time() - cpu)
                print(f"  {taste_name} {variant} round {round_index + 1}: "
                      f"{round_wall[-1]:.2f} s ({round_cpu[-1]:.2f} s CPU), taste: "
                      f"{taste.describe()}", file=sys.stderr, flush=True)
            kernel, bias = adaptation.dense(bundle)
            adapted_nll = nll(h_test, y_test, kernel, bias)
            rows.append((taste_name, variant, test_takes(model), test_takes(model, steer),
                         adapted_nll, round_wall, round_cpu))
            print_rows(rows[-1:], base_takes, base_nll, file=sys.stderr)
        print(f"{taste_name} done ({time.perf_counter() - began:.0f} s)", file=sys.stderr,
              flush=True)
    print_table(rows, base_takes, base_nll, args, len(test_cases))
    print(f"\n({time.perf_counter() - began:.0f} s in all)")
    return 0


def median_stat(takes, stat: str) -> float:
    values = [take_stats(t.notes, t.start_beat, t.end_beat).value(stat) for t in takes]
    values = [v for v in values if np.isfinite(v)]
    return statistics.median(values) if values else float("nan")


def print_table(rows, base_takes, base_nll: float, args, seeds: int) -> None:
    print(f"\nScripted listener: {args.rounds} rounds of {args.takes} takes ({args.bars:g} bars) "
          f"on train-split piano seeds; test: {seeds} test-split seeds x {args.test_takes} "
          "takes, same random seeds for every row. Change = toward the taste, in % of the "
          "base median.\n")
    print("| taste | variant | base median | adapted median | change | adapted + steering "
          "| change | test NLL base -> adapted (change) | s per round (CPU) | unmusical |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|---:|")
    print_rows(rows, base_takes, base_nll)
    base_bad = sum(unmusical(t) for t in base_takes)
    print(f"\nBase model: {base_bad}/{len(base_takes)} unmusical takes.")


def print_rows(rows, base_takes, base_nll: float, file=None) -> None:
    for taste_name, variant, adapted, steered, adapted_nll, wall, cpu in rows:
        stat, sign = taste_name[:-1], (1 if taste_name.endswith("+") else -1)
        base = median_stat(base_takes, stat)
        a, s = median_stat(adapted, stat), median_stat(steered, stat)
        change_a = sign * (a - base) / abs(base) * 100
        change_s = sign * (s - base) / abs(base) * 100
        words = WORDS[stat][sign > 0]
        bad = sum(unmusical(t) for t in adapted + steered)
        print(f"| {stat} {taste_name[-1]} ({words}) | {variant} | {base:.3f} | {a:.3f} | "
              f"{change_a:+.0f}% | {s:.3f} | {change_s:+.0f}% | {base_nll:.3f} -> "
              f"{adapted_nll:.3f} ({(adapted_nll / base_nll - 1) * 100:+.1f}%) | "
              f"{statistics.median(wall):.2f} ({statistics.median(cpu):.2f}) | "
              f"{bad}/{len(adapted) + len(steered)} |", file=file, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
