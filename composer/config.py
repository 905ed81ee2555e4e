"""The shape of a network and the settings of a training run: plain data, no TensorFlow.

Both are saved with every checkpoint and every model bundle (as nanoGPT saves its config with
the checkpoint), so a bundle says exactly what it is and a run can be resumed or reproduced.
They live apart from ``model.py`` (Keras) so that loading a bundle for generation never imports
the training side.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

# The inputs a model may take besides the events (composer.conditioning), in a fixed order.
CONDITIONS = ("positions", "meters", "styles", "composers")


@dataclass(frozen=True)
class ModelConfig:
    """The network: embedding, LSTM layers, and the class count of each extra input
    (``positions``, ``meters``, ``styles``, ``composers``; 0 = no such input)."""

    vocab_size: int
    embedding_dim: int = 256
    lstm_units: tuple[int, ...] = (512, 512)
    dropout: float = 0.1
    positions: int = 0
    meters: int = 0
    styles: int = 0
    composers: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        data = dict(data)
        data["lstm_units"] = tuple(int(u) for u in data.get("lstm_units", (512, 512)))
        known = {f for f in cls.__dataclass_fields__}
        config = cls(**{k: v for k, v in data.items() if k in known})
        for name in ("vocab_size", "embedding_dim", *CONDITIONS):
            value = getattr(config, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise TypeError(f"'{name}' must be a whole number >= 0 (got {value!r})")
        if config.vocab_size < 1 or config.embedding_dim < 1 or not config.lstm_units or min(
                config.lstm_units) < 1:
            raise ValueError("sizes must be positive")
        return config

    @property
    def conditions(self) -> tuple[tuple[str, int], ...]:
        """(input name, class count) of every extra input the model takes."""
        return tuple((name, getattr(self, name)) for name in CONDITIONS if getattr(self, name))

    @property
    def parameter_count(self) -> int:
        count = (self.vocab_size + sum(n for _, n in self.conditions)) * self.embedding_dim
        width = self.embedding_dim
        for units in self.lstm_units:
            count += 4 * units * (width + units + 1)
            width = units
        return count + width * self.vocab_size + self.vocab_size


@dataclass(frozen=True)
class TrainConfig:
    """Everything about a training run that is not the network's shape.

    ``*_dropout`` are the shares of training windows in which an input is hidden (given as
    "unknown"), so the model works without it; ``piano_share`` is the share of windows drawn
    from the piano pieces (the rest from the scores, balanced by composer).
    """

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
    piano_share: float = 0.5
    position_dropout: float = 0.1
    style_dropout: float = 0.15
    composer_dropout: float = 0.4
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
