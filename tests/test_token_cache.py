"""The token cache of ``composer prepare``, on two real music21 chorales."""

import numpy as np
import pytest

from composer import corpus as corpus_mod
from composer.token_cache import TokenCache, code_digest, piece_key
from composer.vocabulary import TokenizerSettings, Vocabulary


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    sources = corpus_mod.music21_sources(["bach"])[:2]
    return corpus_mod.convert_all(sources, cache_dir=tmp_path_factory.mktemp("convert"), jobs=1)


def _same(a, b) -> bool:
    return a.piece_ids == b.piece_ids and all(
        np.array_equal(x, y) for field in ("tokens", "positions", "meters")
        for x, y in zip(getattr(a, field), getattr(b, field), strict=True))


def test_a_cached_run_gives_the_corpus_of_an_uncached_one(converted, tmp_path):
    vocab = Vocabulary(TokenizerSettings())
    plain, _ = corpus_mod.assemble(converted, vocab)
    first, _ = corpus_mod.assemble(converted, vocab, cache_dir=tmp_path)
    second, _ = corpus_mod.assemble(converted, vocab, cache_dir=tmp_path)
    assert _same(plain, first) and _same(plain, second)
    assert len(list(tmp_path.glob("tokens-*.npz"))) == 1


def test_the_second_run_reads_the_tokens_from_the_cache(converted, tmp_path):
    vocab = Vocabulary(TokenizerSettings())
    corpus_mod.assemble(converted, vocab, cache_dir=tmp_path)
    parsed = converted[0].parsed
    key = piece_key(parsed.notes, parsed.pedals, parsed.signatures)
    cache = TokenCache(tmp_path, vocab)
    marked = tuple(np.full(5, 7, dtype=dtype) for dtype in (np.uint16, np.uint8, np.uint8))
    cache.put(key, marked)
    cache.save()
    corpus, _ = corpus_mod.assemble(converted, vocab, cache_dir=tmp_path)
    assert corpus.tokens[0].tolist() == [7] * 5  # what the cache held, not a new tokenization


def test_a_damaged_cache_file_costs_a_cold_run_not_a_failure(converted, tmp_path):
    vocab = Vocabulary(TokenizerSettings())
    plain, _ = corpus_mod.assemble(converted, vocab)
    corpus_mod.assemble(converted, vocab, cache_dir=tmp_path)
    (path,) = tmp_path.glob("tokens-*.npz")
    path.write_bytes(path.read_bytes()[:1000])
    again, _ = corpus_mod.assemble(converted, vocab, cache_dir=tmp_path)
    assert _same(plain, again)
    assert TokenCache(tmp_path, vocab).get(
        piece_key(converted[0].parsed.notes, converted[0].parsed.pedals,
                  converted[0].parsed.signatures)) is not None  # rewritten whole


def test_other_settings_get_another_cache_file():
    assert code_digest(Vocabulary(TokenizerSettings())) != code_digest(
        Vocabulary(TokenizerSettings(velocity_bins=4)))
