"""The harmonizer: NumPy network against Keras, sampling, the bundle, the command."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from composer.chorales import HOLD, INPUT_TOKENS, MASK, OUTPUT_TOKENS, POSITIONS
from composer.cli import main
from composer.errors import MidiFileError, ModelBundleError
from composer.harmonizer import HarmonizerNet, harmonize, melody_line
from composer.harmonizer_bundle import HarmonizerConfig, load_harmonizer
from composer.midi_io import write_midi
from composer.notes import Note, Piece, TimeSignature
from composer.voices_midi import read_voices

TINY = HarmonizerConfig(context=3, token_dim=4, position_dim=3, voice_dim=2, units=5,
                        hidden=6, dropout=0.0)


def _random_keras(config: HarmonizerConfig, seed: int = 0):
    from composer.harmonizer_model import build_model

    model = build_model(config)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.6, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def _random_inputs(config: HarmonizerConfig, batch: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, INPUT_TOKENS, size=(batch, config.window, 4)).astype(np.int32)
    voice = rng.integers(0, 3, size=batch).astype(np.int32)
    tokens[np.arange(batch), config.context, voice + 1] = MASK
    positions = rng.integers(0, POSITIONS, size=(batch, config.window)).astype(np.int32)
    return tokens, positions, voice


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    """A tiny harmonizer trained for a few seconds on three real chorales."""
    from composer.chorales import load_chorales
    from composer.harmonizer_model import save_harmonizer, train

    folder = tmp_path_factory.mktemp("harmonizer")
    chorales = load_chorales(folder / "cache", names=["bach/bwv269", "bach/bwv347",
                                                       "bach/bwv153.1"])
    chorales = [dataclasses.replace(c, split="train") for c in chorales[:2]] + [
        dataclasses.replace(chorales[2], split="valid")]
    model, history = train(chorales, TINY, minutes=0.02, batch_size=64, epoch_examples=640,
                           log=lambda _text: None)
    assert history and all(np.isfinite(history[-1][3]))
    return save_harmonizer(folder / "bundle", model, TINY, prefix="bi_", keras_model=False)


@pytest.mark.parametrize("bidirectional", [True, False])
def test_numpy_logits_match_keras(bidirectional):
    config = dataclasses.replace(TINY, bidirectional=bidirectional)
    from composer.harmonizer_model import export_weights

    model = _random_keras(config)
    tokens, positions, voice = _random_inputs(config, 32)
    keras_logits = np.asarray(model.predict_on_batch(
        {"tokens": tokens, "positions": positions, "voice": voice[:, None]}))
    net = HarmonizerNet(export_weights(model, config), config)
    ours = net.logits(tokens, positions, voice)
    assert ours.shape == (32, OUTPUT_TOKENS)
    np.testing.assert_allclose(ours, keras_logits, atol=1e-4, rtol=0)
    assert np.abs(keras_logits).max() > 0.5  # the weights are not so small that all agree


def test_the_backward_half_sees_the_future():
    config = TINY
    from composer.harmonizer_model import export_weights

    net = HarmonizerNet(export_weights(_random_keras(config), config), config)
    tokens, positions, voice = _random_inputs(config, 4)
    changed = tokens.copy()
    changed[:, -1, 0] = (changed[:, -1, 0] + 7) % OUTPUT_TOKENS
    assert not np.allclose(net.logits(tokens, positions, voice),
                           net.logits(changed, positions, voice))


MELODY_3_4 = [  # 3/4, a rest, repeated notes, an eighth pair
    Note(0.0, 1.0, 67), Note(1.0, 2.0, 67), Note(2.0, 3.0, 69), Note(3.0, 4.5, 71),
    Note(4.5, 5.0, 72), Note(5.0, 6.0, 74), Note(7.0, 8.0, 72), Note(8.0, 9.0, 71),
    Note(9.0, 12.0, 67),
]


def test_harmonize_keeps_the_melody_and_the_ranges(tiny_bundle):
    bundle = load_harmonizer(tiny_bundle)
    result = harmonize(bundle, MELODY_3_4, (TimeSignature(0.0, 3, 4),), random_seed=3,
                       sweeps=4)
    assert result.soprano == tuple(MELODY_3_4)
    assert not result.melody.polyphonic
    for voice, notes in zip((1, 2, 3), (result.alto, result.tenor, result.bass)):
        low, high = bundle.config.ranges[voice]
        assert notes, f"voice {voice} is silent"
        assert all(low <= n.pitch <= high for n in notes)
        assert all(a.end <= b.start for a, b in zip(notes, notes[1:]))  # one line
        assert all(0 <= n.start < n.end <= 12.0 for n in notes)
    again = harmonize(bundle, MELODY_3_4, (TimeSignature(0.0, 3, 4),), random_seed=3,
                      sweeps=4)
    assert again.voices == result.voices
    other = harmonize(bundle, MELODY_3_4, (TimeSignature(0.0, 3, 4),), random_seed=4,
                      sweeps=4)
    assert other.voices != result.voices


def test_a_low_melody_gets_its_harmony_below_it(tiny_bundle):
    low = [n.shifted(0) for n in MELODY_3_4]
    low = [Note(n.start, n.end, n.pitch - 24) for n in low]
    result = harmonize(load_harmonizer(tiny_bundle), low, random_seed=1, sweeps=2)
    assert result.soprano == tuple(low)
    assert result.shift == 24
    assert max(n.pitch for n in result.bass) <= max(n.pitch for n in low)


def test_top_line_of_chords():
    chords = [Note(0, 1, 60), Note(0, 1, 64), Note(0, 1, 67), Note(1, 3, 72),
              Note(1.5, 2, 55), Note(2, 3, 76)]
    melody = melody_line(chords)
    assert melody.polyphonic
    assert [n.pitch for n in melody.notes] == [67, 72, 76]
    assert melody.notes[1].end == 2  # cut where the higher note starts
    assert melody.dropped == 3
    legato = [Note(0, 1.1, 60), Note(1, 2, 62)]  # a small overlap is still one line
    assert melody_line(legato) == melody_line(legato)
    assert not melody_line(legato).polyphonic
    assert melody_line(legato).notes == tuple(legato)


def test_no_notes_is_refused_by_name():
    with pytest.raises(MidiFileError, match="tune.mid: has no notes"):
        melody_line([], "tune.mid")


# ----- the bundle -----------------------------------------------------------------------
def test_bundle_validation(tiny_bundle, tmp_path):
    import shutil

    broken = tmp_path / "b"
    shutil.copytree(tiny_bundle, broken)
    (broken / "config.json").write_text(json.dumps({"harmonizer": {"units": "5"}}))
    with pytest.raises(ModelBundleError, match="'units' must be a whole number"):
        load_harmonizer(broken)
    config = json.loads((tiny_bundle / "config.json").read_text())
    config["harmonizer"]["units"] = 7
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelBundleError, match="has shape"):
        load_harmonizer(broken)
    (broken / "weights.npz").unlink()
    with pytest.raises(ModelBundleError, match="missing weights.npz"):
        load_harmonizer(broken)
    with pytest.raises(ModelBundleError, match="not a folder"):
        load_harmonizer(tmp_path / "nothing")


def test_play_side_imports_no_tensorflow():
    code = ("import sys, composer.harmonizer, composer.commands.harmonize, "
            "composer.harmonizer_bundle; print('tensorflow' in sys.modules, "
            "'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


# ----- the command ----------------------------------------------------------------------
def _write(path, notes, numerator=4):
    write_midi(path, Piece(tuple(notes), time_signatures=(TimeSignature(0.0, numerator, 4),)))
    return path


def test_cli_writes_four_voices_with_the_melody_untouched(tiny_bundle, tmp_path, capsys):
    melody = _write(tmp_path / "tune.mid", MELODY_3_4, 3)
    out = tmp_path / "out.mid"
    assert main(["harmonize", str(melody), "-o", str(out), "--random-seed", "5",
                 "--model", str(tiny_bundle)]) == 0
    assert "random seed 5" in capsys.readouterr().out
    voices = read_voices(out)
    assert list(voices) == ["Soprano", "Alto", "Tenor", "Bass"]
    assert [(n.start, n.end, n.pitch) for n in voices["Soprano"]] == [
        (n.start, n.end, n.pitch) for n in MELODY_3_4]
    first = out.read_bytes()
    assert main(["harmonize", str(melody), "-o", str(out), "--random-seed", "5",
                 "--model", str(tiny_bundle)]) == 2  # exists: not replaced without --force
    assert "--force" in capsys.readouterr().err
    assert main(["harmonize", str(melody), "-o", str(out), "--random-seed", "5", "--force",
                 "--model", str(tiny_bundle)]) == 0
    assert out.read_bytes() == first


def test_cli_says_when_it_takes_the_top_line(tiny_bundle, tmp_path, capsys):
    chords = [Note(float(b), b + 1.0, p) for b in range(8) for p in (60 + b, 64 + b, 67 + b)]
    source = _write(tmp_path / "chords.mid", chords)
    out = tmp_path / "chords-h.mid"
    assert main(["harmonize", str(source), "-o", str(out), "--random-seed", "1",
                 "--model", str(tiny_bundle)]) == 0
    said = capsys.readouterr().out
    assert "top line of 8 notes" in said and "16 notes below it" in said
    assert [n.pitch for n in read_voices(out)["Soprano"]] == [67 + b for b in range(8)]


def test_cli_bad_inputs(tiny_bundle, tmp_path, capsys):
    empty = _write(tmp_path / "empty.mid", [])
    assert main(["harmonize", str(empty), "-o", str(tmp_path / "o.mid"),
                 "--model", str(tiny_bundle)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(empty) in err and "no notes" in err
    melody = _write(tmp_path / "m.mid", MELODY_3_4)
    assert main(["harmonize", str(melody), "-o", str(melody), "--force",
                 "--model", str(tiny_bundle)]) == 2
    assert "that is the input file" in capsys.readouterr().err
    assert main(["harmonize", str(tmp_path / "missing.mid"), "-o", str(tmp_path / "x.mid"),
                 "--model", str(tiny_bundle)]) == 2
    assert "missing.mid" in capsys.readouterr().err
    assert main(["harmonize", str(melody), "-o", str(tmp_path / "x.mid"),
                 "--model", str(tmp_path)]) == 2
    assert "incomplete harmonizer bundle" in capsys.readouterr().err
    assert not (tmp_path / "x.mid").exists() and not (tmp_path / "o.mid").exists()


def test_hold_after_nothing_is_never_sampled(tiny_bundle):
    result = harmonize(load_harmonizer(tiny_bundle), [Note(0.5, 2.0, 70)], random_seed=0,
                       sweeps=3)
    assert (result.tokens[0, 1:] != HOLD).all()


def test_the_shipped_bundle_is_small_and_matches_its_keras_model():
    import keras

    from composer.harmonizer_bundle import default_harmonizer_dir

    folder = default_harmonizer_dir()
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    assert size <= 30 << 20
    bundle = load_harmonizer(folder)
    assert load_harmonizer(folder / "ablation").config.bidirectional is False
    model = keras.saving.load_model(folder / "model.keras", compile=False)
    tokens, positions, voice = _random_inputs(bundle.config, 16, seed=7)
    expected = np.asarray(model.predict_on_batch(
        {"tokens": tokens, "positions": positions, "voice": voice[:, None]}))
    ours = HarmonizerNet.from_bundle(bundle).logits(tokens, positions, voice)
    np.testing.assert_allclose(ours, expected, atol=1e-4, rtol=0)
