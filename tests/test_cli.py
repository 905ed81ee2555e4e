"""The ``composer`` command line: generic behaviour (help, version, usage errors) and the
``tokenize`` command, run in-process through ``composer.cli.main`` with real files.

Every error a person can cause must end as exit status 2 and exactly one line on stderr that
names the file; one subprocess test proves the real entry point prints no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from composer import __version__
from composer.cli import COMMANDS, _command_module, main
from composer.errors import MidiFileError
from composer.midi_io import read_midi
from composer.tokenizer import Tokenizer
from tests.conftest import music21_test_midis
from tests.midi_bytes import BAD_FILES, END, smf, tempo

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "midi_samples" / "bach_chorale.mid"
AVAILABLE = [name for name in COMMANDS if _command_module(name) is not None]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err.strip()


# ----- generic behaviour -----------------------------------------------------------------
def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"composer {__version__}"


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "usage: composer" in out
    for name in AVAILABLE:
        assert name in out


@pytest.mark.parametrize("name", AVAILABLE)
def test_every_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exited:
        main([name, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: composer {name}")
    assert COMMANDS[name].split()[0] in out  # the summary is the description


@pytest.mark.parametrize(
    "argv",
    [["no-such-command"], ["tokenize"], ["tokenize", "a.mid", "--no-such-option"], ["--nope"]],
    ids=["unknown-command", "missing-argument", "unknown-option", "unknown-global-option"],
)
def test_usage_error_is_one_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    line = _one_error_line(capsys)
    assert line.startswith("composer") and "error:" in line and "--help" in line


@pytest.mark.parametrize("argv, expected", [
    (["genrate", "x.mid"], "composer: error: unknown command 'genrate'; did you mean "
                           "'generate'? (see --help)"),
    (["tokenise", "x.mid"], "composer: error: unknown command 'tokenise'; did you mean "
                            "'tokenize'? (see --help)"),
    (["generate", "--seeed", "x.mid"], "composer generate: error: unknown option --seeed; did "
                                       "you mean --seed? (see --help)"),
    (["generate", "x.mid", "--temprature", "0.5"],
     "composer generate: error: unknown option --temprature; did you mean --temperature? "
     "(see --help)"),
    (["train", "--max-epohcs=3"], "composer train: error: unknown option --max-epohcs=3; did "
                                 "you mean --max-epochs? (see --help)"),
    (["live", "--input", "k", "--radnom-seed", "3"],
     "composer live: error: unknown option --radnom-seed; did you mean --random-seed? "
     "(see --help)"),
    (["render", "x.mid", "-o", "x.wav", "--synth", "sondfont"],
     "composer render: error: argument --synth: invalid choice 'sondfont'; did you mean "
     "'soundfont'? (see --help)"),
    (["--debgu"], "composer: error: unknown option --debgu; did you mean --debug? "
                  "(see --help)"),
], ids=["command", "command-british", "option", "option-after-file", "option-with-value",
        "live-option", "choice", "global-option"])
def test_typos_get_one_line_with_the_closest_name(argv, expected, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert _one_error_line(capsys) == expected


@pytest.mark.parametrize("argv", [["zzzz"], ["generate", "--zzzz"], ["tokenize", "a", "b"]],
                         ids=["command", "option", "extra-argument"])
def test_nothing_close_gets_no_guess(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    line = _one_error_line(capsys)
    assert "did you mean" not in line
    if argv == ["zzzz"]:
        assert "choose from generate, tokenize" in line


def _help_text(command: str, capsys) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("command, dest", [("generate", "random_seed"), ("live", "random_seed"),
                                           ("train", "seed")])
def test_random_seed_is_random_seed_in_every_command(command, dest, capsys):
    """Issue 14: ``--seed`` was the seed file in generate and the random seed in live and
    train. Now ``--random-seed`` everywhere; live's and train's ``--seed`` still work (hidden,
    with a warning) so old scripts run."""
    from composer.cli import build_parser

    text = _help_text(command, capsys)
    assert "--random-seed S" in text
    assert not any(line.lstrip().startswith("--seed ") for line in text.splitlines())
    before = ["--input", "k"] if command == "live" else []
    parsed = build_parser().parse_args([command, *before, "--random-seed", "7"])
    assert getattr(parsed, dest) == 7
    if command != "generate":
        parsed = build_parser().parse_args([command, *before, "--seed", "8"])
        assert getattr(parsed, dest) == 8
        assert capsys.readouterr().err == (f"composer {command}: warning: --seed is now "
                                           "--random-seed (the old name still works for now)\n")


def test_train_random_seed_is_checked_under_its_new_name(tmp_path, capsys):
    code = main(["train", "--midi-dir", str(tmp_path), "--run-dir", str(tmp_path / "run"),
                 "--out", str(tmp_path / "m"), "--random-seed", "-1"])
    assert code == 2
    assert _one_error_line(capsys).startswith(
        "composer train: --random-seed: must be at least 0")


def test_train_help_explains_every_option_with_its_default(capsys):
    """Issue 14: a dozen train options had no help text and showed no default."""
    from composer.cli import build_parser

    parser = build_parser().commands["train"]
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or action.dest in ("help", "debug"):
            continue
        name = action.option_strings[-1]
        assert action.help and len(action.help) > 12, name
        assert "default" in action.help, f"{name}: {action.help}"
        if action.default not in (None, False, [], argparse.SUPPRESS):
            shown = str(action.default)
            assert "%(default)s" in action.help or shown in action.help, name
    text = _help_text("train", capsys)
    for expected in ("--layers N            LSTM layers (default: 2)",
                     "(default: 384)", "(default: 1234)", "(default: float16)",
                     "(default: 2e-3, 5e-4 with --from)"):
        assert expected in text, expected
    assert "%(" not in text


# ----- tokenize --------------------------------------------------------------------------
def test_tokenize_prints_one_event_per_line(capsys):
    assert main(["tokenize", str(SEED)]) == 0
    lines = capsys.readouterr().out.splitlines()
    piece = read_midi(SEED)
    assert lines[0] == "BOS" and lines[-1] == "EOS"
    assert sum(line.startswith("NOTE_ON_") for line in lines) == len(
        Tokenizer().quantize(piece.notes))
    assert lines == Tokenizer().event_names(Tokenizer().encode(piece.notes, piece.pedals))


def test_tokenize_json(capsys):
    assert main(["tokenize", "--json", str(SEED)]) == 0
    data = json.loads(capsys.readouterr().out)
    tokenizer = Tokenizer()
    assert tokenizer.event_names(data["ids"]) == data["events"]
    piece = read_midi(SEED)
    assert data["ids"] == tokenizer.encode(piece.notes, piece.pedals)


def test_tokenize_roundtrip_writes_what_the_model_sees(tmp_path, capsys):
    seed = REPO / "midi_samples" / "chopin_mazurka_3-4_pedal.mid"
    out = tmp_path / "round.mid"
    assert main(["tokenize", str(seed), "--roundtrip", str(out)]) == 0
    original, again = read_midi(seed), read_midi(out)
    tokenizer = Tokenizer()
    assert list(again.notes) == tokenizer.quantize(original.notes)
    assert list(again.pedals) == tokenizer.quantize_pedals(original.pedals)
    assert again.time_signature == original.time_signature
    assert again.bpm == pytest.approx(original.bpm, rel=1e-5)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_tokenize_bad_file_exit_2_one_line(tmp_path, name, capsys):
    data, words = BAD_FILES[name]
    path = tmp_path / f"{name}.mid"
    path.write_bytes(data)
    assert main(["tokenize", str(path)]) == 2
    line = _one_error_line(capsys)
    assert line.startswith(f"composer tokenize: {path}: ")
    assert words in line
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("kind", ["missing", "folder", "no-notes", "drums-only"])
def test_tokenize_unusable_input_exit_2(tmp_path, kind, capsys):
    path = tmp_path / f"{kind}.mid"
    if kind == "folder":
        path.mkdir()
    elif kind == "no-notes":
        path.write_bytes(smf(tempo(500_000) + END))
    elif kind == "drums-only":
        path.write_bytes(smf(b"\x00\x99\x24\x50\x60\x89\x24\x00" + END))
    assert main(["tokenize", str(path)]) == 2
    line = _one_error_line(capsys)
    assert str(path) in line
    if kind in ("no-notes", "drums-only"):
        assert "nothing to continue" in line


def test_tokenize_roundtrip_into_missing_folder(tmp_path, capsys):
    assert main(["tokenize", str(SEED), "--roundtrip", str(tmp_path / "no" / "x.mid")]) == 2
    assert "cannot write" in _one_error_line(capsys)


def test_debug_shows_the_real_exception(tmp_path):
    path = tmp_path / "text.mid"
    path.write_text("not midi")
    with pytest.raises(MidiFileError):
        main(["--debug", "tokenize", str(path)])


def test_real_entry_point_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(BAD_FILES["truncated-track"][0])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "composer", "tokenize", str(bad)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"composer tokenize: {bad}: truncated track 1")

    # A reader that leaves early (`| head -1`) is not an error either. test04 prints about
    # 150 kB, more than a pipe holds, so the writer does meet the closed pipe.
    with subprocess.Popen(
        [sys.executable, "-m", "composer", "tokenize", str(music21_test_midis()[3])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
    ) as proc:
        assert proc.stdout.readline() == b"BOS\n"
        proc.stdout.close()
        assert proc.wait(timeout=60) == 0
        assert proc.stderr.read() == b""
