"""``composer play IN.mid [--port NAME] [--api API] [--start BEAT]``.

Plays through the sound card with the built-in synthesizer, or to a MIDI output port with
``--port``. With no sound card and no port it says so and exits with status 2.
"""

from __future__ import annotations

import argparse

from composer.commands import options
from composer.commands.ports import API_HELP


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN.mid", help="MIDI file to play")
    parser.add_argument("--port", metavar="NAME",
                        help="MIDI output port (see `composer ports`); default: the sound card")
    parser.add_argument("--api", metavar="API", help=API_HELP)
    parser.add_argument("--start", type=options.START_BEAT, default=0.0, metavar="BEAT",
                        help="start at this beat (quarter notes from the beginning)")
    parser.add_argument("--synth", choices=("auto", "soundfont", "additive"), default="auto",
                        help="built-in synthesizer to use for the sound card")


def run(args: argparse.Namespace) -> int:
    import sys

    from composer.errors import AudioError, SettingsError
    from composer.midi_io import read_midi, require_notes
    from composer.playback import Player, open_output

    piece = require_notes(read_midi(args.input), args.input)
    if args.start >= piece.end_beat:
        raise SettingsError(f"--start {args.start:g}: {args.input} ends at beat "
                            f"{piece.end_beat:g}, nothing would play")
    try:
        output = open_output(args.port, api=args.api, synth=args.synth)
    except AudioError as exc:
        raise AudioError(f"{exc}; give a MIDI output port with --port "
                         "(see `composer ports`) or render a WAV file with `composer render`"
                         ) from None
    errors: list[str] = []
    player = Player(output, on_error=errors.append)
    seconds = piece.seconds_at(piece.end_beat) - piece.seconds_at(args.start)
    print(f"playing {args.input} ({seconds:.1f} s) on {output.name}; Ctrl-C stops")
    try:
        player.play(piece, start_beat=args.start)
        while not player.wait(0.2):
            pass
    finally:
        player.stop()
        output.close()
    if errors:
        print(f"composer play: {errors[0]}", file=sys.stderr)
        return 2
    return 0
