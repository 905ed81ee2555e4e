"""The default model committed in ``models/default``: complete, lean, faithful, and musical.

These tests use the real shipped bundle (a 2x384 LSTM, a few MB), so they check what a user
gets: the bundle loads without TensorFlow, its float16 NumPy weights give the same predictions
as its Keras file, its card carries measured figures, and its continuations of the sample seeds
at temperature 1.0 neither stick to one pitch nor loop on one bar, and stay in key with key lock.
"""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from composer.bundle import default_model_dir, load_bundle
from composer.conditioning import token_features
from composer.engine import LSTMEngine
from composer.generate import GenerationSettings, generate
from composer.keys import estimate_key
from composer.midi_io import read_midi
from composer.tokenizer import Tokenizer
from tests.test_generate import bar_runs

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "default"
SAMPLES = sorted((Path(__file__).resolve().parent.parent / "midi_samples").glob("*.mid"))


@pytest.fixture(scope="module")
def bundle():
    return load_bundle(MODEL_DIR)


def test_default_model_dir_is_the_shipped_one():
    assert default_model_dir().resolve() == MODEL_DIR.resolve()


def test_bundle_is_complete_and_under_30_mb(bundle):
    names = {p.name for p in MODEL_DIR.iterdir()}
    assert {"model.keras", "weights.npz", "vocabulary.json", "config.json", "card.md",
            "metrics.json", "loss_curve.png", "log.csv"} <= names
    assert sum(p.stat().st_size for p in MODEL_DIR.iterdir()) < 30 * 1024 * 1024
    assert not [n for n in names if n.startswith(".")]  # no temporary leftovers


def test_card_reports_measured_test_nll_next_to_baselines(bundle):
    card = (MODEL_DIR / "card.md").read_text()
    model_row = bundle.metrics["rows"][0]
    assert f"{model_row['nll']:.4f}" in card
    assert {"unigram", "KN-4", "KN-6"} <= {row["name"].split()[0] for row in bundle.metrics["rows"]}
    assert f"{bundle.config.parameter_count:,} parameters" in card


def test_float16_engine_agrees_with_the_keras_file(bundle):
    keras = pytest.importorskip("keras")
    model = keras.saving.load_model(bundle.keras_path, compile=False)
    piece = read_midi(SAMPLES[0])
    ids = np.array(Tokenizer(bundle.vocab.settings).encode(piece.notes, piece.pedals)[:200])
    positions, meters = token_features(ids, bundle.vocab, piece.time_signatures)
    engine = LSTMEngine.from_bundle(bundle)
    feeds = {"ids": ids[None, :], "positions": positions[None, :].astype(np.int32),
             "meters": meters[None, :].astype(np.int32),
             "styles": np.full((1, len(ids)), 1, np.int32),
             "composers": np.zeros((1, len(ids)), np.int32)}
    names = {name for name, _ in bundle.config.conditions}
    if not names:
        expected = np.asarray(model.predict(ids[None, :], verbose=0))[0]
        logits, _ = engine.run(ids)
    else:
        feeds = {k: v for k, v in feeds.items() if k == "ids" or k in names}
        expected = np.asarray(model.predict(feeds, verbose=0))[0]
        logits, _ = engine.run(ids, inputs={k: feeds[k][0] for k in ("positions", "meters")
                                            if k in names},
                               context=engine.context(1, styles=1, composers=0))
    # float16 storage moves logits by a few thousandths; what matters is the distribution.
    assert np.max(np.abs(logits - expected)) < 0.05
    p = np.exp(expected - expected.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    log_q = logits - logits.max(-1, keepdims=True)
    log_q -= np.log(np.exp(log_q).sum(-1, keepdims=True))
    kl = (p * (np.log(p + 1e-30) - log_q)).sum(-1)
    assert kl.max() < 1e-3


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_continuations_at_temperature_one_do_not_stick_or_loop(bundle, sample):
    seed = read_midi(sample)
    bar = seed.time_signatures[-1].beats_per_bar
    takes = generate(bundle, seed, GenerationSettings(temperature=1.0, bars=8, takes=3,
                                                      random_seed=11))
    for take in takes:
        assert len(take.notes) >= 8
        top = Counter(n.pitch for n in take.notes).most_common(1)[0][1]
        assert top / len(take.notes) <= 1 / 3
        assert bar_runs(take.notes, take.start_beat, bar) <= 4


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_key_lock_keeps_95_percent_in_the_seed_scale(bundle, sample):
    seed = read_midi(sample)
    key = estimate_key(seed.notes)
    takes = generate(bundle, seed, GenerationSettings(temperature=1.0, bars=8, takes=2,
                                                      key_lock=True, random_seed=5))
    for take in takes:
        in_scale = sum(key.contains(n.pitch) for n in take.notes)
        assert in_scale / len(take.notes) >= 0.95
