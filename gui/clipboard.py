"""Copy, paste and duplicate of notes: where copied notes land.

Copied notes are kept relative to their first onset, so a paste lands at the play cursor (the
place the person last clicked in the ruler), which is what DAWs do. Duplicate puts the copy
straight after the selection, its span rounded up to the snap grid, so a one-bar figure
duplicates into the next bar and can be repeated with the same key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from composer.notes import Note


@dataclass(frozen=True)
class Clip:
    """Notes moved so that the first onset is beat 0."""

    notes: tuple[Note, ...]

    @property
    def length(self) -> float:
        return max(n.end for n in self.notes)


def clip_of(notes: Iterable[Note]) -> Clip | None:
    """The notes as a clip (None for no notes)."""
    notes = sorted(notes)
    if not notes:
        return None
    first = notes[0].start
    return Clip(tuple(n.shifted(-first) for n in notes))


def placed(clip: Clip, at: float) -> list[Note]:
    """The clip's notes starting at beat ``at`` (never before beat 0)."""
    at = max(at, 0.0)
    return [n.shifted(at) for n in clip.notes]


def duplicate_at(notes: Iterable[Note], grid: float) -> float:
    """Where a duplicate of ``notes`` starts: after their span, rounded up to ``grid`` beats."""
    notes = list(notes)
    first = min(n.start for n in notes)
    span = max(n.end for n in notes) - first
    steps = max(math.ceil(span / grid - 1e-9), 1)
    return first + steps * grid
