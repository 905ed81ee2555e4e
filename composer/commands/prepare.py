"""``composer prepare``: build the training corpus (cached; the second run takes seconds).

The default corpus is the piano pieces in ``data/piano-midi.de`` and the classical scores of the
music21 corpus; ``--midi-dir`` adds the user's own files. ``--shard I/N`` converts every N-th
file only (on many machines or processes at once) and ``--merge`` joins the shards into the
corpus a single run makes (composer.shards). Progress counts the bytes of the files left, not
their number: the slow, large files go first, so a count would promise far too much early on.
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="data/corpus", help="folder for tokens.npz and pieces.csv")
    parser.add_argument("--midi-dir", action="append", default=[], metavar="DIR",
                        help="also use the MIDI files in DIR (may be given several times)")
    parser.add_argument("--no-music21", action="store_true",
                        help="skip the music21 classical corpus")
    parser.add_argument("--no-piano", action="store_true",
                        help="skip the piano pieces of data/piano-midi.de")
    parser.add_argument("--piano-dir", metavar="DIR",
                        help="the piano-midi.de folder (default: data/piano-midi.de of the "
                        "checkout)")
    parser.add_argument("--composers", help="comma-separated music21 composers (default: all "
                        "classical ones)")
    parser.add_argument("--limit", type=int, help="at most N music21 files (for a quick try)")
    parser.add_argument("--jobs", type=int, help="parallel worker processes (default: CPU count)")
    parser.add_argument("--cache-dir",
                        help="conversion and token cache (default ~/.cache/composer/corpus)")
    parser.add_argument("--shard", metavar="I/N",
                        help="convert only the I-th of N slices of the file list (every N-th "
                             "file) and write DIR/shard.npz in --out; join them with --merge")
    parser.add_argument("--merge", nargs="+", metavar="DIR",
                        help="join the shards in these folders (all N of one file list) into "
                             "the corpus in --out, the same as one run without --shard")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from composer import corpus as corpus_mod
    from composer import shards
    from composer.commands.checks import check_prepare
    from composer.errors import CorpusError, SettingsError

    check_prepare(args)  # options and output folders, before any work (issue 16)
    if args.merge:
        if args.shard:
            raise SettingsError("--merge and --shard: give one of them")
        return _finish(shards.merge_shards(args.merge), args.out, _cache_dir(args))
    spec = shards.parse_shard(args.shard) if args.shard else None
    sources = []
    if not args.no_music21:
        composers = args.composers.split(",") if args.composers else corpus_mod.CLASSICAL_COMPOSERS
        unknown = set(composers) - set(corpus_mod.CLASSICAL_COMPOSERS)
        if unknown:
            raise CorpusError(f"unknown composer(s): {', '.join(sorted(unknown))}")
        sources += corpus_mod.music21_sources(composers)[: args.limit]
    if not args.no_piano:
        sources += corpus_mod.piano_sources(args.piano_dir or corpus_mod.PIANO_FOLDER)[
            : args.limit]
    for folder in args.midi_dir:
        sources += corpus_mod.midi_dir_sources(folder, composer=f"user:{Path(folder).name}")
    if not sources:
        raise CorpusError("nothing to prepare (no music21 pieces and no MIDI files)")
    places = shards.shard_of(sources, spec) if spec else range(len(sources))
    converted = corpus_mod.convert_all(
        [sources[i] for i in places],
        cache_dir=_cache_dir(args),
        jobs=args.jobs,
        progress=_progress,
    )
    if spec is not None:
        path = shards.save_shard(args.out, spec, shards.list_digest(sources), len(sources),
                                 places, converted)
        failed = [item for item in converted if item.parsed is None]
        print(f"shard {spec}: {len(converted)} of {len(sources)} files -> {path}")
        _say_failed(failed)
        return 0
    return _finish(converted, args.out, _cache_dir(args))


def _cache_dir(args: argparse.Namespace):
    from pathlib import Path

    from composer.corpus import default_cache_dir

    return Path(args.cache_dir) if args.cache_dir else default_cache_dir()


def _progress(iterator, total, sizes):
    """A bar over the bytes still to parse, so its remaining time is a fair one."""
    from tqdm import tqdm

    with tqdm(total=sum(sizes.values()), desc=f"converting {total} files", unit="B",
              unit_scale=True, file=sys.stderr) as bar:
        for index, item in iterator:
            bar.update(sizes.get(index, 0))
            yield index, item


def _say_failed(failed) -> None:
    """Every dropped file is named; the count is on stdout, the names on stderr."""
    if failed:
        print(f"{len(failed)} file(s) could not be used (named below)")
    for item in failed:
        print(f"  failed: {item.source.piece_id}: {item.error}", file=sys.stderr)


def _finish(converted, out, cache_dir) -> int:
    """Assemble, save and report the corpus: the same for one run and for merged shards."""
    from pathlib import Path

    from composer import corpus as corpus_mod
    from composer.atomic import write_text_atomic
    from composer.errors import CorpusError
    from composer.vocabulary import TokenizerSettings, Vocabulary

    settings = TokenizerSettings()
    corpus, skipped = corpus_mod.assemble(converted, Vocabulary(settings), cache_dir=cache_dir)
    if not len(corpus):
        raise CorpusError("no piece could be converted")
    path = corpus_mod.save_corpus(corpus, out)
    failed = [s for s in skipped if not (s.error or "").startswith("duplicate")]
    write_text_atomic(Path(out) / "skipped.txt", "".join(
        f"{item.source.piece_id}\t{item.error}\n" for item in skipped), error=CorpusError)
    print(corpus_mod.format_summary(corpus))
    print(f"\n{len(corpus)} pieces -> {path}; skipped {len(failed)} that failed and "
          f"{len(skipped) - len(failed)} duplicates (listed in {Path(out) / 'skipped.txt'})")
    _say_failed(failed)
    return 0
