"""The app's one cache of loaded model bundles (Qt-free, thread-safe).

Loading a bundle reads and casts all weights (a second or so for the default model), and the
app generates many times with the same model, from the Generate panel and from live mode, so
each folder is loaded once and the same :class:`~composer.bundle.ModelBundle` object is handed
to both. That matters twice: no second load, and ``composer.generate.engine_for`` (which keeps
the engine of one bundle object) builds the engine once, so switching between Generate and
Live never rebuilds it. A bundle whose weights changed on disk (retrained) is loaded again.

The same cache holds the harmonizer (``BundleCache(load_harmonizer, default_harmonizer_dir)``,
see :mod:`composer.harmony_takes`): another loader and another default folder, the same rule
(loaded once per version of its ``weights.npz``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from composer.bundle import default_model_dir, load_bundle


def _stamp(path: Path) -> float:
    try:
        return (path / "weights.npz").stat().st_mtime
    except OSError:
        return -1.0


class BundleCache:
    """Bundles by folder, each loaded at most once per version of its weights. ``load``
    (a folder -> the loaded thing) and ``default_dir`` (the folder of None): the main model's
    unless given."""

    def __init__(self, load: Callable[[Path], Any] = load_bundle,
                 default_dir: Callable[[], Path] = default_model_dir) -> None:
        self._lock = threading.Lock()
        self._bundles: dict[Path, tuple[float, Any]] = {}
        self._load = load
        self._default_dir = default_dir

    def _key(self, path: str | os.PathLike | None) -> Path:
        """The folder a path names (None or "": the default), resolved."""
        return Path(path).resolve() if path else self._default_dir().resolve()

    def get(self, path: str | os.PathLike | None) -> Any:
        """The bundle in ``path`` (None: the default model), loaded now if it is not cached."""
        key = self._key(path)
        stamp = _stamp(key)
        with self._lock:
            cached = self._bundles.get(key)
            if cached and cached[0] == stamp:
                return cached[1]
        bundle = self._load(key)  # outside the lock: slow, and safe to do twice
        with self._lock:
            self._bundles[key] = (stamp, bundle)
        return bundle

    def cached(self, path: str | os.PathLike | None) -> Any | None:
        """The bundle if it is loaded and current, else None (never loads)."""
        key = self._key(path)
        with self._lock:
            entry = self._bundles.get(key)
        return entry[1] if entry and entry[0] == _stamp(key) else None
