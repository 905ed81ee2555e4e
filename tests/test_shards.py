"""``composer prepare --shard I/N`` + ``--merge`` against one ``composer prepare``, on real
music21 scores and the small MIDI files shipped inside music21."""

import shutil

import numpy as np
import pytest

from composer import corpus as corpus_mod
from composer import shards
from composer.cli import main
from composer.errors import SettingsError
from tests.conftest import music21_test_midis


@pytest.fixture()
def midi_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    for path in music21_test_midis()[:9]:
        shutil.copy(path, folder / path.name)
    shutil.copy(music21_test_midis()[2], folder / "zz-duplicate.mid")  # dropped as a copy
    (folder / "zz-broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    return folder


def _prepare(tmp_path, out, *extra, cache="cache"):
    args = ["prepare", "--composers", "bach", "--limit", "2", "--no-piano", "--jobs", "2",
            "--cache-dir", str(tmp_path / cache), "--out", str(out), *extra]
    assert main(args) == 0


def test_two_shards_merged_equal_one_prepare_bit_for_bit(tmp_path, midi_folder, capsys):
    mine = ["--midi-dir", str(midi_folder)]
    _prepare(tmp_path, tmp_path / "single", *mine, cache="cache-single")
    _prepare(tmp_path, tmp_path / "s2", *mine, "--shard", "2/2", cache="cache-single")  # warm
    _prepare(tmp_path, tmp_path / "s1", *mine, "--shard", "1/2", cache="cache-other")  # cold
    out = capsys.readouterr()
    assert "shard 1/2: 7 of 13 files" in out.out
    assert "failed: user:mine/zz-broken.mid" in out.err  # named, in the shard that had it
    assert main(["prepare", "--merge", str(tmp_path / "s1"), str(tmp_path / "s2"),
                 "--out", str(tmp_path / "merged")]) == 0
    single = np.load(tmp_path / "single" / "tokens.npz")
    merged = np.load(tmp_path / "merged" / "tokens.npz")
    assert sorted(single.files) == sorted(merged.files)
    for name in single.files:
        assert single[name].dtype == merged[name].dtype, name
        assert single[name].tobytes() == merged[name].tobytes(), name
    for name in ("pieces.csv", "skipped.txt"):
        assert ((tmp_path / "single" / name).read_bytes()
                == (tmp_path / "merged" / name).read_bytes())
    corpus = corpus_mod.load_corpus(tmp_path / "merged")
    assert sum(p.startswith("music21/bach/") for p in corpus.piece_ids) == 2
    assert "user:mine/zz-duplicate.mid" not in corpus.piece_ids


def test_merge_refuses_missing_repeated_or_foreign_shards(tmp_path, midi_folder):
    mine = ["--no-music21", "--midi-dir", str(midi_folder)]
    _prepare(tmp_path, tmp_path / "a1", *mine, "--shard", "1/2")
    _prepare(tmp_path, tmp_path / "b2", "--no-music21", "--midi-dir",
             str(music21_test_midis()[0].parent), "--shard", "2/2")  # another file list
    for folders, words in (([tmp_path / "a1"], "2/2 missing"),
                           ([tmp_path / "a1", tmp_path / "a1"], "given twice"),
                           ([tmp_path / "a1", tmp_path / "b2"], "another file list")):
        with pytest.raises(Exception, match=words):
            shards.merge_shards(folders)
    assert main(["prepare", "--merge", str(tmp_path / "a1"), "--out", str(tmp_path / "m")]) == 2


def test_shard_spec_and_slices_cover_the_list_once():
    assert shards.parse_shard("2/3") == shards.ShardSpec(2, 3)
    for bad in ("0/2", "3/2", "1", "a/b"):
        with pytest.raises(SettingsError):
            shards.parse_shard(bad)
    sources = [corpus_mod.Source(f"/x/{i}.mid", f"user/{i}.mid", "user") for i in range(10)]
    slices = [shards.shard_of(sources, shards.ShardSpec(i, 3)) for i in (1, 2, 3)]
    assert sorted(sum(slices, [])) == list(range(10))
    assert shards.list_digest(sources) != shards.list_digest(sources[::-1])
