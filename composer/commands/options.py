"""The ranges of the commands' numeric options, checked once, before any work.

Why a module of its own: ``float("nan")``, ``1e-320`` and ``-1`` all parse, and each did harm
far from the option that caused it (a generation that never ends, a training run that says
"no trained weights yet" after an hour with ``--lr nan``). Every command uses the same
:class:`Number` rules, in one of two ways:

- as an argparse ``type=`` (``parser.add_argument("--top-p", type=TOP_P)``), so a bad value is
  a usage error, one line, exit status 2;
- through :func:`check` on the parsed arguments, for commands whose ``configure`` keeps plain
  ``type=int``/``float``; the message and the exit status are the same.

Messages name the option and say what is wanted: ``--dropout: must be at least 0 and below 1
(got 1.5)``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from dataclasses import dataclass

from composer.errors import SettingsError
from composer.limits import TEMPERATURE_RANGE


@dataclass(frozen=True)
class Number:
    """A finite int or float within ``low``..``high`` (either end may be open or absent)."""

    kind: type = float
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def check(self, value) -> int | float:
        """``value`` if it is in range, else ``ValueError`` with the reason."""
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"must be a whole number (got {value!r})")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number (got {value!r})")
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number (got {value})")
        below = self.low is not None and (value <= self.low if self.low_open
                                          else value < self.low)
        above = self.high is not None and (value >= self.high if self.high_open
                                           else value > self.high)
        if below or above:
            raise ValueError(f"must be {self.describe()} (got {value:g})")
        return value

    def describe(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"above {self.low:g}" if self.low_open else f"at least {self.low:g}")
        if self.high is not None:
            parts.append(f"below {self.high:g}" if self.high_open else f"at most {self.high:g}")
        return " and ".join(parts) or "finite"

    def __call__(self, text: str) -> int | float:
        """argparse ``type=``: parse ``text`` and check it."""
        try:
            value = self.kind(text.strip()) if self.kind is int else float(text)
        except ValueError:
            word = "whole number" if self.kind is int else "number"
            raise argparse.ArgumentTypeError(f"must be a {word} (got {text!r})") from None
        try:
            return self.check(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None


def count(low: int = 1, high: int | None = None) -> Number:
    """A whole number from ``low`` (default 1: a positive count)."""
    return Number(int, low, high)


def share(*, high_open: bool = False) -> Number:
    """A share: 0..1 (or 0..<1)."""
    return Number(float, 0.0, 1.0, high_open=high_open)


def positive(high: float | None = None) -> Number:
    return Number(float, 0.0, high, low_open=True)


SEED = count(0, 2**32 - 1)  # NumPy's and Keras's seeds are 32-bit
TEMPERATURE = Number(float, *TEMPERATURE_RANGE)  # the one rule, shared with the library
TOP_K = count(0, 100_000)
TOP_P = Number(float, 0.0, 1.0, low_open=True)
POLYPHONY = count(1, 128)
START_BEAT = Number(float, 0.0, 1e6)
SAMPLE_RATE = count(8000, 192_000)

# The numeric options of `composer train`, by dest; checked with check() because
# commands/train.py keeps plain types.
TRAIN = {
    "layers": count(1, 16), "units": count(1, 8192), "embedding": count(1, 8192),
    "dropout": share(high_open=True), "sequence_length": count(2, 100_000),
    "batch_size": count(1, 65_536), "lr": Number(float, 0.0, 1.0, low_open=True),
    "steps_per_epoch": count(1, 1_000_000), "max_epochs": count(1, 1_000_000),
    "max_minutes": positive(1e6), "patience": count(1, 1_000_000),
    "balance": share(), "piano_share": share(), "seed": SEED,
}
PREPARE = {"limit": count(1), "jobs": count(1, 1024)}


# Options whose dest is not their name (train's random seed keeps the dest its library uses).
OPTION_NAMES = {"seed": "--random-seed"}


def add_sampling(parser) -> None:
    """``--temperature``, ``--top-k`` and ``--top-p`` with the library's defaults: ``generate``
    and ``live`` sample the same way, so they take the same options with the same help."""
    parser.add_argument("--temperature", type=TEMPERATURE, default=1.0, metavar="T",
                        help="below 1: safer, above 1: wilder (default %(default)s)")
    parser.add_argument("--top-k", type=TOP_K, default=0, metavar="K",
                        help="sample only among the K likeliest events (default 0: off)")
    parser.add_argument("--top-p", type=TOP_P, default=0.95, metavar="P",
                        help="sample only among the likeliest events that make up P of the "
                             "probability (default %(default)s; 1: off)")


def check(args: argparse.Namespace, rules: Mapping[str, Number]) -> None:
    """Check the parsed ``args`` against ``rules`` (dest -> Number); None means not given."""
    for dest, rule in rules.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        try:
            rule.check(value)
        except ValueError as exc:
            name = OPTION_NAMES.get(dest, f"--{dest.replace('_', '-')}")
            raise SettingsError(f"{name}: {exc}") from None


class DeprecatedAlias(argparse.Action):
    """An old option name that still works, hidden from ``--help``, with one warning line.

    ``--seed`` was the random seed in ``live`` and ``train`` and the seed file in
    ``generate``; ``--random-seed`` is now the random seed everywhere, and old scripts keep
    running. Add it after the new option, with the same ``dest``::

        parser.add_argument("--seed", dest="random_seed", type=SEED,
                            action=DeprecatedAlias, new="--random-seed")
    """

    def __init__(self, option_strings, dest, *, new: str, **kwargs) -> None:
        kwargs.setdefault("help", argparse.SUPPRESS)
        kwargs.setdefault("default", argparse.SUPPRESS)  # the new option's default stands
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        import sys

        print(f"{parser.prog}: warning: {option_string} is now {self.new} (the old name "
              "still works for now)", file=sys.stderr)
        setattr(namespace, self.dest, values)
