"""The app's one cache of loaded model bundles (Qt-free, thread-safe).

Loading a bundle reads and casts all weights (a second or so for the default model), and the
app generates many times with the same model, from the Generate panel and from live mode, so
each folder is loaded once and the same :class:`~composer.bundle.ModelBundle` object is handed
to both. That matters twice: no second load, and ``composer.generate.engine_for`` (which keeps
the engine of one bundle object) builds the engine once, so switching between Generate and
Live never rebuilds it. A bundle whose weights changed on disk (retrained) is loaded again.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from composer.bundle import ModelBundle, default_model_dir, load_bundle


def _stamp(path: Path) -> float:
    try:
        return (path / "weights.npz").stat().st_mtime
    except OSError:
        return -1.0


def _key(path: str | os.PathLike | None) -> Path:
    """The folder a path names (None or "": the default model), resolved."""
    return Path(path).resolve() if path else default_model_dir().resolve()


class BundleCache:
    """Bundles by folder, each loaded at most once per version of its weights."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bundles: dict[Path, tuple[float, ModelBundle]] = {}

    def get(self, path: str | os.PathLike | None) -> ModelBundle:
        """The bundle in ``path`` (None: the default model), loaded now if it is not cached."""
        key = _key(path)
        stamp = _stamp(key)
        with self._lock:
            cached = self._bundles.get(key)
            if cached and cached[0] == stamp:
                return cached[1]
        bundle = load_bundle(key)  # outside the lock: slow, and safe to do twice
        with self._lock:
            self._bundles[key] = (stamp, bundle)
        return bundle

    def cached(self, path: str | os.PathLike | None) -> ModelBundle | None:
        """The bundle if it is loaded and current, else None (never loads)."""
        key = _key(path)
        with self._lock:
            entry = self._bundles.get(key)
        return entry[1] if entry and entry[0] == _stamp(key) else None
