"""``composer live --input PORT [--output PORT] [--model DIR] [options]``: call and response.

Play a phrase on the keyboard; when you let go of the keys and the pedal and stay silent for a
moment (about two of your inter-onset intervals, between 0.4 s and ``--max-wait``), composer
answers with a continuation of about the same length, on ``--output`` or, without it, through
the sound card. Play again and the answer stops. Ctrl-C (or SIGTERM) ends the session.
Ports that vanish (a keyboard unplugged) are waited for and reopened.
"""

from __future__ import annotations

import argparse

from composer.commands import options
from composer.commands.ports import API_HELP


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", metavar="PORT", required=True,
                        help="MIDI input port of the keyboard (see `composer ports`)")
    parser.add_argument("--output", metavar="PORT",
                        help="MIDI output port for the answers (default: the built-in synth "
                             "through the sound card)")
    parser.add_argument("--api", metavar="API", help=API_HELP)
    parser.add_argument("--model", metavar="DIR", help="model bundle (default: models/default)")
    parser.add_argument("--max-wait", type=options.positive(60), default=2.0, metavar="S",
                        help="longest silence before answering, in seconds (default 2.0)")
    parser.add_argument("--min-wait", type=options.positive(60), default=0.4, metavar="S",
                        help="shortest silence that ends a phrase (default 0.4)")
    parser.add_argument("--bpm", type=options.Number(float, 10, 400), metavar="BPM",
                        help="your tempo (default: estimated from each phrase)")
    parser.add_argument("--max-bars", type=options.positive(64), default=8.0, metavar="N",
                        help="longest answer in bars (default 8)")
    parser.add_argument("--echo", action="store_true",
                        help="also play your notes on the output (for a keyboard without sound)")
    parser.add_argument("--synth", choices=("auto", "soundfont", "additive"), default="auto",
                        help="built-in synthesizer when no --output is given")
    gen = parser.add_argument_group("generation")
    options.add_sampling(gen)
    gen.add_argument("--key-lock", action="store_true", help="stay in the phrase's key")
    gen.add_argument("--max-polyphony", type=options.POLYPHONY, default=10, metavar="N",
                     help="at most N notes at once (default %(default)s)")
    gen.add_argument("--random-seed", type=options.SEED, metavar="S",
                     help="random seed: the same phrase gets the same answer (default: random)")
    gen.add_argument("--seed", type=options.SEED, dest="random_seed",
                     action=options.DeprecatedAlias, new="--random-seed")


def run(args: argparse.Namespace) -> int:
    import signal
    import sys
    import threading

    from composer.blas import limit_threads

    # One BLAS thread keeps the answer's latency flat on a busy machine (composer/blas.py);
    # numpy reads this when it is first imported, which the lazy imports below guarantee
    # unless the caller imported it already.
    limit_threads(1)
    sys.setswitchinterval(0.001)  # the scheduler thread gets the GIL back within ~1 ms

    from composer.answer import model_answerer
    from composer.bundle import load_bundle
    from composer.generate import GenerationSettings
    from composer.live import LiveSession, LiveSettings

    settings = LiveSettings(min_wait=args.min_wait, max_wait=args.max_wait, bpm=args.bpm,
                            max_answer_bars=args.max_bars, echo=args.echo)
    generation = GenerationSettings(
        temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
        key_lock=args.key_lock, max_polyphony=args.max_polyphony, random_seed=args.random_seed,
    )
    generation.validate()
    bundle = load_bundle(args.model)
    session = LiveSession(
        model_answerer(bundle, generation), args.input, args.output, api=args.api,
        settings=settings, synth=args.synth,
        on_status=lambda text: print(f"live: {text}", flush=True),
    )
    stop = threading.Event()
    # Ctrl-C and `kill` (SIGTERM) both end the session cleanly: the answer's notes are ended
    # and the ports closed, so nothing is left hanging on a synthesizer.
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    session.start()
    try:
        while session.is_running() and not stop.is_set():
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        session.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0
