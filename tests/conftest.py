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
def primitive_pieces():
    """The music21 test MIDI files as pieces (those with notes)."""
    from composer.midi_io import read_midi

    pieces = [read_midi(path) for path in music21_test_midis()]
    return [piece for piece in pieces if piece.notes]


def _train_tiny(folder: Path, pieces, *, conditioned: bool) -> Path:
    import keras
    import numpy as np

    from composer.conditioning import Conditioning, token_features
    from composer.config import ModelConfig
    from composer.model import build_model, save_bundle
    from composer.tokenizer import Tokenizer
    from composer.vocabulary import Vocabulary

    keras.utils.set_random_seed(7)
    vocab = Vocabulary.from_json(_default_vocab_json())
    tokenizer = Tokenizer(vocab.settings)
    conditioning = Conditioning(composers=("unknown", "test"))
    sizes = {}
    if conditioned:
        sizes = {"positions": conditioning.positions, "meters": len(conditioning.meters),
                 "styles": len(conditioning.styles), "composers": len(conditioning.composers)}
    config = ModelConfig(vocab_size=len(vocab), embedding_dim=16, lstm_units=(32, 32),
                         dropout=0.0, **sizes)
    model = build_model(config)
    model.compile(optimizer=keras.optimizers.Adam(5e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    window = 64
    rng = np.random.default_rng(0)
    tokens, positions, meters = [], [], []
    for piece in pieces:
        ids = np.asarray(tokenizer.encode(piece.notes, piece.pedals))
        p, m = token_features(ids, vocab, piece.time_signatures)
        tokens.append(ids)
        positions.append(p)
        meters.append(m)
    flat = np.concatenate(tokens)
    starts = rng.integers(0, len(flat) - window - 1, size=512)
    x = np.stack([flat[s : s + window] for s in starts]).astype("int32")
    y = np.stack([flat[s + 1 : s + window + 1] for s in starts]).astype("int32")
    inputs = x
    if conditioned:
        cut = {name: np.concatenate(values) for name, values in
               (("positions", positions), ("meters", meters))}
        inputs = {"ids": x, **{name: np.stack([cut[name][s : s + window] for s in starts])
                               .astype("int32") for name in cut},
                  "styles": rng.integers(0, len(conditioning.styles), (512, 1)).repeat(window, 1)
                  .astype("int32"),
                  "composers": np.ones((512, window), "int32")}
    model.fit(inputs, y, batch_size=32, epochs=2, verbose=0)
    save_bundle(folder, model, config, vocab, info={"name": "tiny-test-model"},
                conditioning=conditioning if conditioned else None)
    return folder


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory, primitive_pieces):
    """Path of a tiny trained model bundle (real Keras model, real weights export) with the
    extra inputs of the shipped model (position, metre, style, composer)."""
    return _train_tiny(tmp_path_factory.mktemp("bundle") / "tiny", primitive_pieces,
                       conditioned=True)


@pytest.fixture(scope="session")
def tiny_plain_bundle(tmp_path_factory, primitive_pieces):
    """The same without extra inputs: the layout of bundles made before them."""
    return _train_tiny(tmp_path_factory.mktemp("bundle") / "plain", primitive_pieces,
                       conditioned=False)


def _default_vocab_json() -> str:
    from composer.vocabulary import TokenizerSettings, Vocabulary

    return Vocabulary(TokenizerSettings()).to_json()
