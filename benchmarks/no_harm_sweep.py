"""Hostile-input sweep of issue 16: every case run as a new user would, measured.

``python benchmarks/no_harm_sweep.py [--only WORD] [--markdown OUT.md]`` runs each case as its
own process (``python -m composer ...`` or ``python -m gui ...`` from this checkout) under
``/usr/bin/time -v`` and reports, per case: exit status, the first line of stderr, wall time,
peak memory, and whether every input file (the case's workspace, ``models/default`` and
``midi_samples``) is byte-for-byte unchanged (sha256 before and after).

A case is ok when: the exit status is the expected one (2 with exactly one line on stderr, or 0),
there is no traceback, it took under 10 s, peaked under 3 GB, and no input changed. The
table in docs/no-harm.md is this script's ``--markdown`` output.

Not a test (it takes minutes and needs a loaded machine's patience); the fast regression tests
of the same cases are tests/test_no_harm.py.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SEED = REPO / "midi_samples" / "bach_chorale.mid"
PY = sys.executable
TIME = "/usr/bin/time"
LIMIT_S, LIMIT_KB = 10.0, 3 * 1024 * 1024
TINY_TRAIN = ["--layers", "1", "--units", "8", "--embedding", "8", "--sequence-length", "32",
              "--batch-size", "4", "--steps-per-epoch", "2", "--max-epochs", "1",
              "--no-evaluate"]


@dataclass
class Case:
    name: str
    argv: list[str]  # after "python -m composer"; {W} is the workspace, {T} the tiny bundle
    setup: Callable[[Path], None] | None = None
    expect: tuple[int, ...] = (2,)
    outputs: tuple[str, ...] = ()  # files the command may change (relative to {W})
    gui: bool = False
    env: dict[str, str] = field(default_factory=dict)
    note: str = ""
    limit_s: float = LIMIT_S


def _copy_seed(w: Path, name: str = "S.mid") -> None:
    shutil.copy(SEED, w / name)


def _tiny(w: Path, name: str = "B") -> Path:
    shutil.copytree(TINY, w / name)
    return w / name


def _edit_json(path: Path, edit) -> None:
    import json

    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _edit_weights(folder: Path, edit) -> None:
    import numpy as np

    with np.load(folder / "weights.npz") as data:
        weights = {k: data[k] for k in data.files}
    edit(weights)
    np.savez(folder / "weights.npz", **weights)


def _seed_and(*steps):
    def setup(w: Path) -> None:
        _copy_seed(w)
        for step in steps:
            step(w)
    return setup


def _bundle(spoil):
    def step(w: Path) -> None:
        spoil(_tiny(w))
    return step


def _smf(*tracks: bytes, fmt: int = 1, division: int = 96, count: int | None = None) -> bytes:
    from tests.midi_bytes import smf

    data = smf(*tracks, fmt=fmt, division=division)
    if count is not None:
        data = data[:10] + struct.pack(">H", count) + data[12:]
    return data


def _write(name: str, data: bytes):
    def step(w: Path) -> None:
        (w / name).write_bytes(data)
    return step


def _fifo(name: str):
    def step(w: Path) -> None:
        os.mkfifo(w / name)
    return step


def _long_note(w: Path) -> None:
    from composer.midi_io import write_midi
    from composer.notes import Note, Piece

    write_midi(w / "long.mid", Piece(notes=(Note(0.0, 8192.0, 60, 80),)))


def _run_folder(w: Path, spoil=None) -> None:
    import json
    import zipfile

    run = w / "run"
    run.mkdir()
    (run / "state.json").write_text(json.dumps({"epoch": 2, "best_val_loss": 3.5,
                                                "best_epoch": 2}))
    (run / "run.json").write_text(json.dumps({"model": {}, "train": {}, "vocabulary": []}))
    with zipfile.ZipFile(run / "checkpoint.keras", "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(100))
    if spoil:
        spoil(run)


def _midi_dir() -> str:
    from tests.conftest import music21_test_midis

    return str(music21_test_midis()[0].parent)


def _truncated_tokens(w: Path) -> None:
    import numpy as np

    (w / "corpus").mkdir()
    np.savez(w / "corpus" / "tokens.npz", tokens=np.arange(1000, dtype=np.uint16))
    data = (w / "corpus" / "tokens.npz").read_bytes()
    (w / "corpus" / "tokens.npz").write_bytes(data[: len(data) // 2])


def _readonly_dir(w: Path) -> None:
    (w / "ro").mkdir()
    os.chmod(w / "ro", 0o555)


def _unicode(w: Path) -> None:
    (w / "my songs ♪ é").mkdir()
    shutil.copy(SEED, w / "my songs ♪ é" / "Bach – chorale ♫.mid")


def _no_read(w: Path) -> None:
    _copy_seed(w, "locked.mid")
    os.chmod(w / "locked.mid", 0)


def _file_not_folder(w: Path) -> None:
    _copy_seed(w)
    (w / "file").write_text("x")


def cases() -> list[Case]:
    from tests.midi_bytes import END, ONE_NOTE, tempo, time_signature

    run_common = ["train", "--midi-dir", _midi_dir(), "--run-dir", "{W}/run", "--out", "{W}/m",
                  *TINY_TRAIN]
    bundle_gen = ["generate", "{W}/S.mid", "--model", "{W}/B", "-o", "{W}/o.mid", "--bars",
                  "1"]
    out: list[Case] = [
        # ---- inputs destroyed
        Case("tokenize --roundtrip onto the seed",
             ["tokenize", "{W}/S.mid", "--roundtrip", "{W}/S.mid"], _copy_seed),
        Case("tokenize --roundtrip onto the seed via ..",
             ["tokenize", "{W}/S.mid", "--roundtrip", "{W}/sub/../S.mid"],
             _seed_and(lambda w: (w / "sub").mkdir())),
        Case("render -o onto the seed", ["render", "{W}/S.mid", "-o", "{W}/S.mid"], _copy_seed),
        Case("render -o onto a symlink to the seed",
             ["render", "{W}/S.mid", "-o", "{W}/L.wav"],
             _seed_and(lambda w: (w / "L.wav").symlink_to(w / "S.mid"))),
        Case("generate -o onto a hard link of the seed",
             ["generate", "{W}/S.mid", "-o", "{W}/H.mid", "--bars", "1"],
             _seed_and(lambda w: os.link(w / "S.mid", w / "H.mid"))),
        Case("render -o /dev/null (a device)", ["render", "{W}/S.mid", "-o", "/dev/null"],
             _copy_seed),
        Case("generate -o /dev/null (a device)",
             ["generate", "{W}/S.mid", "-o", "/dev/null", "--bars", "1"], _copy_seed),
        Case("render -o a FIFO", ["render", "{W}/S.mid", "-o", "{W}/p.wav"],
             _seed_and(_fifo("p.wav"))),
        Case("render -o a symlink to another file (--force)",
             ["render", "{W}/S.mid", "-o", "{W}/L.wav", "--force", "--sample-rate", "8000"],
             _seed_and(_write("real.wav", b"old"),
                       lambda w: (w / "L.wav").symlink_to(w / "real.wav")),
             expect=(0,), outputs=("real.wav",),
             note="writes real.wav, keeps the link (real.wav is the output)"),
        Case("composer-gui S.mid --screenshot S.mid",
             [str(Path("{W}/S.mid")), "--screenshot", "{W}/S.mid"], _copy_seed, gui=True,
             limit_s=20, note="starting Qt and the app"),
        Case("train --name default from the checkout",
             ["train", "--midi-dir", _midi_dir(), "--run-dir", "{W}/run", "--name", "default",
              *TINY_TRAIN]),
        Case("train --name default --force from the checkout",
             ["train", "--midi-dir", _midi_dir(), "--run-dir", "{W}/run", "--name", "default",
              "--force", *TINY_TRAIN]),
        Case("train --out models/../models/default",
             ["train", "--midi-dir", _midi_dir(), "--run-dir", "{W}/run", "--out",
              "models/../models/default", *TINY_TRAIN]),
        # ---- hangs
        Case("generate a FIFO", ["generate", "{W}/in.mid", "-o", "{W}/o.mid"], _fifo("in.mid")),
        Case("tokenize a FIFO", ["tokenize", "{W}/in.mid"], _fifo("in.mid")),
        Case("render a FIFO", ["render", "{W}/in.mid", "-o", "{W}/o.wav"], _fifo("in.mid")),
        Case("play a FIFO", ["play", "{W}/in.mid"], _fifo("in.mid")),
        Case("composer-gui opens a FIFO", ["{W}/in.mid", "--screenshot", "{W}/o.png"],
             _fifo("in.mid"), gui=True, limit_s=20),
        Case("generate --temperature 1e-320",
             ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--temperature", "1e-320"],
             _copy_seed),
        Case("generate with NaN weights", bundle_gen, _seed_and(_bundle(
            lambda f: _edit_weights(f, lambda x: x["dense_bias"].__setitem__(0, float("nan")))
        ))),
        Case("generate with inf weights", bundle_gen, _seed_and(_bundle(
            lambda f: _edit_weights(f, lambda x: x["lstm_0_kernel"].__setitem__(
                (0, 0), float("inf")))))),
        Case("evaluate with NaN weights",
             ["evaluate", "--model", "{W}/B", "--midi-dir", _midi_dir()],
             _bundle(lambda f: _edit_weights(
                 f, lambda x: x["embedding"].__setitem__((0, 0), float("nan"))))),
        Case("composer-gui with NaN weights",
             ["{W}/S.mid", "--model", "{W}/B", "--generate", "--screenshot", "{W}/o.png"],
             _seed_and(_bundle(lambda f: _edit_weights(
                 f, lambda x: x["dense_bias"].__setitem__(0, float("nan"))))),
             gui=True, limit_s=20),
        Case("play --start nan", ["play", "{W}/S.mid", "--start", "nan"], _copy_seed),
        Case("play --start inf", ["play", "{W}/S.mid", "--start", "inf"], _copy_seed),
        # ---- unbounded memory
        Case("tokenize /dev/zero", ["tokenize", "/dev/zero"]),
        Case("generate /dev/zero", ["generate", "/dev/zero", "-o", "{W}/o.mid"]),
        Case("render /dev/urandom", ["render", "/dev/urandom", "-o", "{W}/o.wav"]),
        Case("play /dev/urandom", ["play", "/dev/urandom"]),
        Case("render one 8192-beat note",
             ["render", "{W}/long.mid", "-o", "{W}/long.wav", "--synth", "additive"],
             _long_note, expect=(0,), limit_s=120, note="4097 s of audio at 44.1 kHz: "
             "a 723 MB WAV; the time is the synthesis"),
        Case("max_shift_steps 10^9 in vocabulary.json", bundle_gen, _seed_and(_bundle(
            lambda f: _edit_json(f / "vocabulary.json",
                                 lambda d: d["settings"].__setitem__("max_shift_steps", 10**9))
        ))),
        # ---- tracebacks: damaged bundles
        Case("binary vocabulary.json", bundle_gen, _seed_and(_bundle(
            lambda f: (f / "vocabulary.json").write_bytes(b"\x89PNG\xff\x00\x01")))),
        Case("float pitch_low", bundle_gen, _seed_and(_bundle(
            lambda f: _edit_json(f / "vocabulary.json",
                                 lambda d: d["settings"].__setitem__("pitch_low", 21.0))))),
        Case("empty weights.npz", bundle_gen, _seed_and(_bundle(
            lambda f: (f / "weights.npz").write_bytes(b"")))),
        Case("truncated weights.npz", bundle_gen, _seed_and(_bundle(
            lambda f: (f / "weights.npz").write_bytes((f / "weights.npz").read_bytes()[:5000])
        ))),
        Case("corrupt weights.npz", bundle_gen, _seed_and(_bundle(
            lambda f: (f / "weights.npz").write_bytes(
                (f / "weights.npz").read_bytes()[:200] + bytes(4000)
                + (f / "weights.npz").read_bytes()[4200:])))),
        Case("string vocab_size \"237\"", bundle_gen, _seed_and(_bundle(
            lambda f: _edit_json(f / "config.json",
                                 lambda d: d["model"].__setitem__("vocab_size", "237"))))),
        Case("composer-gui with a truncated weights.npz",
             ["{W}/S.mid", "--model", "{W}/B", "--generate", "--screenshot", "{W}/o.png"],
             _seed_and(_bundle(lambda f: (f / "weights.npz").write_bytes(
                 (f / "weights.npz").read_bytes()[:5000]))), gui=True, limit_s=20),
        # ---- train options
        *[Case(f"train {opt} {val}", [*run_common, opt, val]) for opt, val in (
            ("--batch-size", "0"), ("--steps-per-epoch", "0"), ("--sequence-length", "0"),
            ("--dropout", "1.5"), ("--dropout", "-1"), ("--balance", "nan"),
            ("--random-seed", "-1"), ("--lr", "nan"))],
        Case("train from a truncated tokens.npz",
             ["train", "--corpus", "{W}/corpus", "--run-dir", "{W}/run", "--out", "{W}/m",
              *TINY_TRAIN], _truncated_tokens),
        Case("train --from a bundle without model.keras",
             ["train", "--from", "{W}/B", "--midi-dir", _midi_dir(), "--run-dir", "{W}/run",
              "--out", "{W}/m", *TINY_TRAIN],
             _bundle(lambda f: (f / "model.keras").unlink())),
        Case("train on a binary state.json", run_common,
             lambda w: _run_folder(w, lambda r: (r / "state.json").write_bytes(b"\x00\xff"))),
        Case("train on a run.json that is a list", run_common,
             lambda w: _run_folder(w, lambda r: (r / "run.json").write_text("[]"))),
        Case("train on a truncated checkpoint.keras", run_common,
             lambda w: _run_folder(w, lambda r: (r / "checkpoint.keras").write_bytes(
                 (r / "checkpoint.keras").read_bytes()[:50]))),
        Case("train --run-dir unwritable (/proc/self/x)",
             ["train", "--midi-dir", _midi_dir(), "--run-dir", "/proc/self/x", "--out",
              "{W}/m", *TINY_TRAIN]),
        Case("train --run-dir read-only folder",
             ["train", "--midi-dir", _midi_dir(), "--run-dir", "{W}/ro/run", "--out",
              "{W}/m", *TINY_TRAIN], _readonly_dir,
             note="root writes in a 0555 folder: clean success is right (a real training "
             "run, hence the time)" if os.geteuid() == 0 else "",
             expect=(2, 0) if os.geteuid() == 0 else (2,), limit_s=180),
        Case("train --out under a file",
             ["train", "--midi-dir", _midi_dir(), "--run-dir", "{W}/run", "--out",
              "{W}/file/m", *TINY_TRAIN], _file_not_folder),
        Case("train --out on /proc",
             ["train", "--midi-dir", _midi_dir(), "--run-dir", "{W}/run", "--out",
              "/proc/self/m", *TINY_TRAIN]),
        Case("prepare --out a file", ["prepare", "--no-music21", "--no-piano", "--out",
                                      "{W}/file"], _file_not_folder),
        Case("prepare --cache-dir under a file",
             ["prepare", "--no-music21", "--no-piano", "--midi-dir", _midi_dir(), "--out",
              "{W}/c", "--cache-dir", "{W}/file/x"], _file_not_folder),
        Case("prepare --out on /proc",
             ["prepare", "--no-music21", "--no-piano", "--out", "/proc/self/c"]),
        Case("evaluate --plot under a file",
             ["evaluate", "--model", "{W}/B", "--plot", "{W}/file/loss.png"],
             lambda w: (_tiny(w), _file_not_folder(w))),
        Case("evaluate --plot on /proc",
             ["evaluate", "--model", "{W}/B", "--plot", "/proc/self/loss.png"],
             lambda w: _tiny(w) and None),
        Case("generate -o ''", ["generate", "{W}/S.mid", "-o", ""], _copy_seed),
        Case("render -o ''", ["render", "{W}/S.mid", "-o", ""], _copy_seed),
        # ---- more hostile inputs
        Case("MIDI with 0 tracks", ["generate", "{W}/z.mid", "-o", "{W}/o.mid"],
             _write("z.mid", _smf(count=0)[:14])),
        Case("MIDI header says 5 tracks, has 1", ["tokenize", "{W}/z.mid"],
             _write("z.mid", _smf(ONE_NOTE, count=5)), expect=(0, 2)),
        Case("huge tempo (16.7 s a beat)", ["render", "{W}/t.mid", "-o", "{W}/t.wav"],
             _write("t.mid", _smf(tempo(0xFFFFFF) + ONE_NOTE)), expect=(0, 2)),
        Case("tempo 1 us a beat", ["generate", "{W}/t.mid", "-o", "{W}/o.mid", "--seconds",
                                   "5"], _write("t.mid", _smf(tempo(1) + ONE_NOTE)),
             expect=(0, 2)),
        Case("corrupt: delta of 0x0FFFFFFF ticks", ["tokenize", "{W}/d.mid"],
             _write("d.mid", _smf(b"\x8f\xff\xff\x7f\x90\x3c\x40" + END))),
        Case("SMF type 2", ["generate", "{W}/t2.mid", "-o", "{W}/o.mid"],
             _write("t2.mid", _smf(ONE_NOTE, fmt=2))),
        Case("time signature 0/1", ["generate", "{W}/ts.mid", "-o", "{W}/o.mid", "--bars",
                                    "1"],
             _write("ts.mid", _smf(time_signature(0, 0) + ONE_NOTE)), expect=(0, 2)),
        Case("time signature 3/2^40", ["generate", "{W}/ts.mid", "-o", "{W}/o.mid", "--bars",
                                       "1"],
             _write("ts.mid", _smf(time_signature(3, 40) + ONE_NOTE)), expect=(0, 2)),
        Case("a folder as the MIDI file", ["tokenize", "{W}"]),
        Case("a symlink loop as input", ["tokenize", "{W}/loop.mid"],
             lambda w: (w / "loop.mid").symlink_to(w / "loop.mid")),
        Case("a 5000-character file name", ["tokenize", "{W}/" + "x" * 5000 + ".mid"]),
        Case("no read permission (chmod 000)", ["tokenize", "{W}/locked.mid"], _no_read,
             expect=(0, 2), note="root reads a 000 file anyway: success is right as root"),
        Case("unicode and spaces in the path",
             ["generate", "{W}/my songs ♪ é/Bach – chorale ♫.mid", "-o",
              "{W}/my songs ♪ é/out ♫.mid", "--bars", "1"], _unicode, expect=(0,),
             limit_s=120, note="a real generation with the shipped model"),
        Case("output into a folder that does not exist",
             ["generate", "{W}/S.mid", "-o", "{W}/nope/o.mid", "--bars", "1"], _copy_seed),
        Case("render -o into a folder that does not exist",
             ["render", "{W}/S.mid", "-o", "{W}/nope/o.wav"], _copy_seed),
        Case("--model is a file", ["generate", "{W}/S.mid", "--model", "{W}/S.mid", "-o",
                                   "{W}/o.mid"], _copy_seed),
        Case("--model is an empty folder", ["generate", "{W}/S.mid", "--model", "{W}/e", "-o",
                                            "{W}/o.mid"],
             _seed_and(lambda w: (w / "e").mkdir())),
        Case("--model weights.npz is a FIFO", bundle_gen, _seed_and(_bundle(
            lambda f: ((f / "weights.npz").unlink(), os.mkfifo(f / "weights.npz"))))),
        Case("--takes 0", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--takes", "0"],
             _copy_seed),
        Case("--takes 10^9", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--takes",
                              "1000000000"], _copy_seed),
        Case("--bars 0", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--bars", "0"],
             _copy_seed),
        Case("--bars -3", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--bars=-3"],
             _copy_seed),
        Case("--bars 1e9", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--bars", "1e9"],
             _copy_seed),
        Case("--seconds 0", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--seconds", "0"],
             _copy_seed),
        Case("--seconds -1", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--seconds=-1"],
             _copy_seed),
        Case("--seconds 1e12", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--seconds",
                                "1e12"], _copy_seed),
        Case("--seconds 1e-9", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--seconds",
                                "1e-9"], _copy_seed, expect=(0, 2), limit_s=120,
             note="a real generation: the notes that start at once"),
        Case("--top-k 10^12", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--bars", "1",
                               "--top-k", "1000000000000"], _copy_seed, expect=(0, 2)),
        Case("--max-polyphony 0", ["generate", "{W}/S.mid", "-o", "{W}/o.mid",
                                   "--max-polyphony", "0"], _copy_seed),
        Case("--pitch-range 90-20", ["generate", "{W}/S.mid", "-o", "{W}/o.mid",
                                     "--pitch-range", "90-20"], _copy_seed),
        Case("--pitch-range 0-300", ["generate", "{W}/S.mid", "-o", "{W}/o.mid",
                                     "--pitch-range", "0-300"], _copy_seed),
        Case("--pitch-range 60-60 (one pitch)",
             ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--pitch-range", "60-60", "--bars",
              "1"], _copy_seed, expect=(0, 2), limit_s=120, note="a real generation"),
        Case("--seed-memory nan", ["generate", "{W}/S.mid", "-o", "{W}/o.mid",
                                   "--seed-memory", "nan"], _copy_seed),
        Case("--seed-memory -5", ["generate", "{W}/S.mid", "-o", "{W}/o.mid",
                                  "--seed-memory=-5"], _copy_seed),
        Case("--random-seed 2^70", ["generate", "{W}/S.mid", "-o", "{W}/o.mid",
                                    "--random-seed", str(2**70)], _copy_seed),
        Case("--style nonsense", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--style",
                                  "dubstep"], _copy_seed),
        Case("--composer ''", ["generate", "{W}/S.mid", "-o", "{W}/o.mid", "--composer", ""],
             _copy_seed, expect=(0, 2)),
        Case("render --sample-rate 10^9", ["render", "{W}/S.mid", "-o", "{W}/o.wav",
                                           "--sample-rate", "1000000000"], _copy_seed),
        Case("play --port that does not exist", ["play", "{W}/S.mid", "--port",
                                                 "no such port"], _copy_seed),
        Case("play --api nonsense", ["play", "{W}/S.mid", "--api", "nonsense", "--port", "x"],
             _copy_seed),
        Case("evaluate --midi-dir of no MIDI files",
             ["evaluate", "--model", "{W}/B", "--midi-dir", "{W}/e"],
             lambda w: (_tiny(w), (w / "e").mkdir())),
        Case("train --midi-dir of no MIDI files",
             ["train", "--midi-dir", "{W}/e", "--run-dir", "{W}/run", "--out", "{W}/m",
              *TINY_TRAIN], lambda w: (w / "e").mkdir()),
        Case("train --max-epochs 0", [*run_common, "--max-epochs", "0"]),
        Case("train --units 10^9", [*run_common, "--units", "1000000000"]),
        Case("train --layers 10^6", [*run_common, "--layers", "1000000"]),
        Case("train --inputs nonsense", [*run_common, "--inputs", "pitch,colour"]),
        Case("a 17 MB file named .mid", ["tokenize", "{W}/big.mid"],
             lambda w: (w / "big.mid").write_bytes(b"MThd" + bytes(17 * 1024 * 1024))),
        Case("a MIDI of 60,000 notes at one instant",
             ["generate", "{W}/chord.mid", "-o", "{W}/o.mid", "--bars", "1"],
             lambda w: _many_notes(w / "chord.mid"), expect=(0, 2), limit_s=120,
             note="a real generation primed on 60,000 events"),
        Case("a seed whose only note is at beat 49,999",
             ["generate", "{W}/far.mid", "-o", "{W}/o.mid", "--bars", "4"],
             lambda w: _far_note(w / "far.mid"), expect=(2,),
             note="the continuation would pass the 50,000 beats a MIDI file may hold"),
        Case("composer-gui --size 100000x100000",
             ["--screenshot", "{W}/o.png", "--size", "100000x100000"], gui=True, limit_s=20),
        Case("composer-gui --screenshot into a file's folder",
             ["{W}/S.mid", "--screenshot", "{W}/file/o.png"], _file_not_folder, gui=True,
             limit_s=20),
        Case("composer-gui --takes -5 --bars nan --generate",
             ["{W}/S.mid", "--takes", "-5", "--bars", "nan", "--generate", "--screenshot",
              "{W}/o.png"], _copy_seed, gui=True, limit_s=30),
        Case("composer-gui --generations 10^9 --generate",
             ["{W}/S.mid", "--generations", "1000000000", "--generate", "--screenshot",
              "{W}/o.png"], _copy_seed, gui=True, limit_s=30),
    ]
    return out


def _many_notes(path: Path) -> None:
    from composer.midi_io import write_midi
    from composer.notes import Note, Piece

    write_midi(path, Piece(notes=tuple(Note(0.0, 1.0, 21 + i % 88, 80) for i in range(60_000))))


def _far_note(path: Path) -> None:
    from composer.midi_io import write_midi
    from composer.notes import Note, Piece

    write_midi(path, Piece(notes=(Note(49_999.0, 49_999.5, 60, 80),)))


def _digests(roots: list[Path]) -> dict[str, str]:
    found: dict[str, str] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in filenames + dirnames:
                path = Path(dirpath) / name
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                if stat.S_ISLNK(info.st_mode):
                    found[str(path)] = "link->" + os.readlink(path)
                elif stat.S_ISREG(info.st_mode):
                    try:
                        found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                    except PermissionError:
                        found[str(path)] = "unreadable"
                elif not stat.S_ISDIR(info.st_mode):
                    found[str(path)] = f"node {stat.S_IFMT(info.st_mode):o}"
    return found


@dataclass
class Result:
    case: Case
    command: str
    code: int
    first: str
    lines: int
    seconds: float
    peak_mb: float
    changed: list[str]
    traceback: bool

    @property
    def ok(self) -> bool:
        one_line = self.code != 2 or self.lines == 1
        return (self.code in self.case.expect and one_line and not self.traceback
                and self.seconds < self.case.limit_s and self.peak_mb * 1024 < LIMIT_KB
                and not self.changed)


def run_case(case: Case) -> Result:
    work = Path(tempfile.mkdtemp(prefix="harm-"))
    try:
        if case.setup:
            case.setup(work)
        before = _digests([work, REPO / "models" / "default", REPO / "midi_samples"])
        argv = [a.replace("{W}", str(work)) for a in case.argv]
        base = [PY, "-m", "gui"] if case.gui else [PY, "-m", "composer"]
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "3",
               "HOME": str(work / ".home"), "XDG_CONFIG_HOME": str(work / ".home/config"),
               "XDG_DATA_HOME": str(work / ".home/data"), "PYTHONPATH": str(REPO),
               **case.env}
        timing = work / ".time"
        started = time.monotonic()
        process = subprocess.Popen([TIME, "-v", "-o", str(timing), *base, *argv], cwd=REPO,
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            _, err = process.communicate(timeout=max(60, case.limit_s * 3))
            code = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the process group of this case only
            _, err = process.communicate()
            code, err = -9, err + "\n(timed out)"
        seconds = time.monotonic() - started
        peak = 0.0
        if timing.exists():
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing.read_text())
            peak = int(match.group(1)) / 1024 if match else 0.0
        after = _digests([work, REPO / "models" / "default", REPO / "midi_samples"])
        allowed = {str(work / name) for name in case.outputs}
        changed = [name.replace(str(work), "{W}") for name, digest in before.items()
                   if after.get(name) != digest and name not in allowed]
        lines = [line for line in err.splitlines() if line.strip()]
        shown = " ".join(a if " " not in a else repr(a) for a in case.argv)
        command = (f"composer{'-gui' if case.gui else ''} {shown}".replace(str(REPO), ".")
                   .replace(_midi_dir(), "$M21"))  # music21's test MIDI files
        if len(command) > 140:
            command = command[:137] + "..."
        first = (lines[0] if lines else "").replace(str(work), "{W}")
        return Result(case, command, code, first, len(lines), seconds, peak, changed,
                      "Traceback" in err)
    finally:
        for dirpath, dirnames, _ in os.walk(work):
            for name in dirnames:
                try:
                    os.chmod(Path(dirpath) / name, 0o755)
                except OSError:
                    pass
        shutil.rmtree(work, ignore_errors=True)


def markdown(results: list[Result]) -> str:
    rows = ["| # | case | command | exit | first line of stderr | time | peak | ok? |",
            "|---|---|---|---|---|---|---|---|"]
    for number, r in enumerate(results, 1):
        first = r.first.replace("|", "\\|")
        if len(first) > 160:
            first = first[:157] + "..."
        verdict = "ok" if r.ok else "**FAIL**"
        why = []
        if r.code == 2 and r.lines != 1:
            why.append(f"{r.lines} lines")
        if r.traceback:
            why.append("traceback")
        if r.changed:
            why.append("changed " + ", ".join(r.changed))
        if why:
            verdict += " (" + "; ".join(why) + ")"
        if r.case.note:
            verdict += f"; {r.case.note}"
        rows.append(f"| {number} | {r.case.name} | `{r.command.replace('|', '/')}` | {r.code} "
                    f"| {first} | {r.seconds:.1f} s | {r.peak_mb:.0f} MB | {verdict} |")
    return "\n".join(rows) + "\n"


def _make_tiny() -> Path:
    folder = Path(tempfile.gettempdir()) / "composer-harm-tiny"
    if (folder / "weights.npz").exists():
        return folder
    from composer.midi_io import read_midi
    from tests.conftest import _train_tiny, music21_test_midis

    pieces = [p for p in (read_midi(path) for path in music21_test_midis()) if p.notes]
    shutil.rmtree(folder, ignore_errors=True)
    return _train_tiny(folder, pieces, conditioned=True)


TINY = Path()


def main() -> int:
    global TINY
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="run the cases whose name holds this word")
    parser.add_argument("--markdown", help="write the table here")
    args = parser.parse_args()
    TINY = _make_tiny()
    results = []
    for case in cases():
        if args.only and args.only.lower() not in case.name.lower():
            continue
        result = run_case(case)
        results.append(result)
        if args.markdown:  # as it goes: a sweep cut short still leaves its table
            Path(args.markdown).write_text(markdown(results))
        print(f"{'ok  ' if result.ok else 'FAIL'} {result.code:>3} {result.seconds:5.1f}s "
              f"{result.peak_mb:6.0f}MB {case.name}: {result.first[:150]}"
              + (f" [{result.lines} lines]" if result.lines != 1 else "")
              + (f" CHANGED {result.changed}" if result.changed else ""), flush=True)
    if args.markdown:
        Path(args.markdown).write_text(markdown(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
