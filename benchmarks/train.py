"""Training speed on 1 and on 2 local CPU workers, and `composer prepare` cold and warm.

Training: the same small LSTM is trained twice on the same windows for the same number of
events: once in one process (``--strategy one --batch-size 2B``) and once by two
``MultiWorkerMirroredStrategy`` workers on localhost joined by ``TF_CONFIG`` (``--batch-size B``
each: the same global batch, the same steps). Events per second are the training events of an
epoch over its wall time (validation included, as in ``log.csv``), the median over the epochs
after the first (which traces the graph); the validation loss is that after the last epoch.

Preparation: ``composer prepare`` of the first ``--files`` music21 Bach scores (never the whole
corpus) with an empty conversion cache (cold), then again (warm, from the cache).

    nice -n 19 python benchmarks/train.py            # prints a markdown table

On a 2-core machine two workers share the cores that one process already uses, so no speed-up
is to be expected there; the point of the figures is the cost of the exchange and that the
loss is the same.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from composer.distribute import local_cluster  # noqa: E402


def _midi_dir() -> str:
    import music21

    return str(Path(music21.__file__).parent / "midi" / "testPrimitive")


def _env(cache: Path, tf_config: dict | None = None) -> dict:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), TF_CPP_MIN_LOG_LEVEL="3",
               CUDA_VISIBLE_DEVICES="", PYTHONPATH=str(ROOT))
    env.pop("TF_CONFIG", None)
    if tf_config:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return env



def _train_command(args, run_dir: Path, batch: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "composer", "train", "--midi-dir", args.midi_dir,
            "--layers", "1", "--units", str(args.units), "--embedding", "32",
            "--sequence-length", str(args.length), "--steps-per-epoch", str(args.steps),
            "--max-epochs", str(args.epochs), "--dropout", "0", "--batch-size", str(batch),
            "--no-evaluate", "--name", "bench", "--run-dir", str(run_dir),
            "--out", str(run_dir.parent / f"{run_dir.name}-model"), *extra]


def _figures(run_dir: Path, wall: float) -> dict:
    with open(run_dir / "log.csv") as handle:
        rows = list(csv.DictReader(handle))
    later = [float(r["tokens_per_s"]) for r in rows[1:]] or [float(rows[0]["tokens_per_s"])]
    return {"events": int(rows[-1]["tokens_seen"]), "events_per_s": statistics.median(later),
            "val_loss": float(rows[-1]["val_loss"]), "wall_s": wall}


def train_one(args, work: Path) -> dict:
    run_dir = work / "one"
    started = time.monotonic()
    subprocess.run(_train_command(args, run_dir, 2 * args.batch, "--strategy", "one"),
                   env=_env(work / "cache"), check=True, capture_output=True)
    return _figures(run_dir, time.monotonic() - started)


def train_two(args, work: Path) -> dict:
    run_dir = work / "two"
    cluster = local_cluster(2)
    started = time.monotonic()
    processes = [subprocess.Popen(_train_command(args, run_dir, args.batch),
                                  env=_env(work / "cache", {"cluster": cluster, "task": {
                                      "type": "worker", "index": i}}),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for i in range(2)]
    if any(p.wait() for p in processes):
        raise SystemExit("a worker failed")
    return _figures(run_dir, time.monotonic() - started)


def prepare(args, work: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "composer", "prepare", "--composers", "bach",
               "--limit", str(args.files), "--no-piano", "--cache-dir", str(work / "pcache"),
               "--out", str(work / "corpus")]
    times = []
    for _ in range(2):
        started = time.monotonic()
        subprocess.run(command, env=_env(work / "cache"), check=True, capture_output=True)
        times.append(time.monotonic() - started)
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--midi-dir", default=None, help="training files (default: the MIDI "
                        "files shipped in music21)")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--length", type=int, default=64, help="events per window")
    parser.add_argument("--batch", type=int, default=8, help="windows per replica")
    parser.add_argument("--steps", type=int, default=8, help="steps per epoch")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--files", type=int, default=8, help="Bach scores for prepare")
    parser.add_argument("--skip-prepare", action="store_true")
    args = parser.parse_args()
    args.midi_dir = args.midi_dir or _midi_dir()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        one, two = train_one(args, work), train_two(args, work)
        cold = warm = None
        if not args.skip_prepare:
            cold, warm = prepare(args, work)
    print(f"LSTM 1x{args.units}, windows of {args.length} events, global batch "
          f"{2 * args.batch}, {args.steps} steps x {args.epochs} epochs, {os.cpu_count()} "
          "CPU cores\n")
    print("| run | training events | events/s | val loss (nats/event) | wall time |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, row in (("1 worker (`--strategy one`)", one),
                      ("2 local CPU workers (`multi-worker`)", two)):
        print(f"| {name} | {row['events']:,} | {row['events_per_s']:,.0f} | "
              f"{row['val_loss']:.4f} | {row['wall_s']:.0f} s |")
    if cold is not None:
        print(f"\n| `composer prepare`, {args.files} Bach scores | time |\n| --- | ---: |\n"
              f"| cold (empty cache) | {cold:.1f} s |\n| warm (cached) | {warm:.1f} s |")


if __name__ == "__main__":
    main()
