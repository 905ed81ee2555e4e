"""``composer tokenize IN.mid [--json] [--roundtrip OUT.mid [--force]]``.

Shows exactly what the model sees of a file (one event name a line, or ids and names as JSON),
and with ``--roundtrip`` writes the decoded events back to MIDI, so a person can hear what the
time grid and the velocity bins keep of their music.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN.mid", help="MIDI file to tokenize")
    parser.add_argument("--json", action="store_true", help="print ids and names as JSON")
    parser.add_argument(
        "--roundtrip", metavar="OUT.mid", help="decode the events and write them to OUT.mid"
    )
    parser.add_argument("--force", action="store_true",
                        help="replace OUT.mid if it exists already")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from composer.midi_io import read_midi, require_notes, write_midi
    from composer.outputs import MIDI, check_output_file
    from composer.tokenizer import Tokenizer

    if args.roundtrip is not None:
        args.roundtrip = check_output_file(args.roundtrip, option="--roundtrip",
                                           inputs=[args.input], file_type=MIDI,
                                           replace=args.force)
    piece = require_notes(read_midi(args.input), args.input)
    tokenizer = Tokenizer()
    ids = tokenizer.encode(piece.notes, piece.pedals)
    if args.roundtrip is not None:
        decoded = tokenizer.decode(ids)
        write_midi(args.roundtrip, replace(piece, notes=decoded.notes, pedals=decoded.pedals))
    names = tokenizer.event_names(ids)
    text = json.dumps({"ids": ids, "events": names}) if args.json else "\n".join(names)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # `composer tokenize x.mid | head`: the reader left, which is not an error. Point
        # stdout at /dev/null so the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0
