"""How many threads BLAS may use: the one place that knows the five variables.

The engine's matrix products are small (one time step of an LSTM): a second BLAS thread gains
nothing and, spinning, competes with the UI thread or the live scheduler for the CPU (see
``composer/engine.py``). Each BLAS reads its variable once, when NumPy is first imported, so
every entry point (the CLI's ``generate`` and ``live``, the app, the benchmarks) calls
:func:`limit_threads` before anything imports NumPy. This module imports nothing heavy.
"""

from __future__ import annotations

import os
import sys

# OpenBLAS, OpenMP (MKL and others), MKL itself, BLIS, Apple's Accelerate.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def limit_threads(count: int = 1, *, override: bool = False) -> bool:
    """Set every BLAS thread variable to ``count`` (kept where already set, unless
    ``override``). Returns False when NumPy is imported already, so it cannot take effect."""
    for name in THREAD_VARIABLES:
        if override:
            os.environ[name] = str(count)
        else:
            os.environ.setdefault(name, str(count))
    return "numpy" not in sys.modules
