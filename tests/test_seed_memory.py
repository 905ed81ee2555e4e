"""composer/seed_memory.py: the seed's n-grams, and what they do to takes."""

import numpy as np
import pytest

from composer.bundle import load_bundle
from composer.generate import GenerationSettings, generate
from composer.notes import Note, Piece
from composer.seed_memory import (
    FULL_ORDER,
    MIN_ORDER,
    SeedMemory,
    memory_log_probs,
    mix_logits,
)

FIGURE = [5, 6, 7, 8, 9, 10]


def test_the_longest_match_decides_what_comes_next():
    memory = SeedMemory([1, 2, 3, 4, 9, 2, 3, 4, 7, 1, 2, 3, 4], 12, strength=0.5)
    weight, q = memory.lookup([1, 2, 3, 4])  # "1 2 3 4" was followed by 9 (and is the end)
    assert q[9] == 1.0
    assert weight == pytest.approx(0.5 * (4 - MIN_ORDER + 1) / FULL_ORDER)
    weight, q = memory.lookup([8, 2, 3, 4])  # only "2 3 4" matches: 9 and 7, once each
    assert q[9] == q[7] == 0.5
    assert memory.lookup([11, 11, 11]) == (0.0, None)
    assert memory.lookup([3, 4]) == (0.0, None)  # shorter than MIN_ORDER


def test_strength_zero_is_off():
    memory = SeedMemory(FIGURE * 4, 12, strength=0.0)
    assert not memory
    assert memory.lookup(FIGURE) == (0.0, None)


def test_mix_logits_is_the_mixture_in_probability():
    logits = np.log(np.array([[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]]))
    q = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    mixed = np.exp(mix_logits(logits, 1.0, np.array([0.5, 0.0]), q))
    np.testing.assert_allclose(mixed[0], [0.25, 0.125, 0.625])
    np.testing.assert_allclose(mixed[1], [0.2, 0.3, 0.5])


def test_memory_log_probs_with_strength_zero_are_the_model():
    rng = np.random.default_rng(0)
    rows = np.log(rng.dirichlet(np.ones(12), size=30))
    ids = (FIGURE * 5)[:30]
    plain = memory_log_probs(rows, ids, 12, 0.0, 12)
    np.testing.assert_allclose(plain, rows[np.arange(12, 30), ids[12:]])
    helped = memory_log_probs(rows, ids, 12, 0.5, 12)
    assert helped.sum() > plain.sum()  # the continuation repeats the seed's figure


def arpeggio_seed(bars: int = 4) -> Piece:
    pitches = [48, 55, 52, 55]  # an Alberti bass, C G E G
    notes = [Note(i * 0.5, i * 0.5 + 0.5, pitches[i % 4], 70) for i in range(bars * 8)]
    return Piece(notes=tuple(notes))


def test_full_memory_keeps_the_seeds_figure(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    seed = arpeggio_seed()
    settings = GenerationSettings(bars=2, takes=2, random_seed=3, repetition_guard=False,
                                  top_p=1.0)
    with_memory = generate(bundle, seed, GenerationSettings(
        **{**settings.__dict__, "seed_memory": 1.0}))
    without = generate(bundle, seed, GenerationSettings(
        **{**settings.__dict__, "seed_memory": 0.0}))
    figure = {48, 55, 52}
    kept = [np.mean([n.pitch in figure for n in t.notes]) for t in with_memory]
    free = [np.mean([n.pitch in figure for n in t.notes]) for t in without]
    assert min(kept) > 0.9
    assert max(free) < min(kept)


def test_seed_memory_out_of_range_is_refused():
    from composer.errors import SettingsError

    with pytest.raises(SettingsError, match="seed memory"):
        GenerationSettings(seed_memory=1.5).validate()
