"""Reading input files so that no file can hang composer or fill its memory.

The one place every reader goes through (MIDI files, a bundle's JSON and ``weights.npz``, the
corpus ``tokens.npz``, a training run's state files). Why not ``Path.read_bytes``: a FIFO
blocks the open until someone writes to it (forever, from the app's UI thread), and
``/dev/zero`` or ``/dev/urandom`` report size 0, so a check of ``stat().st_size`` lets them
through and the read grows until the machine runs out of memory. Here:

- the file is opened non-blocking (a FIFO opens at once), then ``fstat`` of the open handle
  decides: only a regular file is read; a FIFO, device, socket or folder is refused by name;
- at most ``limit + 1`` bytes are ever read, so a file that lies about its size (``/proc``
  files say 0, a file growing while read) is still caught by the limit;
- ``.npz`` archives are checked before they are unpacked: the sizes their members declare must
  fit the limit too (a zip member is never unpacked past its declared size), so a small
  compressed file cannot expand into gigabytes;
- every failure, including damaged zip, JSON or UTF-8, is the caller's ``ComposerError``
  subclass with the file name and a plain reason. Only a missing file is left as
  ``FileNotFoundError``, so each caller can say what should have been there.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from composer.errors import ComposerError

if TYPE_CHECKING:
    import numpy as np

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_BINARY", 0))
JSON_LIMIT = 16 * 1024 * 1024  # a bundle's or a run's JSON files are a few kilobytes


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words for a message."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(count: int) -> str:
    return f"{count >> 20} MB" if count >= 1 << 20 else f"{count} bytes"


def open_regular(path: str | os.PathLike, *, limit: int,
                 error: type[ComposerError] = ComposerError) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file of at most ``limit`` bytes.

    Never blocks on a FIFO; a symlink is followed (to a regular file it is fine).
    """
    path = Path(path)
    try:
        fd = os.open(path, _OPEN_FLAGS | _NONBLOCK)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: is {file_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise error(f"{path}: too large ({_size(info.st_size)}, the limit is "
                        f"{_size(limit)})")
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike, *, limit: int,
               error: type[ComposerError] = ComposerError) -> bytes:
    """The bytes of a regular file, refused when there are more than ``limit``."""
    with open_regular(path, limit=limit, error=error) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise error(f"{path}: too large (over {_size(limit)})")
    return data


def read_text(path: str | os.PathLike, *, limit: int = JSON_LIMIT,
              error: type[ComposerError] = ComposerError) -> str:
    """A UTF-8 text file (:func:`read_bytes`); other bytes are an error naming the file."""
    data = read_bytes(path, limit=limit, error=error)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x})"
                    ) from None


def read_json(path: str | os.PathLike, *, limit: int = JSON_LIMIT,
              error: type[ComposerError] = ComposerError, expect: type = dict):
    """A JSON file whose top level is of type ``expect`` (an object by default)."""
    text = read_text(path, limit=limit, error=error)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise error(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise error(f"{path}: not valid JSON (nested too deeply)") from None
    if not isinstance(data, expect):
        raise error(f"{path}: expected a JSON {_json_name(expect)}, found "
                    f"{_json_name(type(data))}")
    return data


def _json_name(kind: type) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number",
            bool: "true/false", type(None): "null"}.get(kind, kind.__name__)


class NpzArrays(Mapping):
    """The arrays of an ``.npz`` file, all read; ``files`` and ``with`` as ``np.load`` gives."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self._arrays = arrays

    @property
    def files(self) -> list[str]:
        return list(self._arrays)

    def __getitem__(self, key: str) -> np.ndarray:
        return self._arrays[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __enter__(self) -> NpzArrays:
        return self

    def __exit__(self, *exc) -> None:
        return None


def read_npz(path: str | os.PathLike, *, limit: int,
             error: type[ComposerError] = ComposerError) -> NpzArrays:
    """Every array of an ``.npz`` file, without pickles; file and unpacked size within ``limit``.

    Truncated, empty or corrupt archives (``BadZipFile``, ``EOFError``, ``zlib.error``...) are
    all ``error`` naming the file.
    """
    import numpy as np

    with open_regular(path, limit=limit, error=error) as handle:
        try:
            with zipfile.ZipFile(handle) as archive:
                declared = sum(item.file_size for item in archive.infolist())
                if declared > limit:
                    raise error(f"{path}: unpacks to {_size(declared)}, over the limit of "
                                f"{_size(limit)}")
            handle.seek(0)
            with np.load(handle, allow_pickle=False) as npz:
                if not hasattr(npz, "files"):
                    raise error(f"{path}: a single array, not an .npz archive")
                return NpzArrays({name: npz[name] for name in npz.files})
        except ComposerError:
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary of parsing untrusted bytes
            # zipfile.BadZipFile, zlib.error, EOFError, ValueError, and from a damaged array
            # header even SyntaxError and tokenize.TokenError: all mean a damaged file.
            raise error(f"{path}: damaged or not an .npz archive ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    import tokenize

    if isinstance(exc, (SyntaxError, tokenize.TokenError)):  # NumPy parses array headers
        return "an array header is damaged"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:160]
