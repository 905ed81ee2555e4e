"""Shared fixtures.

``tiny_bundle`` is a real Keras LSTM (2 layers of 32 units) trained for a few dozen steps on
the small MIDI files that ship inside music21 (``music21/midi/testPrimitive``), saved as a
real model bundle. It is built once per test session; tests that need a model use it instead
of the shipped default so they stay fast and do not depend on what is in ``models/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TESTS_DIR = Path(__file__).parent
DATA_DIR = TESTS_DIR / "data"


def music21_test_midis() -> list[Path]:
    import music21

    folder = Path(music21.__file__).parent / "midi" / "testPrimitive"
    return sorted(folder.glob("*.mid"))


@pytest.fixture(scope="session")
def primitive_token_sequences():
    """Token ids of every music21 test MIDI file (the tiny model's training data)."""
    from composer.midi_io import read_midi
    from composer.tokenizer import Tokenizer

    tokenizer = Tokenizer()
    sequences = []
    for path in music21_test_midis():
        piece = read_midi(path)
        if piece.notes:
            sequences.append(tokenizer.encode(piece.notes, piece.pedals))
    return sequences


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory, primitive_token_sequences):
    """Path of a tiny trained model bundle (real Keras model, real weights export)."""
    import keras
    import numpy as np

    from composer.bundle import save_bundle
    from composer.model import ModelConfig, build_model
    from composer.vocabulary import Vocabulary

    keras.utils.set_random_seed(7)
    vocab = Vocabulary.from_json(_default_vocab_json())
    config = ModelConfig(vocab_size=len(vocab), embedding_dim=16, lstm_units=(32, 32),
                         dropout=0.0)
    model = build_model(config)
    model.compile(optimizer=keras.optimizers.Adam(5e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    window = 64
    rng = np.random.default_rng(0)
    flat = np.concatenate([np.asarray(s) for s in primitive_token_sequences])
    starts = rng.integers(0, len(flat) - window - 1, size=512)
    x = np.stack([flat[s : s + window] for s in starts]).astype("int32")
    y = np.stack([flat[s + 1 : s + window + 1] for s in starts]).astype("int32")
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    folder = tmp_path_factory.mktemp("bundle") / "tiny"
    save_bundle(folder, model, config, vocab, info={"name": "tiny-test-model"})
    return folder


def _default_vocab_json() -> str:
    from composer.vocabulary import TokenizerSettings, Vocabulary

    return Vocabulary(TokenizerSettings()).to_json()
