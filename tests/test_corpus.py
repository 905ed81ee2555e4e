"""Corpus preparation on a handful of real music21 pieces and real MIDI files."""

import shutil
import time

import numpy as np
import pytest

from composer import corpus as corpus_mod
from composer.cli import main
from composer.vocabulary import TokenizerSettings, Vocabulary
from tests.conftest import music21_test_midis


@pytest.fixture()
def cache_dir(tmp_path):
    return tmp_path / "cache"


def test_music21_sources_are_classical_scores_only():
    sources = corpus_mod.music21_sources(["bach", "monteverdi"])
    assert sources and all(s.composer in ("bach", "monteverdi") for s in sources)
    assert not any(s.path.endswith(".rntxt") for s in sources)  # analyses, not music
    assert all(s.piece_id.startswith("music21/") for s in sources)


def test_split_is_deterministic_and_roughly_ninety_five_five():
    ids = [f"piece-{i}" for i in range(2000)]
    splits = [corpus_mod.split_of(i) for i in ids]
    assert splits == [corpus_mod.split_of(i) for i in ids]
    assert 0.02 < splits.count("test") / len(ids) < 0.08
    assert 0.02 < splits.count("valid") / len(ids) < 0.08


def test_convert_score_gives_tokens_starting_at_bos(cache_dir):
    sources = corpus_mod.music21_sources(["bach"])[:2]
    converted = corpus_mod.convert_all(sources, TokenizerSettings(), cache_dir=cache_dir, jobs=1)
    for item in converted:
        assert item.error is None, item.error
        assert item.notes > 20 and item.fingerprint
    corpus, _ = corpus_mod.assemble(converted, Vocabulary(TokenizerSettings()))
    for tokens in corpus.tokens:
        assert tokens[0] == 1 and tokens[-1] == 2


def test_broken_files_are_skipped_and_listed_not_fatal(tmp_path, cache_dir):
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(music21_test_midis()[2], folder / "good.mid")
    (folder / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    (folder / "text.mid").write_text("not midi at all")
    sources = corpus_mod.midi_dir_sources(folder)
    converted = corpus_mod.convert_all(sources, TokenizerSettings(), cache_dir=cache_dir, jobs=1)
    corpus, skipped = corpus_mod.assemble(converted, Vocabulary(TokenizerSettings()))
    assert corpus.piece_ids == ("user/good.mid",)
    assert sorted(s.source.piece_id for s in skipped) == ["user/broken.mid", "user/text.mid"]
    assert all(s.error for s in skipped)


def test_duplicates_are_removed_before_the_split(tmp_path, cache_dir):
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(music21_test_midis()[2], folder / "a.mid")
    shutil.copy(music21_test_midis()[2], folder / "b.mid")
    converted = corpus_mod.convert_all(corpus_mod.midi_dir_sources(folder), TokenizerSettings(),
                                       cache_dir=cache_dir, jobs=1)
    corpus, skipped = corpus_mod.assemble(converted, Vocabulary(TokenizerSettings()))
    assert len(corpus) == 1
    assert skipped[0].error.startswith("duplicate of")


def test_cache_serves_the_second_run(tmp_path, cache_dir, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    for path in music21_test_midis()[:4]:
        shutil.copy(path, folder / path.name)
    sources = corpus_mod.midi_dir_sources(folder)
    first = corpus_mod.convert_all(sources, TokenizerSettings(), cache_dir=cache_dir, jobs=1)

    def must_not_convert(*_args):
        raise AssertionError("converted again despite the cache")

    monkeypatch.setattr(corpus_mod, "convert_source", must_not_convert)
    second = corpus_mod.convert_all(sources, TokenizerSettings(), cache_dir=cache_dir, jobs=1)
    assert [np.array_equal(a.parsed.notes, b.parsed.notes) for a, b in zip(first, second)
            ] == [True] * 4


def test_save_and_load_round_trip(tmp_path, cache_dir):
    folder = tmp_path / "mine"
    folder.mkdir()
    for path in music21_test_midis()[:5]:
        shutil.copy(path, folder / path.name)
    converted = corpus_mod.convert_all(corpus_mod.midi_dir_sources(folder), TokenizerSettings(),
                                       cache_dir=cache_dir, jobs=1)
    corpus, _ = corpus_mod.assemble(converted, Vocabulary(TokenizerSettings()))
    corpus_mod.save_corpus(corpus, tmp_path / "out")
    loaded = corpus_mod.load_corpus(tmp_path / "out")
    assert loaded.piece_ids == corpus.piece_ids and loaded.splits == corpus.splits
    assert all(np.array_equal(a, b) for a, b in zip(loaded.tokens, corpus.tokens))
    assert "pieces" in corpus_mod.format_summary(loaded)


def test_prepare_cli_in_parallel_prints_table_and_is_fast_when_warm(tmp_path, capsys):
    args = ["prepare", "--composers", "bach", "--limit", "6", "--jobs", "2", "--no-piano",
            "--out", str(tmp_path / "corpus"), "--cache-dir", str(tmp_path / "cache")]
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "bach" in table and "ALL" in table
    started = time.monotonic()
    assert main(args) == 0
    assert time.monotonic() - started < 30  # a behavioural bound: nothing was re-parsed
    lines = (tmp_path / "corpus" / "pieces.csv").read_text().splitlines()[1:]
    assert sum(line.startswith("music21/bach/") for line in lines) == 6


def test_missing_corpus_is_a_one_line_error(tmp_path, capsys):
    assert main(["train", "--corpus", str(tmp_path / "nothing"), "--no-evaluate"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no prepared corpus" in err and "\n" not in err
