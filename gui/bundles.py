"""A small thread-safe cache of loaded model bundles.

Loading a bundle reads and casts all weights (a second or so for the default model), and the
app generates many times with the same model, so each folder is loaded once, on a worker
thread, and reused. A bundle whose files changed on disk (retrained) is loaded again.
"""

from __future__ import annotations

import threading
from pathlib import Path

from composer.bundle import ModelBundle, load_bundle


def _stamp(path: Path) -> float:
    try:
        return (path / "weights.npz").stat().st_mtime
    except OSError:
        return -1.0


class BundleCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bundles: dict[Path, tuple[float, ModelBundle]] = {}

    def get(self, path: str | Path) -> ModelBundle:
        """The bundle in ``path``, loaded at most once per version of its weights."""
        key = Path(path).resolve()
        stamp = _stamp(key)
        with self._lock:
            cached = self._bundles.get(key)
            if cached and cached[0] == stamp:
                return cached[1]
        bundle = load_bundle(key)  # outside the lock: slow, and safe to do twice
        with self._lock:
            self._bundles[key] = (stamp, bundle)
        return bundle

    def cached(self, path: str | Path) -> ModelBundle | None:
        key = Path(path).resolve()
        with self._lock:
            entry = self._bundles.get(key)
        return entry[1] if entry and entry[0] == _stamp(key) else None
