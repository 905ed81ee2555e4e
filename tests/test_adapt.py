"""The durable adaptation on a real tiny model: hidden states, the fit, the adapted bundle, and
the `composer adapt` command."""

from __future__ import annotations

import numpy as np
import pytest

from composer.adapt import (
    Adapter,
    FitSettings,
    adapt_files,
    hidden_engine,
    hidden_rows,
    hidden_rows_batch,
    save_adapted,
    stream_of,
)
from composer.bundle import load_bundle
from composer.cli import main
from composer.errors import RatingsError
from composer.generate import GenerationSettings, generate, merge
from composer.midi_io import read_midi
from composer.midi_write import write_midi
from composer.ratings import DISLIKE, LIKE, Rating
from tests.conftest import music21_test_midis


@pytest.fixture(scope="module")
def setup(tiny_bundle, primitive_pieces):
    bundle = load_bundle(tiny_bundle)
    seed = max(primitive_pieces, key=lambda p: len(p.notes))
    takes = generate(bundle, seed, GenerationSettings(bars=2, takes=4, random_seed=5))
    return bundle, seed, takes


def _rating(verdict, take, seed) -> Rating:
    return Rating(verdict, take.notes, take.start_beat, take.end_beat, seed.notes,
                  seed.time_signatures, {"style_used": take.style}, take.random_seed)


def _log_probs(bundle, h, y, adaptation=None):
    kernel = np.asarray(bundle.weights["dense_kernel"], np.float32)
    bias = np.asarray(bundle.weights["dense_bias"], np.float32)
    if adaptation is not None:
        kernel, bias = adaptation.dense(bundle)
    z = (h @ kernel + bias).astype(np.float64)
    z -= z.max(1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return lp[np.arange(len(y)), y]


def test_the_rated_stream_is_the_take_as_generated(setup):
    bundle, seed, takes = setup
    for take in takes:
        stream = stream_of(bundle, take.notes, take.start_beat, take.end_beat, seed.notes,
                           time_signatures=seed.time_signatures, style=take.style)
        rated = list(stream.ids[stream.first :])
        assert rated[: len(take.ids) - 2] == list(take.ids[: len(take.ids) - 2])


def test_hidden_rows_give_the_models_own_logits(setup):
    bundle, seed, takes = setup
    take = takes[0]
    stream = stream_of(bundle, take.notes, take.start_beat, take.end_beat, seed.notes,
                       time_signatures=seed.time_signatures, style=take.style)
    h, y = hidden_rows(bundle, stream)
    assert h.shape == (len(y), bundle.config.lstm_units[-1])
    from composer.engine import LSTMEngine

    engine = LSTMEngine.from_bundle(bundle)
    conditioning = bundle.conditioning
    context = engine.context(1, styles=conditioning.style_id(take.style))
    logits, _ = engine.run(stream.ids, inputs={"positions": stream.positions.astype(int),
                                               "meters": stream.meters.astype(int)},
                           context=context)
    expected = logits[stream.first - 1 : -1]
    got = h @ np.asarray(bundle.weights["dense_kernel"], np.float32) + np.asarray(
        bundle.weights["dense_bias"], np.float32)
    assert np.abs(got - expected).max() < 1e-4
    assert hidden_engine(bundle) is hidden_engine(bundle)


def test_takes_of_one_seed_run_together_with_the_same_result(setup):
    bundle, seed, takes = setup
    streams = [stream_of(bundle, t.notes, t.start_beat, t.end_beat, seed.notes,
                         time_signatures=seed.time_signatures, style=t.style) for t in takes]
    for (h1, y1), (h2, y2) in zip((hidden_rows(bundle, s) for s in streams),
                                  hidden_rows_batch(bundle, streams)):
        assert (y1 == y2).all() and np.abs(h1 - h2).max() < 1e-4


@pytest.mark.parametrize("variant", ["bias", "lowrank"])
def test_the_fit_raises_liked_and_lowers_disliked_and_stays_near_the_base(setup, variant,
                                                                          primitive_pieces):
    bundle, seed, takes = setup
    adapter = Adapter(bundle, FitSettings(variant=variant, steps=80))
    assert adapter.add_ratings([_rating(LIKE, takes[0], seed), _rating(LIKE, takes[1], seed),
                                _rating(DISLIKE, takes[2], seed),
                                _rating(DISLIKE, takes[3], seed)]) == 4
    replay = primitive_pieces[0]
    adapter.add_replay(stream_of(bundle, replay.notes, 0.0, replay.end_beat + 1e-6,
                                 time_signatures=replay.time_signatures))
    adaptation = adapter.fit()
    assert adaptation.likes == 2 and adaptation.dislikes == 2
    liked, disliked = adapter.rated[0], adapter.rated[2]
    assert _log_probs(bundle, liked.h, liked.y, adaptation).mean() > \
        _log_probs(bundle, liked.h, liked.y).mean()
    assert _log_probs(bundle, disliked.h, disliked.y, adaptation).mean() < \
        _log_probs(bundle, disliked.h, disliked.y).mean()
    assert adaptation.losses["replay_kl"] < 0.5
    assert (adaptation.a.size > 0) == (variant == "lowrank")


def test_no_ratings_is_the_base_model_and_reset_gives_its_notes_back(setup, tmp_path):
    bundle, seed, takes = setup
    settings = GenerationSettings(bars=2, takes=2, random_seed=9)
    before = [t.notes for t in generate(bundle, seed, settings)]
    empty = Adapter(bundle).fit()
    assert empty.ratings == 0 and not empty.d.any()
    assert [t.notes for t in generate(empty.apply(bundle), seed, settings)] == before
    adapter = Adapter(bundle, FitSettings(steps=40, learning_rate=0.3))
    adapter.add_ratings([_rating(LIKE, takes[0], seed), _rating(DISLIKE, takes[1], seed)])
    adapted = adapter.fit().apply(bundle)
    assert [t.notes for t in generate(adapted, seed, settings)] != before
    adapter.reset()
    assert adapter.rated == [] and adapter.last is None
    # the base bundle was never touched: switching the adaptation off gives its notes exactly
    assert [t.notes for t in generate(bundle, seed, settings)] == before


def test_an_adapted_bundle_loads_like_any_and_says_what_it_is(setup, tmp_path):
    bundle, seed, takes = setup
    adapter = Adapter(bundle, FitSettings(steps=30))
    adapter.add_ratings([_rating(LIKE, takes[0], seed), _rating(DISLIKE, takes[1], seed)])
    adaptation = adapter.fit()
    out = save_adapted(bundle, adaptation, tmp_path / "mine",
                       rated=[("like", "a.mid"), ("dislike", "b.mid")])
    loaded = load_bundle(out)
    assert loaded.name == f"{bundle.name}-adapted"
    assert loaded.info["adapted_from"]["name"] == bundle.name
    assert loaded.info["adapted_from"]["likes"] == 1
    for key, value in bundle.weights.items():
        if not key.startswith("dense"):
            assert np.array_equal(loaded.weights[key], value)
    kernel, bias = adaptation.dense(bundle)
    assert np.allclose(loaded.weights["dense_bias"], bias)
    card = (out / "card.md").read_text()
    assert "adapted model" in card and "a.mid" in card and bundle.name in card
    settings = GenerationSettings(bars=1, random_seed=2)
    assert [t.notes for t in generate(loaded, seed, settings)] == \
        [t.notes for t in generate(adaptation.apply(bundle), seed, settings)]


def test_rated_files_whole_or_takes(setup, tmp_path):
    bundle, seed, takes = setup
    whole = tmp_path / "whole.mid"
    write_midi(whole, seed)
    take_file = tmp_path / "take.mid"
    write_midi(take_file, merge(seed, takes[0]), generated=takes[0].notes)
    adaptation = adapt_files(bundle, [whole], [take_file], settings=FitSettings(steps=10))
    assert adaptation.likes == 1 and adaptation.dislikes == 1
    empty = tmp_path / "empty.mid"
    write_midi(empty, seed.__class__(notes=()))
    with pytest.raises(RatingsError, match="empty.mid"):
        adapt_files(bundle, [whole], [empty])


def test_adapt_command_writes_a_bundle_generate_loads(setup, tmp_path, capsys):
    bundle, seed, takes = setup
    liked = tmp_path / "liked.mid"
    write_midi(liked, merge(seed, takes[0]), generated=takes[0].notes)
    disliked = music21_test_midis()[0]
    out = tmp_path / "adapted"
    assert main(["adapt", "--like", str(liked), "--dislike", str(disliked), "--model",
                 str(bundle.path), "-o", str(out), "--replay", str(liked)]) == 0
    assert "composer generate --model" in capsys.readouterr().out
    assert load_bundle(out).info["adapted_from"]["name"] == bundle.name
    seed_file = tmp_path / "seed.mid"
    write_midi(seed_file, seed)
    result = tmp_path / "continued.mid"
    assert main(["generate", str(seed_file), "--model", str(out), "--bars", "1",
                 "-o", str(result), "--random-seed", "1"]) == 0
    assert read_midi(result).notes
    # again without --force: refused, the bundle kept
    assert main(["adapt", "--like", str(liked), "--model", str(bundle.path),
                 "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err


def test_adapt_command_names_a_bad_file_on_one_line(setup, tmp_path, capsys):
    bundle, seed, _takes = setup
    good = tmp_path / "good.mid"
    write_midi(good, seed)
    for bad, reason in ((tmp_path / "missing.mid", "no such file"),
                        (tmp_path / "empty.mid", "empty")):
        if "empty" in bad.name:
            bad.write_bytes(b"")
        code = main(["adapt", "--like", str(good), "--dislike", str(bad), "--model",
                     str(bundle.path), "-o", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code == 2 and bad.name in err and reason in err
        assert err.count("\n") == 1
        assert not (tmp_path / "out").exists()
    assert main(["adapt", "--model", str(bundle.path), "-o", str(tmp_path / "o")]) == 2
    assert "--like or --dislike" in capsys.readouterr().err
