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
