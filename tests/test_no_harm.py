"""No harm from any input (issue 16): nothing destroyed, nothing hangs, no traceback.

Each case is run the way a careless user would: through ``composer.cli.main`` with real files,
real FIFOs (``os.mkfifo``), real device files (``/dev/zero``, ``/dev/null`` where they exist),
real symlinks and hard links, and real damaged copies of the tiny test bundle. Every refusal
must be exit status 2 with one line naming the file or option and the reason, and every input
must be byte-for-byte unchanged afterwards.
"""

from __future__ import annotations

import hashlib
import json
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
                 "--synth", "additive", "--force"]) == 0
    assert link.is_symlink() and target.read_bytes()[:4] == b"RIFF"


# ----- outputs: named for what is written, never replaced without --force (issue 14) ------
OUTPUT_COMMANDS = {
    "render": (["render", "{S}", "-o", "{OUT}", "--sample-rate", "8000", "--synth",
                "additive"], ".wav", "a WAV file", ".wav"),
    "tokenize": (["tokenize", "{S}", "--roundtrip", "{OUT}"], ".mid", "a MIDI file",
                 ".mid or .midi"),
}


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
@pytest.mark.parametrize("wrong", [".txt", ".mid.bak"], ids=["txt", "bak"])
def test_an_output_named_for_another_format_is_refused(command, wrong, tmp_path, seed,
                                                        capsys):
    argv, right, kind, allowed = OUTPUT_COMMANDS[command]
    if wrong == ".mid.bak" and right == ".wav":
        wrong = ".wav.bak"
    out = tmp_path / f"out{wrong}"
    line = _cli(capsys, *[{"{S}": str(seed), "{OUT}": str(out)}.get(a, a) for a in argv])
    assert line == (f"composer {command}: {option_of(argv)} {out}: what is written there is "
                    f"{kind}, so the name must end in {allowed}")
    assert not out.exists()


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_an_output_without_a_suffix_gets_the_right_one(command, tmp_path, seed, capsys):
    """The rule of every command (and generate's -o): ``-o take`` writes ``take.mid`` or
    ``take.wav``; only a name for another format is refused."""
    argv, right, _, _ = OUTPUT_COMMANDS[command]
    out = tmp_path / "take"
    assert main([{"{S}": str(seed), "{OUT}": str(out)}.get(a, a) for a in argv]) == 0
    assert not out.exists() and (tmp_path / f"take{right}").stat().st_size > 100


def option_of(argv: list[str]) -> str:
    return argv[argv.index("{OUT}") - 1]


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_an_existing_output_is_replaced_only_with_force(command, tmp_path, seed, capsys):
    argv, right, _, _ = OUTPUT_COMMANDS[command]
    out = tmp_path / f"mine{right.upper()}"  # the suffix in any case
    out.write_bytes(b"precious")
    argv = [{"{S}": str(seed), "{OUT}": str(out)}.get(a, a) for a in argv]
    line = _cli(capsys, *argv)
    assert line == (f"composer {command}: {option_of(OUTPUT_COMMANDS[command][0])} {out}: "
                    "exists already; pass --force to replace it, or choose another name")
    assert out.read_bytes() == b"precious"
    assert main([*argv, "--force"]) == 0
    assert out.read_bytes() != b"precious" and out.stat().st_size > 100


def test_evaluate_plot_must_be_an_image_name(tiny_bundle, tmp_path, capsys):
    line = _cli(capsys, "evaluate", "--model", str(tiny_bundle), "--plot",
                str(tmp_path / "loss.txt"))
    assert "--plot" in line and "must end in .png" in line


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
    if not Path("/proc/self/status").is_file():
        pytest.skip("needs /proc/self/status for the peak memory of the process")
    # VmHWM (peak RSS of this program); ru_maxrss would count the forking pytest's pages.
    script = (
        "import sys\n"
        "from composer.cli import main\n"
        f"code = main(['render', {str(seed)!r}, '-o', {str(out)!r}, '--sample-rate', "
        "'8000', '--synth', 'additive'])\n"
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
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


# ----- bundles: validated on load --------------------------------------------------------
def _damaged(tiny_bundle, tmp_path, name: str = "damaged") -> Path:
    folder = tmp_path / name
    shutil.copytree(tiny_bundle, folder)
    return folder


def _edit_json(path: Path, edit) -> None:
    import json

    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _edit_weights(folder: Path, edit) -> None:
    with np.load(folder / "weights.npz") as data:
        weights = {k: data[k] for k in data.files}
    edit(weights)
    np.savez(folder / "weights.npz", **weights)


def _set(section: str, key: str, value):
    def edit(data):
        (data[section] if section else data)[key] = value
    return edit


BUNDLE_DAMAGE = {
    "binary-vocabulary": (lambda f: (f / "vocabulary.json").write_bytes(b"\x89PNG\xff\x00"),
                          "vocabulary.json: not UTF-8"),
    "float-pitch-low": (lambda f: _edit_json(f / "vocabulary.json",
                                             _set("settings", "pitch_low", 21.0)),
                        "'pitch_low' must be a whole number"),
    "absurd-max-shift": (lambda f: _edit_json(f / "vocabulary.json",
                                              _set("settings", "max_shift_steps", 10**9)),
                         "'max_shift_steps' must be a whole number from 0 to 10000"),
    "names-not-a-list": (lambda f: _edit_json(f / "vocabulary.json", _set("", "names", 7)),
                         "'names' must be a list"),
    "vocabulary-array": (lambda f: (f / "vocabulary.json").write_text("[]"),
                         "vocabulary.json: not a valid vocabulary"),
    "string-vocab-size": (lambda f: _edit_json(f / "config.json",
                                               _set("model", "vocab_size", "237")),
                          "'vocab_size' must be a whole number"),
    "string-units": (lambda f: _edit_json(f / "config.json",
                                          _set("model", "lstm_units", ["32", 32])),
                     "'lstm_units' must be a list"),
    "dropout-2": (lambda f: _edit_json(f / "config.json", _set("model", "dropout", 2)),
                  "'dropout' must be a number from 0"),
    "config-not-json": (lambda f: (f / "config.json").write_text("{nope"),
                        "config.json: not valid JSON"),
    "empty-weights": (lambda f: (f / "weights.npz").write_bytes(b""), "weights.npz: damaged"),
    "truncated-weights": (lambda f: (f / "weights.npz").write_bytes(
        (f / "weights.npz").read_bytes()[:5000]), "weights.npz: damaged"),
    "corrupt-weights": (lambda f: (f / "weights.npz").write_bytes(
        (f / "weights.npz").read_bytes()[:200] + bytes(4000)
        + (f / "weights.npz").read_bytes()[4200:]), "weights.npz: "),
    "nan-weights": (lambda f: _edit_weights(f, lambda w: w["dense_bias"].__setitem__(0, np.nan)),
                    "'dense_bias' holds 1 NaN or infinite"),
    "inf-weights": (lambda f: _edit_weights(
        f, lambda w: w["lstm_0_kernel"].__setitem__((0, 0), np.inf)),
        "'lstm_0_kernel' holds 1 NaN or infinite"),
    "int-weights": (lambda f: _edit_weights(
        f, lambda w: w.__setitem__("dense_bias", w["dense_bias"].astype(np.int32))),
        "not floating point"),
}


@pytest.mark.parametrize("damage", list(BUNDLE_DAMAGE))
def test_a_damaged_bundle_is_one_line_naming_the_file(damage, tiny_bundle, tmp_path, seed,
                                                      capsys):
    folder = _damaged(tiny_bundle, tmp_path)
    spoil, words = BUNDLE_DAMAGE[damage]
    spoil(folder)
    started = time.monotonic()
    line = _cli(capsys, "generate", "--seed", str(seed), "--model", str(folder), "-o",
                str(tmp_path / "out.mid"), "--bars", "1")
    assert words in line and str(folder) in line, line
    assert time.monotonic() - started < 10
    assert not (tmp_path / "out.mid").exists()


@needs_fifo
def test_a_fifo_in_a_bundle_does_not_hang(tiny_bundle, tmp_path):
    from composer.bundle import load_bundle
    from composer.errors import ModelBundleError

    folder = _damaged(tiny_bundle, tmp_path)
    (folder / "weights.npz").unlink()
    os.mkfifo(folder / "weights.npz")
    with _unblocked_after(folder / "weights.npz") as needed, pytest.raises(
            ModelBundleError, match="weights.npz: is a FIFO"):
        load_bundle(folder)
    assert not needed


def test_a_damaged_metrics_file_costs_nothing(tiny_bundle, tmp_path):
    from composer.bundle import load_bundle

    folder = _damaged(tiny_bundle, tmp_path)
    (folder / "metrics.json").write_bytes(b"\xff\xff")
    assert load_bundle(folder).metrics == {}


def test_fine_tuning_needs_model_keras(tiny_bundle, tmp_path):
    from composer.bundle import load_bundle, require_keras_model
    from composer.errors import ModelBundleError

    assert require_keras_model(load_bundle(tiny_bundle)) == tiny_bundle / "model.keras"
    folder = _damaged(tiny_bundle, tmp_path)
    (folder / "model.keras").unlink()
    bundle = load_bundle(folder)  # generation does not need it
    with pytest.raises(ModelBundleError, match="model.keras: missing"):
        require_keras_model(bundle)
    (folder / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelBundleError, match="model.keras: not a Keras model"):
        require_keras_model(bundle)


# ----- train, prepare, evaluate: refused before any work ---------------------------------
TINY_TRAIN = ["--layers", "1", "--units", "8", "--embedding", "8", "--sequence-length", "32",
              "--batch-size", "4", "--steps-per-epoch", "2", "--no-evaluate"]


def _midi_dir() -> str:
    from tests.conftest import music21_test_midis

    return str(music21_test_midis()[0].parent)


@pytest.mark.parametrize("option, value, words", [
    ("--batch-size", "0", "--batch-size: must be at least 1"),
    ("--steps-per-epoch", "0", "--steps-per-epoch: must be at least 1"),
    ("--sequence-length", "0", "--sequence-length: must be at least 2"),
    ("--dropout", "1.5", "--dropout: must be at least 0 and below 1"),
    ("--dropout", "-1", "--dropout: must be at least 0 and below 1"),
    ("--balance", "nan", "--balance: must be a finite number"),
    ("--random-seed", "-1", "--random-seed: must be at least 0"),
    ("--lr", "nan", "--lr: must be a finite number"),
    ("--lr", "0", "--lr: must be above 0"),
    ("--max-minutes", "inf", "--max-minutes: must be a finite number"),
    ("--piano-share", "2", "--piano-share: must be at least 0 and at most 1"),
    ("--name", "../x", "--name '../x': must be a plain name"),
    ("--inputs", "pitch,colour", "--inputs: unknown input(s) colour, pitch"),
])
def test_train_options_are_checked_first(option, value, words, tmp_path, capsys):
    started = time.monotonic()
    line = _cli(capsys, "train", "--midi-dir", _midi_dir(), "--run-dir", str(tmp_path / "run"),
                "--out", str(tmp_path / "m"), *TINY_TRAIN, option, value)
    assert words in line, line
    assert time.monotonic() - started < 10
    assert not (tmp_path / "run").exists() and not (tmp_path / "m").exists()


def _tree_digest(folder: Path) -> dict[str, str]:
    return {p.name: _digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


def test_train_never_replaces_the_shipped_model_by_accident(tmp_path, monkeypatch, capsys):
    shipped = REPO / "models" / "default"
    if not shipped.is_dir():
        pytest.skip("no shipped model in this checkout")
    before = _tree_digest(shipped)
    monkeypatch.chdir(REPO)
    for extra in (["--name", "default"], ["--name", "default", "--force"],
                  ["--out", "models/../models/default"]):
        line = _cli(capsys, "train", "--midi-dir", _midi_dir(), "--run-dir",
                    str(tmp_path / "run"), *TINY_TRAIN, *extra)
        assert "shipped model" in line, line
    assert _tree_digest(shipped) == before


def test_train_replaces_an_existing_bundle_only_with_force(tiny_bundle, tmp_path, capsys):
    out = _damaged(tiny_bundle, tmp_path, "existing")
    line = _cli(capsys, "train", "--midi-dir", _midi_dir(), "--run-dir", str(tmp_path / "run"),
                "--out", str(out), *TINY_TRAIN)
    assert "a model bundle is there already; pass --force" in line
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("precious")
    line = _cli(capsys, "train", "--midi-dir", _midi_dir(), "--run-dir", str(tmp_path / "run"),
                "--out", str(other), "--force", *TINY_TRAIN)
    assert "not a model bundle" in line and (other / "mine.txt").read_text() == "precious"


def test_train_out_never_holds_an_input(tmp_path, tiny_bundle, capsys):
    midi = tmp_path / "midi"
    shutil.copytree(_midi_dir(), midi)
    line = _cli(capsys, "train", "--midi-dir", str(midi), "--run-dir", str(tmp_path / "run"),
                "--out", str(tmp_path), "--force", *TINY_TRAIN)
    assert "holds the input" in line
    base = _damaged(tiny_bundle, tmp_path, "base")
    line = _cli(capsys, "train", "--from", str(base), "--midi-dir", str(midi), "--run-dir",
                str(tmp_path / "run"), "--out", str(base), "--force")
    assert "holds the input" in line


def test_train_refuses_unwritable_folders_before_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _cli(capsys, "train", "--midi-dir", _midi_dir(), "--run-dir", str(tmp_path / "run"),
                "--out", str(blocker / "m"), *TINY_TRAIN)
    assert "--out" in line and "is a file, not a folder" in line
    line = _cli(capsys, "train", "--midi-dir", _midi_dir(), "--run-dir", str(blocker),
                "--out", str(tmp_path / "m"), *TINY_TRAIN)
    assert "--run-dir" in line and "not a folder" in line
    if Path("/proc/self").is_dir():
        line = _cli(capsys, "train", "--midi-dir", _midi_dir(), "--run-dir", "/proc/self/x",
                    "--out", str(tmp_path / "m"), *TINY_TRAIN)
        assert "--run-dir" in line and "cannot write" in line


def test_model_keras_of_another_export_is_refused_naming_the_file(tiny_bundle,
                                                                 tiny_plain_bundle, tmp_path,
                                                                 capsys):
    """config.json records the checksums of model.keras and weights.npz as saved together;
    --from (fine-tuning) refuses a pair that was not, with one line naming the file."""
    from composer.bundle import load_bundle, require_keras_model
    from composer.errors import ModelBundleError

    info = json.loads((tiny_bundle / "config.json").read_text())
    assert set(info["checksums"]) == {"model.keras", "weights.npz"}
    mixed = _damaged(tiny_bundle, tmp_path, "mixed")
    shutil.copy(tiny_plain_bundle / "model.keras", mixed / "model.keras")
    with pytest.raises(ModelBundleError, match=r"mixed/model\.keras: does not match the "
                                               r"weights\.npz it was saved with"):
        require_keras_model(load_bundle(mixed))
    line = _cli(capsys, "train", "--from", str(mixed), "--corpus", str(tmp_path / "none"),
                "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path / "out"))
    assert "mixed/model.keras: does not match" in line

    other_weights = _damaged(tiny_bundle, tmp_path, "other-weights")
    _edit_weights(other_weights, lambda w: w.update(dense_bias=w["dense_bias"] + 0.01))
    load_bundle(other_weights)  # generation needs only weights.npz: it still loads
    with pytest.raises(ModelBundleError, match=r"other-weights/weights\.npz: does not match "
                                               r"the model\.keras"):
        require_keras_model(other_weights)

    older = _damaged(tiny_bundle, tmp_path, "older")  # saved before checksums: not checked
    _edit_json(older / "config.json", lambda d: d.pop("checksums"))
    shutil.copy(tiny_plain_bundle / "model.keras", older / "model.keras")
    assert require_keras_model(older) == older / "model.keras"


@needs_fifo
def test_a_fifo_as_model_keras_does_not_hang(tiny_bundle, tmp_path):
    from composer.bundle import require_keras_model
    from composer.errors import ModelBundleError

    folder = _damaged(tiny_bundle, tmp_path, "fifo")
    (folder / "model.keras").unlink()
    os.mkfifo(folder / "model.keras")
    with _unblocked_after(folder / "model.keras") as needed, pytest.raises(
            ModelBundleError, match="model.keras: is a FIFO"):
        require_keras_model(folder)
    assert not needed


def test_train_from_a_bundle_without_model_keras(tiny_bundle, tmp_path, capsys):
    base = _damaged(tiny_bundle, tmp_path, "base")
    (base / "model.keras").unlink()
    line = _cli(capsys, "train", "--from", str(base), "--midi-dir", _midi_dir(), "--run-dir",
                str(tmp_path / "run"), "--out", str(tmp_path / "m"))
    assert "model.keras: missing" in line


def _run_folder(tmp_path) -> Path:
    import json
    import zipfile

    run = tmp_path / "run"
    run.mkdir()
    (run / "state.json").write_text(json.dumps({"epoch": 2, "best_val_loss": 3.5,
                                                "best_epoch": 2}))
    (run / "run.json").write_text(json.dumps({"model": {}, "train": {}, "vocabulary": []}))
    with zipfile.ZipFile(run / "checkpoint.keras", "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(100))
    return run


RUN_DAMAGE = {
    "binary-state": (lambda r: (r / "state.json").write_bytes(b"\x00\xff"),
                     "state.json: damaged (not UTF-8"),
    "state-not-json": (lambda r: (r / "state.json").write_text("{\"epoch\": "),
                       "state.json: damaged (not valid JSON"),
    "state-wrong-type": (lambda r: (r / "state.json").write_text('{"epoch": "2"}'),
                         "state.json: damaged ('epoch' is '2')"),
    "state-unknown-field": (lambda r: (r / "state.json").write_text('{"epoch": 2, "x": 1}'),
                            "state.json: damaged (unknown field(s) x)"),
    "state-nan": (lambda r: (r / "state.json").write_text('{"minutes": NaN}'),
                  "state.json: damaged ('minutes' is nan)"),
    "run-missing": (lambda r: (r / "run.json").unlink(), "run.json"),
    "run-list": (lambda r: (r / "run.json").write_text("[]"), "run.json: damaged"),
    "checkpoint-truncated": (lambda r: (r / "checkpoint.keras").write_bytes(
        (r / "checkpoint.keras").read_bytes()[:50]), "checkpoint.keras: damaged"),
    "checkpoint-empty": (lambda r: (r / "checkpoint.keras").write_bytes(b""),
                         "checkpoint.keras: damaged"),
    "best-not-hdf5": (lambda r: (r / "best.weights.h5").write_bytes(b"junk"),
                      "best.weights.h5: damaged (not an HDF5"),
}


@pytest.mark.parametrize("damage", list(RUN_DAMAGE))
def test_a_damaged_run_folder_says_use_fresh(damage, tmp_path, capsys):
    run = _run_folder(tmp_path)
    spoil, words = RUN_DAMAGE[damage]
    spoil(run)
    line = _cli(capsys, "train", "--midi-dir", _midi_dir(), "--run-dir", str(run),
                "--out", str(tmp_path / "m"), *TINY_TRAIN)
    assert words in line and "use --fresh" in line, line


@needs_fifo
def test_a_fifo_as_state_file_does_not_hang(tmp_path, capsys):
    run = _run_folder(tmp_path)
    (run / "state.json").unlink()
    os.mkfifo(run / "state.json")
    with _unblocked_after(run / "state.json") as needed:
        line = _cli(capsys, "train", "--midi-dir", _midi_dir(), "--run-dir", str(run),
                    "--out", str(tmp_path / "m"), *TINY_TRAIN)
    assert not needed and "state.json" in line and "FIFO" in line


def test_the_log_keeps_one_row_per_saved_epoch(tmp_path):
    """A kill between the log row and the checkpoint once made the resumed run repeat it."""
    from composer.run_files import prepare_resume

    run = _run_folder(tmp_path)
    header = "epoch,loss,val_loss\n"
    rows = ["1,5.0,5.1\n", "2,4.0,4.1\n", "3,3.0,3.1\n", "2,4.5,4.6\n", "4,2"]
    (run / "log.csv").write_text(header + "".join(rows))
    assert prepare_resume(run) == 2
    assert (run / "log.csv").read_text() == header + "1,5.0,5.1\n2,4.5,4.6\n"
    assert prepare_resume(run) == 2  # nothing more to drop
    (run / "checkpoint.keras").unlink()  # no checkpoint: the run starts at epoch 0
    assert prepare_resume(run) == 0
    assert (run / "log.csv").read_text() == header


def test_a_truncated_corpus_is_one_line(tmp_path, capsys):
    from composer.corpus import load_corpus
    from composer.errors import CorpusError

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    np.savez(corpus / "tokens.npz", tokens=np.arange(1000, dtype=np.uint16))
    data = (corpus / "tokens.npz").read_bytes()
    (corpus / "tokens.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CorpusError, match="tokens.npz: damaged"):
        load_corpus(corpus)
    line = _cli(capsys, "train", "--corpus", str(corpus), "--run-dir", str(tmp_path / "run"),
                "--out", str(tmp_path / "m"), *TINY_TRAIN)
    assert "tokens.npz: damaged" in line


def test_prepare_checks_its_folders_first(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _cli(capsys, "prepare", "--no-music21", "--no-piano", "--out", str(blocker))
    assert "--out" in line and "not a folder" in line
    line = _cli(capsys, "prepare", "--out", str(tmp_path / "c"), "--cache-dir",
                str(blocker / "sub"))
    assert "--cache-dir" in line
    assert "--limit: must be at least 1" in _cli(capsys, "prepare", "--limit", "0")


def _prepare_tiny(out: Path, cache: Path, timeout: float = 120):
    """``composer prepare`` of the music21 test files alone, in a process of its own (so a
    hang fails the test instead of stopping the suite)."""
    return subprocess.run(
        [sys.executable, "-m", "composer", "prepare", "--no-music21", "--no-piano",
         "--midi-dir", _midi_dir(), "--jobs", "1", "--out", str(out), "--cache-dir",
         str(cache)], cwd=REPO, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_prepare_replaces_skipped_txt_whole_never_in_place(tmp_path):
    """skipped.txt is written to a temporary file and renamed: a file it replaces is never
    truncated (a hard link to it keeps the old text, which an in-place write would destroy)."""
    out = tmp_path / "corpus"
    out.mkdir()
    (tmp_path / "keep.txt").write_text("an older list\n")
    os.link(tmp_path / "keep.txt", out / "skipped.txt")
    result = _prepare_tiny(out, tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "keep.txt").read_text() == "an older list\n"
    assert os.stat(out / "skipped.txt").st_ino != os.stat(tmp_path / "keep.txt").st_ino
    assert "duplicate" in (out / "skipped.txt").read_text()  # the new list
    assert sorted(p.name for p in out.iterdir()) == ["pieces.csv", "skipped.txt",
                                                    "tokens.npz"]


def test_prepare_refuses_a_fifo_where_it_writes_before_work(tmp_path):
    """A FIFO named skipped.txt in --out once made prepare block forever after its work."""
    out = tmp_path / "corpus"
    out.mkdir()
    os.mkfifo(out / "skipped.txt")
    result = _prepare_tiny(out, tmp_path / "cache", timeout=60)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "skipped.txt" in line and "not a file that can be written" in line, line
    assert "\n" not in line and "converting" not in result.stderr  # refused before work
    assert (out / "skipped.txt").is_fifo() and not (out / "tokens.npz").exists()


def test_evaluate_checks_plot_before_scoring(tiny_bundle, tmp_path, capsys):
    started = time.monotonic()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _cli(capsys, "evaluate", "--model", str(tiny_bundle), "--plot",
                str(blocker / "loss.png"))
    assert "--plot" in line and "is a file, not a folder" in line
    line = _cli(capsys, "evaluate", "--model", str(tiny_bundle), "--plot",
                str(tiny_bundle / "config.json"))
    assert "that is the input file" in line
    assert time.monotonic() - started < 10


def test_evaluate_refuses_nan_weights(tiny_bundle, tmp_path, capsys):
    folder = _damaged(tiny_bundle, tmp_path)
    _edit_weights(folder, lambda w: w["embedding"].__setitem__((0, 0), np.nan))
    line = _cli(capsys, "evaluate", "--model", str(folder), "--midi-dir", _midi_dir())
    assert "NaN or infinite" in line


def test_a_vanishing_temperature_samples_the_likeliest_event():
    from composer.sampling import sample_ids

    logits = np.array([[0.5, 3.0, 2.9, -1.0]])
    rng = np.random.default_rng(0)
    for temperature in (1e-320, 5e-324, 1e-9):
        assert list(sample_ids(logits, rng, temperature=temperature)) == [1]


def test_the_app_screenshot_never_overwrites_the_file_it_opened(tmp_path, seed):
    """``composer-gui S.mid --screenshot S.mid`` once truncated S.mid to 0 bytes."""
    pytest.importorskip("PySide6")
    before = _digest(seed)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1",
           "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "gui", str(seed), "--screenshot", str(seed)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "that is the input file" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # no Qt warnings before it
    assert _digest(seed) == before


def test_a_damaged_conversion_cache_entry_is_converted_again(tmp_path):
    from composer.corpus import _cache_load

    np.savez(tmp_path / "entry.npz", notes=np.arange(10))
    data = (tmp_path / "entry.npz").read_bytes()
    for content in (b"", data[:40], b"PK\x03\x04" + bytes(60)):
        (tmp_path / "entry.npz").write_bytes(content)
        assert _cache_load(tmp_path / "entry.npz", None) is None


# ----- found by the sweep of docs/no-harm.md (benchmarks/no_harm_sweep.py) ------------------
def test_generate_to_a_device_or_folder_is_refused_and_adds_no_suffix(tmp_path, seed, capsys):
    """``-o /dev/null`` once wrote /dev/null.mid (".mid" added to a name without suffix)."""
    if os.path.exists("/dev/null"):
        for takes in ("1", "2"):
            line = _cli(capsys, "generate", str(seed), "-o", "/dev/null", "--takes", takes)
            assert line == ("composer generate: -o /dev/null: is a device, not a file that "
                            "can be written")
        assert not os.path.lexists("/dev/null.mid") and not os.path.lexists("/dev/null-1.mid")
    line = _cli(capsys, "generate", str(seed), "-o", str(tmp_path))
    assert f"-o {tmp_path}: is a folder" in line
    (tmp_path / "notes").write_text("mine")
    line = _cli(capsys, "generate", str(seed), "-o", str(tmp_path / "notes"), "--takes", "2")
    assert "notes-1: what is written there is a MIDI file" in line
    assert (tmp_path / "notes").read_text() == "mine"


@pytest.mark.parametrize("argv, words", [
    (["--size", "100000x100000"], "--size: width and height must be from 200 to 8192"),
    (["--size", "0x0"], "--size: width and height must be from 200 to 8192"),
    (["--size", "big"], "--size: must look like 1280x800"),
    (["--takes", "-5"], "--takes: must be at least 1 and at most 16"),
    (["--bars", "nan"], "--bars: must be a finite number"),
    (["--generations", "1000000000"], "--generations: must be at least 1 and at most 100"),
    (["--random-seed", "-1"], "--random-seed: must be at least 0"),
    (["--size"], "--size: expected one argument"),
])
def test_the_app_s_options_are_one_line_before_any_work(argv, words, capsys):
    """A 100000x100000 screenshot once printed 4,442 QPainter warnings; --takes -5 and --bars
    nan were clamped silently and generated anyway."""
    from gui.app import main as gui_main

    with pytest.raises(SystemExit) as exited:
        gui_main(["--screenshot", "out.png", *argv])
    assert exited.value.code == 2
    assert words in _one_error_line(capsys)


def test_the_app_refuses_a_screenshot_onto_its_file_before_starting(seed, capsys):
    from gui.app import main as gui_main

    before = _digest(seed)
    assert gui_main([str(seed), "--screenshot", str(seed)]) == 2
    assert "that is the input file" in _one_error_line(capsys)
    assert _digest(seed) == before


def test_evaluate_on_a_folder_without_midi_is_one_line(tiny_bundle, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    line = _cli(capsys, "evaluate", "--model", str(tiny_bundle), "--midi-dir",
                str(tmp_path / "empty"), "--corpus", str(tmp_path / "no-corpus"))
    assert line.endswith("empty: no readable MIDI file with notes")


def test_a_note_past_the_reader_s_limit_is_refused_when_written(tmp_path):
    """A note at beat 10^6 once made a file whose delta times overflow, that nothing reads."""
    with pytest.raises(MidiFileError, match="far.mid: cannot write this piece .*past the"):
        write_midi(tmp_path / "far.mid", Piece(notes=(Note(1e6, 1e6 + 1, 60, 80),)))
    assert not (tmp_path / "far.mid").exists()
    write_midi(tmp_path / "near.mid", Piece(notes=(Note(49_000.0, 49_001.0, 60, 80),)))
    assert read_midi(tmp_path / "near.mid").notes[0].start == 49_000.0


def test_a_loss_log_of_non_finite_or_absurd_numbers_still_draws(tmp_path):
    """NaN, inf and 1e308 losses once made matplotlib fail ("Singular matrix") after the
    whole evaluation; such cells are skipped as empty ones are."""
    import warnings

    from composer.plots import plot_loss_curve, read_log

    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,val_loss\n1,nan,inf\n2,-1e308,1e308\nx,y,z\n")
    columns = read_log(log)
    assert columns["epoch"][:2] == [1.0, 2.0]
    assert all(v != v for v in columns["loss"] + columns["val_loss"])  # every loss NaN
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning, no empty-legend warning
        out = plot_loss_curve(log, tmp_path / "loss.png")
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_evaluate_reads_the_log_to_plot_before_scoring(tiny_bundle, tmp_path, capsys):
    (tmp_path / "log.csv").write_bytes(b"\xb9\x00garbage")
    started = time.monotonic()
    line = _cli(capsys, "evaluate", "--model", str(tiny_bundle), "--log",
                str(tmp_path / "log.csv"), "--plot", str(tmp_path / "loss.png"))
    assert "log.csv: not UTF-8" in line and time.monotonic() - started < 10


def test_train_on_a_folder_without_midi_names_it(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    line = _cli(capsys, "train", "--midi-dir", str(tmp_path / "empty"), "--run-dir",
                str(tmp_path / "run"), "--out", str(tmp_path / "m"), *TINY_TRAIN)
    assert f"--midi-dir {tmp_path / 'empty'}: none of the MIDI files" in line
