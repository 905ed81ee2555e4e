"""Model evaluation: the NumPy forward pass against a by-hand softmax and against Keras, the
report against the n-gram models, and the ``composer evaluate`` command's paths.

Data: the token sequences of music21's small test MIDI files (the tiny model's training data)
and a hand-made corpus folder built from them.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from composer.bundle import load_bundle
from composer.cli import main
from composer.corpus import Corpus, save_corpus
from composer.errors import ModelBundleError
from composer.evaluate import evaluate_bundle, evaluation_report, sequence_log_probs
from composer.ngram import KneserNeyModel, UnigramModel
from composer.vocabulary import TokenizerSettings, Vocabulary
from tests.conftest import music21_test_midis


def direct_log_probs(weights: dict, sequence) -> list[float]:
    """log softmax of the next event, one step at a time, float64, straight from weights.npz."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    layers = sum(1 for k in w if k.endswith("_recurrent"))
    state = [(np.zeros(w[f"lstm_{i}_recurrent"].shape[0]),) * 2 for i in range(layers)]
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    result = []
    for current, following in zip(sequence[:-1], sequence[1:]):
        x = w["embedding"][current]
        for i in range(layers):
            h, c = state[i]
            z = x @ w[f"lstm_{i}_kernel"] + h @ w[f"lstm_{i}_recurrent"] + w[f"lstm_{i}_bias"]
            gi, gf, gc, go = np.split(z, 4)
            c = sigmoid(gf) * c + sigmoid(gi) * np.tanh(gc)
            h = sigmoid(go) * np.tanh(c)
            state[i] = (h, c)
            x = h
        logits = x @ w["dense_kernel"] + w["dense_bias"]
        peak = logits.max()
        result.append(logits[following] - peak - np.log(np.exp(logits - peak).sum()))
    return result


@pytest.fixture(scope="module")
def by_length(primitive_token_sequences):
    """The pieces, shortest first: 11 ... 14,608 events (21 pieces)."""
    return sorted(primitive_token_sequences, key=len)


@pytest.fixture(scope="module")
def pieces(by_length):
    """Short pieces of different lengths (so batching and drop-out of finished ones matter)."""
    return by_length[:6]


def test_model_nll_is_the_mean_of_minus_log_softmax(tiny_plain_bundle, pieces):
    weights = load_bundle(tiny_plain_bundle).weights
    expected = [lp for piece in pieces for lp in direct_log_probs(weights, piece)]
    result = evaluate_bundle(tiny_plain_bundle, pieces)
    assert result["events"] == len(expected) == sum(len(p) - 1 for p in pieces)
    assert result["pieces"] == len(pieces)
    assert result["nll"] == pytest.approx(-np.mean(expected), rel=1e-5)
    assert result["perplexity"] == pytest.approx(math.exp(result["nll"]))


def _keras_log_probs(bundle_path, piece, inputs=None):
    import keras

    model = keras.saving.load_model(bundle_path / "model.keras", compile=False)
    x = np.array([piece[:-1]], dtype="int32")
    if inputs is not None:
        x = {"ids": x, **{k: np.asarray(v[None, : len(piece) - 1], dtype="int32")
                          for k, v in inputs.items()}}
    logits = model.predict(x, verbose=0)[0].astype(np.float64)
    peak = logits.max(axis=-1, keepdims=True)
    log_softmax = logits - peak - np.log(np.exp(logits - peak).sum(axis=-1, keepdims=True))
    return log_softmax[np.arange(len(piece) - 1), piece[1:]]


def test_numpy_forward_matches_keras_model(tiny_plain_bundle, by_length):
    piece = by_length[-4]  # 1,131 events
    (ours,) = sequence_log_probs(load_bundle(tiny_plain_bundle), [piece])
    assert ours == pytest.approx(_keras_log_probs(tiny_plain_bundle, piece), abs=1e-4)


def test_inputs_and_a_given_style_match_keras(tiny_bundle, by_length):
    piece = np.asarray(by_length[-4])
    bundle = load_bundle(tiny_bundle)
    rng = np.random.default_rng(2)
    positions = rng.integers(0, bundle.config.positions, len(piece))
    meters = rng.integers(0, bundle.config.meters, len(piece))
    style = bundle.conditioning.styles.index("piano")
    (ours,) = sequence_log_probs(bundle, [piece], inputs=[{"positions": positions,
                                                          "meters": meters}], styles=["piano"])
    keras_inputs = {"positions": positions, "meters": meters,
                    "styles": np.full(len(piece), style), "composers": np.zeros(len(piece))}
    assert ours == pytest.approx(_keras_log_probs(tiny_bundle, piece, keras_inputs), abs=1e-4)


def test_unknown_style_scores_the_mixture_over_styles(tiny_bundle, by_length):
    """log p(piece) = log sum_s prior(s) p(piece | s), and every event gets its share."""
    from composer.conditioning import STYLE_PRIOR

    bundle = load_bundle(tiny_bundle)
    piece = by_length[10]
    styles = bundle.conditioning.styles[1:]
    (mixed,) = sequence_log_probs(bundle, [piece])
    totals = [sequence_log_probs(bundle, [piece], styles=[s])[0].sum() for s in styles]
    prior = np.array([STYLE_PRIOR[s] for s in styles])
    expected = np.log(np.sum(prior / prior.sum() * np.exp(totals)))
    assert mixed.sum() == pytest.approx(expected, abs=1e-6)
    assert mixed.shape == (len(piece) - 1,) and (mixed < 0).all()


def test_chunks_and_batching_keep_the_full_context(tiny_bundle, by_length):
    bundle = load_bundle(tiny_bundle)
    chosen = [by_length[i] for i in (16, 3, 13, 17, 0)]  # 427, 29, 145, 1131, 11 events
    together = sequence_log_probs(bundle, chosen, chunk_steps=7)
    for piece, log_probs in zip(chosen, together):
        (alone,) = sequence_log_probs(bundle, [piece], chunk_steps=100_000)
        assert log_probs == pytest.approx(alone, abs=1e-5)


def test_report_compares_with_ngrams_on_the_same_events(tiny_bundle, by_length):
    test, train = by_length[12:16], by_length[:12] + by_length[16:]
    vocab_size = load_bundle(tiny_bundle).config.vocab_size
    report = evaluation_report(tiny_bundle, test, train, data="toy", orders=(2, 4))
    names = [row["name"] for row in report["rows"]]
    assert names == ["model tiny-test-model", "unigram (add-one)",
                     "KN-2 (modified Kneser-Ney)", "KN-4 (modified Kneser-Ney)"]
    events = sum(len(p) - 1 for p in test)
    assert (report["pieces"], report["events"]) == (4, events)
    assert report["tokens"] == sum(len(p) for p in test)
    by_name = {row["name"]: row for row in report["rows"]}
    unigram = UnigramModel.fit(train, vocab_size).nll(test)[0] / events
    kn4 = KneserNeyModel.fit(train, 4, vocab_size).nll(test)[0] / events
    assert by_name["unigram (add-one)"]["nll"] == pytest.approx(unigram)
    assert by_name["KN-4 (modified Kneser-Ney)"]["nll"] == pytest.approx(kn4)
    best = min(row["nll"] for row in report["rows"][1:])
    assert report["ratio"] == pytest.approx(report["rows"][0]["nll"] / best)
    assert by_name[report["best_ngram"]]["ratio"] == pytest.approx(1.0)


def test_events_outside_the_vocabulary_are_a_bundle_error(tiny_bundle):
    with pytest.raises(ModelBundleError, match="outside"):
        evaluate_bundle(tiny_bundle, [[1, 5000, 2]])


# ----- the command -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory, by_length):
    """A prepared-corpus folder: 4 test pieces, 2 valid, the rest (long ones too) train."""
    sequences = [np.asarray(s, np.uint16) for s in by_length[12:] + by_length[:12]]
    count = len(sequences)
    splits = tuple(["test"] * 4 + ["valid"] * 2 + ["train"] * (count - 6))
    corpus = Corpus(Vocabulary(TokenizerSettings()), tuple(sequences),
                    tuple(f"toy/{i}" for i in range(count)), ("toy",) * count, splits,
                    (10,) * count)
    folder = tmp_path_factory.mktemp("corpus")
    save_corpus(corpus, folder)
    return folder


def test_command_prints_a_table(tiny_bundle, corpus_dir, capsys):
    assert main(["evaluate", "--model", str(tiny_bundle), "--corpus", str(corpus_dir)]) == 0
    out = capsys.readouterr().out
    for expected in ("tiny-test-model", "unigram (add-one)", "KN-4", "KN-6", "nll/event",
                     "perplexity", "ratio", "4 pieces"):
        assert expected in out


def test_command_json(tiny_bundle, corpus_dir, by_length, capsys):
    code = main(["evaluate", "--model", str(tiny_bundle), "--corpus", str(corpus_dir),
                 "--json", "--split", "valid"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pieces"] == 2
    assert report["events"] == sum(len(s) - 1 for s in by_length[16:18])
    assert len(report["rows"]) == 4 and report["skipped"] == []


def test_command_scores_a_midi_folder_and_lists_unreadable_files(
    tiny_bundle, corpus_dir, tmp_path, capsys
):
    folder = tmp_path / "mine"
    folder.mkdir()
    for path in music21_test_midis()[:2]:
        shutil.copy(path, folder / path.name)
    (folder / "broken.mid").write_bytes(b"MThd this is not MIDI")
    code = main(["evaluate", "--model", str(tiny_bundle), "--corpus", str(corpus_dir),
                 "--midi-dir", str(folder), "--json"])
    captured = capsys.readouterr()
    assert code == 0
    report = json.loads(captured.out)
    assert report["pieces"] == 2
    assert [item["file"] for item in report["skipped"]] == [str(folder / "broken.mid")]
    assert "broken.mid" in captured.err


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def test_command_plot_is_replaced_only_with_force(tiny_bundle, tmp_path, capsys):
    """Issue 14: --plot never overwrites a file without --force, like every other output;
    a name without a suffix gets .png."""
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,val_loss\n1,3.0,3.1\n2,2.5,2.7\n")
    plot = tmp_path / "curve.png"
    plot.write_bytes(b"precious")
    args = ["evaluate", "--model", str(tiny_bundle), "--corpus", str(tmp_path / "none"),
            "--midi-dir", str(tiny_midi_folder(tmp_path)), "--log", str(log)]
    assert main([*args, "--plot", str(plot)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists already; pass --force" in err
    assert plot.read_bytes() == b"precious"
    assert main([*args, "--plot", str(plot), "--force"]) == 0
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert main([*args, "--plot", str(tmp_path / "bare")]) == 0
    assert (tmp_path / "bare.png").read_bytes()[:4] == b"\x89PNG"


def tiny_midi_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir(exist_ok=True)
    for path in music21_test_midis()[:1]:
        shutil.copy(path, folder / path.name)
    return folder


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_command_scores_a_midi_folder_without_a_corpus(tiny_bundle, tmp_path, capsys,
                                                       as_json):
    """Issue 14: no prepared corpus is needed to score your own files; the model is scored
    alone and the output says what the baselines would need."""
    folder = tmp_path / "mine"
    folder.mkdir()
    for path in music21_test_midis()[:3]:
        shutil.copy(path, folder / path.name)
    missing = tmp_path / "no-corpus"
    code = main(["evaluate", "--model", str(tiny_bundle), "--corpus", str(missing),
                 "--midi-dir", str(folder), *(["--json"] if as_json else [])])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"no prepared corpus at {missing}: scoring the model alone" in captured.err
    if as_json:
        report = json.loads(captured.out, parse_constant=_not_json)  # strict: no NaN
        assert report["pieces"] == 3 and len(report["rows"]) == 1
        assert report["rows"][0]["ratio"] is None  # nothing to compare with: null, not NaN
        assert report["rows"][0]["nll"] > 0 and report["train_pieces"] == 0
        needs = report["baselines"]
    else:
        out = captured.out
        assert "model tiny-test-model" in out and "3 pieces" in out
        assert "KN-" not in out and "unigram" not in out
        needs = out.split("baselines: ", 1)[1]
    assert needs.startswith("not scored: the n-gram baselines are trained on the train split "
                            f"of a prepared corpus, and there is none at {missing}")
    assert "composer prepare" in needs and "--corpus DIR" in needs


def test_command_midi_folder_without_readable_files_fails(tiny_bundle, corpus_dir, tmp_path,
                                                           capsys):
    (tmp_path / "broken.mid").write_bytes(b"garbage")
    code = main(["evaluate", "--model", str(tiny_bundle), "--corpus", str(corpus_dir),
                 "--midi-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "no readable MIDI file" in err and len(err.strip().splitlines()) == 1


def test_command_missing_corpus_is_one_line(tiny_bundle, tmp_path, capsys):
    code = main(["evaluate", "--model", str(tiny_bundle), "--corpus", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert code == 2
    assert "no prepared corpus" in err and len(err.strip().splitlines()) == 1


def test_command_missing_bundle_is_one_line(corpus_dir, tmp_path, capsys):
    code = main(["evaluate", "--model", str(tmp_path / "none"), "--corpus", str(corpus_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert "no model bundle" in err and len(err.strip().splitlines()) == 1


def test_command_vocabulary_mismatch_is_an_error(tiny_bundle, tmp_path, capsys):
    other = Vocabulary(TokenizerSettings(pedal=False))
    corpus = Corpus(other, (np.array([1, 5, 2], np.uint16),), ("a",), ("toy",), ("train",), (1,))
    save_corpus(corpus, tmp_path)
    code = main(["evaluate", "--model", str(tiny_bundle), "--corpus", str(tmp_path)])
    assert code == 2
    assert "vocabulary differs" in capsys.readouterr().err


def test_command_plot_writes_the_loss_curve(tiny_bundle, corpus_dir, tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,val_loss,minutes,tokens_seen\n1,3.1,3.0,0.5,1000\n"
                   "2,2.6,2.7,1.0,2000\n3,2.4,2.6,1.5,3000\n")
    png = tmp_path / "out" / "loss.png"
    code = main(["evaluate", "--model", str(tiny_bundle), "--corpus", str(corpus_dir),
                 "--plot", str(png), "--log", str(log)])
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"loss curve -> {png}" in capsys.readouterr().out


def test_command_plot_without_a_log_fails_before_evaluating(tiny_bundle, corpus_dir, tmp_path,
                                                            capsys):
    code = main(["evaluate", "--model", str(tiny_bundle), "--corpus", str(corpus_dir),
                 "--plot", str(tmp_path / "x.png")])
    assert code == 2
    assert "no training log" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
