"""Training corpus: the classical piano pieces in ``data/piano-midi.de``, the classical scores
bundled with music21 (and the user's MIDI files), as event sequences with their inputs.

Why it is shaped like this:
- music21 scores are read directly into notes (offsets and durations are already in quarter
  notes, so no MIDI round trip is needed, and badly formed repeats cannot break a MIDI writer);
  their bar lines come from the measures (a pickup bar starts before beat 0);
- piano-midi.de files are read in score time (MIDI ticks), so the notes sit on the written
  beat grid; their rubato lives in the tempo map, which the model does not see;
- parsing is slow (a chorale ~0.1 s, a Beethoven quartet minutes), so files are converted in
  parallel, and every result, failures included, is cached on disk by file, size and date. The
  cache holds the notes, pedal and time signatures, not events: a change of tokenizer (bins,
  inputs) re-tokenizes in seconds instead of re-parsing for half an hour;
- a piece is never dropped for being slow on a busy machine: the limit per file counts CPU
  time (:data:`FILE_CPU_LIMIT_S`, generous), not wall-clock time, and a dropped piece is named;
- the corpus holds the same piece in several files, so pieces are de-duplicated by a note
  fingerprint before the split, and the split is decided by a hash of the *work* (all movements
  of a sonata share it; for music21 the file, as before, so test figures stay comparable), so
  it never changes between runs and no work leaks across train/validation/test.
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
import re
import signal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from composer.bundle import check_vocabulary_json
from composer.conditioning import style_of, token_features
from composer.errors import ComposerError, CorpusError
from composer.inputs import read_npz
from composer.midi_io import MIDI_SUFFIXES
from composer.notes import Note, PedalSpan, TimeSignature
from composer.tokenizer import Tokenizer
from composer.vocabulary import Vocabulary

CLASSICAL_COMPOSERS = (
    "bach", "beethoven", "chopin", "ciconia", "corelli", "cpebach", "handel", "haydn",
    "josquin", "luca", "lusitano", "monteverdi", "mozart", "palestrina", "schubert",
    "schumann_clara", "schumann_robert", "trecento", "verdi", "weber", "beach", "schoenberg",
    "webern",
)
SCORE_SUFFIXES = {".mxl", ".xml", ".musicxml", ".krn", ".abc"}  # not .rntxt: analyses
SPLITS = ("train", "valid", "test")
CONVERTER_VERSION = 2
FILE_CPU_LIMIT_S = 900  # CPU seconds per file; the slowest music21 score takes about 150
FINGERPRINT_NOTES = 200
PIANO_FOLDER = Path(__file__).resolve().parent.parent / "data" / "piano-midi.de"
# Held-out shares by source: the piano data is small, so it keeps more works for checking.
SPLIT_SHARES = {"music21": (0.05, 0.05), "piano": (0.10, 0.10), "user": (0.05, 0.05)}


@dataclass(frozen=True)
class Source:
    """One file to convert.

    ``piece_id`` is stable across machines; ``work`` (the split key) groups the movements of
    one work; ``kind`` is ``music21``, ``piano`` or ``user`` and decides the style.
    """

    path: str
    piece_id: str
    composer: str
    kind: str = "user"
    work: str = ""

    @property
    def split_key(self) -> str:
        return self.work or self.piece_id

    @property
    def style(self) -> str:
        return style_of(self.kind, self.composer)


@dataclass(frozen=True)
class Parsed:
    """A converted file: notes (start, end, pitch, velocity), pedal spans, time signatures."""

    notes: np.ndarray  # (N, 4) float64, beats
    pedals: np.ndarray  # (P, 2) float64
    signatures: np.ndarray  # (S, 3) float64: beat, numerator, denominator

    def note_list(self) -> list[Note]:
        return [Note(float(a), float(b), int(p), int(v)) for a, b, p, v in self.notes]

    def pedal_list(self) -> list[PedalSpan]:
        return [PedalSpan(float(a), float(b)) for a, b in self.pedals]

    def signature_list(self) -> list[TimeSignature]:
        return [TimeSignature(float(b), int(n), int(d)) for b, n, d in self.signatures]


@dataclass(frozen=True)
class Converted:
    source: Source
    parsed: Parsed | None
    notes: int
    fingerprint: str
    error: str | None = None


@dataclass(frozen=True)
class Corpus:
    """Prepared event sequences, one per piece, with their inputs, composer, style and split.

    ``positions`` and ``meters`` hold, per event, the classes of
    :func:`composer.conditioning.token_features`.
    """

    vocab: Vocabulary
    tokens: tuple[np.ndarray, ...]
    piece_ids: tuple[str, ...]
    composers: tuple[str, ...]
    splits: tuple[str, ...]
    notes: tuple[int, ...]
    positions: tuple[np.ndarray, ...] = ()
    meters: tuple[np.ndarray, ...] = ()
    styles: tuple[str, ...] = ()
    works: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.tokens)
        zeros = tuple(np.zeros(len(t), np.uint8) for t in self.tokens)
        if not self.positions:
            object.__setattr__(self, "positions", zeros)
        if not self.meters:
            object.__setattr__(self, "meters", zeros)
        if not self.styles:
            object.__setattr__(self, "styles", ("other",) * n)
        if not self.works:
            object.__setattr__(self, "works", self.piece_ids)

    def subset(self, keep: Sequence[int]) -> Corpus:
        def pick(values):
            return tuple(values[i] for i in keep)

        return Corpus(self.vocab, pick(self.tokens), pick(self.piece_ids), pick(self.composers),
                      pick(self.splits), pick(self.notes), pick(self.positions),
                      pick(self.meters), pick(self.styles), pick(self.works))

    def select(self, split: str) -> Corpus:
        return self.subset([i for i, s in enumerate(self.splits) if s == split])

    def with_style(self, style: str) -> Corpus:
        return self.subset([i for i, s in enumerate(self.styles) if s == style])

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def token_count(self) -> int:
        return int(sum(len(t) for t in self.tokens))


# ----- sources ---------------------------------------------------------------------------
def music21_sources(composers: Iterable[str] = CLASSICAL_COMPOSERS) -> list[Source]:
    from music21 import corpus as m21corpus

    root = Path(m21corpus.__file__).parent
    sources = []
    for composer in composers:
        for path in sorted(m21corpus.getComposer(composer)):
            path = Path(path)
            if path.suffix.lower() in SCORE_SUFFIXES:
                rel = path.relative_to(root) if path.is_relative_to(root) else path.name
                sources.append(Source(str(path), f"music21/{rel}", composer, "music21"))
    return sources


_MOVEMENT = re.compile(r"(?:[_-][ep]?\d+|(?<![_-]op)(?<![_-]opus)(?<=[a-z])\d+)$")


def work_of(stem: str) -> str:
    """The work a piano-midi.de file belongs to, from its name: ``mz_331_2`` -> ``mz_331``,
    ``chpn-p15`` -> ``chpn`` (the preludes op. 28), ``chpn_op10_e05`` -> ``chpn_op10``; an
    opus number is kept (``chp_op18``)."""
    return _MOVEMENT.sub("", stem.lower()) or stem.lower()


def piano_sources(folder: str | os.PathLike = PIANO_FOLDER) -> list[Source]:
    """The piano pieces, one folder per composer (the layout of ``data/piano-midi.de``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"{folder}: the piano data is not here (not a folder)")
    sources = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in MIDI_SUFFIXES and path.is_file():
            rel = path.relative_to(folder)
            composer = rel.parts[0].lower() if len(rel.parts) > 1 else "piano"
            sources.append(Source(str(path), f"piano-midi.de/{rel.as_posix()}", composer,
                                  "piano", f"piano-midi.de/{composer}/{work_of(path.stem)}"))
    return sources


def midi_dir_sources(folder: str | os.PathLike, composer: str = "user") -> list[Source]:
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"{folder}: not a folder")
    return [
        Source(str(p), f"{composer}/{p.relative_to(folder)}", composer, "user")
        for p in sorted(folder.rglob("*"))
        if p.suffix.lower() in MIDI_SUFFIXES and p.is_file()
    ]


def split_of(key: str, valid: float = 0.05, test: float = 0.05) -> str:
    """Deterministic split from a hash of the piece's (or work's) name."""
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
    return "test" if h < test else "valid" if h < test + valid else "train"


def split_of_source(source: Source) -> str:
    valid, test = SPLIT_SHARES.get(source.kind, SPLIT_SHARES["user"])
    return split_of(source.split_key, valid, test)


# ----- conversion (runs in worker processes) -------------------------------------------
def score_notes(path: str) -> list[Note]:
    return score_piece(path)[0]


def score_piece(path: str) -> tuple[list[Note], list[TimeSignature]]:
    """Notes of a score file read with music21, every part merged, in quarter-note beats, and
    its bar lines as time signatures (one wherever the bar grid changes or restarts).

    Velocity follows the written dynamics (cheaply: the last dynamic mark seen in the part)
    because music21's full realisation costs more than the parse itself.
    """
    from music21 import converter, dynamics

    score = converter.parse(path)
    parts = list(getattr(score, "parts", [])) or [score]
    notes = []
    for part in parts:
        flat = part.flatten().stripTies()
        velocity = 80
        for element in flat.getElementsByClass(["Note", "Chord", "Dynamic"]):
            if isinstance(element, dynamics.Dynamic):
                scalar = element.volumeScalar
                if scalar:
                    velocity = int(min(max(scalar * 127, 16), 127))
                continue
            length = float(element.duration.quarterLength)
            if length <= 0 or element.duration.isGrace:
                continue
            start = float(element.getOffsetInHierarchy(flat))
            explicit = element.volume.velocity
            for pitch in element.pitches:
                notes.append(Note(start, start + length, int(pitch.midi), explicit or velocity))
    return notes, _score_signatures(parts[0])


def _score_signatures(part) -> list[TimeSignature]:
    signatures: list[TimeSignature] = []
    current = None
    expected = None
    for index, measure in enumerate(part.getElementsByClass("Measure")):
        if measure.timeSignature is not None:
            current = measure.timeSignature
        if current is None:
            continue
        start = float(measure.offset) - (float(measure.paddingLeft or 0) if index == 0 else 0)
        numerator, denominator = int(current.numerator), int(current.denominator)
        if (measure.timeSignature is not None or expected is None
                or abs(start - expected) > 1e-6):
            signatures.append(TimeSignature(start, numerator, denominator))
        expected = start + numerator * 4.0 / denominator
        if index == 0 and measure.paddingLeft:
            expected = float(measure.offset) + float(measure.duration.quarterLength)
    if not signatures:
        found = part.flatten().getElementsByClass("TimeSignature")
        signatures = [TimeSignature(float(ts.offset), int(ts.numerator), int(ts.denominator))
                      for ts in found]
    return signatures or [TimeSignature(0.0)]


def _fingerprint(tokenizer: Tokenizer, notes: Sequence[Note]) -> str:
    quantized = tokenizer.quantize(notes)[:FINGERPRINT_NOTES]
    if not quantized:
        return ""
    first = quantized[0].start
    key = [(round(n.start - first, 3), n.pitch) for n in quantized]
    return hashlib.sha1(repr(key).encode()).hexdigest()


def _cpu_limit(_signum, _frame):
    raise TimeoutError


def read_source(source: Source) -> tuple[list[Note], list[PedalSpan], list[TimeSignature]]:
    """Notes, pedal spans and time signatures of one file (raises on any failure)."""
    if Path(source.path).suffix.lower() in MIDI_SUFFIXES:
        from composer.midi_io import read_midi

        piece = read_midi(source.path)
        return list(piece.notes), list(piece.pedals), list(piece.time_signatures)
    notes, signatures = score_piece(source.path)
    return notes, [], signatures


def convert_source(source: Source, settings=None) -> Converted:
    """Parse one file; never raises (the error is returned instead).

    In a worker process the parse is stopped after :data:`FILE_CPU_LIMIT_S` seconds of CPU
    time (``ITIMER_PROF``), which a busy machine does not shorten.
    """
    del settings  # the cache holds notes, not events: any tokenizer can use the result
    in_worker = multiprocessing.current_process().name != "MainProcess"
    use_timer = hasattr(signal, "setitimer") and in_worker
    if use_timer:
        signal.signal(signal.SIGPROF, _cpu_limit)
        signal.setitimer(signal.ITIMER_PROF, FILE_CPU_LIMIT_S)
    try:
        notes, pedals, signatures = read_source(source)
        if not notes:
            return Converted(source, None, 0, "", "no notes")
        first = min(n.start for n in notes)
        parsed = Parsed(
            np.array([(n.start - first, n.end - first, n.pitch, n.velocity) for n in notes],
                     dtype=np.float64).reshape(-1, 4),
            np.array([(p.start - first, p.end - first) for p in pedals],
                     dtype=np.float64).reshape(-1, 2),
            np.array([(s.beat - first, s.numerator, s.denominator) for s in signatures],
                     dtype=np.float64).reshape(-1, 3),
        )
        return Converted(source, parsed, len(notes), _fingerprint(Tokenizer(), notes))
    except TimeoutError:
        return Converted(source, None, 0, "",
                         f"took more than {FILE_CPU_LIMIT_S} s of CPU time to read")
    except ComposerError as exc:
        return Converted(source, None, 0, "", str(exc))
    except Exception as exc:  # noqa: BLE001 - any parser failure skips the piece, listed
        reason = (str(exc).strip().splitlines() or [""])[0][:160]
        return Converted(source, None, 0, "", f"{type(exc).__name__}: {reason}")
    finally:
        if use_timer:
            signal.setitimer(signal.ITIMER_PROF, 0)


# ----- cache -----------------------------------------------------------------------------
def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "composer" / "corpus"


def _cache_key(source: Source) -> str:
    stat = Path(source.path).stat()
    key = json.dumps([source.path, stat.st_size, stat.st_mtime_ns, CONVERTER_VERSION])
    return hashlib.sha1(key.encode()).hexdigest()


def _cache_load(path: Path, source: Source) -> Converted | None:
    try:
        with read_npz(path, limit=1 << 30, error=CorpusError) as data:
            error = str(data["error"]) or None
            parsed = None
            if error is None:
                parsed = Parsed(data["notes_array"], data["pedals"], data["signatures"])
            return Converted(source, parsed, int(data["notes"]), str(data["fingerprint"]), error)
    except (OSError, ValueError, KeyError, EOFError, CorpusError):
        return None


def _cache_store(path: Path, item: Converted) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        parsed = item.parsed or Parsed(np.zeros((0, 4)), np.zeros((0, 2)), np.zeros((0, 3)))
        np.savez(tmp, notes_array=parsed.notes, pedals=parsed.pedals,
                 signatures=parsed.signatures, notes=item.notes,
                 fingerprint=item.fingerprint, error=item.error or "")
        os.replace(tmp, path)
    except OSError as exc:
        raise CorpusError(f"{path.parent}: cannot write the conversion cache "
                          f"({exc.strerror or exc})") from None


def _convert_job(job: tuple[int, Source]) -> tuple[int, Converted]:
    index, source = job
    return index, convert_source(source)


def convert_all(
    sources: Sequence[Source],
    settings=None,
    *,
    cache_dir: Path | None = None,
    jobs: int | None = None,
    progress: Callable[..., Iterable] | None = None,
) -> list[Converted]:
    """Convert every source, from the cache where possible, the rest in parallel.

    ``progress(iterator, total, sizes)`` may wrap the results as they come: ``total`` files
    to parse, ``sizes`` their bytes by index (what the remaining time depends on).

    ``settings`` is accepted for compatibility and ignored: conversion does not tokenize.
    """
    del settings
    cache_dir = cache_dir or default_cache_dir()
    results: dict[int, Converted] = {}
    todo = []
    for index, source in enumerate(sources):
        try:
            cache_path = cache_dir / f"{_cache_key(source)}.npz"
        except OSError as exc:
            results[index] = Converted(source, None, 0, "", f"unreadable ({exc.strerror})")
            continue
        cached = _cache_load(cache_path, source) if cache_path.exists() else None
        if cached is not None:
            results[index] = cached
        else:
            todo.append((index, cache_path))
    jobs = max(1, jobs or os.cpu_count() or 1)
    cache_paths = dict(todo)
    work = [(i, sources[i]) for i, _ in todo]
    if work:
        if jobs == 1 or len(work) == 1:
            iterator = map(_convert_job, work)
            pool = None
        else:
            pool = multiprocessing.get_context("spawn").Pool(jobs, maxtasksperchild=25)
            # Slow files first, so the last minutes are not one quartet alone on one core;
            # results arrive unordered, so the progress bar moves past slow pieces.
            work.sort(key=lambda job: -_size(job[1].path))
            iterator = pool.imap_unordered(_convert_job, work, chunksize=1)
        try:
            sizes = {i: _size(source.path) for i, source in work}
            wrapped = progress(iterator, total=len(work), sizes=sizes) if progress else iterator
            for index, item in wrapped:
                _cache_store(cache_paths[index], item)
                results[index] = item
        finally:
            if pool is not None:
                pool.terminate()
    return [results[i] for i in range(len(sources))]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# ----- assembling and saving ---------------------------------------------------------------
def tokenize_parsed(parsed: Parsed, vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """Events of a converted piece and their position and metre inputs."""
    tokenizer = Tokenizer(vocab.settings)
    tokens = np.asarray(tokenizer.encode(parsed.note_list(), parsed.pedal_list()),
                        dtype=np.uint16)
    positions, meters = token_features(tokens, vocab, parsed.signature_list())
    return tokens, positions, meters


def assemble(converted: Sequence[Converted], vocab: Vocabulary, *,
             cache_dir: Path | None = None) -> tuple[Corpus, list[Converted]]:
    """Tokenize, de-duplicate and split; returns the corpus and the skipped items.

    ``cache_dir``: keep the tokens there (:mod:`composer.token_cache`) and take them from there
    on the next run; None tokenizes everything.
    """
    from composer.token_cache import TokenCache, piece_key

    cache = TokenCache(cache_dir, vocab) if cache_dir is not None else None

    def features(parsed: Parsed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if cache is None:
            return tokenize_parsed(parsed, vocab)
        key = piece_key(parsed.notes, parsed.pedals, parsed.signatures)
        found = cache.get(key)
        if found is None:
            found = tokenize_parsed(parsed, vocab)
            cache.put(key, found)
        return found

    seen: dict[str, str] = {}
    keep: list[tuple[Converted, tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
    skipped: list[Converted] = []
    for item in converted:
        if item.parsed is None:
            skipped.append(item)
        elif item.fingerprint in seen:
            skipped.append(replace(item, parsed=None,
                                   error=f"duplicate of {seen[item.fingerprint]}"))
        else:
            seen[item.fingerprint] = item.source.piece_id
            keep.append((item, features(item.parsed)))
    corpus = Corpus(
        vocab,
        tuple(t[0] for _, t in keep),
        tuple(item.source.piece_id for item, _ in keep),
        tuple(item.source.composer for item, _ in keep),
        tuple(split_of_source(item.source) for item, _ in keep),
        tuple(item.notes for item, _ in keep),
        tuple(t[1] for _, t in keep),
        tuple(t[2] for _, t in keep),
        tuple(item.source.style for item, _ in keep),
        tuple(item.source.split_key for item, _ in keep),
    )
    if cache is not None:
        cache.save()
    return corpus, skipped


def _flat(arrays: Sequence[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype)


def save_corpus(corpus: Corpus, folder: str | os.PathLike) -> Path:
    """``tokens.npz`` (all sequences concatenated, with offsets) and a readable ``pieces.csv``."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lengths = np.array([len(t) for t in corpus.tokens], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        tmp = folder / ".tokens.tmp.npz"
        np.savez(tmp, tokens=_flat(corpus.tokens, np.uint16), offsets=offsets,
                 positions=_flat(corpus.positions, np.uint8),
                 meters=_flat(corpus.meters, np.uint8),
                 piece_ids=np.array(corpus.piece_ids, dtype=str),
                 composers=np.array(corpus.composers, dtype=str),
                 splits=np.array(corpus.splits, dtype=str),
                 styles=np.array(corpus.styles, dtype=str),
                 works=np.array(corpus.works, dtype=str),
                 notes=np.array(corpus.notes, dtype=np.int64),
                 vocabulary=np.array(corpus.vocab.to_json()))
        os.replace(tmp, folder / "tokens.npz")
        tmp_csv = folder / ".pieces.tmp.csv"
        with open(tmp_csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["piece_id", "composer", "style", "work", "split", "notes", "tokens"])
            for i in range(len(corpus)):
                writer.writerow([corpus.piece_ids[i], corpus.composers[i], corpus.styles[i],
                                 corpus.works[i], corpus.splits[i], corpus.notes[i],
                                 len(corpus.tokens[i])])
        os.replace(tmp_csv, folder / "pieces.csv")
    except OSError as exc:
        raise CorpusError(f"{folder}: cannot write the corpus ({exc.strerror or exc})") from None
    return folder / "tokens.npz"


def load_corpus(folder: str | os.PathLike) -> Corpus:
    path = Path(folder) / "tokens.npz"
    try:
        with read_npz(path, limit=1 << 31, error=CorpusError) as data:  # regular, bounded
            check_vocabulary_json(str(data["vocabulary"]), path)
            vocab = Vocabulary.from_json(str(data["vocabulary"]), source=str(path))
            flat, offsets = data["tokens"], data["offsets"]
            n = len(offsets) - 1
            if n < 0 or offsets[-1] != len(flat):
                raise ValueError("offsets and events disagree")

            def split(name: str) -> tuple[np.ndarray, ...]:
                if name not in data.files:
                    return ()
                values = data[name]
                if len(values) != len(flat):
                    raise ValueError(f"'{name}' has {len(values)} entries for {len(flat)} events")
                return tuple(values[offsets[i]:offsets[i + 1]] for i in range(n))

            def names(name: str) -> tuple[str, ...]:
                return tuple(data[name].tolist()) if name in data.files else ()

            tokens = tuple(flat[offsets[i]:offsets[i + 1]] for i in range(n))
            if any(t.size and int(t.max()) >= len(vocab) for t in tokens):
                raise ValueError("events outside the vocabulary")
            return Corpus(vocab, tokens, names("piece_ids"), names("composers"),
                          names("splits"), tuple(int(x) for x in data["notes"]),
                          split("positions"), split("meters"), names("styles"), names("works"))
    except FileNotFoundError:
        raise CorpusError(
            f"{path}: no prepared corpus here (run `composer prepare` first)"
        ) from None
    except (OSError, ValueError, KeyError, EOFError, TypeError) as exc:
        raise CorpusError(f"{path}: damaged corpus file ({exc})") from None


def summary_rows(corpus: Corpus) -> list[tuple[str, str, int, int, int]]:
    """(composer, split, pieces, notes, tokens) rows, with per-style and per-split totals."""
    table: dict[tuple[str, str], list[int]] = {}
    for i in range(len(corpus)):
        keys = ((corpus.composers[i], corpus.splits[i]),
                (f"[{corpus.styles[i]}]", corpus.splits[i]), ("ALL", corpus.splits[i]))
        for key in keys:
            row = table.setdefault(key, [0, 0, 0])
            row[0] += 1
            row[1] += corpus.notes[i]
            row[2] += len(corpus.tokens[i])
    order = {s: i for i, s in enumerate(SPLITS)}
    keys = sorted(table, key=lambda k: (k[0] == "ALL", k[0].startswith("["), k[0],
                                        order.get(k[1], 9)))
    return [(c, s, *table[(c, s)]) for c, s in keys]


def format_summary(corpus: Corpus) -> str:
    lines = [f"{'composer':<16} {'split':<6} {'pieces':>7} {'notes':>9} {'tokens':>10}"]
    for composer, split, pieces, notes, tokens in summary_rows(corpus):
        lines.append(f"{composer:<16} {split:<6} {pieces:>7} {notes:>9} {tokens:>10}")
    return "\n".join(lines)
