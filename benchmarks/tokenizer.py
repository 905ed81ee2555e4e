"""Compare composer's tokenizer with MidiTok's MIDILike and TSD on the same real files.

For each tokenizer it prints: vocabulary size, tokens per note, encode speed (notes per second,
from notes in memory to ids, quantization included), how many notes come back out of those that
went in, the fraction of the tokenizer's own grid-quantized notes that ``decode(encode(x))`` does
not give back exactly (pitch, start, end, velocity), and the mean onset error in beats against
the unquantized input.

Files: the MIDI files shipped in music21 (``music21/midi/testPrimitive``), the seeds in
``midi_samples/``, and a few music21 corpus pieces written to MIDI by music21. Every file is read
with composer.midi_io and its notes (all channels merged, drums left out) are handed to every
tokenizer, so all of them see exactly the same notes; for MidiTok they become one piano track of
a symusic Score.

MidiTok is not a dependency of composer. Run this script with it installed in a separate venv:

    python3 -m venv /work/bench-venv
    /work/bench-venv/bin/pip install miditok mido music21 numpy
    /work/bench-venv/bin/python benchmarks/tokenizer.py

Without MidiTok it prints composer's row alone and says how to install it.
"""

from __future__ import annotations

import argparse
import bisect
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from composer.midi_io import read_midi  # noqa: E402
from composer.notes import Note, PedalSpan  # noqa: E402
from composer.tokenizer import Tokenizer  # noqa: E402

CORPUS_PIECES = ("bach/bwv66.6", "bach/bwv269", "mozart/k545/movement1_exposition",
                 "schumann_robert/dichterliebe_no2")
TPQ = 15360  # ticks a beat for the symusic scores: every input file's division divides it
INSTALL_HINT = (
    "MidiTok is not installed here (and is not a composer dependency). To compare with it:\n"
    "    python3 -m venv /work/bench-venv\n"
    "    /work/bench-venv/bin/pip install miditok mido music21 numpy\n"
    "    /work/bench-venv/bin/python benchmarks/tokenizer.py"
)

NoteKey = tuple[int, float, float, int]  # pitch, start, end (beats), velocity


@dataclass
class Input:
    name: str
    notes: list[Note]
    pedals: list[PedalSpan]


@dataclass
class Result:
    """What one tokenizer did to one file."""

    tokens: int
    seconds: float  # encode time
    quantized: list[NoteKey]  # the input on the tokenizer's own grid
    decoded: list[NoteKey]


@dataclass
class Row:
    name: str
    vocab: int
    run: Callable[[Input], Result]


# ----- inputs ----------------------------------------------------------------------------
def collect_inputs(corpus_pieces: Sequence[str]) -> list[Input]:
    import music21

    paths = sorted((Path(music21.__file__).parent / "midi" / "testPrimitive").glob("*.mid"))
    paths += sorted((ROOT / "midi_samples").glob("*.mid"))
    folder = Path(tempfile.mkdtemp(prefix="tokenizer-bench-"))
    for name in corpus_pieces:
        path = folder / (name.replace("/", "_") + ".mid")
        music21.corpus.parse(name).write("midi", fp=str(path))
        paths.append(path)
    inputs = []
    for path in paths:
        piece = read_midi(path)
        if piece.notes:
            inputs.append(Input(path.name, list(piece.notes), list(piece.pedals)))
    return inputs


# ----- composer --------------------------------------------------------------------------
def composer_row() -> Row:
    tokenizer = Tokenizer()

    def run(item: Input) -> Result:
        start = time.perf_counter()
        ids = tokenizer.encode(item.notes, item.pedals, bos=False, eos=False)
        seconds = time.perf_counter() - start
        decoded = tokenizer.decode(ids)
        return Result(len(ids), seconds, _keys(tokenizer.quantize(item.notes)),
                      _keys(decoded.notes))

    return Row("composer (12/beat, 8 vel, pedal)", len(tokenizer.vocab), run)


def _keys(notes: Sequence[Note]) -> list[NoteKey]:
    return [(n.pitch, round(n.start, 6), round(n.end, 6), n.velocity) for n in notes]


# ----- MidiTok ---------------------------------------------------------------------------
def miditok_rows() -> list[Row]:
    import miditok

    matched = dict(pitch_range=(21, 109), beat_res={(0, 4): 12, (4, 12): 4}, num_velocities=8,
                   use_sustain_pedals=True)
    rows = []
    for cls in (miditok.MIDILike, miditok.TSD):
        for label, config in (("defaults", {}), ("12/beat, 8 vel, pedal", matched)):
            tokenizer = cls(miditok.TokenizerConfig(**config))
            rows.append(Row(f"MidiTok {cls.__name__} ({label})", len(tokenizer),
                            _miditok_runner(tokenizer)))
    return rows


def _miditok_runner(tokenizer) -> Callable[[Input], Result]:
    def run(item: Input) -> Result:
        score = _score(item)
        start = time.perf_counter()
        tokens = tokenizer.encode(score)
        seconds = time.perf_counter() - start
        sequences = tokens if isinstance(tokens, list) else [tokens]
        count = sum(len(seq.ids) for seq in sequences)
        quantized = _score_keys(tokenizer.preprocess_score(score))
        decoded = _score_keys(tokenizer.decode(tokens)) if count else []
        return Result(count, seconds, quantized, decoded)

    return run


def _score(item: Input):
    from symusic import Note as SNote
    from symusic import Pedal, Score, Track

    score = Score(TPQ)
    track = Track(program=0, is_drum=False)
    for n in item.notes:
        start = round(n.start * TPQ)
        track.notes.append(SNote(start, max(round(n.end * TPQ) - start, 1), n.pitch, n.velocity))
    for p in item.pedals:
        start = round(p.start * TPQ)
        track.pedals.append(Pedal(start, round(p.end * TPQ) - start))
    score.tracks.append(track)
    return score


def _score_keys(score) -> list[NoteKey]:
    tpq = score.ticks_per_quarter
    return [
        (n.pitch, round(n.time / tpq, 6), round((n.time + n.duration) / tpq, 6), n.velocity)
        for track in score.tracks
        for n in track.notes
    ]


# ----- measures --------------------------------------------------------------------------
def onset_errors(inputs: Sequence[Note], decoded: Sequence[NoteKey]) -> list[float]:
    """For each input note, the distance to the nearest decoded onset of the same pitch."""
    by_pitch: dict[int, list[float]] = {}
    for pitch, start, _end, _vel in decoded:
        by_pitch.setdefault(pitch, []).append(start)
    for starts in by_pitch.values():
        starts.sort()
    errors = []
    for note in inputs:
        starts = by_pitch.get(note.pitch)
        if not starts:
            continue
        i = bisect.bisect_left(starts, note.start)
        near = [starts[j] for j in (i - 1, i) if 0 <= j < len(starts)]
        errors.append(min(abs(s - note.start) for s in near))
    return errors


def measure(row: Row, inputs: Sequence[Input], repeat: int) -> dict:
    tokens = notes_in = notes_out = quantized = missing = 0
    seconds = 0.0
    errors: list[float] = []
    for item in inputs:
        best = None
        for _ in range(repeat):
            result = row.run(item)
            best = result if best is None or result.seconds < best.seconds else best
        tokens += best.tokens
        seconds += best.seconds
        notes_in += len(item.notes)
        notes_out += len(best.decoded)
        quantized += len(best.quantized)
        missing += sum((Counter(best.quantized) - Counter(best.decoded)).values())
        errors += onset_errors(item.notes, best.decoded)
    return {
        "tokenizer": row.name,
        "vocab": row.vocab,
        "tokens/note": tokens / notes_in,
        "encode notes/s": notes_in / seconds,
        "notes out/in": notes_out / notes_in,
        "not recovered": missing / max(quantized, 1),
        "onset err (beats)": statistics.fmean(errors) if errors else float("nan"),
    }


def print_table(results: list[dict]) -> None:
    formats = {"vocab": "{:d}", "tokens/note": "{:.2f}", "encode notes/s": "{:,.0f}",
               "notes out/in": "{:.4f}", "not recovered": "{:.2%}",
               "onset err (beats)": "{:.4f}"}
    columns = list(results[0])
    cells = [[str(r["tokenizer"])] + [formats[c].format(r[c]) for c in columns[1:]]
             for r in results]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(
            v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))
        ) + " |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N encodes per file")
    parser.add_argument("--no-corpus", action="store_true", help="skip the music21 corpus pieces")
    args = parser.parse_args(argv)

    inputs = collect_inputs(() if args.no_corpus else CORPUS_PIECES)
    total = sum(len(i.notes) for i in inputs)
    print(f"{len(inputs)} files, {total:,} notes "
          f"(testPrimitive, midi_samples{'' if args.no_corpus else ', corpus pieces'})\n")
    rows = [composer_row()]
    try:
        rows += miditok_rows()
    except ImportError:
        print(INSTALL_HINT + "\n")
    print_table([measure(row, inputs, args.repeat) for row in rows])
    print(
        "\ntokens/note: ids per input note (no BOS/EOS). notes out/in: decoded notes per input"
        " note;\ncomposer merges notes of one pitch struck at one grid step (one key, one note:"
        " unison doublings\nof the parts) and folds pitches outside 21..108 by octaves, MidiTok"
        " keeps doublings and drops\nout-of-range pitches. not recovered: share of the"
        " tokenizer's own grid-quantized notes that\ndecode(encode) does not give back exactly"
        " (pitch, start, end, velocity). onset err: mean distance\nfrom each input note to the"
        " nearest decoded onset of its pitch, in beats, against the unquantized\ninput."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
