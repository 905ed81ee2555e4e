"""No harm from any input (issue 16): nothing destroyed, nothing hangs, no traceback.

Each case is run the way a careless user would: through ``composer.cli.main`` with real files,
real FIFOs (``os.mkfifo``), real device files (``/dev/zero``, ``/dev/null`` where they exist),
real symlinks and hard links, and real damaged copies of the tiny test bundle. Every refusal
must be exit status 2 with one line naming the file or option and the reason, and every input
must be byte-for-byte unchanged afterwards.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
import wave
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from composer.atomic import write_text_atomic
from composer.cli import main
from composer.errors import ComposerError, MidiFileError
from composer.inputs import read_bytes, read_json, read_npz
from composer.midi_io import read_midi, write_midi
from composer.notes import Note, Piece
from composer.outputs import check_output_file, check_output_folder
from tests.midi_bytes import GOOD

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "midi_samples" / "bach_chorale.mid"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
needs_dev_zero = pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def seed(tmp_path) -> Path:
    path = tmp_path / "S.mid"
    shutil.copy(SEED, path)
    return path


@contextmanager
def _unblocked_after(fifo: Path, seconds: float = 5.0):
    """If a reader blocks on ``fifo``, open it for writing after ``seconds`` so the test fails
    instead of hanging; yields a list that holds True if that was needed."""
    needed: list[bool] = []
    done = threading.Event()

    def rescue() -> None:
        if not done.wait(seconds):
            needed.append(True)
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK) if _has_reader(fifo) else None
            if fd is not None:
                os.close(fd)

    thread = threading.Thread(target=rescue, daemon=True)
    thread.start()
    try:
        yield needed
    finally:
        done.set()
        thread.join()


def _has_reader(fifo: Path) -> bool:
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        return True
    except OSError:
        return False


# ----- reading: regular files only, bounded --------------------------------------------
@needs_fifo
def test_a_fifo_is_refused_at_once_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.mid"
    os.mkfifo(fifo)
    started = time.monotonic()
    with _unblocked_after(fifo) as needed, pytest.raises(MidiFileError, match="FIFO"):
        read_midi(fifo)
    assert not needed and time.monotonic() - started < 2


@needs_dev_zero
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_without_reading(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    with pytest.raises(MidiFileError, match=f"{device}: is a device"):
        read_midi(device)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(MidiFileError, match="is a folder"):
        read_midi(tmp_path)


def test_the_limit_holds_when_the_size_lies():
    """/proc files say size 0 whatever they hold: at most limit + 1 bytes are read."""
    status = Path("/proc/self/status")
    if not status.is_file() or status.stat().st_size:
        pytest.skip("no /proc file of size 0 here")
    with pytest.raises(ComposerError, match="too large"):
        read_bytes(status, limit=10)
    assert len(read_bytes(status, limit=1 << 20)) > 10


def test_a_symlink_to_a_regular_file_reads(tmp_path):
    link = tmp_path / "link.mid"
    link.symlink_to(SEED)
    assert read_midi(link).notes == read_midi(SEED).notes


def test_damaged_json_and_npz_are_named_errors(tmp_path):
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(ComposerError, match="bin.json: not UTF-8"):
        read_json(tmp_path / "bin.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ComposerError, match="list.json: expected a JSON object"):
        read_json(tmp_path / "list.json")
    (tmp_path / "deep.json").write_text("[" * 100_000)
    with pytest.raises(ComposerError, match="deep.json: not valid JSON"):
        read_json(tmp_path / "deep.json")
    np.savez_compressed(tmp_path / "good.npz", a=np.arange(1000))
    data = (tmp_path / "good.npz").read_bytes()
    cases = {"empty": b"", "truncated": data[: len(data) // 2], "text": b"hello",
             "corrupt": data[:60] + bytes(len(data) - 120) + data[-60:]}
    for name, content in cases.items():
        (tmp_path / f"{name}.npz").write_bytes(content)
        with pytest.raises(ComposerError, match=f"{name}.npz: "):
            read_npz(tmp_path / f"{name}.npz", limit=1 << 20)
    assert list(read_npz(tmp_path / "good.npz", limit=1 << 20)["a"]) == list(range(1000))


def test_an_npz_that_unpacks_past_the_limit_is_refused_before_unpacking(tmp_path):
    np.savez_compressed(tmp_path / "bomb.npz", zeros=np.zeros(4_000_000, np.uint8))
    assert (tmp_path / "bomb.npz").stat().st_size < 100_000
    with pytest.raises(ComposerError, match="unpacks to"):
        read_npz(tmp_path / "bomb.npz", limit=1 << 20)


# ----- writing: never onto an input, never onto a node ---------------------------------
def test_atomic_write_through_a_symlink_keeps_the_link(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    before = os.stat(target).st_ino
    write_text_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert os.stat(target).st_ino != before  # a new file renamed in, not truncated in place


@needs_fifo
def test_atomic_write_refuses_a_fifo_and_keeps_it(tmp_path):
    fifo = tmp_path / "out.mid"
    os.mkfifo(fifo)
    with pytest.raises(ComposerError, match="not a regular file"):
        write_text_atomic(fifo, "x")
    assert fifo.is_fifo()


def test_output_checks(tmp_path, seed):
    for spelling in (seed, tmp_path / "sub" / ".." / "S.mid"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(ComposerError, match="that is the input file"):
            check_output_file(spelling, option="-o", inputs=[seed])
    link = tmp_path / "link.mid"
    link.symlink_to(seed)
    hard = tmp_path / "hard.mid"
    os.link(seed, hard)
    for alias in (link, hard):
        with pytest.raises(ComposerError, match="that is the input file"):
            check_output_file(alias, option="-o", inputs=[seed])
    with pytest.raises(ComposerError, match="-o: the file name is empty"):
        check_output_file("", option="-o")
    with pytest.raises(ComposerError, match="is a folder"):
        check_output_file(tmp_path, option="-o")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ComposerError, match="is a file, not a folder"):
        check_output_folder(tmp_path / "file", option="--out")
    with pytest.raises(ComposerError, match="holds the input"):
        check_output_folder(tmp_path, option="--out", inputs=[seed])
    assert check_output_folder(tmp_path / "new" / "deeper", option="--out")
    assert not (tmp_path / "new").exists()
    assert check_output_file(tmp_path / "fresh.mid", option="-o", inputs=[seed])


def _cli(capsys, *argv: str) -> str:
    """Run a command that must refuse: exit 2, one line; return the line."""
    try:
        code = main(list(argv))
    except SystemExit as exited:
        code = exited.code
    assert code == 2
    return _one_error_line(capsys)


@pytest.mark.parametrize("argv", [
    ["tokenize", "{S}", "--roundtrip", "{S}"],
    ["tokenize", "{S}", "--roundtrip", "{LINK}"],
    ["tokenize", "{S}", "--roundtrip", "{DOTDOT}"],
    ["render", "{S}", "-o", "{S}"],
    ["render", "{S}", "-o", "{LINK}"],
    ["generate", "--seed", "{S}", "-o", "{S}"],
    ["generate", "--seed", "{S}", "-o", "{HARD}"],
], ids=["tokenize", "tokenize-symlink", "tokenize-dotdot", "render", "render-symlink",
        "generate", "generate-hardlink"])
def test_commands_never_write_onto_their_input(argv, tmp_path, seed, capsys):
    (tmp_path / "sub").mkdir()
    (tmp_path / "LINK.mid").symlink_to(seed)
    os.link(seed, tmp_path / "HARD.mid")
    names = {"{S}": str(seed), "{LINK}": str(tmp_path / "LINK.mid"),
             "{HARD}": str(tmp_path / "HARD.mid"), "{DOTDOT}": str(tmp_path / "sub/../S.mid")}
    before = _digest(seed)
    line = _cli(capsys, *[names.get(a, a) for a in argv])
    assert "input file" in line
    assert _digest(seed) == before and (tmp_path / "LINK.mid").is_symlink()


@pytest.mark.parametrize("command", ["render", "generate", "tokenize"])
def test_an_empty_output_name_is_an_error(command, seed, capsys):
    argv = {"render": ["render", str(seed), "-o", ""],
            "generate": ["generate", "--seed", str(seed), "-o", ""],
            "tokenize": ["tokenize", str(seed), "--roundtrip", ""]}[command]
    assert "file name is empty" in _cli(capsys, *argv)


@needs_fifo
@pytest.mark.parametrize("command", ["render", "tokenize"])
def test_an_output_fifo_is_refused_and_kept(command, tmp_path, seed, capsys):
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    option = "-o" if command == "render" else "--roundtrip"
    with _unblocked_after(fifo) as needed:
        line = _cli(capsys, command, str(seed), option, str(fifo))
    assert not needed and "FIFO" in line and str(fifo) in line and fifo.is_fifo()


def test_an_output_device_is_refused(seed, capsys):
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null")
    line = _cli(capsys, "render", str(seed), "-o", "/dev/null")
    assert "/dev/null: is a device" in line
    assert os.path.exists("/dev/null") and not Path("/dev/null").is_file()


def test_render_through_a_symlink_replaces_the_target_not_the_link(tmp_path, seed, capsys):
    target = tmp_path / "real.wav"
    target.write_bytes(b"old")
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    assert main(["render", str(seed), "-o", str(link), "--sample-rate", "8000",
                 "--synth", "additive"]) == 0
    assert link.is_symlink() and target.read_bytes()[:4] == b"RIFF"


@needs_fifo
@pytest.mark.parametrize("command", ["tokenize", "render", "play", "generate"])
def test_a_fifo_as_input_never_hangs_a_command(command, tmp_path, capsys):
    fifo = tmp_path / "in.mid"
    os.mkfifo(fifo)
    argv = {"tokenize": ["tokenize", str(fifo)],
            "render": ["render", str(fifo), "-o", str(tmp_path / "x.wav")],
            "play": ["play", str(fifo)],
            "generate": ["generate", "--seed", str(fifo), "-o", str(tmp_path / "x.mid")]
            }[command]
    with _unblocked_after(fifo) as needed:
        line = _cli(capsys, *argv)
    assert not needed and f"{fifo}: is a FIFO" in line


@needs_dev_zero
def test_dev_zero_as_input_is_refused(tmp_path, capsys):
    line = _cli(capsys, "tokenize", "/dev/zero")
    assert "/dev/zero: is a device" in line


# ----- options: validated before any work ----------------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["generate", "--temperature", "1e-320"], "--temperature: must be at least 0.01"),
    (["generate", "--temperature", "nan"], "--temperature: must be a finite number"),
    (["generate", "--top-p", "0"], "--top-p: must be above 0"),
    (["generate", "--top-p", "1.5"], "--top-p: must be above 0 and at most 1"),
    (["generate", "--top-k", "-1"], "--top-k: must be at least 0"),
    (["generate", "--bars", "inf"], "--bars: must be a finite number"),
    (["generate", "--takes", "0"], "--takes: must be at least 1"),
    (["generate", "--random-seed", "-1"], "--random-seed: must be at least 0"),
    (["generate", "--max-polyphony", "1.5"], "--max-polyphony: must be a whole number"),
    (["play", "{S}", "--start", "nan"], "--start: must be a finite number"),
    (["play", "{S}", "--start", "inf"], "--start: must be a finite number"),
    (["play", "{S}", "--start", "-1"], "--start: must be at least 0"),
    (["play", "{S}", "--start", "10000"], "nothing would play"),
    (["render", "{S}", "-o", "x.wav", "--sample-rate", "0"], "--sample-rate: must be at least"),
    (["live", "--input", "x", "--temperature", "0"], "--temperature: must be at least"),
    (["live", "--input", "x", "--max-wait", "nan"], "--max-wait: must be a finite number"),
])
def test_bad_numbers_are_one_line_before_any_work(argv, words, seed, capsys):
    line = _cli(capsys, *[str(seed) if a == "{S}" else a for a in argv])
    assert words in line, line


# ----- render: bounded memory whatever the notes' length -------------------------------
def test_render_of_a_very_long_note_streams_with_bounded_memory(tmp_path):
    """One 8,192-beat note once peaked at 6.4 GB (the WAV read back as float64)."""
    seed = tmp_path / "long.mid"
    write_midi(seed, Piece(notes=(Note(0.0, 8192.0, 60, 80),)))
    out = tmp_path / "long.wav"
    script = (
        "import resource, sys\n"
        "from composer.cli import main\n"
        f"code = main(['render', {str(seed)!r}, '-o', {str(out)!r}, '--sample-rate', "
        "'8000', '--synth', 'additive'])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        "sys.exit(code)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stdout.strip().splitlines()[-1]) / 1024
    assert peak_mb < 400, f"peak memory {peak_mb:.0f} MB"
    with wave.open(str(out), "rb") as wav:
        assert wav.getnframes() == (4096 + 1) * 8000
    assert "wrote" in done.stdout and "dBFS" in done.stdout
    assert time.monotonic() - started < 60


def test_loudness_measured_while_writing_matches_the_file(tmp_path):
    from composer.audio import loudness, wav_loudness, write_wav

    info = write_wav(read_midi(SEED), tmp_path / "s.wav", sample_rate=8000, synth="additive")
    with wave.open(str(info.path), "rb") as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    assert (info.rms, info.peak) == pytest.approx(loudness(pcm))
    assert wav_loudness(info.path, block_frames=777) == pytest.approx(loudness(pcm))


def test_a_render_too_long_for_a_wav_file_is_refused_before_work(tmp_path, capsys):
    seed = tmp_path / "huge.mid"
    # 39,000 beats at 60 bpm: 10.8 hours, within the reader's limits, past WAV's 4 GiB.
    write_midi(seed, Piece(notes=(Note(0.0, 1.0, 60, 80), Note(39_000.0, 39_001.0, 62, 80)),
                           tempos=_tempo(60.0)))
    started = time.monotonic()
    line = _cli(capsys, "render", str(seed), "-o", str(tmp_path / "x.wav"))
    assert "too long for a WAV file" in line and time.monotonic() - started < 5
    assert not (tmp_path / "x.wav").exists()


def _tempo(bpm: float):
    from composer.notes import TempoChange

    return (TempoChange(0.0, bpm),)


def test_good_midi_still_reads(tmp_path):
    (tmp_path / "g.mid").write_bytes(GOOD)
    assert len(read_midi(tmp_path / "g.mid").notes) == 1
