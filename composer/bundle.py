"""Model bundles: everything a trained model needs, in one folder, loaded together.

Layout of ``models/<name>/``::

    model.keras        the Keras model, without optimizer state (for fine-tuning, evaluation)
    weights.npz        the same weights by role, for the NumPy engine (float16 allowed)
    vocabulary.json    event names and tokenizer settings (composer.vocabulary)
    config.json        {"model": ModelConfig, "train": TrainConfig, "name": ...}
    metrics.json       evaluation figures (optional)
    card.md            the model card: data, size, training time, test NLL, baselines

Loading reads only NumPy and JSON files (no TensorFlow): generation starts fast. Any missing
file, unreadable JSON, or weights whose shapes disagree with the vocabulary or the config is a
``ModelBundleError`` naming the bundle and the reason.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from composer.conditioning import Conditioning
from composer.config import ModelConfig
from composer.errors import ModelBundleError
from composer.vocabulary import Vocabulary

REQUIRED_FILES = ("weights.npz", "vocabulary.json", "config.json")
DEFAULT_MODEL_NAME = "default"


@dataclass(frozen=True)
class ModelBundle:
    path: Path
    name: str
    config: ModelConfig
    vocab: Vocabulary
    weights: dict[str, np.ndarray] = field(repr=False)
    info: dict = field(default_factory=dict, repr=False)  # the rest of config.json
    metrics: dict = field(default_factory=dict, repr=False)
    conditioning: Conditioning | None = None  # names of the extra inputs' classes

    @property
    def keras_path(self) -> Path:
        return self.path / "model.keras"


def default_model_dir() -> Path:
    """``$COMPOSER_MODEL``, else the checkout's ``models/default``, else the installed copy."""
    env = os.environ.get("COMPOSER_MODEL")
    if env:
        return Path(env)
    candidates = [
        Path(__file__).resolve().parent.parent / "models" / DEFAULT_MODEL_NAME,
        Path(sys.prefix) / "share" / "composer" / "models" / DEFAULT_MODEL_NAME,
    ]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def load_bundle(path: str | os.PathLike | None = None) -> ModelBundle:
    path = Path(path) if path is not None else default_model_dir()
    if not path.is_dir():
        raise ModelBundleError(f"{path}: no model bundle here (not a folder)")
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if missing:
        raise ModelBundleError(f"{path}: incomplete model bundle, missing {', '.join(missing)}")
    vocab = Vocabulary.from_json((path / "vocabulary.json").read_text(),
                                 source=str(path / "vocabulary.json"))
    try:
        info = json.loads((path / "config.json").read_text())
        config = ModelConfig.from_dict(info["model"])
        conditioning = (Conditioning.from_dict(info["conditioning"])
                        if config.conditions else None)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelBundleError(
            f"{path / 'config.json'}: not a valid model config ({exc})"
        ) from None
    metrics = {}
    if (path / "metrics.json").is_file():
        try:
            metrics = json.loads((path / "metrics.json").read_text())
        except ValueError:
            metrics = {}
    try:
        with np.load(path / "weights.npz", allow_pickle=False) as data:
            weights = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise ModelBundleError(f"{path / 'weights.npz'}: unreadable weights ({exc})") from None
    bundle = ModelBundle(path, str(info.get("name", path.name)), config, vocab, weights, info,
                         metrics, conditioning)
    check_bundle(bundle)
    return bundle


def expected_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    shapes = {"embedding": (config.vocab_size, config.embedding_dim)}
    for name, size in config.conditions:
        shapes[f"{name}_embedding"] = (size, config.embedding_dim)
    width = config.embedding_dim
    for index, units in enumerate(config.lstm_units):
        shapes[f"lstm_{index}_kernel"] = (width, 4 * units)
        shapes[f"lstm_{index}_recurrent"] = (units, 4 * units)
        shapes[f"lstm_{index}_bias"] = (4 * units,)
        width = units
    shapes["dense_kernel"] = (width, config.vocab_size)
    shapes["dense_bias"] = (config.vocab_size,)
    return shapes


def check_bundle(bundle: ModelBundle) -> None:
    conditioning = bundle.conditioning
    if conditioning is not None:
        sizes = {"positions": conditioning.positions, "meters": len(conditioning.meters),
                 "styles": len(conditioning.styles), "composers": len(conditioning.composers)}
        for name, size in bundle.config.conditions:
            if sizes[name] != size:
                raise ModelBundleError(f"{bundle.path}: the model has {size} '{name}' classes "
                                       f"but config.json names {sizes[name]}")
    if bundle.config.vocab_size != len(bundle.vocab):
        raise ModelBundleError(
            f"{bundle.path}: the model expects {bundle.config.vocab_size} events but the "
            f"vocabulary has {len(bundle.vocab)}"
        )
    for key, shape in expected_shapes(bundle.config).items():
        if key not in bundle.weights:
            raise ModelBundleError(f"{bundle.path}: weights.npz lacks '{key}'")
        if tuple(bundle.weights[key].shape) != shape:
            raise ModelBundleError(
                f"{bundle.path}: weights '{key}' have shape {tuple(bundle.weights[key].shape)}, "
                f"expected {shape} (vocabulary or config mismatch)"
            )
