"""``composer infill IN.mid --bars A-B -o OUT.mid [--takes N] [--random-seed S] ...``.

Regenerates bars A..B (1-based, inclusive, counted with the file's time signatures) so they
lead into the bars that follow, and writes the whole piece with only those bars new
(composer/infill.py says how; docs/infill.md what was measured). With ``--takes N`` it writes
OUT-1.mid .. OUT-N.mid, best first. Every note that starts outside the region is written as it
was. Outputs follow the rules of ``generate``: named ``.mid``/``.midi``, never an input, not
replaced without ``--force``, written atomically. A region outside the piece, ``--bars 3-2``,
a malformed ``--bars`` or a file without notes is one line naming the file, exit status 2.

Like ``generate``, nothing heavy is imported and BLAS is limited to one thread first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from composer.blas import limit_threads
from composer.commands import options


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN.mid", help="the MIDI file whose bars to redo")
    parser.add_argument("--bars", required=True, metavar="A-B",
                        help="the bars to regenerate, 1-based and inclusive (e.g. 5-6, or 5)")
    parser.add_argument("-o", "--output", metavar="OUT.mid",
                        help="where to write (default: <name>-infill.mid here); with --takes "
                             "N: OUT-1.mid ... OUT-N.mid, best first")
    parser.add_argument("--force", action="store_true",
                        help="replace output files that exist already")
    parser.add_argument("--model", metavar="DIR",
                        help="model bundle folder (default: the shipped model, or $COMPOSER_MODEL)")
    options.add_sampling(parser)
    parser.add_argument("--takes", type=options.count(1, 16), default=1, metavar="N",
                        help="write the N best regenerations (default 1)")
    parser.add_argument("--pool", type=options.count(1, 64), metavar="K",
                        help="candidates to choose from (default: 4 per take, at least 8)")
    parser.add_argument("--random-seed", type=options.SEED, metavar="S",
                        help="same seed, same settings -> the same music (default: random, "
                             "printed and written into the file)")
    parser.add_argument("--key-lock", action="store_true",
                        help="new notes only in the piece's key")


def run(args: argparse.Namespace) -> int:
    if "numpy" not in sys.modules:
        limit_threads(1)
    import random

    from composer import __version__
    from composer.bundle import default_model_dir, load_bundle
    from composer.commands.generate import output_paths
    from composer.commands.progress import terminal_progress
    from composer.errors import ModelBundleError, SettingsError
    from composer.generate import GenerationSettings
    from composer.infill import (
        bars_region,
        check_region,
        infill,
        merge_infill,
        parse_bars,
        provenance,
    )
    from composer.midi_io import read_midi, write_midi
    from composer.outputs import MIDI, bundle_inputs, check_output_file

    if not args.input.strip():
        raise SettingsError("the input file name is empty")
    source = Path(args.input)
    try:
        first, last = parse_bars(args.bars)
    except SettingsError as exc:
        raise SettingsError(f"{source}: {exc}") from None
    settings = GenerationSettings(
        temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, takes=args.takes,
        random_seed=(args.random_seed if args.random_seed is not None
                     else random.SystemRandom().randrange(2**31)),
        key_lock=args.key_lock)
    settings.validate()
    if args.pool is not None and args.pool < args.takes:
        raise SettingsError(f"--pool {args.pool}: must be at least --takes {args.takes}")
    if args.output is not None and not args.output.strip():
        raise SettingsError("-o: the file name is empty")
    default = f"{source.stem}-infill.mid"
    outputs = output_paths(source, args.output or default, settings.takes)
    model_dir = Path(args.model) if args.model else default_model_dir()
    for out in outputs:
        check_output_file(out, option="-o", inputs=[source, *bundle_inputs(model_dir)],
                          file_type=MIDI, replace=args.force)
    piece = read_midi(source)
    region = bars_region(piece, first, last, str(source))
    check_region(piece, region, str(source))
    if args.model is None and not default_model_dir().is_dir():
        raise ModelBundleError(f"no model at {default_model_dir()} (the default): pass "
                               f"--model DIR, set $COMPOSER_MODEL, or train one")
    bundle = load_bundle(model_dir)
    with terminal_progress(f"regenerating {region.label}") as progress:
        takes = infill(bundle, piece, region, settings, pool=args.pool, name=str(source),
                       progress=progress)
    for take, out in zip(takes, outputs):
        merged = merge_infill(piece, take)
        write_midi(out, merged, texts=provenance(bundle, source.name, region, settings, take,
                                                 __version__),
                   generated=take.notes)
        kept = len(merged.notes) - len(take.notes)
        print(f"wrote {out}: {region.label} (beats {take.start_beat:g}-{take.end_beat:g}) "
              f"regenerated, {len(take.notes)} new notes, {kept} kept; candidate "
              f"{take.candidate + 1} of {take.pool}, random seed {settings.random_seed}")
    return 0
