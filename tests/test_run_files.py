"""The checkpoint and its run state are one file: a real training process (a model of a few
hundred parameters, seconds of CPU) is SIGKILLed at the two moments that once split them, and
the resumed run trains every epoch exactly once."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from composer.run_files import (
    STATE_MEMBER,
    checkpoint_state,
    pending_best,
    prepare_resume,
    resume_state,
    settle_best,
)

ROOT = Path(__file__).resolve().parent.parent
STEPS = 2  # optimizer steps per epoch
EPOCHS = 4

TRAIN = r"""
import json, os, signal, sys
from pathlib import Path

import numpy as np

from composer import run_files, train
from composer.config import ModelConfig, TrainConfig
from composer.vocabulary import TokenizerSettings, Vocabulary

run_dir, kill, kill_epoch = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
steps, epochs = int(sys.argv[4]), int(sys.argv[5])
vocab = Vocabulary(TokenizerSettings(steps_per_beat=1, max_shift_steps=2, velocity_bins=1,
                                     pitch_low=60, pitch_high=71, pedal=False))
rng = np.random.default_rng(0)
pieces = tuple(rng.integers(3, len(vocab), 120).astype(np.int32) for _ in range(4))
data = train.TrainingData(vocab, pieces, ("a", "a", "b", "b"), pieces[:2], {})
model = ModelConfig(vocab_size=len(vocab), embedding_dim=4, lstm_units=(4,), dropout=0.0)
config = TrainConfig(sequence_length=8, batch_size=4, steps_per_epoch=steps,
                     max_epochs=epochs, max_minutes=10.0, patience=100,
                     validation_windows=4, transpose_range=0, velocity_jitter=0, seed=1)


def die_at(epoch):
    return lambda state: epoch == state.get("epoch") and os.kill(os.getpid(), signal.SIGKILL)


if kill == "before-rename":  # the checkpoint written and holding its state, not yet in place
    embed, die = train.embed_state, die_at(kill_epoch)
    train.embed_state = lambda path, state: (embed(path, state), die(state))
elif kill == "after-rename":  # in place, state.json not yet written (the old gap)
    write, die = train.write_json_atomic, die_at(kill_epoch)

    def write_json(path, value, **kw):
        if Path(path).name == "state.json":
            die(value)
        write(path, value, **kw)

    train.write_json_atomic = write_json
else:
    run_files.prepare_resume(run_dir)
train.Trainer(run_dir, data, model, config, log=lambda m: print(m, flush=True)).run()
import keras

saved = keras.saving.load_model(run_dir / "checkpoint.keras")
print("ITERATIONS", int(saved.optimizer.iterations.numpy()))
"""


def _train(run_dir: Path, kill: str = "none", epoch: int = 0) -> subprocess.CompletedProcess:
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "OMP_NUM_THREADS": "1", "KERAS_BACKEND": "tensorflow",
           "PATH": "/usr/bin:/bin", "HOME": str(run_dir.parent)}
    return subprocess.run([sys.executable, "-c", TRAIN, str(run_dir), kill, str(epoch),
                           str(STEPS), str(EPOCHS)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def _logged_epochs(run_dir: Path) -> list[int]:
    with open(run_dir / "log.csv") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


@pytest.mark.parametrize("kill, resumes_at", [("after-rename", 2), ("before-rename", 1)])
def test_a_kill_during_the_checkpoint_never_trains_an_epoch_twice(tmp_path, kill, resumes_at):
    run_dir = tmp_path / "run"
    killed = _train(run_dir, kill, epoch=2)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert checkpoint_state(run_dir / "checkpoint.keras")["epoch"] == resumes_at
    assert json.loads((run_dir / "state.json").read_text())["epoch"] == 1  # the stale copy

    resumed = _train(run_dir)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"resuming {run_dir} at epoch {resumes_at}" in resumed.stdout
    # every epoch's optimizer steps once: a checkpoint one epoch ahead of its state added one
    assert f"ITERATIONS {EPOCHS * STEPS}" in resumed.stdout
    assert _logged_epochs(run_dir) == list(range(1, EPOCHS + 1))
    state = json.loads((run_dir / "state.json").read_text())
    assert state["epoch"] == EPOCHS and state["finished"]
    assert checkpoint_state(run_dir / "checkpoint.keras")["epoch"] == EPOCHS
    assert (run_dir / "best.weights.h5").is_file()
    assert not list(run_dir.glob(".best-*")) and not list(run_dir.glob(".checkpoint.tmp*"))


def _checkpoint(path: Path, state: dict | None) -> None:
    """A small zip laid out as a Keras file, with ``state`` inside (None: an old one)."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(100))
        if state is not None:
            archive.writestr(STATE_MEMBER, json.dumps(state))


def test_state_json_is_repaired_from_the_checkpoint(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"model": {}, "train": {}, "vocabulary": []}))
    _checkpoint(run / "checkpoint.keras", {"epoch": 3, "best_epoch": 3, "best_val_loss": 2.0})
    (run / "state.json").write_text(json.dumps({"epoch": 2, "best_epoch": 2}))
    (run / "log.csv").write_text("epoch,loss\n1,5\n2,4\n3,3\n")
    pending_best(run, 3).write_bytes(b"weights of epoch 3")
    pending_best(run, 4).write_bytes(b"cut short")
    assert resume_state(run, repair=False)["epoch"] == 3
    assert json.loads((run / "state.json").read_text())["epoch"] == 2  # not without repair
    assert prepare_resume(run) == 3
    assert json.loads((run / "state.json").read_text())["epoch"] == 3
    assert (run / "best.weights.h5").read_bytes() == b"weights of epoch 3"
    assert not list(run.glob(".best-*"))
    assert (run / "log.csv").read_text() == "epoch,loss\n1,5\n2,4\n3,3\n"


def test_same_epoch_keeps_state_json_and_old_checkpoints_use_it(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    _checkpoint(run / "checkpoint.keras", {"epoch": 3, "finished": False})
    (run / "state.json").write_text(json.dumps({"epoch": 3, "finished": True,
                                                "stop_reason": "reached 3 epochs"}))
    assert resume_state(run)["stop_reason"] == "reached 3 epochs"  # it says more
    _checkpoint(run / "checkpoint.keras", None)  # written before states went inside
    (run / "state.json").write_text(json.dumps({"epoch": 5}))
    assert resume_state(run) == {"epoch": 5}
    (run / "state.json").unlink()
    assert resume_state(run) is None  # nothing to resume: the run starts afresh
    (run / "checkpoint.keras").unlink()
    settle_best(run, None)
    assert resume_state(run) is None


def test_a_damaged_state_inside_the_checkpoint_says_use_fresh(tmp_path):
    from composer.errors import RunFolderError

    run = tmp_path / "run"
    run.mkdir()
    _checkpoint(run / "checkpoint.keras", {"epoch": "three"})
    with pytest.raises(RunFolderError, match=r"checkpoint\.keras: damaged \('epoch' is "
                                             r"'three'\); use --fresh"):
        resume_state(run)
