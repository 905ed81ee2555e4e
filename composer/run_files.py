"""Checks of a training run folder before it is resumed, and the repair of its log.

``composer train`` resumes from ``<run>/state.json``, ``run.json`` and ``checkpoint.keras``
(composer/train.py). Damaged copies of those once ended in a KeyError, a TypeError or a Keras
traceback, sometimes only after the corpus was loaded; here each is checked first, read as a
regular file within a limit (composer.inputs), and any damage is one message naming the file
and saying "use --fresh".

The checkpoint and its state are one file: ``checkpoint.keras`` carries the run state of the
epoch it holds as an extra member (:data:`STATE_MEMBER`, added by :func:`embed_state` before
the checkpoint is renamed into place), and ``state.json`` is a readable copy written just
after. Two files renamed one after the other can always be split by a kill (a checkpoint one
epoch ahead of ``state.json`` trained that epoch twice on resume); one file cannot.
:func:`resume_state` reads the state saved with the checkpoint and repairs ``state.json``
from it when the two disagree. Checkpoints written before this have no such member: for them
``state.json`` is all there is, as before.

The log: a row is appended to ``log.csv`` just before the checkpoint of that epoch is written,
so a kill between the two leaves a row for an epoch that the resumed run trains again, and the
log repeated it. :func:`trim_log` drops the rows past the last saved epoch before a resume.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import zipfile
from dataclasses import fields
from pathlib import Path

from composer.atomic import write_json_atomic, write_text_atomic
from composer.errors import RunFolderError
from composer.inputs import open_regular, read_json, read_text

CHECKPOINT_LIMIT = 8 << 30
LOG_LIMIT = 64 * 1024 * 1024
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
STATE_MEMBER = "composer_state.json"  # inside checkpoint.keras: the state of that epoch
STATE_LIMIT = 1 << 20


def _damaged(path: Path, reason: str) -> RunFolderError:
    return RunFolderError(f"{path}: damaged ({reason}); use --fresh to start the run again, "
                          "or another --run-dir")


def _json(path: Path):
    try:
        return read_json(path, error=RunFolderError)
    except FileNotFoundError:
        raise _damaged(path, "missing") from None
    except RunFolderError as exc:
        reason = str(exc).split(": ", 1)[-1]
        raise _damaged(path, reason) from None


def check_state(path: Path) -> dict:
    """``state.json``: the fields of ``composer.train.RunState`` with the right types."""
    return _check_state_data(_json(path), path)


def _check_state_data(data, path: Path) -> dict:
    from composer.train import RunState

    if not isinstance(data, dict):
        raise _damaged(path, "not a run state")
    known = {f.name: f.type for f in fields(RunState)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise _damaged(path, f"unknown field(s) {', '.join(unknown)}")
    for name, value in data.items():
        kind = known[name]
        if kind in ("int", int):
            ok = isinstance(value, int) and not isinstance(value, bool) and (
                value >= 0 or name == "best_epoch")
        elif kind in ("float", float):
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
                  and not math.isnan(value)
                  and (math.isfinite(value) or name == "best_val_loss"))
        elif kind in ("bool", bool):
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise _damaged(path, f"'{name}' is {value!r}")
    return data


def check_run_signature(path: Path) -> dict:
    """``run.json``: the model and vocabulary a resume is compared with."""
    data = _json(path)
    if not isinstance(data.get("model"), dict) or not isinstance(data.get("vocabulary"), list):
        raise _damaged(path, "no 'model' and 'vocabulary'")
    return data


def check_keras_file(path: Path) -> None:
    """A ``.keras`` file is a zip archive with ``config.json`` and the weights; every member's
    checksum is verified (a checkpoint cut short by a kill fails here, not inside Keras)."""
    try:
        with open_regular(path, limit=CHECKPOINT_LIMIT, error=RunFolderError) as handle, \
                zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            if "config.json" not in names or not any(n.endswith(".h5") for n in names):
                raise _damaged(path, "not a Keras model file")
            bad = archive.testzip()
    except RunFolderError as exc:
        if "damaged" in str(exc):
            raise
        raise _damaged(path, str(exc).split(": ", 1)[-1]) from None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise _damaged(path, f"not a Keras model file: {exc}") from None
    if bad is not None:
        raise _damaged(path, f"'{bad}' inside fails its checksum")


def check_weights_file(path: Path) -> None:
    """``best.weights.h5`` (what the bundle is exported from) starts as an HDF5 file does."""
    try:
        with open_regular(path, limit=CHECKPOINT_LIMIT, error=RunFolderError) as handle:
            head = handle.read(len(HDF5_SIGNATURE))
    except RunFolderError as exc:
        raise _damaged(path, str(exc).split(": ", 1)[-1]) from None
    if head != HDF5_SIGNATURE:
        raise _damaged(path, "not an HDF5 weights file")


def embed_state(checkpoint: str | os.PathLike, state: dict) -> None:
    """Add ``state`` to a freshly saved (not yet renamed into place) checkpoint, and flush it
    to the disk, so the rename that follows publishes the model and its state together."""
    with zipfile.ZipFile(checkpoint, "a") as archive:
        archive.writestr(STATE_MEMBER, json.dumps(state, sort_keys=True))
    with open(checkpoint, "rb+") as handle:
        os.fsync(handle.fileno())


def checkpoint_state(path: str | os.PathLike) -> dict | None:
    """The run state saved inside a checkpoint (None for one written before states were)."""
    path = Path(path)
    try:
        with open_regular(path, limit=CHECKPOINT_LIMIT, error=RunFolderError) as handle, \
                zipfile.ZipFile(handle) as archive:
            if STATE_MEMBER not in archive.namelist():
                return None
            if archive.getinfo(STATE_MEMBER).file_size > STATE_LIMIT:
                raise _damaged(path, f"its '{STATE_MEMBER}' is too large")
            text = archive.read(STATE_MEMBER).decode()
        data = json.loads(text)
    except RunFolderError as exc:
        if "damaged" in str(exc):
            raise
        raise _damaged(path, str(exc).split(": ", 1)[-1]) from None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, RecursionError) as exc:
        raise _damaged(path, f"its saved state cannot be read: {exc}") from None
    return _check_state_data(data, path)


def resume_state(run_dir: str | os.PathLike, *, repair: bool = True) -> dict | None:
    """The state a resume starts from, or None when there is nothing to resume (no
    checkpoint, or an old checkpoint without state.json).

    The state saved inside the checkpoint is the one that matches its weights. ``state.json``
    is used when it is of the same epoch (it may say more: a run that finished and why);
    otherwise a kill came between the two writes, and the checkpoint's copy is used and,
    with ``repair``, written to ``state.json``; best weights still waiting are settled
    (:func:`settle_best`).
    """
    run_dir = Path(run_dir)
    state, checkpoint = run_dir / "state.json", run_dir / "checkpoint.keras"
    if not checkpoint.exists():
        return None
    saved = checkpoint_state(checkpoint)
    copy = check_state(state) if state.exists() else None
    if saved is None or (copy is not None and copy.get("epoch", 0) == saved.get("epoch", 0)):
        result = copy
    else:
        result = saved
        if repair:
            write_json_atomic(state, saved, error=RunFolderError)
    if repair and result is not None:
        settle_best(run_dir, result.get("best_epoch"))
    return result


def pending_best(run_dir: str | os.PathLike, epoch: int) -> Path:
    """Where the weights of a new best ``epoch`` wait until the checkpoint's state names it."""
    return Path(run_dir) / f".best-{epoch}.tmp.weights.h5"


def settle_best(run_dir: str | os.PathLike, best_epoch: int | None) -> None:
    """Make ``best.weights.h5`` the weights of ``best_epoch`` if they are still waiting, and
    remove any others that wait (of an epoch a kill cut short, or all with None).

    The weights of epoch N are written (completely) before the checkpoint whose state says
    N is the best, so a waiting file of that epoch is whole, and one of another epoch belongs
    to no saved state.
    """
    run_dir = Path(run_dir)
    for path in run_dir.glob(".best-*.tmp.weights.h5"):
        if best_epoch is not None and path.name == pending_best(run_dir, best_epoch).name:
            os.replace(path, run_dir / "best.weights.h5")
        else:
            path.unlink(missing_ok=True)


def saved_epoch(run_dir: str | os.PathLike) -> int:
    """The epoch a resume starts from: that of the state saved with the checkpoint, else 0
    (composer.train starts afresh without one)."""
    data = resume_state(run_dir, repair=False)
    return int(data.get("epoch", 0)) if data is not None else 0


def check_run_folder(run_dir: str | os.PathLike) -> int:
    """Check every file a resume reads; return the epoch it will start from."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunFolderError(f"{run_dir}: is a file, not a run folder; choose another "
                             "--run-dir")
    state, checkpoint = run_dir / "state.json", run_dir / "checkpoint.keras"
    if state.exists():
        check_state(state)
    if checkpoint.exists():
        check_keras_file(checkpoint)
        if resume_state(run_dir, repair=False) is not None:
            check_run_signature(run_dir / "run.json")
    if (run_dir / "best.weights.h5").exists():
        check_weights_file(run_dir / "best.weights.h5")
    return saved_epoch(run_dir)


def trim_log(run_dir: str | os.PathLike, epoch: int) -> int:
    """Drop the rows of ``log.csv`` after ``epoch`` (the last one saved); return how many.

    An epoch logged twice keeps its later row; a half-written row is dropped. The file is
    rewritten atomically, and only when there is something to drop.
    """
    path = Path(run_dir) / "log.csv"
    if not path.exists():
        return 0
    try:
        text = read_text(path, limit=LOG_LIMIT, error=RunFolderError)
    except RunFolderError as exc:
        raise _damaged(path, str(exc).split(": ", 1)[-1]) from None
    lines = text.splitlines(keepends=True)
    if not lines:
        return 0
    try:
        header = next(csv.reader([lines[0]]))
    except csv.Error as exc:
        raise _damaged(path, str(exc)) from None
    if "epoch" not in header:
        raise _damaged(path, "no 'epoch' column")
    column = header.index("epoch")
    last: dict[int, str] = {}  # an epoch logged twice: the later row is the one resumed from
    for line in lines[1:]:
        try:
            row = next(csv.reader(io.StringIO(line)), [])
            value = int(float(row[column]))
        except (csv.Error, IndexError, ValueError):
            continue  # half a row written when the process was killed
        if value <= epoch:
            last[value] = line if line.endswith("\n") else line + "\n"
    keep = [lines[0], *(last[value] for value in sorted(last))]
    dropped = len(lines) - len(keep)
    if dropped:
        write_text_atomic(path, "".join(keep), error=RunFolderError)
    return dropped


def prepare_resume(run_dir: str | os.PathLike) -> int:
    """Before ``Trainer.run(fresh=False)``: check the folder, make ``state.json`` that of the
    checkpoint and trim the log to the epoch the run resumes from; return that epoch."""
    epoch = check_run_folder(run_dir)
    resume_state(run_dir)
    trim_log(run_dir, epoch)
    return epoch
