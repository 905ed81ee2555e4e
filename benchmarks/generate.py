"""How fast is generation? The NumPy engine next to the tutorial approach, on the same model.

    .venv/bin/python benchmarks/generate.py [--model DIR] [--tokens 1000] [--tutorial-tokens 60]
    .venv/bin/python benchmarks/generate.py --loop-only [--repeats 5]

Measures, in one run and on one model (``--model``, else ``models/default`` if it exists, else
a random-initialized model of the default shape, 2x512, so the benchmark runs any time):

- ms per generated token, median over ``--tokens`` tokens, batch 1 and batch 8: the NumPy
  engine's step alone, and the whole sampling loop of ``composer.generate`` (engine + masks +
  repetition guard + top-p sampling);
- the tutorial approach: Keras ``model.predict`` on the last 100 tokens for every new token
  (median over ``--tutorial-tokens`` tokens, that is enough for a median);
- wall time of a fresh ``composer generate`` process (8 bars) from start to written file, next
  to a fresh ``python -c "import tensorflow"``;
- max |logit difference| against the Keras model for the engine with float32 and with float16
  weights, on a real token sequence.

``--loop-only`` measures the first two only (engine step and sampling loop, with the loop's
cost over the bare step), ``--repeats`` times in alternation, and prints the median of the
repeats' medians: what to compare before and after a change of the sampling loop.

Targets: the engine >= 200x faster per token than the tutorial approach; a fresh generate
process faster than importing TensorFlow; the whole loop <= 1.3x the engine step. The numbers
depend on what else the machine is doing: say so next to them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# One BLAS thread for the NumPy engine, as the CLI does (set before NumPy is imported).
from composer.blas import limit_threads  # noqa: E402

limit_threads(1)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from composer.bundle import load_bundle  # noqa: E402
from composer.conditioning import token_features  # noqa: E402
from composer.engine import LSTMEngine  # noqa: E402
from composer.generate import GenerationSettings, _plan, _run  # noqa: E402
from composer.midi_io import read_midi  # noqa: E402
from composer.tokenizer import Tokenizer  # noqa: E402

WINDOW = 100  # the tutorial's sliding window
# The clock of the per-event measures: wall time, or with --cpu-time this thread's CPU time
# (one BLAS thread), which a loaded machine does not inflate by making the process wait.
CLOCK = time.perf_counter


def seed_path() -> Path:
    sample = REPO / "midi_samples" / "bach_chorale.mid"
    if sample.is_file():
        return sample
    import music21

    return sorted((Path(music21.__file__).parent / "midi" / "testPrimitive").glob("*.mid"))[5]


def model_dir(requested: str | None, workdir: Path) -> tuple[Path, str]:
    if requested:
        return Path(requested), "given"
    default = REPO / "models" / "default"
    if (default / "weights.npz").is_file():
        return default, "models/default"
    import keras

    from composer.config import ModelConfig
    from composer.model import build_model, save_bundle
    from composer.vocabulary import TokenizerSettings, Vocabulary

    vocab = Vocabulary(TokenizerSettings())
    config = ModelConfig(vocab_size=len(vocab))  # the default shape: 256 embedding, 2x512
    keras.utils.set_random_seed(1)
    folder = workdir / "random-2x512"
    save_bundle(folder, build_model(config), config, vocab, info={"name": "random-2x512"},
                weights_dtype="float16")
    return folder, "random init 2x512 (no trained default model yet)"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def engine_step_times(engine: LSTMEngine, ids: list[int], batch: int, count: int) -> list[float]:
    """The bare step, with the extra inputs a conditioned model is fed at every event (a
    position and a metre per stream, the style/composer context row), as generation feeds them."""
    conditioned = bool(engine.inputs)
    prime_inputs = ({name: np.zeros(200, np.intp) for name in ("positions", "meters")
                     if name in engine.inputs} if conditioned else None)
    _, state = engine.prime(ids[:200], inputs=prime_inputs)
    state = LSTMEngine.broadcast(state, batch)
    step_inputs = ({name: np.zeros(batch, np.intp) for name in ("positions", "meters")
                    if name in engine.inputs} if conditioned else None)
    context = engine.context(batch) if conditioned else None
    times = []
    for i in range(count):
        token = np.full(batch, ids[200 + i % (len(ids) - 200)])
        start = CLOCK()
        _, state = engine.step(token, state, inputs=step_inputs, context=context)
        times.append(CLOCK() - start)
    return times


def keras_feeds(bundle, ids) -> dict | np.ndarray:
    """What the Keras model takes for a window of ids: the ids alone, or (a model trained with
    extra inputs) a dict with every input. The classes of the extra inputs do not change the
    cost of a predict call, so the tutorial row feeds class 0 ("unknown") throughout."""
    window = np.asarray([ids], dtype=np.int32)
    names = [name for name, _ in bundle.config.conditions]
    if not names:
        return window
    return {"ids": window, **{name: np.zeros_like(window) for name in names}}


def loop_step_times(bundle, seed, batch: int, count: int, seed_memory: float | None = None
                    ) -> list[float]:
    extra = {} if seed_memory is None else {"seed_memory": seed_memory}
    settings = GenerationSettings(bars=1000, takes=batch, random_seed=1, **extra)
    plan = _plan(bundle, seed, settings)
    times = []
    start = CLOCK()
    for _ in _run(bundle, plan, settings, batch, None):
        now = CLOCK()
        times.append(now - start)
        start = now
        if len(times) >= count:
            break
    return times[1:]  # the first includes priming


def tutorial_times(keras_model, bundle, ids: list[int], count: int, rng) -> list[float]:
    window = list(ids[:WINDOW])
    times = []
    for _ in range(count):
        start = time.perf_counter()
        logits = keras_model.predict(keras_feeds(bundle, window[-WINDOW:]), verbose=0)
        probs = np.exp(logits[0, -1] - logits[0, -1].max())
        window.append(int(rng.choice(len(probs), p=probs / probs.sum())))
        times.append(time.perf_counter() - start)
    return times


def fresh_process(args: list[str], cwd: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model bundle (default: models/default or random 2x512)")
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--tutorial-tokens", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3, help="fresh-process runs (median)")
    parser.add_argument("--loop-only", action="store_true",
                        help="only the engine step and the sampling loop")
    parser.add_argument("--repeats", type=int, default=1,
                        help="repeats of the loop measures (median of medians)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="per-event measures in this thread's CPU time, not wall time")
    args = parser.parse_args()
    if args.cpu_time:
        global CLOCK
        CLOCK = time.thread_time
    if args.loop_only:
        loop_only(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        folder, origin = model_dir(args.model, workdir)
        bundle = load_bundle(folder)
        seed_file = seed_path()
        seed = read_midi(seed_file)
        ids = Tokenizer(bundle.vocab.settings).encode(seed.notes, seed.pedals, eos=False)
        while len(ids) < 400:
            ids = ids + ids[1:]
        engine = LSTMEngine.from_bundle(bundle)
        rows: list[tuple[str, str]] = []

        for batch in (1, 8):
            step = median_ms(engine_step_times(engine, ids, batch, args.tokens))
            rows.append((f"NumPy engine step, batch {batch}",
                         f"{step / batch:.3f} ms/token ({step:.3f} ms/step)"))
        loop = {}
        for batch in (1, 8):
            step = median_ms(loop_step_times(bundle, seed, batch, args.tokens))
            loop[batch] = step / batch
            rows.append((f"generate loop (engine+masks+guard+top-p+seed memory), batch {batch}",
                         f"{step / batch:.3f} ms/token ({step:.3f} ms/step)"))
        for batch in (1, 8):
            step = median_ms(loop_step_times(bundle, seed, batch, args.tokens, seed_memory=0.0))
            rows.append((f"generate loop without seed memory, batch {batch}",
                         f"{step / batch:.3f} ms/token ({step:.3f} ms/step)"))

        import keras

        keras_model = keras.saving.load_model(folder / "model.keras", compile=False)
        keras_model.predict(keras_feeds(bundle, ids[:WINDOW]), verbose=0)  # warm up
        tutorial = median_ms(tutorial_times(keras_model, bundle, ids, args.tutorial_tokens,
                                            np.random.default_rng(0)))
        rows.append((f"tutorial: model.predict on last {WINDOW} tokens, per token",
                     f"{tutorial:.2f} ms/token"))
        engine1 = float(rows[0][1].split()[0])
        rows.append(("speed-up, engine step batch 1 vs tutorial", f"{tutorial / engine1:.0f}x"))
        rows.append(("speed-up, generate loop batch 1 / batch 8 vs tutorial",
                     f"{tutorial / loop[1]:.0f}x / {tutorial / loop[8]:.0f}x"))

        sequence = np.array(ids[:300], dtype=np.int32)
        names = [name for name, _ in bundle.config.conditions]
        engine_inputs: dict = {}
        feeds: dict | np.ndarray = sequence[None]
        context = None
        if names:
            # Real positions and metres of the seed, style 1, composer unknown: the same feed
            # for Keras and for the engine.
            positions, meters = token_features(sequence, bundle.vocab, seed.time_signatures)
            per_step = {"positions": positions, "meters": meters}
            engine_inputs = {k: v for k, v in per_step.items() if k in names}
            feeds = {"ids": sequence[None],
                     **{k: v[None].astype(np.int32) for k, v in engine_inputs.items()},
                     **{k: np.full((1, sequence.size), 1 if k == "styles" else 0, np.int32)
                        for k in names if k in ("styles", "composers")}}
            context = engine.context(1, **{k: (1 if k == "styles" else 0)
                                           for k in names if k in ("styles", "composers")})
        reference = np.asarray(keras_model.predict(feeds, verbose=0))[0]
        from composer.model import export_weights

        weights32 = export_weights(keras_model, bundle.config)  # the Keras model's own float32
        weights16 = {k: v.astype(np.float16) for k, v in weights32.items()}
        layers = len(bundle.config.lstm_units)
        for label, weights in (("float32 weights", weights32), ("float16 weights", weights16)):
            logits = LSTMEngine(weights, layers).run(sequence, inputs=engine_inputs or None,
                                                     context=context)[0]
            diff = np.abs(logits - reference).max()
            rows.append((f"max |logit diff| vs Keras, {label} (300 tokens)", f"{diff:.2e}"))
        rows.append(("weights.npz dtype (what generate uses)",
                     str(next(iter(bundle.weights.values())).dtype)))

        out = workdir / "fresh.mid"
        generate_cmd = [sys.executable, "-m", "composer", "generate", str(seed_file),
                        "--model", str(folder), "-o", str(out), "--force", "--bars", "8",
                        "--random-seed", "1"]
        fresh = [fresh_process(generate_cmd, workdir) for _ in range(args.runs)]
        tf_import = [fresh_process([sys.executable, "-c", "import tensorflow"], workdir)
                     for _ in range(args.runs)]
        rows.append(("fresh `composer generate` process, 8 bars, to written file",
                     f"{statistics.median(fresh):.2f} s"))
        rows.append(("fresh `python -c 'import tensorflow'`",
                     f"{statistics.median(tf_import):.2f} s"))

    load = os.getloadavg()[0]
    print(f"model: {bundle.name} ({origin}), {bundle.config.lstm_units} LSTM, "
          f"embedding {bundle.config.embedding_dim}, vocabulary {bundle.config.vocab_size}")
    print(f"seed: {seed_file.name}; CPU cores: {os.cpu_count()}; load average at the end: "
          f"{load:.2f} (anything else running slows every figure)")
    width = max(len(name) for name, _ in rows)
    print(f"{'measure'.ljust(width)} | value")
    print(f"{'-' * width}-+-{'-' * 30}")
    for name, value in rows:
        print(f"{name.ljust(width)} | {value}")


def loop_only(args) -> None:
    """Engine step and sampling loop per event, batch 1 and 8, repeated in alternation so a
    change in the machine's load hits every row alike."""
    with tempfile.TemporaryDirectory() as tmp:
        folder, origin = model_dir(args.model, Path(tmp))
        bundle = load_bundle(folder)
        seed = read_midi(seed_path())
        ids = Tokenizer(bundle.vocab.settings).encode(seed.notes, seed.pedals, eos=False)
        while len(ids) < 400:
            ids = ids + ids[1:]
        engine = LSTMEngine.from_bundle(bundle)
        measures = {}
        for batch in (1, 8):
            measures[f"engine step, batch {batch}"] = (
                lambda b=batch: engine_step_times(engine, ids, b, args.tokens), batch)
            measures[f"whole loop, batch {batch}"] = (
                lambda b=batch: loop_step_times(bundle, seed, b, args.tokens), batch)
            measures[f"whole loop without seed memory, batch {batch}"] = (
                lambda b=batch: loop_step_times(bundle, seed, b, args.tokens, seed_memory=0.0),
                batch)
        results: dict[str, list[float]] = {name: [] for name in measures}
        for _ in range(args.repeats):
            for name, (measure, _batch) in measures.items():
                results[name].append(median_ms(measure()))
    clock = "CPU time" if CLOCK is time.thread_time else "wall time"
    print(f"model: {bundle.name} ({origin}); {args.tokens} events x {args.repeats} repeats; "
          f"{clock}; load average {os.getloadavg()[0]:.2f}")
    width = max(len(name) for name in results)
    for name, values in results.items():
        batch = measures[name][1]
        median = statistics.median(values)
        engine_ms = statistics.median(results[f"engine step, batch {batch}"])
        print(f"{name.ljust(width)} | {median:.3f} ms/step ({median / batch:.3f} ms/event) "
              f"| {median / engine_ms:.2f}x the engine step | repeats: "
              + " ".join(f"{v:.3f}" for v in values))


if __name__ == "__main__":
    main()
