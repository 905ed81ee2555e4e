"""Live answer latency through real MIDI ports: phrase end detected -> first answer note out.

    .venv/bin/python benchmarks/live.py [--model DIR] [--phrases 30] [--blas-threads 1]

Starts a JACK server with the dummy driver (needs ``jackd``; Debian package ``jackd2``), a
keyboard player in a second process (``python -m tests.jack_server keyboard``) and, in this
process, a :class:`composer.live.LiveSession` answering on a port whose arrivals are recorded.
The keyboard plays ``--phrases`` short phrases (two beats cut from the music21 test files at
180 bpm); each one comes back in 0.3 s after the answer's first note arrives, which also
checks that answers stop when the player returns. This is done twice: with speculation (the
default: the answer is generated from 0.15 s before the wait ends) and without it (generated
when the phrase end is detected), which measures how fast the first notes are generated.

Measured per phrase, all on CLOCK_MONOTONIC:

- **detect -> first note sent**: from the moment the session decides the phrase has ended to
  the moment its first answer note is handed to the port (what the target is about);
- **detect -> first note arrives**: the same, at the receiving port, through JACK (adds the
  JACK period, 5.3 ms here);
- **detection lateness**: how late the session woke up after the silence had lasted long
  enough (queue wake-up jitter).

The model: ``--model``, else ``models/default`` if it exists, else a random-initialized model
of the default shape (2x512 LSTM, embedding 256), built in NumPy, said so in the table. A
random model's first note takes as long as chance needs to end a note, so its figures are
an upper bound. Target: p95 of "detect -> first note sent" under 30 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model bundle (default: models/default or random 2x512)")
    parser.add_argument("--phrases", type=int, default=30)
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads for the NumPy engine (default 1: flat tail latency)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the answers")
    return parser.parse_args()


REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:  # must happen before NumPy is imported
    from composer.blas import limit_threads

    limit_threads(ARGS.blas_threads, override=True)

import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from composer import ports  # noqa: E402
from composer.bundle import ModelBundle, default_model_dir, load_bundle  # noqa: E402
from composer.config import ModelConfig  # noqa: E402
from composer.generate import GenerationSettings  # noqa: E402
from composer.live import LiveSession, LiveSettings, model_answerer  # noqa: E402
from composer.vocabulary import TokenizerSettings, Vocabulary  # noqa: E402

TEMPO = 180.0
PHRASE_BEATS = 2.0


def random_bundle(seed: int = 0) -> ModelBundle:
    """A 2x512 model of the default shape with Keras-like initial weights, no TensorFlow."""
    rng = np.random.default_rng(seed)
    vocab = Vocabulary(TokenizerSettings())
    config = ModelConfig(vocab_size=len(vocab))

    def glorot(rows: int, cols: int) -> np.ndarray:
        limit = np.sqrt(6.0 / (rows + cols))
        return rng.uniform(-limit, limit, (rows, cols)).astype(np.float32)

    weights = {"embedding": rng.uniform(-0.05, 0.05, (config.vocab_size, config.embedding_dim)
                                        ).astype(np.float32)}
    width = config.embedding_dim
    for index, units in enumerate(config.lstm_units):
        weights[f"lstm_{index}_kernel"] = glorot(width, 4 * units)
        q, _ = np.linalg.qr(rng.normal(size=(4 * units, units)))
        weights[f"lstm_{index}_recurrent"] = q.T.astype(np.float32)
        bias = np.zeros(4 * units, np.float32)
        bias[units:2 * units] = 1.0  # Keras' unit forget bias
        weights[f"lstm_{index}_bias"] = bias
        width = units
    weights["dense_kernel"] = glorot(width, config.vocab_size)
    weights["dense_bias"] = np.zeros(config.vocab_size, np.float32)
    return ModelBundle(Path("<random-2x512>"), "random-2x512", config, vocab, weights)


def choose_model(path: str | None) -> tuple[ModelBundle, str]:
    if path:
        bundle = load_bundle(path)
        return bundle, f"{bundle.name} ({path})"
    if default_model_dir().is_dir():
        bundle = load_bundle()
        return bundle, f"default model {bundle.name} ({default_model_dir()})"
    return random_bundle(), "random-init 2x512 (models/default does not exist yet)"


def phrase_files() -> list[Path]:
    from composer.midi_io import read_midi
    from tests.conftest import music21_test_midis

    usable = []
    for path in music21_test_midis():
        piece = read_midi(path)
        if len([n for n in piece.notes if n.start < PHRASE_BEATS]) >= 3:
            usable.append(path)
    return usable


def percentiles(values: list[float]) -> tuple[float, float, float]:
    ms = np.array(values) * 1000.0
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), float(ms.max())


def run_phrases(answerer, keyboard, arrivals: list[float], phrases: int, speculate: bool):
    """Play ``phrases`` phrases to a fresh session; returns (timings, first arrival times)."""
    settings = LiveSettings(min_wait=0.4, max_wait=0.4, bpm=TEMPO, speculate=speculate)
    session = LiveSession(answerer, "kbd:keys", "bench:answers", api="jack", settings=settings,
                          clock=time.monotonic)
    session.start()
    files = phrase_files()
    first_arrivals: list[float] = []
    try:
        for index in range(phrases):
            path = files[index % len(files)]
            keyboard.stdin.write(f"play {path} {TEMPO} {PHRASE_BEATS}\n")
            keyboard.stdin.flush()
            keyboard.stdout.readline()
            # Counted from the phrase's last note: notes of the previous answer still on their
            # way while this phrase began (it stops that answer) are not this one's answer.
            # Counting them made the next phrase start early and merge with this one.
            count = len(arrivals)
            deadline = time.monotonic() + 5.0
            while len(arrivals) == count and time.monotonic() < deadline:
                time.sleep(0.002)
            if len(arrivals) > count:
                first_arrivals.append(arrivals[count])
            time.sleep(0.3)  # then the player comes back in with the next phrase
        time.sleep(0.5)
    finally:
        session.stop()
    return list(session.timings), first_arrivals


def report(label: str, timings, first_arrivals: list[float]) -> list[float]:
    answered = [t for t in timings if t.first_note_at is not None]
    sent = [t.latency for t in answered]
    arrived = []
    for timing in answered:
        later = [a for a in first_arrivals if a >= timing.first_note_at]
        if later:
            arrived.append(later[0] - timing.detected_at)
    lateness = [t.detected_at - t.due_at for t in timings]
    print(f"{label} ({len(answered)} answers, {sum(t.interrupted for t in timings)} stopped "
          f"by the player coming back)")
    for name, values in (("  detect -> first note sent", sent),
                         ("  detect -> first note arrives", arrived),
                         ("  detection lateness", lateness)):
        if values:
            p50, p95, worst = percentiles(values)
            print(f"{name:34}{p50:9.1f}{p95:9.1f}{worst:9.1f}")
    return sent


def main() -> int:
    from tests.jack_server import start_jack

    args = ARGS
    bundle, model_text = choose_model(args.model)
    sys.setswitchinterval(0.001)
    server = start_jack(name=f"composer-bench-{os.getpid()}")
    os.environ.update(server.env)
    arrivals: list[float] = []
    keyboard = None
    answers = ports.open_virtual_input(
        "answers", api="jack", client_name="bench",
        callback=lambda m: arrivals.append(time.monotonic())
        if m.type == "note_on" and m.velocity > 0 else None)
    results = {}
    try:
        keyboard = subprocess.Popen(
            [sys.executable, "-m", "tests.jack_server", "keyboard", "kbd", "keys"],
            cwd=REPO, env=os.environ.copy(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        assert keyboard.stdout.readline().strip() == "ready"
        generation = GenerationSettings(random_seed=args.seed, key_lock=True)
        t0 = time.monotonic()
        answerer = model_answerer(bundle, generation)
        warmup = time.monotonic() - t0
        for speculate in (True, False):
            results[speculate] = run_phrases(answerer, keyboard, arrivals, args.phrases,
                                             speculate)
    finally:
        if keyboard is not None and keyboard.poll() is None:
            keyboard.stdin.write("quit\n")
            keyboard.stdin.flush()
            keyboard.wait(10)
        answers.close()
        server.stop()

    print(f"live answer latency over real JACK MIDI ports, {args.phrases} phrases per row")
    print(f"model: {model_text}; BLAS threads: {args.blas_threads}; engine warm-up "
          f"{warmup * 1000:.0f} ms; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print()
    print(f"{'':34}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    sent = report("speculative (the default)", *results[True])
    report("generating at the phrase end (--no speculation)", *results[False])
    if sent:
        verdict = "met" if percentiles(sent)[1] < 30.0 else "NOT met"
        print(f"\ntarget p95 < 30 ms (detect -> first note sent, default): {verdict}")
    return 0 if sent else 1


if __name__ == "__main__":
    sys.exit(main())
