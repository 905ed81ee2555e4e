"""Progress of long work on stderr, for a person watching a terminal only.

Why only on a terminal: a script that pipes stderr into a log, or a test, wants the one-line
messages and nothing else, and a progress bar is a stream of carriage returns there. The bar
(tqdm, imported only when it is shown) removes itself when the work is done, so what stays on
the screen is what the command printed.
"""

from __future__ import annotations

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

    with tqdm(total=100, desc=description, unit="%", file=stream, leave=False,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}") as bar:
        def progress(fraction: float) -> None:
            bar.update(max(0, round(100 * min(fraction, 1.0)) - bar.n))

        yield progress
