"""``composer tokenize IN.mid [--json] [--roundtrip OUT.mid]``."""

from __future__ import annotations

import argparse
import json
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN.mid", help="MIDI file to tokenize")
    parser.add_argument("--json", action="store_true", help="print ids and names as JSON")
    parser.add_argument(
        "--roundtrip", metavar="OUT.mid", help="decode the events and write them to OUT.mid"
    )


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from composer.midi_io import read_midi, require_notes, write_midi
    from composer.tokenizer import Tokenizer

    piece = require_notes(read_midi(args.input), args.input)
    tokenizer = Tokenizer()
    ids = tokenizer.encode(piece.notes, piece.pedals)
    names = tokenizer.event_names(ids)
    if args.json:
        json.dump({"ids": ids, "events": names}, sys.stdout)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(names) + "\n")
    if args.roundtrip:
        decoded = tokenizer.decode(ids)
        write_midi(args.roundtrip, replace(piece, notes=decoded.notes, pedals=decoded.pedals))
    return 0
