"""Progress of long work on stderr, for a person watching a terminal only.

Why only on a terminal: a script that pipes stderr into a log, or a test, wants the one-line
messages and nothing else, and a progress bar is a stream of carriage returns there. The bar
(tqdm, imported only when it is shown) removes itself when the work is done, so what stays on
the screen is what the command printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


@contextmanager
def terminal_progress(description: str, stream: TextIO | None = None
                      ) -> Iterator[Callable[[float], None] | None]:
    """A ``progress(fraction)`` callback drawing a bar on ``stream`` (default: stderr) if it
    is a terminal, else ``None`` (the work is not asked to report at all)."""
    stream = sys.stderr if stream is None else stream
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        interactive = False
    if not interactive:
        yield None
        return
    from tqdm import tqdm

    columns, lines = _size(stream)
    with tqdm(total=100, desc=description, unit="%", file=stream, leave=False,
              ncols=columns, nrows=lines,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}") as bar:
        def progress(fraction: float) -> None:
            bar.update(max(0, round(100 * min(fraction, 1.0)) - bar.n))

        yield progress


def _size(stream: TextIO) -> tuple[int, int]:
    """The terminal's columns and lines; 80x24 for one that does not say (a serial console,
    a new pseudo-terminal: 0x0, with which tqdm would draw nothing at all)."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return 80, 24
    return size.columns or 80, size.lines or 24
