"""The ``composer`` command line: generic behaviour (help, version, usage errors) and the
``tokenize`` command, run in-process through ``composer.cli.main`` with real files.

Every error a person can cause must end as exit status 2 and exactly one line on stderr that
names the file; one subprocess test proves the real entry point prints no traceback.
"""

from __future__ import annotations

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
