"""How do continuations compare with the music they continue? Held-out pieces, per temperature.

    .venv/bin/python benchmarks/quality.py [--model DIR] [--pieces 30] [--takes 4]
                                           [--temperatures 0.8,0.9,1.0,1.1,1.2]

The pieces are those of the corpus's test split (``composer.corpus.split_of``: never trained
on), read from music21's corpus as ``composer prepare`` reads them. Each one gives a seed, its
first ``--seed-beats`` beats (default 16: four bars of 4/4), and the piece's own next 16 beats,
the *real continuation*. The model continues every seed ``--takes`` times per temperature
(top-p 0.95, the default settings otherwise, a fixed random seed). Each continuation, real or
generated, is measured against its own seed:

- **density ratio**: notes per beat of the continuation over those of the seed (a chord counts
  its notes). Median, and
  the share of continuations at more than 1.5x (rushing ahead) or less than 0.5x (stalling);
- **in key**: share of continuation notes in the seed's estimated key (``composer.keys``);
- **in range**: share of continuation notes within the seed's pitch range widened by a fourth;
- **top pitch**: share of the continuation's notes on its single most frequent pitch; a
  model stuck on one note scores near 1. Median, and the worst continuation;
- **empty**: continuations with no note at all.

Rows that stay close to the real continuation's are what we want; the real row is the yardstick,
not a target of 1.0. The numbers depend on the pieces drawn (``--pieces``) and the random seed;
with the defaults, differences of a few points between temperatures are noise.
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
from collections import Counter  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from composer.bundle import load_bundle  # noqa: E402
from composer.corpus import music21_sources, score_notes, split_of  # noqa: E402
from composer.generate import GenerationSettings, generate  # noqa: E402
from composer.keys import estimate_key  # noqa: E402
from composer.notes import Note, Piece, TempoChange, TimeSignature  # noqa: E402

RANGE_SLACK = 5  # semitones: a fourth beyond the seed's lowest and highest notes


@dataclass(frozen=True)
class Measures:
    density_ratio: float
    in_key: float
    in_range: float
    top_pitch: float
    empty: bool
    piece: str = ""
    notes: int = 0


def measure(seed: list[Note], continuation: list[Note], beats: float,
            piece: str = "") -> Measures:
    """The continuation against its seed (see the module docstring)."""
    seed_density = len(seed) / beats
    if not continuation:
        return Measures(0.0, 0.0, 0.0, 0.0, True, piece)
    key = estimate_key(seed)
    low = min(n.pitch for n in seed) - RANGE_SLACK
    high = max(n.pitch for n in seed) + RANGE_SLACK
    count = len(continuation)
    return Measures(
        density_ratio=(count / beats) / seed_density,
        in_key=sum(key.contains(n.pitch) for n in continuation) / count,
        in_range=sum(low <= n.pitch <= high for n in continuation) / count,
        top_pitch=Counter(n.pitch for n in continuation).most_common(1)[0][1] / count,
        empty=False,
        piece=piece,
        notes=count,
    )


def held_out_pieces(limit: int) -> list[tuple[str, str]]:
    """(piece id, path) of the test split, in a fixed order spread over the composers."""
    sources = [s for s in music21_sources() if split_of(s.piece_id) == "test"]
    by_composer: dict[str, list] = {}
    for source in sources:
        by_composer.setdefault(source.composer, []).append(source)
    spread = []
    while any(by_composer.values()) and len(spread) < limit:
        for composer in sorted(by_composer):
            if by_composer[composer] and len(spread) < limit:
                spread.append(by_composer[composer].pop(0))
    return [(s.piece_id, s.path) for s in spread]


def _read(path: str) -> list[Note]:
    try:
        return score_notes(path)
    except Exception:  # noqa: BLE001 - a score music21 cannot read is left out, and counted
        return []


def split_piece(notes: list[Note], seed_beats: float) -> tuple[list[Note], list[Note]] | None:
    """Seed (from beat 0) and real continuation (the next ``seed_beats``, where they are in
    the piece, which the measures do not mind), if the seed has 4 notes and the rest one."""
    start = min((n.start for n in notes), default=0.0)
    seed = [Note(n.start - start, min(n.end - start, seed_beats), n.pitch, n.velocity)
            for n in notes if n.start - start < seed_beats]
    real = [n for n in notes if seed_beats <= n.start - start < 2 * seed_beats]
    if len(seed) < 4 or not real:
        return None
    return seed, real


def summarize(label: str, rows: list[Measures]) -> str:
    ratios = [m.density_ratio for m in rows if not m.empty]
    full = [m for m in rows if not m.empty]

    def share(values) -> str:
        return f"{100 * statistics.fmean(values):5.1f}%" if values else "    -"

    return (f"{label:24}{len(rows):6d}"
            f"{statistics.median(ratios) if ratios else 0:9.2f}"
            f"{share([r > 1.5 for r in ratios]):>9}{share([r < 0.5 for r in ratios]):>9}"
            f"{share([m.in_key for m in full]):>9}{share([m.in_range for m in full]):>9}"
            f"{share([statistics.median([m.top_pitch for m in full])] if full else []):>10}"
            f"{max((m.top_pitch for m in full), default=0) * 100:7.0f}%"
            f"{sum(m.empty for m in rows):7d}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model bundle (default: models/default)")
    parser.add_argument("--pieces", type=int, default=30)
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--seed-beats", type=float, default=16.0)
    parser.add_argument("--temperatures", default="0.8,0.9,1.0,1.1,1.2")
    parser.add_argument("--random-seed", type=int, default=1)
    args = parser.parse_args()
    temperatures = [float(t) for t in args.temperatures.split(",")]
    bundle = load_bundle(args.model)
    beats = args.seed_beats

    started = time.monotonic()
    chosen = held_out_pieces(args.pieces)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        scores = list(pool.map(_read, [path for _id, path in chosen]))
    pairs = [(piece_id, *pair) for (piece_id, _path), pair in
             zip(chosen, (split_piece(notes, beats) for notes in scores)) if pair is not None]
    read_seconds = time.monotonic() - started

    rows: dict[str, list[Measures]] = {"real continuation": []}
    started = time.monotonic()
    for piece_id, seed, real in pairs:
        rows["real continuation"].append(measure(seed, real, beats, piece_id))
        piece = Piece(notes=tuple(seed), tempos=(TempoChange(0.0, 100.0),),
                      time_signatures=(TimeSignature(0.0, 4, 4),))
        for temperature in temperatures:
            settings = GenerationSettings(temperature=temperature, bars=beats / 4,
                                          takes=args.takes, random_seed=args.random_seed)
            for take in generate(bundle, piece, settings):
                continuation = [n for n in take.notes if n.start < take.start_beat + beats]
                rows.setdefault(f"model, T={temperature:g}", []).append(
                    measure(seed, continuation, beats, piece_id))
    generate_seconds = time.monotonic() - started

    print(f"continuations of held-out pieces: {len(pairs)} of {len(chosen)} test-split pieces "
          f"usable, seed {beats:g} beats, continuation {beats:g} beats, {args.takes} takes "
          f"per temperature, top-p 0.95, random seed {args.random_seed}")
    print(f"model: {bundle.name}; reading the scores {read_seconds:.0f} s, generating "
          f"{generate_seconds:.0f} s on {os.cpu_count()} cores")
    print()
    print(f"{'':24}{'n':>6}{'density':>9}{'>1.5x':>9}{'<0.5x':>9}{'in key':>9}"
          f"{'in range':>9}{'top pitch':>10}{'worst':>8}{'empty':>7}")
    print(f"{'':24}{'':>6}{'ratio':>9}{'':>9}{'':>9}{'':>9}{'':>9}{'median':>10}"
          f"{'top pitch':>10}")
    for label, measures in rows.items():
        print(summarize(label, measures))
    print("\nworst top pitch per row (where to listen):")
    for label, measures in rows.items():
        worst = max((m for m in measures if not m.empty), key=lambda m: m.top_pitch,
                    default=None)
        if worst is not None:
            print(f"  {label:22}{worst.top_pitch:5.0%} of {worst.notes} notes  {worst.piece}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
