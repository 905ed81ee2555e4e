import json
import shutil

import numpy as np
import pytest

from composer.bundle import load_bundle
from composer.errors import ModelBundleError


def test_tiny_bundle_loads_without_tensorflow_shapes_match(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    assert bundle.name == "tiny-test-model"
    assert bundle.config.vocab_size == len(bundle.vocab)
    assert bundle.weights["embedding"].shape == (len(bundle.vocab), 16)
    assert (tiny_bundle / "model.keras").is_file()


def test_missing_file_is_a_bundle_error(tiny_bundle, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_bundle, broken)
    (broken / "weights.npz").unlink()
    with pytest.raises(ModelBundleError, match="missing weights.npz"):
        load_bundle(broken)


def test_vocabulary_size_mismatch_is_a_bundle_error(tiny_bundle, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_bundle, broken)
    config = json.loads((broken / "config.json").read_text())
    config["model"]["vocab_size"] += 1
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelBundleError, match="vocabulary has"):
        load_bundle(broken)


def test_weights_of_another_shape_are_a_bundle_error(tiny_bundle, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_bundle, broken)
    with np.load(broken / "weights.npz") as data:
        weights = {k: data[k] for k in data.files}
    weights["dense_bias"] = weights["dense_bias"][:-3]
    np.savez(broken / "weights.npz", **weights)
    with pytest.raises(ModelBundleError, match="dense_bias"):
        load_bundle(broken)


def test_not_a_folder_is_a_bundle_error(tmp_path):
    with pytest.raises(ModelBundleError, match="no model bundle"):
        load_bundle(tmp_path / "nowhere")
