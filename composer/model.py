"""The Keras LSTM language model over event ids, its export for the NumPy engine, and the
writing of model bundles (Learn side: imports Keras; generation never imports this module).

Every position is a training target (``return_sequences=True`` on every LSTM and a Dense at
every step): the tutorials' layout with one target per window costs the same per step and
trains a window-length times fewer targets. The extra inputs (position in the bar, metre,
style, composer; composer.conditioning) are embeddings added to the event's embedding, which
keeps them foldable into lookup tables in the NumPy engine. Keras/TensorFlow are imported
inside the functions so that importing this module stays cheap.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from composer.atomic import staged_folder, write_json_atomic, write_text_atomic
from composer.bundle import model_checksums
from composer.conditioning import Conditioning
from composer.config import ModelConfig
from composer.errors import ModelBundleError
from composer.vocabulary import Vocabulary


def build_model(config: ModelConfig):
    """A fresh, uncompiled Keras model.

    Inputs: ``ids`` (batch, time) and one (batch, time) int input per extra input of the
    config; output: (batch, time, vocab) logits. A model without extra inputs takes the ids
    alone (the layout of the first shipped model).
    """
    import keras

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    inputs = {"ids": ids}
    x = keras.layers.Embedding(config.vocab_size, config.embedding_dim, name="embedding")(ids)
    added = [x]
    for name, size in config.conditions:
        inputs[name] = keras.Input(shape=(None,), dtype="int32", name=name)
        added.append(keras.layers.Embedding(size, config.embedding_dim,
                                            name=f"{name}_embedding")(inputs[name]))
    if len(added) > 1:
        x = keras.layers.Add(name="inputs")(added)
    for index, units in enumerate(config.lstm_units):
        x = keras.layers.LSTM(units, return_sequences=True, name=f"lstm_{index}")(x)
        if config.dropout:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{index}")(x)
    logits = keras.layers.Dense(config.vocab_size, name="logits")(x)
    return keras.Model(inputs if config.conditions else ids, logits, name="composer_lstm")


def export_weights(model, config: ModelConfig) -> dict:
    """Weights for the NumPy engine, named by role (Keras gate order i, f, c, o kept)."""
    weights = {"embedding": model.get_layer("embedding").get_weights()[0]}
    for name, _size in config.conditions:
        weights[f"{name}_embedding"] = model.get_layer(f"{name}_embedding").get_weights()[0]
    for index in range(len(config.lstm_units)):
        kernel, recurrent, bias = model.get_layer(f"lstm_{index}").get_weights()
        weights[f"lstm_{index}_kernel"] = kernel
        weights[f"lstm_{index}_recurrent"] = recurrent
        weights[f"lstm_{index}_bias"] = bias
    dense_kernel, dense_bias = model.get_layer("logits").get_weights()
    weights["dense_kernel"] = dense_kernel
    weights["dense_bias"] = dense_bias
    return weights


def save_bundle(
    folder: str | os.PathLike,
    keras_model,
    config: ModelConfig,
    vocab: Vocabulary,
    *,
    info: dict | None = None,
    weights_dtype: str = "float32",
    card: str | None = None,
    conditioning: Conditioning | None = None,
) -> Path:
    """Write a complete bundle from a trained Keras model.

    Written as a whole: everything goes into a new sibling folder that is then renamed into
    place (the old bundle, if any, is moved aside first and removed last), so a kill leaves
    either the old bundle or the new one, never new weights beside an old ``model.keras``.
    """
    import keras

    folder = Path(folder)
    if config.conditions and conditioning is None:
        raise ModelBundleError(f"{folder}: a model with extra inputs needs their names")
    with staged_folder(folder) as staging:
        # A fresh uncompiled copy carries no optimizer state into the saved file.
        clean = build_model(config)
        clean.set_weights(keras_model.get_weights())
        keras.saving.save_model(clean, staging / "model.keras")
        weights = {k: v.astype(weights_dtype) for k, v in export_weights(clean, config).items()}
        np.savez_compressed(staging / "weights.npz", **weights)
        write_text_atomic(staging / "vocabulary.json", vocab.to_json(), error=ModelBundleError)
        data = dict(info or {})
        data["model"] = json.loads(config.to_json())
        data.setdefault("name", folder.name)
        data["weights_dtype"] = weights_dtype
        data["checksums"] = model_checksums(staging)  # checked by bundle.require_keras_model
        if conditioning is not None:
            data["conditioning"] = conditioning.to_dict()
        write_json_atomic(staging / "config.json", data, error=ModelBundleError)
        if card is not None:
            write_text_atomic(staging / "card.md", card, error=ModelBundleError)
    return folder

