"""Velocities spread inside their bins (composer/dynamics.py)."""

from __future__ import annotations

from dataclasses import replace

from composer.dynamics import spread_velocities, spread_velocity
from composer.notes import Note
from composer.tokenizer import Tokenizer
from composer.vocabulary import TokenizerSettings

SETTINGS = TokenizerSettings()


def chord_run(velocity: int = 72) -> list[Note]:
    """A four-note chord then an eight-note run, all at one binned velocity, as a take
    decodes them."""
    chord = [Note(0.0, 1.0, p, velocity) for p in (48, 52, 55, 60)]
    run = [Note(1 + i / 4, 1.25 + i / 4, 60 + i, velocity) for i in range(8)]
    return chord + run


def test_every_velocity_stays_in_the_bin_the_model_chose():
    for velocity in (1, 8, 40, 72, 100, 127):
        binned = SETTINGS.bin_velocity(SETTINGS.velocity_bin(velocity))
        notes = [Note(0.0, 1.0, 60, binned)]
        for seed in range(50):
            spread = spread_velocity(replace(notes[0], start=seed / 4, end=seed / 4 + 1), SETTINGS)
            assert SETTINGS.velocity_bin(spread.velocity) == SETTINGS.velocity_bin(binned)
            assert 1 <= spread.velocity <= 127


def test_a_chord_and_a_run_get_several_velocities_and_keep_everything_else():
    notes = chord_run()
    spread = spread_velocities(notes, SETTINGS)
    assert len({n.velocity for n in spread}) >= 4
    assert [(n.start, n.end, n.pitch) for n in spread] == [(n.start, n.end, n.pitch)
                                                           for n in notes]


def test_the_spread_tokenizes_to_the_same_events():
    tokenizer = Tokenizer(SETTINGS)
    notes = chord_run()
    assert tokenizer.encode(spread_velocities(notes, SETTINGS)) == tokenizer.encode(notes)


def test_the_draw_depends_on_the_note_not_on_the_order():
    notes = chord_run()
    forward = spread_velocities(notes, SETTINGS)
    backward = spread_velocities(reversed(notes), SETTINGS)
    assert forward == tuple(reversed(backward))  # streamed or all at once: the same notes
    later = spread_velocities([n.shifted(0.25) for n in notes], SETTINGS)
    assert [n.velocity for n in later] != [n.velocity for n in forward]  # not one pattern
