"""Copy, paste and duplicate of notes: where copied notes land.

Copied notes are kept relative to their first onset, so a paste lands at the play cursor (the
place the person last clicked in the ruler), which is what DAWs do. Duplicate puts the copy
straight after the selection, its span rounded up to the snap grid, so a one-bar figure
duplicates into the next bar and can be repeated with the same key. Notes keep their origin:
a kept take moved by cut and paste is still generated material.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from gui.document import RollNote


@dataclass(frozen=True)
class Clip:
    """Notes (with their origins) moved so that the first onset is beat 0."""

    notes: tuple[RollNote, ...]

    @property
    def length(self) -> float:
        return max(rn.note.end for rn in self.notes)


def clip_of(notes: Iterable[RollNote]) -> Clip | None:
    """The notes as a clip (None for no notes)."""
    notes = sorted(notes, key=lambda rn: rn.note)
    if not notes:
        return None
    first = notes[0].note.start
    return Clip(tuple(replace(rn, note=rn.note.shifted(-first)) for rn in notes))


def placed(clip: Clip, at: float) -> list[RollNote]:
    """The clip's notes starting at beat ``at`` (never before beat 0)."""
    at = max(at, 0.0)
    return [replace(rn, note=rn.note.shifted(at)) for rn in clip.notes]


def duplicate_at(clip: Clip, first: float, grid: float | None) -> float:
    """Where a duplicate of ``clip``, copied from beat ``first``, starts: right after its
    length, rounded up to ``grid`` beats (None: not rounded, for snapping switched off)."""
    if grid is None:
        return first + clip.length
    steps = max(math.ceil(clip.length / grid - 1e-9), 1)
    return first + steps * grid
