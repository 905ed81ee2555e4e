"""Two real tf.distribute workers on localhost, joined by TF_CONFIG, train one tiny model.

Each worker is a ``composer train`` subprocess on free local ports. Their loss is compared with
one process that trains the same global batch (2 x 4 windows = 1 x 8 windows, the same windows:
the sampler is seeded by epoch) on the same events; a worker killed mid-run is restarted with
its peer (a MultiWorkerMirroredStrategy job cannot go on without a lost worker) and the run
resumes from the chief's last checkpoint.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from composer.cli import main
from composer.distribute import (
    Cluster,
    choose_strategy,
    cluster_from_env,
    describe,
    local_cluster,
)
from composer.errors import SettingsError
from tests.conftest import music21_test_midis

# Tolerance of the loss comparison, nats/event: the same steps on the same windows, so only
# the order of the sums in the all-reduce differs (weights agree to about 1e-7 after 18 steps;
# log.csv rounds to 1e-5). Clipping of each replica's share could differ on a step whose
# gradient exceeds the clip norm; none does here.
LOSS_TOLERANCE = 1e-3
TINY = ["--layers", "1", "--units", "16", "--embedding", "8", "--sequence-length", "24",
        "--steps-per-epoch", "2", "--dropout", "0", "--no-evaluate", "--name", "tiny",
        "--midi-dir", str(music21_test_midis()[0].parent)]


def _env(tmp_path, tf_config=None):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), TF_CPP_MIN_LOG_LEVEL="3",
               OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return env


def _workers(tmp_path, run_dir, out, *extra):
    cluster = local_cluster(2)
    command = [sys.executable, "-m", "composer", "train", *TINY, "--batch-size", "4",
               "--run-dir", str(run_dir), "--out", str(out), *extra]
    return [subprocess.Popen(command, env=_env(tmp_path, {"cluster": cluster, "task": {
        "type": "worker", "index": i}}), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True) for i in range(2)]


def _finish(processes, timeout=400):
    outputs = []
    for process in processes:
        try:
            outputs.append(process.communicate(timeout=timeout)[0])
        except subprocess.TimeoutExpired:
            for p in processes:
                p.kill()
            pytest.fail("a worker did not finish in time")
    return outputs


def _log(run_dir):
    with open(run_dir / "log.csv") as handle:
        return list(csv.DictReader(handle))


def test_auto_picks_multi_worker_from_tf_config_then_gpus_then_one_device():
    two = {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}
    cluster = cluster_from_env({"TF_CONFIG": json.dumps(two)})
    assert cluster == Cluster(2, "worker", 1) and not cluster.is_chief
    assert cluster_from_env({"TF_CONFIG": json.dumps({**two, "task": {"type": "worker",
                                                                      "index": 0}})}).is_chief
    with_chief = {"cluster": {"chief": ["a:1"], "worker": ["b:2"]},
                  "task": {"type": "worker", "index": 0}}
    assert not cluster_from_env({"TF_CONFIG": json.dumps(with_chief)}).is_chief
    assert choose_strategy("auto", cluster, gpus=4) == "multi-worker"
    assert choose_strategy("auto", Cluster(), gpus=2) == "mirrored"
    assert choose_strategy("auto", Cluster(), gpus=1) == "one"
    assert choose_strategy("auto", cluster_from_env({}), gpus=0) == "one"
    with pytest.raises(SettingsError, match="TF_CONFIG names no other worker"):
        choose_strategy("multi-worker", Cluster(), gpus=0)
    with pytest.raises(SettingsError, match="not a TensorFlow cluster"):
        cluster_from_env({"TF_CONFIG": "{not json"})
    assert describe("multi-worker", 2) == "strategy: multi-worker, 2 replicas"
    assert describe("one", 1) == "strategy: one device"


@pytest.mark.slow
def test_two_workers_train_together_like_one_and_the_chief_writes_a_bundle(tmp_path):
    pair = _workers(tmp_path, tmp_path / "run2", tmp_path / "model2", "--max-epochs", "2")
    single = subprocess.run(
        [sys.executable, "-m", "composer", "train", *TINY, "--batch-size", "8",
         "--strategy", "one", "--run-dir", str(tmp_path / "run1"), "--out",
         str(tmp_path / "model1"), "--max-epochs", "2"],
        env=_env(tmp_path), capture_output=True, text=True, timeout=400)
    chief, worker = _finish(pair)
    assert single.returncode == 0, single.stdout + single.stderr
    assert pair[0].returncode == 0 and pair[1].returncode == 0, chief + worker
    assert "strategy: multi-worker, 2 replicas" in chief
    assert "strategy:" not in worker and "[worker 1] done at epoch 2" in worker
    assert "strategy: one device" in single.stdout
    one, two = _log(tmp_path / "run1"), _log(tmp_path / "run2")
    assert [r["epoch"] for r in two] == ["1", "2"]
    assert [r["tokens_seen"] for r in two] == [r["tokens_seen"] for r in one]  # same events
    for a, b in zip(one, two):
        for key in ("loss", "val_loss"):
            assert abs(float(a[key]) - float(b[key])) < LOSS_TOLERANCE, (key, a, b)
    midi = tmp_path / "continued.mid"
    assert main(["generate", str(music21_test_midis()[2]), "--model", str(tmp_path / "model2"),
                 "-o", str(midi), "--bars", "2", "--random-seed", "1"]) == 0
    assert midi.stat().st_size > 0


@pytest.mark.slow
def test_a_worker_killed_mid_run_and_restarted_resumes_from_the_last_checkpoint(tmp_path):
    run_dir, out = tmp_path / "run", tmp_path / "model"
    pair = _workers(tmp_path, run_dir, out, "--max-epochs", "1000")
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            state = run_dir / "state.json"
            if state.exists() and json.loads(state.read_text())["epoch"] >= 1:
                break
            assert pair[0].poll() is None, pair[0].stdout.read()
            time.sleep(0.2)
        else:
            pytest.fail("no checkpoint within the time limit")
    finally:
        pair[1].send_signal(signal.SIGKILL)  # the non-chief worker is lost
        pair[1].wait()
    try:  # the chief cannot go on alone; it stops by itself or is stopped like the job
        pair[0].wait(timeout=10)
    except subprocess.TimeoutExpired:
        pair[0].kill()
    pair[0].communicate()
    killed_at = json.loads((run_dir / "state.json").read_text())["epoch"]
    restarted = _workers(tmp_path, run_dir, out, "--max-epochs", str(killed_at + 1))
    chief, worker = _finish(restarted)
    assert restarted[0].returncode == 0 and restarted[1].returncode == 0, chief + worker
    assert f"resuming {run_dir} at epoch {killed_at}" in chief
    assert f"[worker 1] resuming {run_dir} at epoch {killed_at}" in worker
    epochs = [int(r["epoch"]) for r in _log(run_dir)]
    assert epochs == list(range(1, killed_at + 2))  # none trained twice, none lost
    assert json.loads((out / "config.json").read_text())
    assert not any(name.startswith(".") for name in os.listdir(run_dir)
                   if name.endswith(".tmp.keras"))
