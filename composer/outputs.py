"""Where a command may write: never onto one of its inputs, never onto a device or a FIFO.

Checked by every command before any work, so a mistake costs nothing: ``composer render S.mid
-o S.mid`` once turned the seed into a WAV file, ``tokenize S.mid --roundtrip S.mid`` replaced
it with its quantized round trip. Sameness is by identity (``os.path.samefile``: device and
inode), so it holds through symlinks, hard links, ``..`` and different spellings of a path; a
name comparison would miss all of those.

Two more refusals, asked for by the callers that know what they write (issue 14): a file name
whose suffix says another format (``-o out.txt`` used to receive MIDI bytes), and an existing
file unless the user passed ``--force`` (outputs used to be replaced silently).

The write itself goes through :mod:`composer.atomic` (temporary file, then rename), which also
refuses non-regular targets and writes through a symlink to the file it points at; the checks
here are the early, friendly half: they name the option and run before minutes of work.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from composer.errors import ComposerError, SettingsError
from composer.inputs import file_kind

PathLike = str | os.PathLike


@dataclass(frozen=True)
class FileType:
    """What a command writes: a name for messages and the suffixes that say so."""

    name: str  # "a MIDI file"
    suffixes: tuple[str, ...]  # lower case, with the dot; the first is the one to suggest

    def accepts(self, path: PathLike) -> bool:
        return Path(path).suffix.lower() in self.suffixes

    def named(self, path: PathLike) -> Path:
        """``path``, with this type's first suffix added when the name has none and names
        nothing yet: ``-o take`` writes ``take.mid`` (or ``take.wav``), the same rule in every
        command; an existing name (a folder, a FIFO, a file) is left as it is, to be refused
        as itself, and a name with another suffix is refused by :func:`check_output_file`
        rather than guessed at."""
        path = Path(path)
        if path.suffix or not path.name or os.path.lexists(path):
            return path
        return path.with_name(path.name + self.suffixes[0])


MIDI = FileType("a MIDI file", (".mid", ".midi"))
WAV = FileType("a WAV file", (".wav",))
IMAGE = FileType("an image", (".png", ".svg", ".pdf", ".jpg", ".jpeg"))


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether ``a`` and ``b`` are the same existing file or folder (by device and inode)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    return None if stat.S_ISREG(mode) else file_kind(mode)


def contains(folder: PathLike, path: PathLike) -> bool:
    """Whether the existing ``path`` is ``folder`` or lies anywhere inside it (by identity)."""
    if not os.path.exists(path):
        return False
    real = Path(os.path.realpath(path))
    return any(same_file(part, folder) for part in (real, *real.parents))


def non_regular(path: PathLike) -> str | None:
    """What ``path`` (followed through symlinks) is if it exists and is not a regular file."""
    try:
        return _kind(os.stat(path).st_mode)
    except OSError:
        return None


def _probe_folder(folder: Path, option: str, error: type[ComposerError]) -> None:
    """Create and remove a file in ``folder``: the one test of writability that also holds
    for root, read-only file systems and network mounts (``os.access`` does not)."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".composer-probe-")
    except OSError as exc:
        raise error(f"{option} {folder}: cannot write in this folder "
                    f"({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(name)


def _existing_ancestor(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output_file(path: PathLike | None, *, option: str, inputs: Iterable[PathLike] = (),
                      error: type[ComposerError] = SettingsError,
                      make_folders: bool = False, file_type: FileType | None = None,
                      replace: bool = True, add_suffix: bool = True) -> Path:
    """Refuse an output file that is empty, one of ``inputs``, not a regular file, named for
    another format than ``file_type``, already there when ``replace`` is false (the
    command's ``--force`` not given), or in a folder that cannot be written (with
    ``make_folders``: created); return it as a Path (a new name without a suffix gets
    ``file_type``'s, :meth:`FileType.named`, unless the caller named the file already:
    ``add_suffix=False``)."""
    if path is None or str(path).strip() == "":
        raise error(f"{option}: the file name is empty")
    out = Path(path)
    kind = non_regular(out)
    if kind is not None:
        raise error(f"{option} {out}: is {kind}, not a file that can be written")
    if add_suffix and file_type is not None:
        out = file_type.named(out)
    for source in inputs:
        if same_file(out, source):
            raise error(f"{option} {out}: that is the input file {source}; choose another "
                        "output")
    if file_type is not None and not file_type.accepts(out):
        raise error(f"{option} {out}: what is written there is {file_type.name}, so the "
                    f"name must end in {' or '.join(file_type.suffixes)}")
    if not replace and os.path.lexists(out):
        raise error(f"{option} {out}: exists already; pass --force to replace it, or choose "
                    "another name")
    target = Path(os.path.realpath(out))
    folder = target.parent
    if make_folders:
        folder = _existing_ancestor(folder)
        if not folder.is_dir():
            raise error(f"{option} {out}: {folder} is a file, not a folder")
    if not folder.is_dir():
        raise error(f"{option} {out}: cannot write there, the folder {folder} does not exist")
    _probe_folder(folder, option, error)
    return out


def check_output_folder(path: PathLike | None, *, option: str,
                        inputs: Iterable[PathLike] = (),
                        error: type[ComposerError] = SettingsError) -> Path:
    """Refuse an output folder that is empty, a file, one of ``inputs`` or holds one of them
    (what is written there may replace the folder as a whole), or that cannot be created or
    written; return it as a Path. Creates nothing."""
    if path is None or str(path).strip() == "":
        raise error(f"{option}: the folder name is empty")
    out = Path(path)
    kind = non_regular(out)
    if out.exists() and kind != "a folder":
        raise error(f"{option} {out}: is {kind or 'a file'}, not a folder")
    if out.is_dir():
        for source in inputs:
            if contains(out, source):
                raise error(f"{option} {out}: holds the input {source}; choose another "
                            "folder")
    base = _existing_ancestor(out)
    if not base.is_dir():
        raise error(f"{option} {out}: {base} is a file, not a folder")
    _probe_folder(base, option, error)
    return out


def bundle_inputs(folder: PathLike | None) -> list[Path]:
    """The files of a model bundle that a command reads (for the sameness checks)."""
    if folder is None:
        return []
    folder = Path(folder)
    return [folder / name for name in ("weights.npz", "vocabulary.json", "config.json",
                                       "metrics.json", "model.keras")]
