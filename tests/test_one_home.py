"""One home each: the pedal controller, the pitch/velocity clamps, the BLAS thread set-up and
error-text flattening are defined once (in composer/notes.py, composer/blas.py and
composer/errors.py) and used from there."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from composer.blas import THREAD_VARIABLES
from composer.notes import clamp_pitch, clamp_velocity

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("composer/**/*.py"), *ROOT.glob("gui/**/*.py")])


def _files_matching(pattern: str) -> list[str]:
    regex = re.compile(pattern, re.MULTILINE)
    return [str(p.relative_to(ROOT)) for p in SOURCES if regex.search(p.read_text())]


def test_each_concept_is_defined_in_one_module():
    assert _files_matching(r"^PEDAL_CC\s*=") == ["composer/notes.py"]
    assert _files_matching(r"NUM_THREADS\"") == ["composer/blas.py"]
    assert _files_matching(r"\" \"\.join\(str\(") == ["composer/errors.py"]
    # the velocity clamp (1..127) is written out once; the vocabulary's bins use it too
    assert _files_matching(r"max\(int\(velocity\), 1\)") == ["composer/notes.py"]
    # figures are cited from what measures them (benchmarks/), not from notes outside the repo
    assert _files_matching(r"DESIGN\.md") == []


def test_clamps():
    assert [clamp_pitch(p) for p in (-3, 0, 60.7, 127, 200)] == [0, 0, 60, 127, 127]
    assert [clamp_velocity(v) for v in (-1, 0, 1, 64.9, 127, 300)] == [1, 1, 1, 64, 127, 127]


def test_limit_threads_sets_all_five_before_numpy_and_says_when_too_late():
    code = ("import os; from composer.blas import THREAD_VARIABLES, limit_threads; "
            "os.environ['OMP_NUM_THREADS'] = '3'; first = limit_threads(1); "
            "import numpy; late = limit_threads(2, override=True); "
            "print(first, late, [os.environ[n] for n in THREAD_VARIABLES])")
    env = {k: v for k, v in __import__("os").environ.items() if k not in THREAD_VARIABLES}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, cwd=ROOT).stdout.split(" ", 2)
    assert out[:2] == ["True", "False"]
    assert len(THREAD_VARIABLES) == 5 and out[2].strip() == str(["2"] * 5)
