"""``composer render IN.mid -o OUT.wav [--force] [--sample-rate HZ] [--synth ...]``.

Renders with the General MIDI SoundFont when ``tinysoundfont`` is installed, else with the
built-in additive synthesizer; prints the file written and its loudness, so a silent render is
noticed at once.
"""

from __future__ import annotations

import argparse

from composer.commands import options


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN.mid", help="MIDI file to render")
    parser.add_argument("-o", "--output", metavar="OUT.wav", required=True,
                        help="WAV file to write (16-bit stereo)")
    parser.add_argument("--force", action="store_true",
                        help="replace OUT.wav if it exists already")
    parser.add_argument("--sample-rate", type=options.SAMPLE_RATE, default=44100, metavar="HZ",
                        help="sample rate (default 44100)")
    parser.add_argument("--synth", choices=("auto", "soundfont", "additive"), default="auto",
                        help="auto: the GM SoundFont if tinysoundfont is installed, else the "
                             "built-in additive synth")


def run(args: argparse.Namespace) -> int:
    from composer.audio import write_wav
    from composer.midi_io import read_midi, require_notes
    from composer.outputs import WAV, check_output_file

    args.output = check_output_file(args.output, option="-o", inputs=[args.input],
                                    file_type=WAV, replace=args.force)
    piece = require_notes(read_midi(args.input), args.input)
    info = write_wav(piece, args.output, sample_rate=args.sample_rate, synth=args.synth)
    print(f"wrote {info.path} ({info.seconds:.1f} s, RMS {_db(info.rms)} dBFS, "
          f"peak {_db(info.peak)} dBFS)")
    return 0


def _db(value: float) -> str:
    import math

    return "-inf" if value <= 0 else f"{20 * math.log10(value):.1f}"
