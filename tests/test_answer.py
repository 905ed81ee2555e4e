"""The model answer source (composer/answer.py) and the one bundle cache
(composer/bundle_cache.py), with the tiny trained bundle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from composer.answer import ModelAnswerer, model_answerer
from composer.bundle_cache import BundleCache
from composer.errors import ModelBundleError
from composer.generate import GenerationSettings
from composer.notes import Note, Piece

SEED = Piece(notes=tuple(Note(float(i), i + 1.0, p, 90) for i, p in enumerate([60, 64, 67, 72])))


def test_each_phrase_uses_the_settings_of_the_moment(tiny_bundle):
    cache = BundleCache()
    current = {"settings": GenerationSettings(random_seed=5)}
    answerer = ModelAnswerer(lambda: cache.get(tiny_bundle), lambda: current["settings"])
    assert answerer.prepare() is cache.get(tiny_bundle)
    first = list(answerer(SEED, 1.0))
    assert first and list(answerer(SEED, 1.0)) == first  # same random seed, same answer
    assert all(n.start >= SEED.end_beat - 1e-9 for n in first)
    current["settings"] = GenerationSettings(random_seed=6)
    assert list(answerer(SEED, 1.0)) != first
    assert max(n.end for n in answerer(SEED, 0.5)) < max(n.end for n in answerer(SEED, 4.0))


def test_a_missing_model_is_said_when_preparing(tmp_path):
    cache = BundleCache()
    answerer = ModelAnswerer(lambda: cache.get(tmp_path / "none"), GenerationSettings)
    with pytest.raises(ModelBundleError):
        answerer.prepare()


def test_model_answerer_over_one_bundle_matches_the_source(tiny_bundle):
    bundle = BundleCache().get(tiny_bundle)
    settings = GenerationSettings(random_seed=9)
    fixed = model_answerer(bundle, settings)
    moving = ModelAnswerer(lambda: bundle, lambda: settings)
    assert list(fixed(SEED, 2.0)) == list(moving(SEED, 2.0))


def test_the_cache_loads_each_folder_once_and_again_when_retrained(tiny_bundle, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(tiny_bundle, folder)
    cache = BundleCache()
    assert cache.cached(folder) is None  # never loads by itself
    bundle = cache.get(folder)
    assert cache.get(str(folder)) is bundle and cache.cached(folder) is bundle
    assert cache.get(folder / ".." / "copy") is bundle  # one key per folder
    weights = folder / "weights.npz"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # "retrained"
    assert cache.cached(folder) is None
    again = cache.get(folder)
    assert again is not bundle and cache.get(folder) is again


def test_none_means_the_default_model(tiny_bundle, monkeypatch):
    monkeypatch.setenv("COMPOSER_MODEL", str(tiny_bundle))
    cache = BundleCache()
    assert cache.get(None) is cache.get(tiny_bundle) is cache.get("")


def test_importing_live_loads_no_model_code():
    code = ("import sys, composer.live; "
            "print(sorted(m for m in ('composer.generate', 'composer.engine', 'composer.bundle',"
            " 'composer.answer') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
