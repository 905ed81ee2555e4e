"""Taste statistics, what liked and disliked takes have in common, and the steering it gives."""

from __future__ import annotations

import numpy as np
import pytest

from composer.bundle import load_bundle
from composer.generate import GenerationSettings, generate
from composer.notes import Note
from composer.ratings import DISLIKE, LIKE, MORE, Rating
from composer.taste import STATS, Taste, features, take_stats
from composer.vocabulary import TokenizerSettings, Vocabulary


def _rating(verdict: str, per_beat: int, pitch: int = 60, length: float = 0.25) -> Rating:
    step = 1 / per_beat
    notes = tuple(Note(4 + i * step, 4 + i * step + length, pitch + (i % 3), 80)
                  for i in range(8 * per_beat))
    return Rating(verdict, notes, 4.0, 12.0)


def test_take_stats_measure_what_they_say():
    notes = [Note(0, 1, 60, 60), Note(1, 1.5, 72, 100), Note(1.25, 2, 64, 80),
             Note(9, 10, 50, 50)]  # the last starts after the end
    stats = take_stats(notes, 0.0, 4.0)
    assert stats.notes == 3
    assert stats.density == pytest.approx(0.75)
    assert stats.pitch == pytest.approx((60 + 72 + 64) / 3)
    assert stats.duration == pytest.approx((1 + 0.5 + 0.75) / 3)
    assert stats.velocity == pytest.approx(80)
    assert stats.rhythm == pytest.approx(0.5)  # 0 -> 1 is slow, 1 -> 1.25 quick
    empty = take_stats([], 0.0, 4.0)
    assert empty.notes == 0 and empty.density == 0 and np.isnan(empty.pitch)


def test_likes_of_sparse_takes_and_dislikes_of_dense_ones_read_as_sparser():
    ratings = [_rating(LIKE, 1) for _ in range(5)] + [_rating(DISLIKE, 4) for _ in range(5)]
    taste = Taste.from_ratings(ratings)
    assert taste.likes == 5 and taste.dislikes == 5
    assert taste.directions["density"] < 0 and taste.confidence["density"] > 0.5
    assert "pitch" not in taste.steered()  # the same register in both groups
    assert taste.describe().startswith("sparser")


def test_one_pair_of_ratings_steers_little_and_likes_alone_nothing():
    few = Taste.from_ratings([_rating(LIKE, 1), _rating(DISLIKE, 4)])
    many = Taste.from_ratings([_rating(LIKE, 1)] * 6 + [_rating(DISLIKE, 4)] * 6)
    assert abs(few.steered().get("density", 0)) < abs(many.steered()["density"])
    assert Taste.from_ratings([_rating(LIKE, 1)] * 4).steered() == {}
    assert Taste.from_ratings([_rating(LIKE, 1)] * 4).bias(
        Vocabulary(TokenizerSettings())) is None
    assert Taste().describe() == "no clear taste yet"


def test_more_like_this_weighs_double():
    assert _rating(MORE, 1).weight == 2 * _rating(LIKE, 1).weight


def test_the_bias_lowers_note_ons_for_a_sparser_taste_and_raises_high_pitches_for_higher():
    vocab = Vocabulary(TokenizerSettings())
    sparse = Taste.from_ratings([_rating(LIKE, 1)] * 5 + [_rating(DISLIKE, 4)] * 5)
    bias = sparse.bias(vocab)
    on = slice(vocab.note_on_base, vocab.note_on_base + vocab.pitch_count)
    assert (bias[on] < 0).all()
    assert bias[vocab.shift(1)] <= 0 <= bias[vocab.shift(vocab.settings.max_shift_steps)]
    assert bias[vocab.pad] == bias[vocab.bos] == 0
    high = Taste.from_ratings([_rating(LIKE, 2, pitch=80)] * 5
                              + [_rating(DISLIKE, 2, pitch=50)] * 5)
    high_bias = high.bias(vocab)
    assert high_bias[vocab.note_on(90)] > 0 > high_bias[vocab.note_on(40)]
    assert set(features(vocab)) == set(STATS)


def test_a_take_fits_the_taste_it_was_liked_for():
    taste = Taste.from_ratings([_rating(LIKE, 1)] * 5 + [_rating(DISLIKE, 4)] * 5)
    reference = {"density": (2.0, 1.0)}
    sparse = take_stats(_rating(LIKE, 1).notes, 4, 12)
    dense = take_stats(_rating(LIKE, 4).notes, 4, 12)
    assert taste.fit(sparse, reference) > taste.fit(dense, reference)
    assert Taste().fit(sparse, reference) == 0.0


def test_steering_moves_real_takes_and_no_steering_changes_nothing(tiny_bundle,
                                                                   primitive_pieces):
    bundle = load_bundle(tiny_bundle)
    seed = max(primitive_pieces, key=lambda p: len(p.notes))
    settings = GenerationSettings(bars=4, takes=4, random_seed=3, repetition_guard=False)
    plain = generate(bundle, seed, settings)
    assert [t.notes for t in generate(bundle, seed, settings, steer=None)] == \
        [t.notes for t in plain]
    sparse = Taste.from_ratings([_rating(LIKE, 1)] * 5 + [_rating(DISLIKE, 4)] * 5)
    dense = Taste.from_ratings([_rating(LIKE, 4)] * 5 + [_rating(DISLIKE, 1)] * 5)
    fewer = generate(bundle, seed, settings, steer=sparse.bias(bundle.vocab, strength=3))
    more = generate(bundle, seed, settings, steer=dense.bias(bundle.vocab, strength=3))

    def notes(takes):
        return sum(len(t.notes) for t in takes)

    assert notes(fewer) < notes(plain) < notes(more)
