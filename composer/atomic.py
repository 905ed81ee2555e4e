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
"""

from __future__ import annotations

import os
import stat
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
