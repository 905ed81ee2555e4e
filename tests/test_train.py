"""A tiny real Keras model trains for a few steps, checkpoints, is killed, resumes and goes on.

The data are the small MIDI files shipped inside music21 (``testPrimitive``), tokenized by
``composer train --midi-dir``; the conversion cache is kept in the test's temporary folder.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from composer.bundle import load_bundle
from composer.config import ModelConfig
from composer.model import build_model
from tests.conftest import music21_test_midis

TINY = ["--layers", "1", "--units", "24", "--embedding", "8", "--sequence-length", "32",
        "--batch-size", "8", "--steps-per-epoch", "3", "--no-evaluate", "--name", "tiny"]


def _env(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), TF_CPP_MIN_LOG_LEVEL="3",
               OMP_NUM_THREADS="1")
    return env


def _midi_dir():
    return str(music21_test_midis()[0].parent)


def _epochs_logged(run_dir):
    with open(run_dir / "log.csv") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def test_parameter_count_matches_keras():
    config = ModelConfig(vocab_size=50, embedding_dim=8, lstm_units=(16, 12))
    assert build_model(config).count_params() == config.parameter_count


@pytest.mark.slow
def test_training_is_killed_resumes_from_checkpoint_and_saves_a_bundle(tmp_path):
    run_dir, out = tmp_path / "run", tmp_path / "model"
    command = [sys.executable, "-m", "composer", "train", "--midi-dir", _midi_dir(),
               "--run-dir", str(run_dir), "--out", str(out), *TINY]
    process = subprocess.Popen([*command, "--max-epochs", "1000"], env=_env(tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            state = run_dir / "state.json"
            if state.exists() and json.loads(state.read_text())["epoch"] >= 2:
                break
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.2)
        else:
            pytest.fail("no checkpoint within the time limit")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed_at = json.loads((run_dir / "state.json").read_text())["epoch"]
    assert (run_dir / "checkpoint.keras").is_file()

    resumed = subprocess.run([*command, "--max-epochs", str(killed_at + 2)], env=_env(tmp_path),
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"resuming {run_dir} at epoch {killed_at}" in resumed.stdout
    epochs = _epochs_logged(run_dir)
    assert epochs[-2:] == [killed_at + 1, killed_at + 2]
    assert epochs == sorted(set(epochs))  # no epoch trained twice, none lost before the kill
    bundle = load_bundle(out)
    assert bundle.config.lstm_units == (24,)
    assert bundle.info["training"]["epochs"] == killed_at + 2
    assert bundle.weights["embedding"].dtype.name == "float16"
    assert not any(name.startswith(".") for name in os.listdir(out))  # no temporary leftovers


@pytest.mark.slow
def test_fine_tune_from_a_bundle_on_midi_files(tmp_path, tiny_bundle):
    out = tmp_path / "tuned"
    result = subprocess.run(
        [sys.executable, "-m", "composer", "train", "--from", str(tiny_bundle), "--midi-dir",
         _midi_dir(), "--run-dir", str(tmp_path / "run"), "--out", str(out), "--max-epochs", "2",
         "--steps-per-epoch", "2", "--batch-size", "4", "--sequence-length", "32",
         "--no-evaluate"],
        env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    tuned = load_bundle(out)
    assert tuned.config == load_bundle(tiny_bundle).config
    assert tuned.info["fine_tuned_from"] == "tiny-test-model"


def test_resuming_a_run_of_another_shape_is_refused(tmp_path, capsys):
    from composer.cli import main

    os.environ["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "state.json").write_text(json.dumps({"epoch": 1}))
    with zipfile.ZipFile(run_dir / "checkpoint.keras", "w") as keras_file:  # looks whole
        keras_file.writestr("config.json", "{}")
        keras_file.writestr("model.weights.h5", b"")
    (run_dir / "run.json").write_text(json.dumps({"model": {}, "vocabulary": []}))
    code = main(["train", "--midi-dir", _midi_dir(), "--run-dir", str(run_dir),
                 "--out", str(tmp_path / "m"), *TINY])
    assert code == 2
    assert "another model" in capsys.readouterr().err


def test_learning_rate_anneals_over_the_last_fifth_of_the_time_budget():
    from composer.train import anneal_factor

    assert anneal_factor(0, 100) == anneal_factor(80, 100) == 1.0
    assert anneal_factor(90, 100) == pytest.approx(0.55)
    assert anneal_factor(100, 100) == anneal_factor(130, 100) == pytest.approx(0.1)
