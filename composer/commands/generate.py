"""``composer generate [FILE.mid] [-o out.mid] [--bars N | --seconds S] [--json] ...``.

Continues a seed MIDI file with the model and writes seed + continuation (or only the
continuation) as a MIDI file that keeps the seed's tempo, time signature and instrument, with
the provenance (model, seed, sampling settings, random seed, composer version) as text events,
so any take can be reproduced.

The seed file is a plain argument, as in every other command (``--seed FILE.mid`` still works,
for old scripts, but is no longer shown: ``--seed`` is the random seed elsewhere). Each take
has its own random seed (``composer.generate.take_seed``: the random seed plus the take's
index), printed on its line: ``--takes 1 --random-seed`` with it makes that take again, alone.
Outputs must be named ``.mid``/``.midi`` and are not replaced without ``--force``. On a
terminal, a progress bar on stderr; with ``--json``, one JSON object on stdout instead of the
lines. When some takes come out the same (``--top-k 1``, a tiny temperature), one warning says
so and why.

Start-up matters here: nothing heavy is imported (no TensorFlow, music21 or pretty_midi), and
NumPy's BLAS is limited to one thread before NumPy is first imported — one generation step is a
few small matrix products, which two threads do no faster, and much slower when the machine is
busy with something else.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from composer.blas import limit_threads
from composer.commands import options

SAMPLE_NAME = "bach_chorale.mid"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("seed_file", nargs="?", metavar="FILE.mid",
                        help=f"the MIDI file to continue (default: midi_samples/{SAMPLE_NAME})")
    parser.add_argument("--seed", dest="seed_option", metavar="FILE.mid",
                        help=argparse.SUPPRESS)  # the old spelling of FILE.mid, kept working
    parser.add_argument("-o", "--output", metavar="OUT.mid",
                        help="where to write (default: <seed name>-continued.mid here); with "
                             "--takes N: OUT-1.mid ... OUT-N.mid")
    parser.add_argument("--force", action="store_true",
                        help="replace output files that exist already")
    parser.add_argument("--json", action="store_true",
                        help="print what was written as one JSON object (for scripts)")
    parser.add_argument("--model", metavar="DIR",
                        help="model bundle folder (default: the shipped model, or $COMPOSER_MODEL)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--bars", type=options.positive(10_000), metavar="N",
                        help="length of the continuation in bars (default 8)")
    length.add_argument("--seconds", type=options.positive(12 * 3600), metavar="S",
                        help="length of the continuation in seconds, at the seed's tempo")
    options.add_sampling(parser)
    parser.add_argument("--takes", type=options.count(1, 64), default=1, metavar="N",
                        help="write N different continuations (default 1)")
    parser.add_argument("--random-seed", type=options.SEED, metavar="S",
                        help="same seed, same settings -> the same music; take k uses S+k-1, "
                             "so any take can be made again alone (default: random, printed "
                             "and written into the file)")
    parser.add_argument("--key-lock", action="store_true",
                        help="stay in the seed's key (estimated from its notes)")
    parser.add_argument("--pitch-range", metavar="LOW-HIGH",
                        help="only new notes within these MIDI pitches, e.g. 48-84")
    parser.add_argument("--max-polyphony", type=options.POLYPHONY, default=10, metavar="N",
                        help="at most N notes at once (default 10)")
    parser.add_argument("--no-repetition-guard", action="store_true",
                        help="let the model loop on one note, chord or bar if it wants to")
    parser.add_argument("--continuation-only", action="store_true",
                        help="write only the new music (from the bar where it starts)")
    parser.add_argument("--style", metavar="NAME",
                        help="the style to write in (piano, chorale, polyphony, strings, other; "
                             "default: the one the model hears in the seed)")
    parser.add_argument("--composer", metavar="NAME",
                        help="write as this composer of the training data would (default: "
                             "unknown; a name the model does not know lists those it knows)")
    from composer.seed_memory import DEFAULT_STRENGTH

    parser.add_argument("--seed-memory", type=float, default=DEFAULT_STRENGTH, metavar="W",
                        help="how much a take reuses the seed's own figures, 0 (off) to 1 "
                             "(default %(default)s)")


def run(args: argparse.Namespace) -> int:
    if "numpy" not in sys.modules:  # too late otherwise (and leave a caller's NumPy alone)
        limit_threads(1)
    import random

    from composer import __version__
    from composer.bundle import default_model_dir, load_bundle
    from composer.commands.progress import terminal_progress
    from composer.errors import ModelBundleError, SettingsError
    from composer.generate import (
        GenerationSettings,
        continuation_piece,
        generate,
        merge,
        provenance,
    )
    from composer.midi_io import read_midi, require_notes, write_midi
    from composer.outputs import MIDI, bundle_inputs, check_output_file

    seed_path = _seed_path(args)
    settings = GenerationSettings(
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        bars=None if args.seconds is not None else (8.0 if args.bars is None else args.bars),
        seconds=args.seconds,
        takes=args.takes,
        random_seed=(args.random_seed if args.random_seed is not None
                     else random.SystemRandom().randrange(2**31)),
        key_lock=args.key_lock,
        pitch_range=_pitch_range(args.pitch_range) if args.pitch_range else None,
        max_polyphony=args.max_polyphony,
        repetition_guard=not args.no_repetition_guard,
        style=args.style,
        composer=args.composer,
        seed_memory=args.seed_memory,
    )
    settings.validate()
    if args.output is not None and not args.output.strip():
        raise SettingsError("-o: the file name is empty")
    outputs = output_paths(seed_path, args.output, settings.takes)
    model_dir = Path(args.model) if args.model else default_model_dir()
    for out in outputs:
        check_output_file(out, option="-o", inputs=[seed_path, *bundle_inputs(model_dir)],
                          file_type=MIDI, replace=args.force, add_suffix=False)
    seed = require_notes(read_midi(seed_path), str(seed_path))
    if args.model is None and not default_model_dir().is_dir():
        raise ModelBundleError(f"no model at {default_model_dir()} (the default): pass "
                               f"--model DIR, set $COMPOSER_MODEL, or train one")
    bundle = load_bundle(model_dir)

    length = (f"{settings.bars:g} bars" if settings.bars is not None
              else f"{settings.seconds:g} s")
    takes_word = f"{settings.takes} takes" if settings.takes > 1 else "1 take"
    with terminal_progress(f"generating {takes_word} of {length}") as progress:
        takes = generate(bundle, seed, settings, progress=progress)
    warning = identical_takes_warning(takes, settings)
    if warning:
        print(f"composer generate: warning: {warning}", file=sys.stderr)
    written = []
    for take, out in zip(takes, outputs):
        texts = provenance(bundle, seed_path.name, settings, take, __version__)
        if args.continuation_only:
            piece = continuation_piece(seed, take)
            seed_count = 0
        else:
            piece = merge(seed, take)
            seed_count = len(seed.notes)
        write_midi(out, piece, texts=texts,
                   generated=piece.notes if args.continuation_only else take.notes)
        written.append({"file": str(out), "take": take.index + 1,
                        "random_seed": take.random_seed, "notes": len(piece.notes),
                        "seed_notes": seed_count, "new_notes": len(take.notes),
                        "start_beat": take.start_beat, "end_beat": take.end_beat,
                        "style": take.style})
        if not args.json:
            style = "" if take.style is None else f", style {take.style}"
            print(f"wrote {out}: {len(piece.notes)} notes ({seed_count} seed + "
                  f"{len(take.notes)} new, {length} from beat {take.start_beat:g}{style}), "
                  f"random seed {take.random_seed}, take {take.index + 1}")
    if args.json:
        report = {
            "seed": str(seed_path), "model": {"name": bundle.name, "path": str(model_dir)},
            "bars": settings.bars, "seconds": settings.seconds,
            "settings": {"temperature": settings.temperature, "top_k": settings.top_k,
                         "top_p": settings.top_p, "random_seed": settings.random_seed,
                         "takes": settings.takes, "key_lock": settings.key_lock,
                         "pitch_range": settings.pitch_range,
                         "max_polyphony": settings.max_polyphony,
                         "repetition_guard": settings.repetition_guard,
                         "style": settings.style, "composer": settings.composer,
                         "seed_memory": settings.seed_memory,
                         "continuation_only": args.continuation_only},
            "takes": written, "warnings": [warning] if warning else [],
        }
        print(json.dumps(report, indent=1))
    return 0


def _seed_path(args: argparse.Namespace) -> Path:
    """FILE.mid, or the old ``--seed FILE.mid``, or the bundled sample."""
    from composer.errors import SettingsError

    given, old = args.seed_file, args.seed_option
    if given is not None and old is not None and given != old:
        raise SettingsError(f"two seed files given ({given} and --seed {old}); give one")
    name = given if given is not None else old
    if name is not None and not name.strip():
        raise SettingsError("the seed file name is empty")
    return Path(name) if name is not None else default_seed()


def identical_takes_warning(takes, settings) -> str | None:
    """One line when some takes came out the same, with the setting that makes them so."""
    count = len(takes)
    distinct = len({take.ids for take in takes})
    if count < 2 or distinct == count:
        return None
    what = (f"all {count} takes are the same" if distinct == 1
            else f"only {distinct} of the {count} takes differ")
    if settings.top_k == 1:
        why = ("--top-k 1 always picks the likeliest event, whatever the random seed; use "
               "--top-k 0 (off) or above 1 for different takes")
    elif settings.temperature <= 0.2:
        why = (f"--temperature {settings.temperature:g} leaves almost only the likeliest "
               "event; raise it for different takes")
    elif settings.top_p <= 0.2:
        why = (f"--top-p {settings.top_p:g} leaves almost only the likeliest event; raise it "
               "for different takes")
    else:
        why = "the model is very sure of this continuation; a higher --temperature varies it"
    return f"{what}: {why}"


def _pitch_range(text: str) -> tuple[int, int]:
    from composer.errors import SettingsError

    try:
        low, high = (int(part) for part in text.replace(":", "-").split("-"))
    except ValueError:
        raise SettingsError(f"--pitch-range must look like 48-84 (got {text!r})") from None
    return low, high


def default_seed() -> Path:
    """The bundled sample seed: ``midi_samples/bach_chorale.mid``, else the first sample."""
    from composer.errors import MidiFileError

    here = Path(__file__).resolve().parent.parent.parent
    for folder in (here / "midi_samples", Path(sys.prefix) / "share" / "composer" / "midi_samples"):
        if (folder / SAMPLE_NAME).is_file():
            return folder / SAMPLE_NAME
        samples = sorted(folder.glob("*.mid")) if folder.is_dir() else []
        if samples:
            return samples[0]
    raise MidiFileError("no seed file given and no sample MIDI file found in midi_samples/")


def output_paths(seed: Path, output: str | None, takes: int) -> list[Path]:
    """The files to write: ``OUT`` (``.mid`` added to a name without a suffix), or
    ``OUT-1.mid`` ... ``OUT-N.mid`` for N takes."""
    from composer.errors import SettingsError
    from composer.outputs import MIDI, non_regular

    base = Path(output) if output else Path(f"{seed.stem}-continued.mid")
    kind = non_regular(base)
    if kind is not None:  # ``-o /dev/null`` once wrote /dev/null.mid
        raise SettingsError(f"-o {base}: is {kind}, not a file that can be written")
    base = MIDI.named(base)
    if takes == 1:
        return [base]
    stem = base.name[: len(base.name) - len(base.suffix)]
    return [base.with_name(f"{stem}-{i}{base.suffix}") for i in range(1, takes + 1)]
