"""Write-then-rename, so no crash, full disk or exception ever leaves a half-written file.

The one place that knows the recipe: a temporary file in the target's folder (a rename is only
atomic within one file system), flushed and fsynced, given the mode of the file it replaces
(``mkstemp`` makes it private), then renamed over the target. On any failure the temporary file
is removed and the target is untouched; ``OSError`` becomes the caller's ``ComposerError``
subclass with the path and a plain reason.

Two kinds of target are never replaced by a rename: a symlink is followed, and the file it
points at is replaced the same way (the link stays, and still points at the new file); and a
target that exists but is not a regular file (a device node, a FIFO, a folder) is refused,
since renaming over it would destroy the node rather than write into it.

Folders (a model bundle) are replaced as a whole by :func:`replace_folder`: the complete new
folder is swapped with the old one in one step where the system can (Linux ``renameat2`` with
``RENAME_EXCHANGE``), so the target is never missing. Elsewhere it takes two renames (target
aside as a backup, the new folder in), and a crash between them leaves only the backup:
:func:`recover_folder`, called by whoever reads the folder (``composer.bundle.load_bundle``),
puts it back.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from composer.errors import ComposerError


@contextmanager
def atomic_file(path: str | os.PathLike, *, error: type[ComposerError] = ComposerError
                ) -> Iterator[BinaryIO]:
    """Yield a binary handle; what is written replaces ``path`` only if the block succeeds."""
    shown = Path(path)
    if str(path) == "":
        raise error("cannot write: the file name is empty")
    path = Path(os.path.realpath(shown)) if shown.is_symlink() else shown
    folder = path.parent if str(path.parent) else Path(".")
    try:
        info = path.stat()
    except OSError:
        mode = 0o644
    else:
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise error(f"{shown}: is {kind}, so it is not replaced")
        mode = info.st_mode & 0o777
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise error(f"{shown}: cannot write here ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise error(f"{shown}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str, *,
                      error: type[ComposerError] = ComposerError) -> None:
    with atomic_file(path, error=error) as handle:
        handle.write(text.encode())


def write_json_atomic(path: str | os.PathLike, data, *,
                      error: type[ComposerError] = ComposerError) -> None:
    import json

    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True), error=error)


# ----- folders ------------------------------------------------------------------------------
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV}


def _renameat2():
    """libc's ``renameat2``, or None where there is none (not Linux, old libc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` (both exist) in one atomic step; False where the system
    or the file system cannot, and nothing was changed."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(b))


def _backups(target: Path) -> list[Path]:
    """The folders :func:`replace_folder` moved ``target`` aside to, newest first."""
    parent = target.parent if str(target.parent) else Path(".")
    prefix = f".{target.name}.old-"
    try:
        found = [(p.lstat().st_ctime, p) for p in parent.iterdir()
                 if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink()]
    except OSError:  # no parent folder (nothing to recover), or one that cannot be listed
        return []
    return [p for _, p in sorted(found, reverse=True)]


def replace_folder(new: str | os.PathLike, target: str | os.PathLike) -> None:
    """Move the complete folder ``new`` to ``target``, replacing what is there as a whole.

    ``target`` is never missing where :func:`exchange` works: the two folders trade names and
    the old one, now under ``new``'s name, is removed. Otherwise the old folder is renamed
    aside to ``.<name>.old-<pid>`` first; if the process dies before the second rename,
    :func:`recover_folder` restores it. Backups left by an earlier crash are removed once the
    new folder is in place.
    """
    new, target = Path(new), Path(target)
    if target.is_dir() and not target.is_symlink() and exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # the old folder, under the staging name
    else:
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(new, target)  # a crash just before this leaves only the backup
    for backup in _backups(target):
        shutil.rmtree(backup, ignore_errors=True)


@contextmanager
def staged_folder(target: str | os.PathLike) -> Iterator[Path]:
    """A fresh empty folder beside ``target`` to write a whole bundle into; when the block
    ends without an error it replaces ``target`` (:func:`replace_folder`), otherwise it is
    removed. One way for every bundle writer, so none can leave a half-written folder."""
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{target.name}.new-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        yield staging
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def recover_folder(target: str | os.PathLike) -> Path | None:
    """Put back the folder a crash inside :func:`replace_folder` left only as its backup.

    Only when ``target`` is missing: then the newest backup (the last complete folder) is
    renamed to ``target`` and returned. Otherwise (and when there is no backup) nothing is
    changed and the result is None.
    """
    target = Path(target)
    if target.exists() or target.is_symlink():
        return None
    for backup in _backups(target):
        try:
            os.rename(backup, target)
        except OSError:
            if target.exists():  # another process restored it first
                return None
            continue
        return backup
    return None
