"""``composer harmonize MELODY.mid -o OUT.mid [--random-seed S] [--model DIR] [--force]``.

Adds alto, tenor and bass under a melody, in the style of the Bach chorales
(composer.harmonizer), and writes one track per voice; the soprano track is the melody's own
notes. A file with chords or several lines is harmonized under its top line, and the command
says so. Like every command: the output is checked before any work (never one of the inputs,
never a FIFO or a folder, a MIDI name, not replaced without ``--force``) and written
atomically. Only NumPy is imported (no TensorFlow).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from composer.blas import limit_threads
from composer.commands import options

VOICE_NAMES = ("Soprano", "Alto", "Tenor", "Bass")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("melody", metavar="MELODY.mid", help="the melody to harmonize")
    parser.add_argument("-o", "--output", metavar="OUT.mid",
                        help="where to write (default: <melody name>-harmonized.mid here)")
    parser.add_argument("--force", action="store_true",
                        help="replace the output file if it exists already")
    parser.add_argument("--random-seed", type=options.SEED, metavar="S",
                        help="same seed -> the same harmonization (default: random, printed "
                             "and written into the file)")
    parser.add_argument("--model", metavar="DIR",
                        help="harmonizer bundle folder (default: the shipped "
                             "models/harmonizer, or $COMPOSER_HARMONIZER)")


def run(args: argparse.Namespace) -> int:
    if "numpy" not in sys.modules:
        limit_threads(1)
    import random

    from composer import __version__
    from composer.errors import SettingsError
    from composer.harmonizer import harmonize
    from composer.harmonizer_bundle import default_harmonizer_dir, load_harmonizer
    from composer.midi_io import read_midi
    from composer.outputs import MIDI, check_output_file
    from composer.voices_midi import write_voices

    melody_path = Path(args.melody)
    if not args.melody.strip():
        raise SettingsError("the melody file name is empty")
    if args.output is not None and not args.output.strip():
        raise SettingsError("-o: the file name is empty")
    out = Path(args.output) if args.output else Path(f"{melody_path.stem}-harmonized.mid")
    if not out.suffix:
        out = out.with_name(out.name + ".mid")
    model_dir = Path(args.model) if args.model else default_harmonizer_dir()
    inputs = [melody_path, *(model_dir / n for n in ("weights.npz", "config.json",
                                                      "model.keras", "card.md"))]
    check_output_file(out, option="-o", inputs=inputs, file_type=MIDI, replace=args.force)
    piece = read_midi(melody_path)
    bundle = load_harmonizer(model_dir)
    seed = (args.random_seed if args.random_seed is not None
            else random.SystemRandom().randrange(2**31))
    result = harmonize(bundle, piece.notes, piece.time_signatures, random_seed=seed,
                       name=str(melody_path))
    if result.melody.polyphonic:
        print(f"{melody_path}: more than one line (chords or overlapping notes); harmonized "
              f"under its top line of {len(result.soprano)} notes (the "
              f"{result.melody.dropped} notes below it are not in the output)")
    texts = [f"composer {__version__} harmonize", f"melody: {melody_path.name}",
             f"harmonizer: {bundle.name}", f"random seed: {seed}"]
    write_voices(out, list(zip(VOICE_NAMES, result.voices)), piece, texts=texts)
    counts = ", ".join(f"{name[0]} {len(notes)}" for name, notes in
                       zip(VOICE_NAMES, result.voices))
    print(f"wrote {out}: soprano (the melody) and alto, tenor, bass, one track each "
          f"({counts} notes), random seed {seed}")
    return 0
