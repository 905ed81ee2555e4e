"""The harmonizer's bundle: ``models/harmonizer/`` (Play side: NumPy and JSON only).

Layout::

    weights.npz    the network's weights by role (composer.harmonizer_model.export_weights)
    config.json    {"harmonizer": HarmonizerConfig, "name": ..., "training": {...}}
    card.md        data, size, training time, measured figures
    model.keras    the Keras model the weights came from (optional: only tests and
                   re-training read it)

A second bundle, not a kind of ``composer.bundle.ModelBundle``: the harmonizer predicts one
voice at one step from the others (no event vocabulary, no step-by-step state), so it shares
the loading discipline (every file through ``composer.inputs``, numbers and shapes checked
before anything is built, one ``ModelBundleError`` naming the file and the reason) but not the
contents.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from composer.atomic import recover_folder
from composer.bundle import check_weight_values, installed_bundle_dir, whole_in_range
from composer.chorales import INPUT_TOKENS, OUTPUT_TOKENS, PITCH_HIGH, PITCH_LOW, POSITIONS
from composer.errors import ModelBundleError
from composer.inputs import read_json, read_npz

NAME = "harmonizer"
MAX_WEIGHTS_BYTES = 64 << 20  # the shipped one is about 1 MB
DEFAULT_RANGES = ((57, 81), (53, 74), (48, 69), (36, 64))  # Bach's, S A T B (measured)


@dataclass(frozen=True)
class HarmonizerConfig:
    """The network's sizes (composer.harmonizer_model builds it from these)."""

    context: int = 8  # grid steps each side of the predicted one (8 eighths: 4 beats)
    token_dim: int = 16  # embedding of one voice's token
    position_dim: int = 8
    voice_dim: int = 4
    units: int = 64  # LSTM units per direction
    hidden: int = 128  # the dense layers
    dropout: float = 0.2
    bidirectional: bool = True  # False: the forward-only ablation (benchmarks)
    ranges: tuple[tuple[int, int], ...] = DEFAULT_RANGES

    @property
    def window(self) -> int:
        return 2 * self.context + 1

    @property
    def step_width(self) -> int:
        return 4 * self.token_dim + self.position_dim

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ranges"] = [list(r) for r in self.ranges]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> HarmonizerConfig:
        values = dict(data)
        if "ranges" in values:
            values["ranges"] = tuple(tuple(int(x) for x in r) for r in values["ranges"])
        return cls(**values)


def expected_shapes(config: HarmonizerConfig) -> dict[str, tuple[int, ...]]:
    units, hidden = config.units, config.hidden
    shapes = {
        "token_embedding": (INPUT_TOKENS, config.token_dim),
        "position_embedding": (POSITIONS, config.position_dim),
        "voice_embedding": (3, config.voice_dim),
        "forward_kernel": (config.step_width, 4 * units),
        "forward_recurrent": (units, 4 * units),
        "forward_bias": (4 * units,),
        "center_kernel": (config.step_width + config.voice_dim, hidden),
        "center_bias": (hidden,),
        "merge_kernel": ((2 if config.bidirectional else 1) * units + hidden, hidden),
        "merge_bias": (hidden,),
        "logits_kernel": (hidden, OUTPUT_TOKENS),
        "logits_bias": (OUTPUT_TOKENS,),
    }
    if config.bidirectional:
        shapes["backward_kernel"] = shapes["forward_kernel"]
        shapes["backward_recurrent"] = shapes["forward_recurrent"]
        shapes["backward_bias"] = shapes["forward_bias"]
    return shapes


@dataclass(frozen=True)
class HarmonizerBundle:
    path: Path
    name: str
    config: HarmonizerConfig
    weights: dict[str, np.ndarray] = field(repr=False)
    info: dict = field(default_factory=dict, repr=False)


def default_harmonizer_dir() -> Path:
    """``$COMPOSER_HARMONIZER``, else the checkout's ``models/harmonizer``, else the
    installed copy."""
    return installed_bundle_dir(NAME, "COMPOSER_HARMONIZER")


def check_config(data, source: Path) -> HarmonizerConfig:
    """The ``harmonizer`` section of config.json, checked before anything is built."""
    def fail(reason: str) -> ModelBundleError:
        return ModelBundleError(f"{source}: not a valid harmonizer config ({reason})")

    if not isinstance(data, dict) or not isinstance(data.get("harmonizer"), dict):
        raise fail("no 'harmonizer' object")
    section = data["harmonizer"]
    known = set(HarmonizerConfig.__dataclass_fields__)
    unknown = sorted(set(section) - known)
    if unknown:
        raise fail(f"unknown field(s) {', '.join(unknown)}")
    for key, high in (("context", 64), ("token_dim", 1024), ("position_dim", 1024),
                      ("voice_dim", 1024), ("units", 4096), ("hidden", 4096)):
        if key in section and not whole_in_range(section[key], 1, high):
            raise fail(f"'{key}' must be a whole number from 1 to {high}, got "
                       f"{section[key]!r}")
    dropout = section.get("dropout", 0.0)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not (
            0 <= dropout < 1):
        raise fail(f"'dropout' must be a number from 0 to below 1, got {dropout!r}")
    if not isinstance(section.get("bidirectional", True), bool):
        raise fail("'bidirectional' must be true or false")
    ranges = section.get("ranges", DEFAULT_RANGES)
    if not isinstance(ranges, (list, tuple)) or len(ranges) != 4 or not all(
            isinstance(r, (list, tuple)) and len(r) == 2
            and all(whole_in_range(x, PITCH_LOW, PITCH_HIGH) for x in r) and r[0] < r[1]
            for r in ranges):
        raise fail(f"'ranges' must be four [low, high] MIDI pitch pairs within "
                   f"{PITCH_LOW}..{PITCH_HIGH}, got {ranges!r}")
    return HarmonizerConfig.from_dict(section)


def load_harmonizer(path: str | os.PathLike | None = None) -> HarmonizerBundle:
    """A harmonizer bundle, checked; a ModelBundleError naming the file otherwise."""
    path = Path(path) if path is not None else default_harmonizer_dir()
    recover_folder(path)
    if not path.is_dir():
        raise ModelBundleError(f"{path}: no harmonizer bundle here (not a folder)")
    missing = [f for f in ("weights.npz", "config.json") if not (path / f).exists()]
    if missing:
        raise ModelBundleError(f"{path}: incomplete harmonizer bundle, missing "
                               f"{', '.join(missing)}")
    config_path = path / "config.json"
    try:
        info = read_json(config_path, error=ModelBundleError)
        config = check_config(info, config_path)
        weights = dict(read_npz(path / "weights.npz", error=ModelBundleError,
                                limit=MAX_WEIGHTS_BYTES))
    except FileNotFoundError as exc:
        raise ModelBundleError(f"{exc.filename}: missing") from None
    bundle = HarmonizerBundle(path, str(info.get("name", path.name)), config, weights, info)
    check_weight_values(bundle)  # type: ignore[arg-type]  # needs .path and .weights only
    for key, shape in expected_shapes(config).items():
        if key not in weights:
            raise ModelBundleError(f"{path / 'weights.npz'}: lacks '{key}'")
        if tuple(weights[key].shape) != shape:
            raise ModelBundleError(
                f"{path / 'weights.npz'}: '{key}' has shape {tuple(weights[key].shape)}, "
                f"expected {shape} (the config does not match the weights)")
    return bundle


def config_json(config: HarmonizerConfig, **info) -> str:
    return json.dumps({"harmonizer": config.to_dict(), **info}, indent=1, sort_keys=True)
