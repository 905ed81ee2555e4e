"""``composer ports [--api API] [--json]``: list the MIDI input and output ports.

Exit status: 0 when the MIDI system answered, even with no ports at all (then it says so);
2 when there is no MIDI system (no ALSA sequencer, no JACK server), with one plain line on
stderr saying which and what to do.
"""

from __future__ import annotations

import argparse

API_HELP = ("MIDI system: alsa, jack, coremidi, winmm (or rtmidi's names such as UNIX_JACK); "
            "default: $COMPOSER_MIDI_API, else the platform's own")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", metavar="API", help=API_HELP)
    parser.add_argument("--json", action="store_true",
                        help='print {"api", "inputs", "outputs"} as JSON (for scripts)')
    parser.epilog = ("Exit status: 0 when the MIDI system answered (even with no ports), "
                     "2 when there is no MIDI system at all (no ALSA sequencer, no JACK server).")


def run(args: argparse.Namespace) -> int:
    from composer.ports import list_ports

    ports = list_ports(args.api)  # NoMidiSystem -> one line on stderr, exit 2 (cli.py)
    if args.json:
        import json

        print(json.dumps({"api": ports.api, "inputs": list(ports.inputs),
                          "outputs": list(ports.outputs)}))
        return 0
    system = ports.api or "default MIDI system"
    if not ports.inputs and not ports.outputs:
        print(f"no MIDI ports ({system}): connect a keyboard or start a synthesizer")
        return 0
    for title, names in (("inputs", ports.inputs), ("outputs", ports.outputs)):
        print(f"MIDI {title} ({system}):")
        for name in names or ("(none)",):
            print(f"  {name}")
    return 0
