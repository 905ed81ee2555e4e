"""Velocities of generated notes, spread inside the bins the model writes.

Why: the model writes loudness as one of 16 bins, and the tokenizer writes a velocity event
only when the bin changes, so every note of a chord, and every note of a run, decodes to the
same middle-of-bin velocity: a take sounds like a sequencer, and counts 5–8 distinct
velocities where a pianist's 8 bars have 30 or more (benchmarks/continuation.py). Real piano
music, binned the same way, uses about as many bins per 8 bars as the takes do (median 8 per
800 events on the test split against the takes' 7), so what the bins lose is the spread
*inside* a bin, not the dynamics. That spread is restored here: each note gets a velocity
drawn uniformly from its own bin's range, so it still tokenizes to the bin the model chose
(the model's dynamics are exactly kept; only what quantization threw away is filled in).

The draw is a function of the note alone (its grid step from the take's start, pitch and bin),
not of a random generator or of the order notes are produced in: a take's notes are the same
whether they come from ``generate`` or are streamed one by one to a live answer, takes with the
same events have the same velocities (``--top-k 1`` makes identical takes, and says so), and
the takes' sampling draws are untouched, so every random seed gives the events it gave before.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from composer.notes import Note
from composer.vocabulary import TokenizerSettings

SPREAD_STREAM = 0x5EED  # keys the draw, so it is the same in every version


def spread_velocity(note: Note, settings: TokenizerSettings) -> Note:
    """``note`` (a generated note, beats from the take's start) with a velocity drawn inside
    its bin."""
    bin_index = settings.velocity_bin(note.velocity)
    low, high = settings.velocity_range(bin_index)
    if high <= low:
        return note
    step = int(round(note.start * settings.steps_per_beat))
    draw = np.random.default_rng([SPREAD_STREAM, step, int(note.pitch), bin_index])
    velocity = int(draw.integers(low, high + 1))
    return note if velocity == note.velocity else Note(note.start, note.end, note.pitch,
                                                        velocity)


def spread_velocities(notes: Iterable[Note], settings: TokenizerSettings) -> tuple[Note, ...]:
    """:func:`spread_velocity` of every note."""
    return tuple(spread_velocity(n, settings) for n in notes)
