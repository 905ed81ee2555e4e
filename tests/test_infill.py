"""Regenerating a region (composer/infill.py, ``composer infill``) with a real small model and
real MIDI files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from composer.bundle import load_bundle
from composer.cli import main
from composer.errors import MidiFileError, SettingsError
from composer.generate import GenerationSettings, engine_for
from composer.infill import (
    Region,
    bar_count,
    bars_region,
    follow_log_probs,
    infill,
    merge_infill,
    parse_bars,
    span_region,
)
from composer.midi_io import read_midi, write_midi
from composer.notes import Note, Piece, TimeSignature
from composer.tokenizer import Tokenizer

SAMPLES = Path(__file__).resolve().parent.parent / "midi_samples"
CHORALE = SAMPLES / "bach_chorale.mid"  # 4/4, 6 bars
MAZURKA = SAMPLES / "chopin_mazurka_3-4_pedal.mid"  # 3/4, 8 bars, pedal


@pytest.fixture(scope="module")
def bundle(tiny_bundle):
    return load_bundle(tiny_bundle)


def _outside(piece: Piece, region: Region) -> list[Note]:
    return sorted(n for n in piece.notes if not region.start <= n.start < region.end)


# ----- bars ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [("5-6", (5, 6)), ("5", (5, 5)), (" 2 - 3 ", (2, 3))])
def test_parse_bars(text, expected):
    assert parse_bars(text) == expected


@pytest.mark.parametrize("text, words", [("3-2", "did you mean 2-3"), ("0-1", "counted from 1"),
                                         ("x", "like 5-6"), ("", "like 5-6"),
                                         ("1-2-3", "like 5-6"), ("-2", "like 5-6")])
def test_bad_bars_are_refused(text, words):
    with pytest.raises(SettingsError, match=words):
        parse_bars(text)


def test_bars_follow_the_time_signatures():
    mazurka = read_midi(MAZURKA)
    assert bar_count(mazurka) == 8
    region = bars_region(mazurka, 4, 5)
    assert (region.start, region.end, region.label) == (9.0, 15.0, "bars 4-5")
    changing = Piece(notes=tuple(Note(b, b + 1, 60) for b in range(14)),
                     time_signatures=(TimeSignature(0.0, 4, 4), TimeSignature(8.0, 3, 4)))
    assert bars_region(changing, 3, 4) == Region(8.0, 14.0, 3, 4)  # two bars of 3/4


def test_a_region_outside_the_piece_is_refused():
    chorale = read_midi(CHORALE)
    with pytest.raises(SettingsError, match=r"x\.mid: bars 6-7 lie outside the piece, which "
                                            r"has 6 bars"):
        bars_region(chorale, 6, 7, "x.mid")
    with pytest.raises(MidiFileError, match="no notes"):
        bars_region(Piece(notes=()), 1, 1)
    with pytest.raises(SettingsError, match="after the piece's end"):
        span_region(chorale, 100.0, 104.0)


# ----- the method -------------------------------------------------------------------------------
@pytest.mark.parametrize("path, bars", [(CHORALE, (3, 4)), (MAZURKA, (4, 5))])
def test_only_the_region_changes(bundle, path, bars):
    piece = read_midi(path)
    region = bars_region(piece, *bars)
    takes = infill(bundle, piece, region, GenerationSettings(takes=3, random_seed=5))
    assert [t.index for t in takes] == [0, 1, 2]
    assert len({t.candidate for t in takes}) == 3 and takes[0].pool >= 8
    for take in takes:
        assert take.notes, "a tiny model still writes notes"
        assert all(region.start <= n.start and n.end <= region.end + 1e-9 for n in take.notes)
        assert all(region.start <= p.start and p.end <= region.end + 1e-9 for p in take.pedals)
        merged = merge_infill(piece, take)
        assert _outside(merged, region) == _outside(piece, region)
        inside = sorted(n for n in merged.notes if region.start <= n.start < region.end)
        assert inside == sorted(take.notes)
        assert merged.time_signatures == piece.time_signatures and merged.tempos == piece.tempos
    # ranked: those within the density and key guards first, the likeliest join first
    keys = [(not t.in_bounds, -t.follow_log_prob) for t in takes if t.in_bounds]
    assert keys == sorted(keys)


def test_same_random_seed_same_takes(bundle):
    piece = read_midi(CHORALE)
    region = bars_region(piece, 3, 4)
    settings = GenerationSettings(takes=2, random_seed=11)
    first = infill(bundle, piece, region, settings)
    again = infill(bundle, piece, region, settings)
    assert [t.notes for t in first] == [t.notes for t in again]
    other = infill(bundle, piece, region, replace(settings, random_seed=1000))
    assert [t.notes for t in other] != [t.notes for t in first]


def test_plain_forward_sampling_is_the_first_candidates(bundle):
    piece = read_midi(CHORALE)
    region = bars_region(piece, 3, 4)
    takes = infill(bundle, piece, region, GenerationSettings(takes=2, random_seed=3), rank=False)
    assert [(t.candidate, t.pool) for t in takes] == [(0, 2), (1, 2)]


def test_a_note_held_into_the_region_is_kept_and_not_struck_again(bundle):
    notes = [Note(float(b), b + 0.5, 60 + b % 5) for b in range(16)]
    held = Note(3.0, 6.5, 67)  # starts in bar 1, sounds into bar 2
    piece = Piece(notes=tuple(sorted(notes + [held])))
    region = bars_region(piece, 2, 3)
    for take in infill(bundle, piece, region, GenerationSettings(takes=4, random_seed=2)):
        merged = merge_infill(piece, take)
        assert held in merged.notes
        assert not any(n.pitch == 67 and n.start < held.end for n in take.notes)


def test_the_first_bars_are_written_from_the_start_and_ranked_by_what_follows(bundle):
    piece = read_midi(CHORALE)
    region = bars_region(piece, 1, 2)
    assert region.start == 0.0
    takes = infill(bundle, piece, region, GenerationSettings(takes=2, random_seed=5))
    assert len(takes) == 2 and takes[0].pool >= 8
    for take in takes:
        assert take.notes and all(0.0 <= n.start and n.end <= region.end + 1e-9
                                  for n in take.notes)
        merged = merge_infill(piece, take)
        assert _outside(merged, region) == _outside(piece, region)
        assert np.isfinite(take.follow_log_prob) and take.follow_log_prob < 0  # ranked
    keys = [-t.follow_log_prob for t in takes if t.in_bounds]
    assert keys == sorted(keys)
    # the same candidates scored again: the rank is the likelihood of the bar after them
    again = follow_log_probs(bundle, piece, region, [(t.notes, t.pedals) for t in takes],
                             style=takes[0].style)
    assert again == pytest.approx([t.follow_log_prob for t in takes], rel=1e-6)


def test_key_lock_in_the_first_bars_takes_the_key_from_the_bars_after(bundle):
    from composer.keys import estimate_key

    piece = read_midi(CHORALE)
    region = bars_region(piece, 1, 1)
    key = estimate_key([n for n in piece.notes if n.start >= region.end])
    for take in infill(bundle, piece, region, GenerationSettings(takes=2, random_seed=9,
                                                                 key_lock=True)):
        assert take.notes and all(key.contains(n.pitch) for n in take.notes)


def test_a_region_with_nothing_before_or_after_it_is_refused(bundle):
    piece = read_midi(CHORALE)
    with pytest.raises(SettingsError, match="no notes before or after them"):
        infill(bundle, piece, bars_region(piece, 1, bar_count(piece)), GenerationSettings())


def test_batched_following_score_equals_one_stream_at_a_time(bundle):
    """The batched pass (shared events run once, then one stream per candidate) gives each
    candidate what scoring its whole event stream alone gives."""
    piece = read_midi(CHORALE)
    region = bars_region(piece, 3, 4)
    takes = infill(bundle, piece, region, GenerationSettings(takes=3, random_seed=8), rank=False)
    candidates = [(t.notes, t.pedals) for t in takes] + [
        (tuple(n for n in piece.notes if region.start <= n.start < region.end), ())]
    batched = follow_log_probs(bundle, piece, region, candidates, style=takes[0].style,
                               follow_bars=2)
    vocab = bundle.vocab
    spb = vocab.settings.steps_per_beat
    engine = engine_for(bundle)
    conditioning = bundle.conditioning
    from composer.conditioning import step_after_each, token_features

    stop = 24.0  # two bars after the region
    for (notes, pedals), expected in zip(candidates, batched):
        before = [replace(n, end=min(n.end, region.start)) for n in piece.notes
                  if n.start < region.start]
        after = [replace(n, end=min(n.end, stop)) for n in piece.notes
                 if region.end <= n.start < stop]
        ids = np.asarray(Tokenizer(vocab.settings).encode([*before, *notes, *after], pedals,
                                                          eos=False))
        positions, meters = token_features(ids, vocab, piece.time_signatures,
                                           positions=conditioning.positions)
        context = engine.context(1, styles=conditioning.style_id(takes[0].style))
        logits, _ = engine.run(ids, inputs={"positions": positions, "meters": meters},
                               context=context)
        logits = logits.astype(np.float64)
        logp = logits - logits.max(1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(1, keepdims=True))
        steps_before = np.concatenate([[0], step_after_each(ids, vocab)[:-1]])
        scored = np.nonzero(steps_before >= round(region.end * spb))[0]
        alone = sum(logp[t - 1, ids[t]] for t in scored)
        assert expected == pytest.approx(alone, rel=1e-4, abs=1e-3)


def test_the_real_region_joins_better_than_a_silent_one(bundle):
    """The score sees the candidate: after silence the real next bars are less likely than
    after the real bars (a tiny model still learnt that much)."""
    piece = read_midi(CHORALE)
    region = bars_region(piece, 3, 4)
    real = tuple(n for n in piece.notes if region.start <= n.start < region.end)
    scores = follow_log_probs(bundle, piece, region, [(real, ()), ((), ())])
    assert scores[0] != scores[1]


# ----- the command ---------------------------------------------------------------------------
def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_cli_writes_n_takes_with_only_the_region_new(tiny_bundle, tmp_path, capsys):
    out = tmp_path / "redo.mid"
    assert main(["infill", str(CHORALE), "--bars", "3-4", "-o", str(out), "--takes", "2",
                 "--random-seed", "4", "--model", str(tiny_bundle), "--top-p", "0.9"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("wrote ") == 2 and "bars 3-4" in printed
    piece = read_midi(CHORALE)
    region = bars_region(piece, 3, 4)
    for index in (1, 2):
        written = read_midi(tmp_path / f"redo-{index}.mid")
        assert _outside(written, region) == _outside(piece, region)
        new = [n for n in written.notes if region.start <= n.start < region.end]
        assert new and all(n.end <= region.end + 1e-6 for n in new)
        assert any("bars 3-4 regenerated" in t for t in written.texts)
    assert not out.exists()


@pytest.mark.parametrize("bars, words", [
    ("3-2", "the last bar comes before the first"), ("7-8", "lie outside the piece"),
    ("a-b", "--bars must be two bar numbers"), ("1-6", "no notes before or after them")])
def test_cli_bad_bars_one_line_exit_2(tiny_bundle, tmp_path, capsys, bars, words):
    out = tmp_path / "out.mid"
    code = main(["infill", str(CHORALE), "--bars", bars, "-o", str(out), "--model",
                 str(tiny_bundle)])
    line = _error_line(capsys)
    assert code == 2 and line.startswith(f"composer infill: {CHORALE}") and words in line
    assert not out.exists()


def test_cli_file_without_notes(tiny_bundle, tmp_path, capsys):
    empty = tmp_path / "empty.mid"
    write_midi(empty, Piece(notes=()))
    code = main(["infill", str(empty), "--bars", "1", "-o", str(tmp_path / "o.mid"),
                 "--model", str(tiny_bundle)])
    line = _error_line(capsys)
    assert code == 2 and line == f"composer infill: {empty}: has no notes, nothing to regenerate"


def test_cli_never_writes_onto_its_input_or_an_existing_file(tiny_bundle, tmp_path, capsys):
    source = tmp_path / "mine.mid"
    source.write_bytes(CHORALE.read_bytes())
    code = main(["infill", str(source), "--bars", "3", "-o", str(source), "--force",
                 "--model", str(tiny_bundle)])
    assert code == 2 and "-o" in _error_line(capsys)
    assert source.read_bytes() == CHORALE.read_bytes()
    taken = tmp_path / "taken.mid"
    taken.write_bytes(b"precious")
    code = main(["infill", str(source), "--bars", "3", "-o", str(taken), "--model",
                 str(tiny_bundle)])
    assert code == 2 and "exists already" in _error_line(capsys)
    assert taken.read_bytes() == b"precious"
