"""A model on another grid than the default 12 steps per beat: where the continuation starts
and how long it is come from the model's grid (issue 13: ``continuation_beats`` once used the
default grid whatever the model's)."""

from __future__ import annotations

import pytest

from composer.bundle import load_bundle
from composer.generate import GenerationSettings, continuation_beats, generate, seed_end_beat
from composer.notes import Note, Piece, TempoChange, TimeSignature


@pytest.fixture(scope="module")
def coarse_bundle(tmp_path_factory):
    """An untrained bundle with 4 steps per beat (sixteenths): real Keras model, real export."""
    import keras

    from composer.config import ModelConfig
    from composer.model import build_model, save_bundle
    from composer.vocabulary import TokenizerSettings, Vocabulary

    keras.utils.set_random_seed(3)
    vocab = Vocabulary(TokenizerSettings(steps_per_beat=4, max_shift_steps=16))
    config = ModelConfig(vocab_size=len(vocab), embedding_dim=8, lstm_units=(16,), dropout=0.0)
    folder = tmp_path_factory.mktemp("coarse") / "coarse"
    save_bundle(folder, build_model(config), config, vocab, info={"name": "coarse"})
    return load_bundle(folder)


def seed() -> Piece:
    # Ends at 0.9 beats, early in its bar, so the continuation starts where it ends: on the
    # 12-step grid at 0.9167, on the 4-step grid at 1.0.
    return Piece(notes=(Note(0.0, 0.5, 60), Note(0.5, 0.9, 64)), tempos=(TempoChange(0, 60.0),),
                 time_signatures=(TimeSignature(0.0, 4, 4),))


def test_start_and_length_come_from_the_models_grid(coarse_bundle):
    assert seed_end_beat(seed()) == pytest.approx(11 / 12)
    assert seed_end_beat(seed(), 4) == 1.0
    settings = GenerationSettings(bars=None, seconds=2.0, random_seed=1)
    assert continuation_beats(seed(), settings, 4) == pytest.approx(2.0)
    take = generate(coarse_bundle, seed(), settings)[0]
    assert take.start_beat == 1.0
    assert take.end_beat == pytest.approx(3.0)
    assert all(1.0 <= n.start and n.end <= 3.0 + 1e-9 for n in take.notes)
    assert all((n.start * 4).is_integer() for n in take.notes)
