"""The Keras LSTM language model over event ids, and its configuration.

Every position is a training target (``return_sequences=True`` on every LSTM and a Dense at
every step): the tutorials' layout with one target per window costs the same per step and
trains a window-length times fewer targets. Keras/TensorFlow are imported inside the functions
so that importing this module (e.g. for ``ModelConfig``) stays cheap.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int
    embedding_dim: int = 256
    lstm_units: tuple[int, ...] = (512, 512)
    dropout: float = 0.1

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        data = dict(data)
        data["lstm_units"] = tuple(int(u) for u in data.get("lstm_units", (512, 512)))
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def parameter_count(self) -> int:
        count = self.vocab_size * self.embedding_dim
        width = self.embedding_dim
        for units in self.lstm_units:
            count += 4 * units * (width + units + 1)
            width = units
        return count + width * self.vocab_size + self.vocab_size


@dataclass(frozen=True)
class TrainConfig:
    """Everything about a training run that is not the network's shape."""

    sequence_length: int = 256
    batch_size: int = 64
    learning_rate: float = 2e-3
    steps_per_epoch: int = 200
    max_epochs: int = 200
    max_minutes: float = 120.0
    patience: int = 6
    validation_windows: int = 256
    transpose_range: int = 6
    velocity_jitter: int = 1
    composer_balance: float = 0.5
    seed: int = 1234
    clipnorm: float = 1.0
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def build_model(config: ModelConfig):
    """A fresh, uncompiled Keras model: (batch, time) ids -> (batch, time, vocab) logits."""
    import keras

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(config.vocab_size, config.embedding_dim, name="embedding")(ids)
    for index, units in enumerate(config.lstm_units):
        x = keras.layers.LSTM(units, return_sequences=True, name=f"lstm_{index}")(x)
        if config.dropout:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{index}")(x)
    logits = keras.layers.Dense(config.vocab_size, name="logits")(x)
    return keras.Model(ids, logits, name="composer_lstm")


def export_weights(model, config: ModelConfig) -> dict:
    """Weights for the NumPy engine, named by role (Keras gate order i, f, c, o kept)."""
    weights = {"embedding": model.get_layer("embedding").get_weights()[0]}
    for index in range(len(config.lstm_units)):
        kernel, recurrent, bias = model.get_layer(f"lstm_{index}").get_weights()
        weights[f"lstm_{index}_kernel"] = kernel
        weights[f"lstm_{index}_recurrent"] = recurrent
        weights[f"lstm_{index}_bias"] = bias
    dense_kernel, dense_bias = model.get_layer("logits").get_weights()
    weights["dense_kernel"] = dense_kernel
    weights["dense_bias"] = dense_bias
    return weights
