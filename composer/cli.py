"""The ``composer`` command line.

Each subcommand lives in ``composer/commands/<name>.py`` with two functions, ``configure(parser)``
and ``run(args) -> int``. Those modules import nothing heavy at the top, so ``composer --help``
and ``composer generate`` start fast; TensorFlow is only imported by the commands that train.
Every ``ComposerError`` ends as one line on stderr and exit status 2; ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from collections.abc import Sequence

from composer import __version__
from composer.blas import limit_threads
from composer.errors import ComposerError, one_line

COMMANDS = {
    "generate": "continue a seed MIDI file with the model",
    "tokenize": "print a MIDI file as model events (and write it back with --roundtrip)",
    "prepare": "turn the music21 classical corpus (and your MIDI files) into training tokens",
    "train": "train a model (or fine-tune one with --from) and save a model bundle",
    "evaluate": "measure a model's NLL per event against n-gram baselines",
    "render": "render a MIDI file to a WAV file",
    "play": "play a MIDI file through the sound card or a MIDI output port",
    "ports": "list MIDI input and output ports",
    "live": "call-and-response with a MIDI keyboard",
    "infill": "regenerate bars A-B of a MIDI file so they lead into what follows",
    "harmonize": "add alto, tenor and bass under a melody (Bach chorale style)",
    "adapt": "adapt a model to liked and disliked MIDI files (writes a model bundle)",
}
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line, like every other error, and a mistyped
    command or option is answered with the closest real one (``genrate``: did you mean
    ``generate``?), found with difflib among the names this parser knows."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}  # the top parser's, by name

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")

    def _check_value(self, action: argparse.Action, value) -> None:
        if action.choices is None or value in action.choices:
            return
        names = [str(choice) for choice in action.choices]
        what = ("unknown command" if isinstance(action, argparse._SubParsersAction)
                else f"argument {'/'.join(action.option_strings) or action.metavar}: "
                     "invalid choice")
        message = f"{what} {value!r}"
        close = _closest(str(value), names)
        message += f"; did you mean {close!r}?" if close else f" (choose from {', '.join(names)})"
        raise argparse.ArgumentError(None, message)

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        namespace, extras = self.parse_known_args(args, namespace)
        if extras:
            self._unrecognized(namespace, extras)
        return namespace

    def _unrecognized(self, namespace: argparse.Namespace, extras: list[str]) -> None:
        """One line for the arguments nobody took, from the parser of the command given (it
        knows the options): the first unknown option with the closest real one."""
        parser = self.commands.get(getattr(namespace, "command", None) or "", self)
        word = extras[0]
        if word.startswith("-") and len(word) > 1:
            known = [name for action in parser._actions for name in action.option_strings]
            close = _closest(word.split("=", 1)[0], known)
            hint = f"; did you mean {close}?" if close else ""
            parser.error(f"unknown option {word}{hint}")
        parser.error(f"unrecognized arguments: {' '.join(extras)}")


def _closest(word: str, names: Sequence[str]) -> str | None:
    """The name closest to ``word`` if one is close enough to be what was meant."""
    found = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return found[0] if found else None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="composer", description="Continue music with an LSTM trained on "
                     "classical pieces, offline.")
    parser.add_argument("--version", action="version", version=f"composer {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, summary in COMMANDS.items():
        module = _command_module(name)
        if module is None:
            continue
        command = sub.add_parser(name, help=summary, description=summary)
        parser.commands[name] = command
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
        )
        module.configure(command)
        command.set_defaults(_run=module.run)
    return parser


def _command_module(name: str):
    try:
        return importlib.import_module(f"composer.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"composer.commands.{name}":
            return None  # a command not built yet
        raise


# Commands whose work is small matrix products: one BLAS thread (composer.blas), set before
# the parser is built, because building it imports NumPy (the commands' defaults).
ONE_BLAS_THREAD = frozenset({"generate", "infill", "harmonize", "live"})


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else [str(a) for a in argv]
    if "numpy" not in sys.modules and ONE_BLAS_THREAD.intersection(words[:1]):
        limit_threads(1)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args._run(args) or EXIT_OK)
    except ComposerError as exc:
        if args.debug:
            raise
        print(f"composer {args.command}: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"composer {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
