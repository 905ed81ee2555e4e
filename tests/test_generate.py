"""Generation API and the ``composer generate`` command, with the tiny trained model.

Seeds are real MIDI files (music21's testPrimitive files, and small hand-made pieces written
through composer's own MIDI writer).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from composer.bundle import load_bundle
from composer.cli import main
from composer.errors import MidiFileError, SettingsError
from composer.generate import (
    GenerationCancelled,
    GenerationSettings,
    Take,
    generate,
    merge,
    seed_end_beat,
    stream_answer,
    take_seed,
)
from composer.keys import estimate_key
from composer.midi_io import read_midi, read_midi_with_generated, write_midi
from composer.notes import Note, Piece, TempoChange, TimeSignature
from tests.conftest import music21_test_midis

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bundle(tiny_bundle):
    return load_bundle(tiny_bundle)


def piece(notes, num=4, den=4, bpm=120.0, program=0) -> Piece:
    return Piece(notes=tuple(sorted(notes)), tempos=(TempoChange(0.0, bpm),),
                 time_signatures=(TimeSignature(0.0, num, den),), program=program)


def c_major_seed() -> Piece:
    """Four bars in C major, quarter notes over half-note chords, ending with a rest."""
    tune = [60, 62, 64, 65, 67, 65, 64, 62, 64, 65, 67, 69, 67, 64, 60]
    notes = [Note(i, i + 1, p, 80) for i, p in enumerate(tune)]
    for bar, root in enumerate((48, 53, 55, 48)):
        notes += [Note(bar * 4, bar * 4 + 2, root), Note(bar * 4, bar * 4 + 2, root + 7)]
    return piece(notes)


@pytest.fixture
def seed_file(tmp_path) -> Path:
    """A seed with a non-default tempo, time signature and instrument (3/4, 90 bpm, cello)."""
    notes = [Note(i * 1.0, i + 1.0, p, 70) for i, p in enumerate(
        [57, 60, 64, 62, 60, 59, 57, 64, 69, 68, 69, 71])]
    path = tmp_path / "cello seed.mid"
    write_midi(path, piece(notes, 3, 4, 90.0, program=42))
    return path


# ----- where a continuation starts ------------------------------------------------------------
@pytest.mark.parametrize(
    ("notes", "signature", "expected"),
    [
        ([Note(0, 4, 60), Note(12, 15, 62)], (4, 4), 16.0),  # four bars ending with a rest
        ([Note(0, 4, 60), Note(12, 14, 62)], (4, 4), 16.0),  # half of the last bar: next bar
        ([Note(0, 4, 60), Note(8, 9, 62)], (4, 4), 9.0),  # phrase stops early: at once
        ([Note(0, 8, 60)], (4, 4), 8.0),  # exactly on a bar line
        ([Note(0, 12.004, 60)], (4, 4), 12.0),  # released a few ticks late: still on the beat
        ([Note(0, 5.5, 60)], (3, 4), 6.0),  # 3/4: bar 2 ends at beat 6
        ([Note(0, 3.25, 60)], (3, 4), 3.25),  # early in bar 2 of 3/4
        ([Note(0, 2.9, 60)], (6, 8), 3.0),  # 6/8 bars are 3 beats
    ],
    ids=["rest-at-end", "half-bar", "early-stop", "bar-line", "late-release", "3-4", "3-4-early",
         "6-8"],
)
def test_seed_end_beat(notes, signature, expected):
    assert seed_end_beat(piece(notes, *signature)) == pytest.approx(expected)


def test_seed_end_follows_a_pickup_bar():
    seed = Piece(notes=(Note(0, 1, 55), Note(1, 4.5, 60)),
                 time_signatures=(TimeSignature(0.0, 1, 4), TimeSignature(1.0, 4, 4)))
    assert seed_end_beat(seed) == 5.0  # bars start at 1, 5, 9: 4.5 is late in bar 1..5


# ----- settings -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes",
    [
        {"temperature": 0}, {"temperature": -1}, {"top_p": 0}, {"top_p": 1.5}, {"top_k": -1},
        {"takes": 0}, {"bars": 0}, {"bars": None}, {"bars": 4, "seconds": 10},
        {"bars": None, "seconds": -2}, {"random_seed": -5}, {"max_polyphony": 0},
        {"pitch_range": (80, 60)}, {"pitch_range": (0, 200)}, {"bars": 1e6},
    ],
    ids=["temp-0", "temp-neg", "top-p-0", "top-p-1.5", "top-k-neg", "takes-0", "bars-0",
         "no-length", "bars-and-seconds", "seconds-neg", "seed-neg", "polyphony-0",
         "range-reversed", "range-out", "absurd-length"],
)
def test_bad_settings_raise_settings_error(bundle, changes):
    with pytest.raises(SettingsError):
        generate(bundle, c_major_seed(), replace(GenerationSettings(), **changes))


def test_empty_seed_is_a_midi_file_error(bundle):
    with pytest.raises(MidiFileError):
        generate(bundle, piece([]), GenerationSettings())


# ----- generating ---------------------------------------------------------------------------
def test_takes_are_reproducible_distinct_and_in_place(bundle):
    seed = c_major_seed()
    settings = GenerationSettings(bars=4, takes=3, random_seed=11)
    takes = generate(bundle, seed, settings)
    assert [t.index for t in takes] == [0, 1, 2]
    assert takes == generate(bundle, seed, settings)
    assert len({t.notes for t in takes}) == 3
    other = generate(bundle, seed, replace(settings, random_seed=12))
    assert other[0].notes != takes[0].notes
    for take in takes:
        assert take.start_beat == 16.0 and take.end_beat == 32.0
        assert take.notes
        assert all(take.start_beat <= n.start < n.end <= take.end_beat for n in take.notes)


@pytest.mark.parametrize("name", ["test05.mid", "test17.mid"])
def test_seed_and_continuation_form_one_canonical_stream(bundle, name):
    """Primed events + generated events are exactly what the tokenizer writes for the
    decoded music: the model is never shown a history its training data could not contain."""
    from composer.tokenizer import Tokenizer

    seed = read_midi(next(p for p in music21_test_midis() if p.name == name))
    take = generate(bundle, seed, GenerationSettings(bars=8, random_seed=4))[0]
    tokenizer = Tokenizer(bundle.vocab.settings)
    stream = tokenizer.encode(seed.notes, seed.pedals, eos=False, end_beat=take.start_beat)
    stream += list(take.ids)
    decoded = tokenizer.decode(stream)
    again = tokenizer.encode(decoded.notes, decoded.pedals, eos=False)
    assert again[: len(stream)] == stream


def test_length_in_bars_of_the_seed_meter_or_in_seconds(bundle):
    seed = piece([Note(0, 3, 60), Note(3, 6, 64)], 3, 4, bpm=90.0)
    take = generate(bundle, seed, GenerationSettings(bars=2, random_seed=1))[0]
    assert (take.start_beat, take.end_beat) == (6.0, 12.0)
    take = generate(bundle, seed, GenerationSettings(bars=None, seconds=4, random_seed=1))[0]
    assert take.end_beat - take.start_beat == pytest.approx(6.0)  # 4 s at 90 bpm


def test_key_lock_stays_in_the_seed_key(bundle):
    seed = c_major_seed()
    key = estimate_key(seed.notes)
    assert key.name == "C major"
    for random_seed in (1, 2):
        take = generate(bundle, seed, GenerationSettings(bars=8, key_lock=True,
                                                         random_seed=random_seed))[0]
        in_scale = sum(key.contains(n.pitch) for n in take.notes)
        assert len(take.notes) >= 16
        assert in_scale / len(take.notes) >= 0.95


def test_pitch_range_and_polyphony(bundle):
    settings = GenerationSettings(bars=8, pitch_range=(55, 72), max_polyphony=2, random_seed=3)
    take = generate(bundle, c_major_seed(), settings)[0]
    assert take.notes and all(55 <= n.pitch <= 72 for n in take.notes)
    events = sorted([(n.start, 1) for n in take.notes] + [(n.end, -1) for n in take.notes],
                    key=lambda e: (e[0], e[1]))
    sounding = peak = 0
    for _, delta in events:
        sounding += delta
        peak = max(peak, sounding)
    assert peak <= 2


def test_progress_and_cancel(bundle):
    seen = []
    generate(bundle, c_major_seed(), GenerationSettings(bars=8, random_seed=1),
             progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) > 2
    assert seen == sorted(seen)
    calls = []

    def cancel_after_ten():
        calls.append(1)
        return len(calls) > 10

    with pytest.raises(GenerationCancelled):
        generate(bundle, c_major_seed(), GenerationSettings(bars=8), cancelled=cancel_after_ten)


def test_stream_answer_yields_the_first_take_note_by_note(bundle):
    seed = c_major_seed()
    settings = GenerationSettings(bars=4, random_seed=5, takes=3)
    streamed = list(stream_answer(bundle, seed, settings))
    take = generate(bundle, seed, replace(settings, takes=1))[0]
    assert sorted(streamed) == list(take.notes)
    ends = [n.end for n in streamed]
    assert ends == sorted(ends)  # each note comes out as soon as it is complete
    with pytest.raises(SettingsError):  # bad settings fail at once, not at the first next()
        stream_answer(bundle, seed, replace(settings, temperature=0))


def test_merge_keeps_the_seed_and_cuts_a_seed_note_the_continuation_restrikes():
    seed = replace(piece([Note(0, 12.004, 60), Note(0, 4, 48)], bpm=75, program=40),
                   drum_notes=(Note(0, 0.5, 36),))
    take = Take(0, (Note(12.0, 13.0, 60), Note(12.0, 14.0, 64)), (), 12.0, 20.0, ())
    merged = merge(seed, take)
    assert merged.tempos == seed.tempos and merged.program == 40
    assert merged.time_signatures == seed.time_signatures
    assert merged.drum_notes == seed.drum_notes
    assert Note(0, 12.0, 60, 80) in merged.notes and len(merged.notes) == 4


# ----- musical quality guarantees on real seeds ----------------------------------------------
QUALITY_SEEDS = ["test01.mid", "test06.mid", "test09.mid", "test14.mid", "test17.mid"]


def bar_runs(notes, start: float, bar: float) -> int:
    """Longest run of consecutive bars with the same onset pattern (position, pitch)."""
    patterns: dict[int, set] = {}
    for note in notes:
        index = int((note.start - start) // bar)
        patterns.setdefault(index, set()).add((round((note.start - start) % bar * 12), note.pitch))
    best = run = 1
    for index in range(1, max(patterns, default=0) + 1):
        same = patterns.get(index) and patterns.get(index) == patterns.get(index - 1)
        run = run + 1 if same else 1
        best = max(best, run)
    return best


@pytest.mark.parametrize("name", QUALITY_SEEDS)
def test_continuations_do_not_loop_on_real_seeds(bundle, name):
    path = next(p for p in music21_test_midis() if p.name == name)
    seed = read_midi(path)
    for random_seed in (1, 2):
        settings = GenerationSettings(temperature=1.0, bars=16, random_seed=random_seed)
        take = generate(bundle, seed, settings)[0]
        assert len(take.notes) >= 12, "a continuation should play"
        top_share = Counter(n.pitch for n in take.notes).most_common(1)[0][1] / len(take.notes)
        assert top_share <= 1 / 3
        bar = seed.time_signatures[-1].beats_per_bar
        assert bar_runs(take.notes, take.start_beat, bar) <= 4


def test_each_take_has_its_own_seed_and_can_be_made_alone(bundle):
    """Issue 14: take k of a batch is the same music as one take with that take's seed."""
    seed = c_major_seed()
    top = 2**32 - 1
    settings = GenerationSettings(bars=2, takes=3, random_seed=top - 1)
    takes = generate(bundle, seed, settings)
    assert [t.random_seed for t in takes] == [top - 1, top, 0]  # wraps like --random-seed
    assert [take_seed(top - 1, i) for i in range(3)] == [top - 1, top, 0]
    for take in takes:
        alone = generate(bundle, seed, replace(settings, takes=1,
                                               random_seed=take.random_seed))[0]
        assert (alone.ids, alone.notes, alone.random_seed) == (take.ids, take.notes,
                                                               take.random_seed)
    again = generate(bundle, seed, replace(settings, takes=1, first_take=2))[0]
    assert again.index == 2 and again.ids == takes[2].ids and again.random_seed == 0
    unseeded = generate(bundle, seed, replace(settings, takes=2, random_seed=None))
    assert [t.random_seed for t in unseeded] == [
        unseeded[0].random_seed, take_seed(unseeded[0].random_seed, 1)]
    replay = generate(bundle, seed, replace(settings, takes=1,
                                            random_seed=unseeded[1].random_seed))[0]
    assert replay.ids == unseeded[1].ids


# ----- the command ----------------------------------------------------------------------------
def run_cli(*args) -> int:
    return main(["generate", *map(str, args)])


def _notes(path: Path) -> tuple:
    return read_midi(path).notes


def test_cli_takes_the_seed_file_as_a_plain_argument(tiny_bundle, seed_file, tmp_path,
                                                     capsys):
    plain, old = tmp_path / "plain.mid", tmp_path / "old.mid"
    assert run_cli(seed_file, "--model", tiny_bundle, "-o", plain, "--bars", 2,
                   "--random-seed", 3) == 0
    assert run_cli("--seed", seed_file, "--model", tiny_bundle, "-o", old, "--bars", 2,
                   "--random-seed", 3) == 0  # the old spelling still works
    assert _notes(plain) == _notes(old) and len(_notes(plain)) > 12
    shown = _help("generate")
    assert "[FILE.mid]" in shown and not re.search(r"--seed(?![-\w])", shown)  # hidden
    capsys.readouterr()
    assert run_cli(seed_file, "--seed", tmp_path / "other.mid", "--model", tiny_bundle,
                   "-o", tmp_path / "x.mid") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "two seed files" in err
    assert not (tmp_path / "x.mid").exists()


def _help(command: str) -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), pytest.raises(SystemExit):
        main([command, "--help"])
    return buffer.getvalue()


def test_cli_names_each_takes_own_seed_and_any_take_can_be_made_alone(
        tiny_bundle, seed_file, tmp_path, capsys):
    batch = tmp_path / "batch.mid"
    assert run_cli(seed_file, "--model", tiny_bundle, "-o", batch, "--takes", 3, "--bars", 2,
                   "--random-seed", 20) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.rsplit("random seed ", 1)[1] for line in lines] == [
        "20, take 1", "21, take 2", "22, take 3"]
    for index, random_seed in ((1, 20), (2, 21), (3, 22)):
        alone = tmp_path / f"alone-{random_seed}.mid"
        assert run_cli(seed_file, "--model", tiny_bundle, "-o", alone, "--bars", 2,
                       "--random-seed", random_seed) == 0
        assert _notes(alone) == _notes(tmp_path / f"batch-{index}.mid")
        assert f"random_seed={random_seed} take=1" in " ".join(read_midi(alone).texts)
    assert len({_notes(tmp_path / f"batch-{i}.mid") for i in (1, 2, 3)}) == 3


def test_cli_json(tiny_bundle, seed_file, tmp_path, capsys):
    import json

    assert run_cli(seed_file, "--model", tiny_bundle, "-o", tmp_path / "j.mid", "--takes", 2,
                   "--bars", 2, "--random-seed", 5, "--json") == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # nothing else on stdout
    assert captured.err == ""
    assert report["seed"] == str(seed_file) and report["bars"] == 2.0
    assert report["model"]["name"] == "tiny-test-model"
    assert report["settings"]["random_seed"] == 5 and report["warnings"] == []
    takes = report["takes"]
    assert [(t["take"], t["random_seed"]) for t in takes] == [(1, 5), (2, 6)]
    for take in takes:
        written = read_midi(take["file"])
        assert take["notes"] == len(written.notes) == take["seed_notes"] + take["new_notes"]
        assert take["start_beat"] == 12.0 and take["end_beat"] == 18.0  # 2 bars of 3/4


def test_cli_warns_once_when_the_takes_are_all_the_same(tiny_bundle, seed_file, tmp_path,
                                                        capsys):
    out = tmp_path / "same.mid"
    assert run_cli(seed_file, "--model", tiny_bundle, "-o", out, "--takes", 3, "--bars", 2,
                   "--top-k", 1) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("composer generate: warning: all 3 takes are the same: --top-k 1")
    assert len({_notes(tmp_path / f"same-{i}.mid") for i in (1, 2, 3)}) == 1  # it is true
    assert run_cli(seed_file, "--model", tiny_bundle, "-o", tmp_path / "cold.mid", "--takes",
                   2, "--bars", 2, "--temperature", 0.01, "--random-seed", 1) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "all 2 takes are the same: --temperature 0.01" in err
    assert run_cli(seed_file, "--model", tiny_bundle, "-o", tmp_path / "varied.mid",
                   "--takes", 2, "--bars", 2, "--random-seed", 1) == 0
    assert capsys.readouterr().err == ""  # different takes: not a word


def _drain(fd: int, into: bytearray) -> None:
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            return
        if not chunk:
            return
        into.extend(chunk)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals here")
def test_cli_shows_progress_on_a_terminal_only(tiny_bundle, seed_file, tmp_path, capsys,
                                               monkeypatch):
    import threading

    args = (seed_file, "--model", tiny_bundle, "--takes", 4, "--bars", 16, "--random-seed", 2)
    assert run_cli(*args, "-o", tmp_path / "piped.mid") == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # stderr is not a terminal: no progress at all
    assert "\r" not in captured.out and len(captured.out.splitlines()) == 4

    master, slave = os.openpty()
    shown = bytearray()
    reader = threading.Thread(target=_drain, args=(master, shown), daemon=True)
    reader.start()
    terminal = os.fdopen(slave, "w", buffering=1)
    try:
        monkeypatch.setattr(sys, "stderr", terminal)
        assert run_cli(*args, "-o", tmp_path / "tty.mid") == 0
    finally:
        monkeypatch.setattr(sys, "stderr", sys.__stderr__)
        terminal.close()
        reader.join(timeout=10)
        os.close(master)
    text = shown.decode(errors="replace")
    assert "generating 4 takes of 16 bars: " in text and "%|" in text
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 4 and "\r" not in out  # the result stays on stdout
    assert _notes(tmp_path / "tty-2.mid") == _notes(tmp_path / "piped-2.mid")


@pytest.mark.parametrize("name", ["out.txt", "out.wav", "song.mid.bak"])
def test_cli_refuses_an_output_named_for_another_format(name, tiny_bundle, seed_file,
                                                         tmp_path, capsys):
    assert run_cli(seed_file, "--model", tiny_bundle, "-o", tmp_path / name) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "must end in .mid or .midi" in err and name in err
    assert list(tmp_path.iterdir()) == [seed_file]


def test_cli_adds_mid_to_an_output_without_suffix(tiny_bundle, seed_file, tmp_path, capsys):
    assert run_cli(seed_file, "--model", tiny_bundle, "-o", tmp_path / "take", "--bars", 1) == 0
    assert read_midi(tmp_path / "take.mid").notes
    assert str(tmp_path / "take.mid") in capsys.readouterr().out


def test_cli_replaces_an_existing_output_only_with_force(tiny_bundle, seed_file, tmp_path,
                                                         capsys):
    out = tmp_path / "mine.mid"
    base = (seed_file, "--model", tiny_bundle, "--bars", 1)
    assert run_cli(*base, "-o", out, "--random-seed", 1) == 0
    before = out.read_bytes()
    capsys.readouterr()
    assert run_cli(*base, "-o", out, "--random-seed", 2) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists already; pass --force" in err
    assert out.read_bytes() == before
    # with takes, one existing file stops them all, before any is written
    (tmp_path / "many-2.mid").write_bytes(b"precious")
    assert run_cli(*base, "-o", tmp_path / "many.mid", "--takes", 3) == 2
    assert "many-2.mid: exists already" in capsys.readouterr().err
    assert not (tmp_path / "many-1.mid").exists()
    assert (tmp_path / "many-2.mid").read_bytes() == b"precious"
    assert run_cli(*base, "-o", out, "--random-seed", 2, "--force") == 0
    assert out.read_bytes() != before and read_midi(out).notes


def test_cli_writes_takes_with_provenance_tempo_meter_and_program(tiny_bundle, seed_file,
                                                                 tmp_path, capsys):
    out = tmp_path / "answer.mid"
    code = run_cli("--seed", seed_file, "--model", tiny_bundle, "-o", out, "--takes", 2,
                   "--bars", 4, "--random-seed", 9, "--temperature", 0.9, "--top-k", 40)
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "answer-1.mid" in lines[0] and "notes" in lines[0]
    seed = read_midi(seed_file)
    first_takes = []
    for index in (1, 2):
        written = read_midi(tmp_path / f"answer-{index}.mid")
        assert written.bpm == pytest.approx(90.0, abs=0.01)
        assert (written.time_signature.numerator, written.time_signature.denominator) == (3, 4)
        assert written.program == 42
        text = " ".join(written.texts)
        assert "tiny-test-model" in text and "cello seed.mid" in text
        assert "temperature=0.9" in text and "top_k=40" in text
        assert f"random_seed={8 + index} take={index}" in text  # the take's own seed
        assert "composer 0.1.0" in text
        new = [n for n in written.notes if n not in seed.notes]
        assert seed.notes == tuple(n for n in written.notes if n.start < seed.end_beat)
        assert new and min(n.start for n in new) >= seed.end_beat
        _, generated = read_midi_with_generated(tmp_path / f"answer-{index}.mid")
        assert [n for n, g in zip(written.notes, generated) if g] == new  # marked for the app
        first_takes.append(new)
    assert first_takes[0] != first_takes[1]


def test_cli_continuation_only_and_default_output_name(tiny_bundle, seed_file, tmp_path,
                                                       monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_cli("--seed", seed_file, "--model", tiny_bundle, "--bars", 2,
                   "--random-seed", 1, "--continuation-only") == 0
    out = tmp_path / "cello seed-continued.mid"
    written = read_midi(out)
    assert written.notes and min(n.start for n in written.notes) >= 0
    assert max(n.end for n in written.notes) <= 6.0 + 1e-6  # two bars of 3/4
    assert written.program == 42 and written.bpm == pytest.approx(90.0, abs=0.01)


@pytest.mark.parametrize(
    "args",
    [
        ["--temperature", "0"], ["--top-p", "2"], ["--takes", "0"], ["--bars", "-1"],
        ["--bars", "2", "--seconds", "3"], ["--seed", "missing.mid"], ["--seed", "NOT_MIDI"],
        ["--model", "no/such/model"], ["--pitch-range", "low-high"], ["--temperature", "hot"],
        ["--seed", "SEED", "-o", "SEED"],
    ],
    ids=["temp-0", "top-p-2", "takes-0", "bars-neg", "bars-and-seconds", "missing-seed",
         "not-midi", "missing-model", "bad-range", "temp-word", "overwrite-seed"],
)
def test_cli_bad_input_is_one_line_and_exit_2(tiny_bundle, seed_file, tmp_path, capsys, args):
    (tmp_path / "notes.txt").write_text("not a midi file")
    args = [str(seed_file) if a == "SEED" else str(tmp_path / "notes.txt") if a == "NOT_MIDI"
            else a for a in args]
    if "--seed" not in args:
        args += ["--seed", str(seed_file)]
    if "--model" not in args:
        args += ["--model", str(tiny_bundle)]
    try:
        code = run_cli(*args, "-o", tmp_path / "out.mid") if "-o" not in args else run_cli(*args)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("composer")
    assert not (tmp_path / "out.mid").exists()
    assert seed_file.read_bytes()[:4] == b"MThd"


def test_fresh_process_generates_without_tensorflow(tiny_bundle, seed_file, tmp_path):
    out = tmp_path / "fresh.mid"
    code = (
        "import sys\n"
        "from composer.cli import main\n"
        f"rc = main(['generate', '--seed', {str(seed_file)!r}, '--model', {str(tiny_bundle)!r},"
        f" '-o', {str(out)!r}, '--bars', '2', '--random-seed', '4'])\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'music21', 'pretty_midi')"
        " if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
        "sys.exit(rc or (3 if heavy else 0))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "heavy: []" in result.stdout
    assert read_midi(out).notes


def test_cli_without_seed_continues_the_bundled_sample(tiny_bundle, tmp_path, monkeypatch,
                                                       capsys):
    samples = sorted((REPO / "midi_samples").glob("*.mid"))
    if not samples:
        pytest.skip("no midi_samples/*.mid in this checkout")
    expected = "bach_chorale" if (REPO / "midi_samples" / "bach_chorale.mid").is_file() \
        else samples[0].stem
    monkeypatch.chdir(tmp_path)
    assert run_cli("--model", tiny_bundle, "--bars", 1, "--random-seed", 1) == 0
    assert (tmp_path / f"{expected}-continued.mid").is_file()
    assert f"{expected}-continued.mid" in capsys.readouterr().out
