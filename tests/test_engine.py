"""The NumPy engine against the Keras model it was exported from (tiny_bundle, real weights)."""

from __future__ import annotations

import numpy as np
import pytest

from composer.bundle import load_bundle
from composer.engine import LSTMEngine

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def keras_model(tiny_bundle):
    import keras

    return keras.saving.load_model(tiny_bundle / "model.keras", compile=False)


@pytest.fixture(scope="module")
def engine(tiny_bundle):
    return LSTMEngine.from_bundle(load_bundle(tiny_bundle))


@pytest.fixture(scope="module")
def sequences(primitive_token_sequences):
    """Three real event sequences of different lengths (cut to 120 ids to stay fast)."""
    chosen = sorted(primitive_token_sequences, key=len)[-3:]
    return [np.asarray(s[:120], dtype=np.int32) for s in chosen]


def keras_logits(model, ids: np.ndarray) -> np.ndarray:
    return keras_batch_logits(model, ids[None, :])[0]


def keras_batch_logits(model, batch: np.ndarray) -> np.ndarray:
    import keras

    return keras.ops.convert_to_numpy(model(batch, training=False))


def test_whole_sequence_logits_match_keras(engine, keras_model, sequences):
    for ids in sequences:
        logits, _ = engine.run(ids)
        assert logits.shape == (len(ids), engine.vocab_size)
        assert np.max(np.abs(logits - keras_logits(keras_model, ids))) < TOLERANCE


def test_batch_one_steps_match_keras(engine, keras_model, sequences):
    ids = sequences[0][:60]
    expected = keras_logits(keras_model, ids)
    state = engine.initial_state(1)
    for t, token in enumerate(ids):
        logits, state = engine.step([token], state)
        assert np.max(np.abs(logits[0] - expected[t])) < TOLERANCE


def test_batch_of_three_steps_match_keras(engine, keras_model, sequences):
    length = 60
    batch = np.stack([s[:length] for s in sequences])
    expected = keras_batch_logits(keras_model, batch)
    state = engine.initial_state(3)
    for t in range(length):
        logits, state = engine.step(batch[:, t], state)
        assert np.max(np.abs(logits - expected[:, t])) < TOLERANCE


def test_priming_then_stepping_equals_one_pass(engine, sequences):
    ids = sequences[1][:100]
    full, _ = engine.run(ids)
    last, state = engine.prime(ids[:70])
    np.testing.assert_allclose(last, full[69], atol=1e-5)
    state = LSTMEngine.broadcast(state, 2)  # two takes continue from one primed seed
    for t in range(70, 100):
        logits, state = engine.step([ids[t], ids[t]], state)
        np.testing.assert_allclose(logits[0], full[t], atol=1e-5)
        np.testing.assert_array_equal(logits[0], logits[1])


def test_float16_weights_stay_close(tiny_bundle, engine, sequences):
    """The shipped model may store float16 weights: logits move, but only a little."""
    bundle = load_bundle(tiny_bundle)
    half = {k: v.astype(np.float16) for k, v in bundle.weights.items()}
    engine16 = LSTMEngine(half, len(bundle.config.lstm_units))
    ids = sequences[2][:80]
    assert engine16._table.dtype == np.float32
    assert np.max(np.abs(engine16.run(ids)[0] - engine.run(ids)[0])) < 0.05


def test_wrong_batch_is_refused(engine):
    with pytest.raises(ValueError):
        engine.step([1, 2], engine.initial_state(1))
