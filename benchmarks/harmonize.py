"""How good is the harmonizer? Likelihood on held-out chorales and voice leading, in one table.

    .venv/bin/python benchmarks/harmonize.py [--model DIR] [--sweeps N] [--limit K]

Measures (no TensorFlow: every network runs in NumPy, composer.harmonizer):

- NLL per voice (nats per eighth-note step, alto, tenor, bass) on the held-out test chorales,
  each voice predicted from every other voice and step around it (the Gibbs conditional):
  the bidirectional model, its forward-only ablation (``<model>/ablation``, the same network
  without the backward LSTM, trained on the same batches), and an interpolated trigram over
  the voice's own tokens (trained on the training chorales in every key);
- voice leading (composer.harmony_measures) for the model's harmonizations of the test
  chorales' melodies, for Bach's own voices of the same chorales, for a random baseline
  (random pitches in each voice's range on the melody's rhythm), and for the model on folk
  melodies written for this benchmark (not chorales; :data:`FOLK`);
- seconds to harmonize 16 bars of 4/4 (median of 3).

Targets (issue 12): a consonant chord at >= 80% of melody onsets; bass-melody fifths/octaves
at <= 10% of consecutive onsets; bass within MIDI 36-64; 16 bars in under 5 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from composer.blas import limit_threads  # noqa: E402

limit_threads(1)

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import numpy as np  # noqa: E402

from composer.chorales import (  # noqa: E402
    MASK,
    OUTPUT_TOKENS,
    PAD,
    POSITION_PAD,
    load_chorales,
    transpose,
    transpositions,
)
from composer.harmonizer import HarmonizerNet, gibbs, harmonize, initial_voices  # noqa: E402
from composer.harmonizer_bundle import default_harmonizer_dir, load_harmonizer  # noqa: E402
from composer.harmony_measures import VoiceLeading, measure, pooled  # noqa: E402
from composer.notes import Note, TimeSignature  # noqa: E402

NAMES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def tune(text: str) -> list[Note]:
    """Notes from ``"G4:1 A4:0.5 r:1 ..."`` (name, octave, beats; ``r`` a rest)."""
    notes, beat = [], 0.0
    for word in text.split():
        name, beats = word.split(":")
        length = float(beats)
        if name != "r":
            pitch = NAMES[name[0]] + 12 * (int(name[-1]) + 1)
            pitch += name[1:-1].count("#") - name[1:-1].count("b")
            notes.append(Note(beat, beat + length, pitch))
        beat += length
    return notes


# Folk tunes written down from memory for this benchmark (traditional, public domain).
FOLK = {
    "Frere Jacques (F, 4/4)": (4, "F4:1 G4:1 A4:1 F4:1 F4:1 G4:1 A4:1 F4:1 A4:1 Bb4:1 C5:2 "
                                  "A4:1 Bb4:1 C5:2 C5:0.5 D5:0.5 C5:0.5 Bb4:0.5 A4:1 F4:1 "
                                  "C5:0.5 D5:0.5 C5:0.5 Bb4:0.5 A4:1 F4:1 F4:1 C4:1 F4:2 "
                                  "F4:1 C4:1 F4:2"),
    "Twinkle (D, 4/4)": (4, "D4:1 D4:1 A4:1 A4:1 B4:1 B4:1 A4:2 G4:1 G4:1 F#4:1 F#4:1 "
                            "E4:1 E4:1 D4:2 A4:1 A4:1 G4:1 G4:1 F#4:1 F#4:1 E4:2 A4:1 A4:1 "
                            "G4:1 G4:1 F#4:1 F#4:1 E4:2 D4:1 D4:1 A4:1 A4:1 B4:1 B4:1 A4:2 "
                            "G4:1 G4:1 F#4:1 F#4:1 E4:1 E4:1 D4:2"),
    "Amazing Grace (G, 3/4)": (3, "r:2 D4:1 G4:2 B4:0.5 G4:0.5 B4:2 A4:1 G4:2 E4:1 D4:2 D4:1 "
                                  "G4:2 B4:0.5 G4:0.5 B4:2 A4:1 D5:3 r:2 B4:1 D5:2 B4:0.5 "
                                  "G4:0.5 B4:2 A4:1 G4:2 E4:1 D4:2 D4:1 G4:2 B4:0.5 G4:0.5 "
                                  "B4:2 A4:1 G4:3"),
    "Au clair de la lune (G, 4/4)": (4, "G4:1 G4:1 G4:1 A4:1 B4:2 A4:2 G4:1 B4:1 A4:1 A4:1 "
                                        "G4:4 G4:1 G4:1 G4:1 A4:1 B4:2 A4:2 G4:1 B4:1 A4:1 "
                                        "A4:1 G4:4 A4:1 A4:1 A4:1 A4:1 E4:2 E4:2 A4:1 G4:1 "
                                        "F#4:1 E4:1 D4:4"),
    "Dorian tune (D, 3/4)": (3, "D4:1 D4:1 A4:1 A4:1.5 E4:0.5 F4:1 E4:2 D4:1 r:1 A4:1 C5:1 "
                                "D5:2 C5:1 A4:1 B4:1 G4:1 A4:3 r:1 D5:1 D5:1 D5:2 C5:1 A4:1 "
                                "A4:1 G4:1 F4:1 E4:1 C4:1 D4:3"),
}


# ----- likelihood -----------------------------------------------------------------------
def windows(chorale, context: int):
    """Every (step, voice 1..3) of a chorale as network inputs, with the true tokens."""
    L = context
    steps = chorale.steps
    padded = np.full((steps + 2 * L, 4), PAD, dtype=np.intp)
    padded[L:L + steps] = chorale.tokens
    positions = np.full(steps + 2 * L, POSITION_PAD, dtype=np.intp)
    positions[L:L + steps] = chorale.positions
    centers = np.repeat(np.arange(steps), 3)
    voices = np.tile(np.arange(1, 4), steps)
    rows = L + centers[:, None] + np.arange(-L, L + 1)
    tokens = padded[rows]
    targets = tokens[np.arange(len(centers)), L, voices].copy()
    tokens[np.arange(len(centers)), L, voices] = MASK
    return tokens, positions[rows], voices, targets


def network_nll(net: HarmonizerNet, chorales) -> np.ndarray:
    """Mean NLL per voice (alto, tenor, bass)."""
    totals, counts = np.zeros(3), np.zeros(3)
    for chorale in chorales:
        tokens, positions, voices, targets = windows(chorale, net.config.context)
        logits = net.logits(tokens, positions, voices - 1).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        nll = -logp[np.arange(len(targets)), targets]
        for v in range(3):
            totals[v] += nll[voices == v + 1].sum()
            counts[v] += (voices == v + 1).sum()
    return totals / counts


def trigram_nll(train, test, weights=(0.6, 0.3, 0.09, 0.01)) -> np.ndarray:
    """Interpolated trigram over each voice's own tokens (train: every allowed key)."""
    from composer.harmonizer_bundle import DEFAULT_RANGES

    result = np.zeros(3)
    for v in (1, 2, 3):
        uni, bi, tri = Counter(), Counter(), Counter()
        bi_ctx, tri_ctx = Counter(), Counter()
        for chorale in train:
            for shift in transpositions(chorale, DEFAULT_RANGES) or [0]:
                seq = [PAD, PAD, *transpose(chorale.tokens, shift)[:, v].tolist()]
                for a, b, c in zip(seq, seq[1:], seq[2:]):
                    uni[c] += 1
                    bi[(b, c)] += 1
                    bi_ctx[b] += 1
                    tri[(a, b, c)] += 1
                    tri_ctx[(a, b)] += 1
        total = sum(uni.values())
        nll, count = 0.0, 0
        for chorale in test:
            seq = [PAD, PAD, *chorale.tokens[:, v].tolist()]
            for a, b, c in zip(seq, seq[1:], seq[2:]):
                p = weights[3] / OUTPUT_TOKENS + weights[2] * uni[c] / total
                if bi_ctx[b]:
                    p += weights[1] * bi[(b, c)] / bi_ctx[b]
                else:
                    p += weights[1] * uni[c] / total
                if tri_ctx[(a, b)]:
                    p += weights[0] * tri[(a, b, c)] / tri_ctx[(a, b)]
                elif bi_ctx[b]:
                    p += weights[0] * bi[(b, c)] / bi_ctx[b]
                else:
                    p += weights[0] * uni[c] / total
                nll -= np.log(p)
                count += 1
        result[v - 1] = nll / count
    return result


# ----- harmonizations -------------------------------------------------------------------
def random_voices(chorale, config, rng) -> np.ndarray:
    return initial_voices(chorale.tokens[:, 0].astype(np.intp), config, rng)


def row(name: str, r: VoiceLeading, nll: np.ndarray | None = None) -> str:
    nll_cells = (" | ".join(f"{x:.3f}" for x in nll) if nll is not None else "– | – | –")
    return (f"| {name} | {nll_cells} | {r.consonant:.0%} | {r.bass_melody_parallels:.1%} | "
            f"{r.parallels_per_100:.1f} | {r.crossings_per_100:.1f} | "
            f"{r.out_of_range_per_100:.1f} | {r.bass_in_range:.0%} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(default_harmonizer_dir()))
    parser.add_argument("--sweeps", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None, help="at most K test chorales")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    bundle = load_harmonizer(args.model)
    net = HarmonizerNet.from_bundle(bundle)
    ablation_dir = Path(args.model) / "ablation"
    ablation = (HarmonizerNet.from_bundle(load_harmonizer(ablation_dir))
                if ablation_dir.is_dir() else None)
    chorales = load_chorales()
    train = [c for c in chorales if c.split == "train"]
    test = [c for c in chorales if c.split == "test"][:args.limit]
    sweeps = {} if args.sweeps is None else {"sweeps": args.sweeps}
    rng = np.random.default_rng(args.seed)

    started = time.perf_counter()
    nll_bi = network_nll(net, test)
    nll_fwd = network_nll(ablation, test) if ablation is not None else None
    nll_tri = trigram_nll(train, test)
    nll_seconds = time.perf_counter() - started

    model_runs, bach_runs, random_runs = [], [], []
    started = time.perf_counter()
    for chorale in test:
        soprano = chorale.tokens[:, 0].astype(np.intp)
        tokens = gibbs(net, soprano, chorale.positions.astype(np.intp), rng, **sweeps)
        model_runs.append(measure(tokens))
        bach_runs.append(measure(chorale.tokens))
        random_runs.append(measure(random_voices(chorale, bundle.config, rng)))
    harmonize_seconds = time.perf_counter() - started

    folk_runs = {}
    for name, (beats, text) in FOLK.items():
        result = harmonize(net, tune(text), (TimeSignature(0.0, beats, 4),),
                           random_seed=args.seed, **sweeps)
        assert result.soprano == tuple(sorted(tune(text)))
        folk_runs[name] = measure(result.tokens)

    sixteen = tune(" ".join(["G4:1 A4:1 B4:1 G4:1 D5:2 B4:2 C5:1 B4:1 A4:1 G4:1 A4:4"] * 4))
    timings, cpu = [], []
    for seed in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        harmonize(net, sixteen, random_seed=seed, **sweeps)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)

    beats = sum(r.beats for r in bach_runs)
    print(f"{len(test)} held-out chorales ({beats:g} beats), model {args.model}, "
          f"sweeps {args.sweeps or 'default'}; NLL in {nll_seconds:.1f} s, "
          f"{len(test)} harmonizations in {harmonize_seconds:.1f} s\n")
    print("| | NLL alto | NLL tenor | NLL bass | consonant onsets | bass–melody 5ths/8ves "
          "| parallels /100 beats | crossings /100 beats | out of range /100 beats "
          "| bass in 36–64 |")
    print("| --- |" + " ---: |" * 9)
    print(row("model (BiLSTM, Gibbs)", pooled(model_runs), nll_bi))
    if nll_fwd is not None:
        print(f"| forward-only ablation | {' | '.join(f'{x:.3f}' for x in nll_fwd)} | "
              "| | | | | |")
    print(f"| trigram (own voice) | {' | '.join(f'{x:.3f}' for x in nll_tri)} | | | | | | |")
    print(row("Bach (the same chorales)", pooled(bach_runs)))
    print(row("random voices", pooled(random_runs)))
    print(row("model on 5 folk tunes", pooled(list(folk_runs.values()))))
    for name, result in folk_runs.items():
        print(row(f"— {name}", result))
    print(f"\n16 bars of 4/4: {statistics.median(timings):.2f} s wall, "
          f"{statistics.median(cpu):.2f} s CPU (median of 3; wall times "
          f"{', '.join(f'{t:.2f}' for t in timings)} on a machine shared with other jobs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
