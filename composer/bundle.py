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
``ModelBundleError`` naming the bundle and the reason. Every file is read through
``composer.inputs`` (regular files within a size limit: a FIFO or a device in a bundle cannot
hang or flood the loader), and the numbers in the JSON files and the weights are checked
before anything is built from them (``check_vocabulary_json``, ``check_config_json``,
``check_weight_values``). ``config.json`` records the checksums of ``model.keras`` and
``weights.npz`` as saved together; :func:`require_keras_model` (fine-tuning, ``--from``) checks
that both still match, so a Keras model from another export is refused, naming the file.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from composer.atomic import recover_folder
from composer.conditioning import Conditioning
from composer.config import ModelConfig
from composer.errors import ModelBundleError
from composer.inputs import open_regular, read_json, read_npz, read_text
from composer.vocabulary import Vocabulary

REQUIRED_FILES = ("weights.npz", "vocabulary.json", "config.json")
DEFAULT_MODEL_NAME = "default"
MAX_WEIGHTS_BYTES = 1 << 30  # the shipped model's weights.npz is 4 MB
# Bounds of what a bundle may declare, far beyond any real model, so that a damaged or hostile
# file is refused before it allocates anything (max_shift_steps of 10**9 was a MemoryError).
MAX_STEPS_PER_BEAT = 480
MAX_SHIFT_STEPS = 10_000
MAX_VOCABULARY = 100_000
MAX_WIDTH = 16_384  # embedding and LSTM units
MAX_LAYERS = 32
MAX_CLASSES = 100_000  # classes of an extra input


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
    return installed_bundle_dir(DEFAULT_MODEL_NAME, "COMPOSER_MODEL")


def installed_bundle_dir(name: str, variable: str) -> Path:
    """The folder of a shipped bundle: ``$variable``, else the checkout's ``models/<name>``,
    else the installed copy (``<prefix>/share/composer/models/<name>``)."""
    env = os.environ.get(variable)
    if env:
        return Path(env)
    candidates = [
        Path(__file__).resolve().parent.parent / "models" / name,
        Path(sys.prefix) / "share" / "composer" / "models" / name,
    ]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def load_bundle(path: str | os.PathLike | None = None) -> ModelBundle:
    path = Path(path) if path is not None else default_model_dir()
    recover_folder(path)  # a save killed between its two renames left only the old bundle
    if not path.is_dir():
        raise ModelBundleError(f"{path}: no model bundle here (not a folder)")
    missing = [f for f in REQUIRED_FILES if not (path / f).exists()]
    if missing:
        raise ModelBundleError(f"{path}: incomplete model bundle, missing {', '.join(missing)}")
    vocab_path = path / "vocabulary.json"
    vocab_text = _read(vocab_path, read_text)
    check_vocabulary_json(vocab_text, vocab_path)
    vocab = Vocabulary.from_json(vocab_text, source=str(vocab_path))
    info = _read(path / "config.json", read_json)
    check_config_json(info, path / "config.json")
    try:
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
            metrics = _read(path / "metrics.json", read_json)
        except ModelBundleError:
            metrics = {}  # only the model card's figures: a damaged file costs nothing
    weights = dict(_read(path / "weights.npz", read_npz, limit=MAX_WEIGHTS_BYTES))
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
    check_weight_values(bundle)
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


# ----- validation of the files, before anything is built from them ----------------------
def _read(path: Path, reader, **kwargs):
    """``reader(path)`` through composer.inputs: a regular file within its limit, or a
    ModelBundleError naming it (a file removed since the folder was listed, too)."""
    try:
        return reader(path, error=ModelBundleError, **kwargs)
    except FileNotFoundError:
        raise ModelBundleError(f"{path}: missing") from None


def whole_in_range(value, low: int, high: int) -> bool:
    """An int (not a bool, not a float such as 12.0) in low..high: a JSON field of a bundle."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_vocabulary_json(text: str, source: str | os.PathLike) -> None:
    """Types and ranges of a saved vocabulary, checked before the vocabulary is built.

    ``Vocabulary.from_json`` trusts the numbers: a float ``pitch_low`` was a TypeError deep in
    it and ``max_shift_steps`` of 10**9 a MemoryError after 19 s.
    """
    def fail(reason: str) -> ModelBundleError:
        return ModelBundleError(f"{source}: not a valid vocabulary ({reason})")

    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise fail(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("settings"), dict):
        raise fail("no 'settings' object")
    settings = data["settings"]
    whole = {"steps_per_beat": MAX_STEPS_PER_BEAT, "max_shift_steps": MAX_SHIFT_STEPS,
             "velocity_bins": 127, "pitch_low": 127, "pitch_high": 127,
             "default_velocity": 127}
    for key, value in settings.items():
        if key in whole and not whole_in_range(value, 0, whole[key]):
            raise fail(f"'{key}' must be a whole number from 0 to {whole[key]}, "
                       f"got {value!r}")
        if key == "pedal" and not isinstance(value, bool):
            raise fail(f"'pedal' must be true or false, got {value!r}")
    names = data.get("names")
    if not isinstance(names, list) or len(names) > MAX_VOCABULARY or not all(
            isinstance(name, str) for name in names):
        raise fail(f"'names' must be a list of at most {MAX_VOCABULARY:,} event names")


def check_config_json(info: dict, source: str | os.PathLike) -> None:
    """Types and ranges of ``config.json``'s model section (a string "237" once made the
    message "the model expects 237 events but the vocabulary has 237")."""
    def fail(reason: str) -> ModelBundleError:
        return ModelBundleError(f"{source}: not a valid model config ({reason})")

    model = info.get("model")
    if not isinstance(model, dict):
        raise fail("no 'model' object")
    bounds = {"vocab_size": (1, MAX_VOCABULARY), "embedding_dim": (1, MAX_WIDTH),
              "positions": (0, MAX_CLASSES), "meters": (0, MAX_CLASSES),
              "styles": (0, MAX_CLASSES), "composers": (0, MAX_CLASSES)}
    for key, (low, high) in bounds.items():
        if key in model and not whole_in_range(model[key], low, high):
            raise fail(f"'{key}' must be a whole number from {low} to {high:,}, "
                       f"got {model[key]!r}")
    units = model.get("lstm_units", [512, 512])
    if not isinstance(units, list) or not 1 <= len(units) <= MAX_LAYERS or not all(
            whole_in_range(u, 1, MAX_WIDTH) for u in units):
        raise fail(f"'lstm_units' must be a list of 1 to {MAX_LAYERS} layer widths from 1 "
                   f"to {MAX_WIDTH:,}, got {units!r}")
    dropout = model.get("dropout", 0.0)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not (
            0 <= dropout < 1):
        raise fail(f"'dropout' must be a number from 0 to below 1, got {dropout!r}")
    if "name" in info and not isinstance(info["name"], str):
        raise fail(f"'name' must be text, got {info['name']!r}")
    if "conditioning" in info and not isinstance(info["conditioning"], dict):
        raise fail("'conditioning' must be an object")
    checksums = info.get("checksums", {})
    if not isinstance(checksums, dict) or not all(
            isinstance(v, str) for v in checksums.values()):
        raise fail("'checksums' must be an object of file names and checksums")


def check_weight_values(bundle: ModelBundle) -> None:
    """Every weight is a float array of finite numbers: NaN or inf weights made generation
    hang and evaluation print NaN figures."""
    for key, values in bundle.weights.items():
        if values.dtype.kind != "f":
            raise ModelBundleError(f"{bundle.path / 'weights.npz'}: '{key}' holds "
                                   f"{values.dtype} values, not floating point numbers")
        if not np.isfinite(values).all():
            bad = int(values.size - np.isfinite(values).sum())
            raise ModelBundleError(f"{bundle.path / 'weights.npz'}: '{key}' holds {bad} "
                                   "NaN or infinite value(s); the bundle is damaged")


def require_keras_model(bundle: ModelBundle | str | os.PathLike) -> Path:
    """The ``model.keras`` of a bundle (or bundle folder), needed to fine-tune, or a
    ModelBundleError saying why it cannot serve.

    Generation needs only ``weights.npz``, so :func:`load_bundle` does not ask for it. Where
    ``config.json`` records the checksums of the two model files (every bundle saved since they
    were added), both are checked: a ``model.keras`` from another export than the
    ``weights.npz`` beside it would fine-tune a different model from the one that generates.
    """
    folder = bundle.path if isinstance(bundle, ModelBundle) else Path(bundle)
    path = folder / "model.keras"
    if not path.exists():  # a FIFO or a folder there is refused by name below
        raise ModelBundleError(f"{path}: missing; this bundle can generate but not be "
                               "fine-tuned (it has no Keras model)")
    import zipfile

    try:
        with _read(path, open_regular, limit=MAX_KERAS_BYTES) as handle, \
                zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelBundleError(f"{path}: not a Keras model file ({exc})") from None
    if "config.json" not in names:
        raise ModelBundleError(f"{path}: not a Keras model file (no config.json inside)")
    check_checksums(folder)
    return path


# ----- the model files belong together ---------------------------------------------------
CHECKSUMMED = ("model.keras", "weights.npz")  # the two copies of the weights
MAX_KERAS_BYTES = 8 << 30


def file_checksum(path: str | os.PathLike) -> str:
    """``sha256:<hex>`` of a file, read in blocks through composer.inputs."""
    import hashlib

    digest = hashlib.sha256()
    with _read(Path(path), open_regular, limit=MAX_KERAS_BYTES) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def model_checksums(folder: str | os.PathLike) -> dict[str, str]:
    """What ``save_bundle`` records in config.json under ``checksums``: the checksum of each
    of :data:`CHECKSUMMED` that is in ``folder``."""
    folder = Path(folder)
    return {name: file_checksum(folder / name) for name in CHECKSUMMED
            if (folder / name).is_file()}


def check_checksums(folder: str | os.PathLike) -> None:
    """Each model file whose checksum config.json records must still have it, else a
    ModelBundleError naming the file. Bundles without the record are not checked."""
    folder = Path(folder)
    recorded = _read(folder / "config.json", read_json).get("checksums")
    if recorded is None:
        return
    if not isinstance(recorded, dict):
        raise ModelBundleError(f"{folder / 'config.json'}: not a valid model config "
                               "('checksums' must be an object)")
    for name in CHECKSUMMED:
        if name in recorded and (folder / name).is_file() and \
                file_checksum(folder / name) != recorded[name]:
            others = " and ".join(n for n in CHECKSUMMED if n != name)
            raise ModelBundleError(
                f"{folder / name}: does not match the {others} it was saved with (its "
                "checksum differs from config.json's); export the bundle again")
