"""The NumPy engine against the Keras model it was exported from (real weights of tiny
trained bundles: one with the extra inputs of the shipped model, one without)."""

from __future__ import annotations

import numpy as np
import pytest

from composer.bundle import load_bundle
from composer.engine import LSTMEngine

TOLERANCE = 1e-4


@pytest.fixture(scope="module", params=["with-inputs", "events-only"])
def bundle_path(request, tiny_bundle, tiny_plain_bundle):
    return tiny_bundle if request.param == "with-inputs" else tiny_plain_bundle


@pytest.fixture(scope="module")
def keras_model(bundle_path):
    import keras

    return keras.saving.load_model(bundle_path / "model.keras", compile=False)


@pytest.fixture(scope="module")
def bundle(bundle_path):
    return load_bundle(bundle_path)


@pytest.fixture(scope="module")
def engine(bundle):
    return LSTMEngine.from_bundle(bundle)


@pytest.fixture(scope="module")
def sequences(primitive_token_sequences):
    """Three real event sequences of different lengths (cut to 120 ids to stay fast)."""
    chosen = sorted(primitive_token_sequences, key=len)[-3:]
    return [np.asarray(s[:120], dtype=np.int32) for s in chosen]


def _inputs(bundle, batch: int, length: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random classes for every extra input of the bundle's model, (batch, length) each; the
    style and the composer stay fixed along a row, as they do in a take."""
    rng = np.random.default_rng(seed)
    result = {}
    for name, size in bundle.config.conditions:
        if name in ("styles", "composers"):
            result[name] = rng.integers(0, size, (batch, 1)).repeat(length, 1).astype(np.int32)
        else:
            result[name] = rng.integers(0, size, (batch, length)).astype(np.int32)
    return result


def keras_batch_logits(model, batch: np.ndarray, inputs: dict) -> np.ndarray:
    import keras

    x = {"ids": batch, **inputs} if inputs else batch
    return keras.ops.convert_to_numpy(model(x, training=False))


def _split(engine, inputs: dict, row: int):
    """The engine's view of row ``row``: per-step inputs and the context row."""
    per_step = {k: v[row] for k, v in inputs.items() if k in ("positions", "meters")}
    fixed = {k: int(v[row, 0]) for k, v in inputs.items() if k in ("styles", "composers")}
    return per_step, engine.context(1, **fixed)


def test_whole_sequence_logits_match_keras(bundle, engine, keras_model, sequences):
    for index, ids in enumerate(sequences):
        inputs = _inputs(bundle, 1, len(ids), seed=index)
        per_step, context = _split(engine, inputs, 0)
        logits, _ = engine.run(ids, inputs=per_step, context=context)
        assert logits.shape == (len(ids), engine.vocab_size)
        expected = keras_batch_logits(keras_model, ids[None, :], inputs)[0]
        assert np.max(np.abs(logits - expected)) < TOLERANCE


def test_batch_one_steps_match_keras(bundle, engine, keras_model, sequences):
    ids = sequences[0][:60]
    inputs = _inputs(bundle, 1, len(ids))
    expected = keras_batch_logits(keras_model, ids[None, :], inputs)[0]
    per_step, context = _split(engine, inputs, 0)
    state = engine.initial_state(1)
    for t, token in enumerate(ids):
        now = {k: v[t : t + 1] for k, v in per_step.items()}
        logits, state = engine.step([token], state, now, context)
        assert np.max(np.abs(logits[0] - expected[t])) < TOLERANCE


def test_batch_of_three_steps_match_keras(bundle, engine, keras_model, sequences):
    length = 60
    batch = np.stack([s[:length] for s in sequences])
    inputs = _inputs(bundle, 3, length, seed=5)
    expected = keras_batch_logits(keras_model, batch, inputs)
    fixed = {k: v[:, 0] for k, v in inputs.items() if k in ("styles", "composers")}
    context = engine.context(3, **fixed)
    state = engine.initial_state(3)
    for t in range(length):
        now = {k: v[:, t] for k, v in inputs.items() if k in ("positions", "meters")}
        logits, state = engine.step(batch[:, t], state, now, context)
        assert np.max(np.abs(logits - expected[:, t])) < TOLERANCE


def test_one_sequence_under_several_contexts_at_once(bundle, engine, sequences):
    """What choosing a style from the seed does: one run, one stream per style."""
    ids = sequences[1][:50]
    styles = list(range(len(bundle.conditioning.styles))) if bundle.conditioning else [0, 0]
    together, state = engine.run(ids, context=engine.context(len(styles), styles=styles))
    assert together.shape == (len(ids), len(styles), engine.vocab_size)
    for column, style in enumerate(styles):
        alone, _ = engine.run(ids, context=engine.context(1, styles=style))
        np.testing.assert_allclose(together[:, column], alone, atol=1e-5)
    assert state.batch == len(styles)


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


def test_float16_weights_stay_close(bundle, engine, sequences):
    """The shipped model may store float16 weights: logits move, but only a little."""
    half = {k: v.astype(np.float16) for k, v in bundle.weights.items()}
    engine16 = LSTMEngine(half, len(bundle.config.lstm_units))
    ids = sequences[2][:80]
    assert engine16._table.dtype == np.float32
    assert np.max(np.abs(engine16.run(ids)[0] - engine.run(ids)[0])) < 0.05


def test_wrong_batch_is_refused(engine):
    with pytest.raises(ValueError):
        engine.step([1, 2], engine.initial_state(1))
