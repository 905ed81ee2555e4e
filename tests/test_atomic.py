"""Write-then-rename (composer/atomic.py) on real files: the target is replaced only by a
complete file, keeps its mode, and is untouched when writing fails."""

from __future__ import annotations

import json
import os
import stat

import pytest

from composer.atomic import atomic_file, write_json_atomic, write_text_atomic
from composer.errors import ComposerError, MidiFileError


def test_replaces_the_target_keeping_its_mode(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left


def test_a_new_file_is_not_private(tmp_path):
    target = tmp_path / "new.json"
    write_json_atomic(target, {"b": 1, "a": [1, 2]})
    assert json.loads(target.read_text()) == {"a": [1, 2], "b": 1}
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_an_exception_leaves_the_target_untouched(tmp_path):
    target = tmp_path / "keep.bin"
    target.write_bytes(b"complete")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"half")
        raise RuntimeError("disk on fire")
    assert target.read_bytes() == b"complete"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.bin"]


def test_an_unwritable_folder_is_the_callers_error(tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "x.mid"
    with pytest.raises(MidiFileError, match="cannot write here"):
        write_text_atomic(missing, "x", error=MidiFileError)
    with pytest.raises(ComposerError):
        write_text_atomic(missing, "x")


def test_a_target_that_is_a_folder_fails_cleanly(tmp_path):
    folder = tmp_path / "adir"
    folder.mkdir()
    with pytest.raises(ComposerError, match="is a folder, so it is not replaced"):
        write_text_atomic(folder, "x")
    assert folder.is_dir() and [p.name for p in tmp_path.iterdir()] == ["adir"]


# ----- folders: replaced as a whole, and put back after a crash between two renames --------
KILLED_SAVE = """
import os, signal, sys
from pathlib import Path
from composer import atomic

mode, new, target = sys.argv[1:]
if mode == "between-renames":  # the portable way, killed just before the new folder moves in
    atomic.exchange = lambda a, b: False
    real_replace, calls = os.replace, []

    def replace(a, b):
        calls.append(a)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(a, b)

    os.replace = replace
else:  # "after-exchange": killed after the swap, before the old folder is removed
    atomic.shutil.rmtree = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
atomic.replace_folder(Path(new), Path(target))
print("not killed")
"""


def _folder(path, text: str):
    path.mkdir(parents=True)
    (path / "a.txt").write_text(text)
    (path / "b.txt").write_text(text * 2)
    return path


def _killed_replace(mode: str, new, target) -> None:
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", KILLED_SAVE, mode, str(new), str(target)],
                            cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == -signal.SIGKILL, result.stderr


def _names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("swap", [True, False], ids=["exchange", "two-renames"])
def test_replace_folder_puts_the_new_folder_in_whole(tmp_path, monkeypatch, swap):
    from composer import atomic

    if not swap:
        monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    target = _folder(tmp_path / "bundle", "old")
    new = _folder(tmp_path / ".bundle.new-1", "new")
    atomic.replace_folder(new, target)
    assert (target / "a.txt").read_text() == "new" and (target / "b.txt").read_text() == "newnew"
    assert _names(tmp_path) == ["bundle"]  # no staging folder, no backup left
    atomic.replace_folder(_folder(tmp_path / "staging", "first"), tmp_path / "fresh")
    assert (tmp_path / "fresh" / "a.txt").read_text() == "first"


def test_the_exchange_is_one_step_here(tmp_path):
    """On this machine (Linux) the swap needs no second rename, so there is no gap."""
    from composer.atomic import exchange

    a, b = _folder(tmp_path / "a", "A"), _folder(tmp_path / "b", "B")
    assert exchange(a, b)
    assert (a / "a.txt").read_text() == "B" and (b / "a.txt").read_text() == "A"


def test_a_kill_between_the_two_renames_is_recovered_on_load(tiny_bundle, tmp_path):
    """The old bundle is all that is left after the kill; loading puts it back in place."""
    import shutil

    from composer.bundle import load_bundle

    target = tmp_path / "models" / "mine"
    shutil.copytree(tiny_bundle, target)
    new = tmp_path / "models" / ".mine.new-1"
    shutil.copytree(tiny_bundle, new)
    config = json.loads((new / "config.json").read_text())
    (new / "config.json").write_text(json.dumps({**config, "name": "the new one"}))
    _killed_replace("between-renames", new, target)
    assert not target.exists()  # the gap: only the backup and the staging folder remain
    assert [n.startswith(".mine.old-") for n in _names(target.parent)] == [False, True]
    bundle = load_bundle(target)
    assert bundle.name == "tiny-test-model" and target.is_dir()
    assert _names(target) == _names(tiny_bundle)
    assert not any(n.startswith(".mine.old-") for n in _names(target.parent))


def test_a_kill_after_the_exchange_leaves_the_new_folder(tmp_path):
    target = _folder(tmp_path / "bundle", "old")
    new = _folder(tmp_path / ".bundle.new-1", "new")
    _killed_replace("after-exchange", new, target)
    assert (target / "a.txt").read_text() == "new"  # in place at once, never missing


def test_recover_folder_restores_the_newest_backup_only_when_missing(tmp_path):
    import time

    from composer.atomic import recover_folder, replace_folder

    older = _folder(tmp_path / ".bundle.old-11", "older")
    time.sleep(0.05)
    newer = _folder(tmp_path / ".bundle.old-12", "newer")
    assert recover_folder(tmp_path / "bundle") == newer
    assert (tmp_path / "bundle" / "a.txt").read_text() == "newer"
    assert recover_folder(tmp_path / "bundle") is None  # there already: nothing changes
    assert older.is_dir()
    replace_folder(_folder(tmp_path / "staging", "next"), tmp_path / "bundle")
    assert _names(tmp_path) == ["bundle"]  # stale backups go once a new folder is in
    assert recover_folder(tmp_path / "no" / "such" / "folder") is None
