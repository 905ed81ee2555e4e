"""``composer prepare``: build the training corpus (cached; the second run takes seconds).

The default corpus is the piano pieces in ``data/piano-midi.de`` and the classical scores of the
music21 corpus; ``--midi-dir`` adds the user's own files.
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
    parser.add_argument("--cache-dir", help="conversion cache (default ~/.cache/composer/corpus)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from composer import corpus as corpus_mod
    from composer.atomic import write_text_atomic
    from composer.commands.checks import check_prepare
    from composer.errors import CorpusError
    from composer.vocabulary import TokenizerSettings, Vocabulary

    check_prepare(args)  # options and output folders, before any work (issue 16)
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
    settings = TokenizerSettings()
    converted = corpus_mod.convert_all(
        sources,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        jobs=args.jobs,
        progress=lambda it, total: tqdm(it, total=total, desc="converting", unit="file",
                                        file=sys.stderr),
    )
    corpus, skipped = corpus_mod.assemble(converted, Vocabulary(settings))
    if not len(corpus):
        raise CorpusError("no piece could be converted")
    path = corpus_mod.save_corpus(corpus, args.out)
    failed = [s for s in skipped if not (s.error or "").startswith("duplicate")]
    write_text_atomic(Path(args.out) / "skipped.txt", "".join(
        f"{item.source.piece_id}\t{item.error}\n" for item in skipped), error=CorpusError)
    print(corpus_mod.format_summary(corpus))
    print(f"\n{len(corpus)} pieces -> {path}; skipped {len(failed)} that failed and "
          f"{len(skipped) - len(failed)} duplicates (listed in {Path(args.out) / 'skipped.txt'})")
    for item in failed[:20]:
        print(f"  failed: {item.source.piece_id}: {item.error}", file=sys.stderr)
    return 0
