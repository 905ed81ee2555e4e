"""Training corpus: the classical scores bundled with music21 (and the user's MIDI files) as
token sequences.

Why it is shaped like this:
- music21 scores are read directly into notes (offsets and durations are already in quarter
  notes, so no MIDI round trip is needed, and badly formed repeats cannot break a MIDI writer);
- parsing is slow (a chorale ~0.1 s, a Beethoven quartet minutes), so files are converted in
  parallel, each with a time limit, and every result, failures included, is cached on disk by
  file, size, date and tokenizer settings: the second ``prepare`` only reads the cache;
- the corpus holds the same piece in several files, so pieces are de-duplicated by a note
  fingerprint before the split, and the split is decided by a hash of the piece's name, so it
  never changes between runs and no piece leaks across train/validation/test.
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from composer.errors import ComposerError, CorpusError
from composer.notes import Note, PedalSpan
from composer.tokenizer import Tokenizer
from composer.vocabulary import TokenizerSettings, Vocabulary

CLASSICAL_COMPOSERS = (
    "bach", "beethoven", "chopin", "ciconia", "corelli", "cpebach", "handel", "haydn",
    "josquin", "luca", "lusitano", "monteverdi", "mozart", "palestrina", "schubert",
    "schumann_clara", "schumann_robert", "trecento", "verdi", "weber", "beach", "schoenberg",
    "webern",
)
SCORE_SUFFIXES = {".mxl", ".xml", ".musicxml", ".krn", ".abc"}  # not .rntxt: analyses
MIDI_SUFFIXES = {".mid", ".midi", ".kar", ".rmi"}
SPLITS = ("train", "valid", "test")
CONVERTER_VERSION = 1
FILE_TIMEOUT_S = 120
FINGERPRINT_NOTES = 200


@dataclass(frozen=True)
class Source:
    """One file to convert; ``piece_id`` is stable across machines (used for the split)."""

    path: str
    piece_id: str
    composer: str


@dataclass(frozen=True)
class Converted:
    source: Source
    tokens: np.ndarray | None
    notes: int
    fingerprint: str
    error: str | None = None


@dataclass(frozen=True)
class Corpus:
    """Prepared token sequences, one per piece, with composer and split."""

    vocab: Vocabulary
    tokens: tuple[np.ndarray, ...]
    piece_ids: tuple[str, ...]
    composers: tuple[str, ...]
    splits: tuple[str, ...]
    notes: tuple[int, ...]

    def select(self, split: str) -> Corpus:
        keep = [i for i, s in enumerate(self.splits) if s == split]
        return Corpus(
            self.vocab,
            tuple(self.tokens[i] for i in keep),
            tuple(self.piece_ids[i] for i in keep),
            tuple(self.composers[i] for i in keep),
            tuple(self.splits[i] for i in keep),
            tuple(self.notes[i] for i in keep),
        )

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
                sources.append(Source(str(path), f"music21/{rel}", composer))
    return sources


def midi_dir_sources(folder: str | os.PathLike, composer: str = "user") -> list[Source]:
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"{folder}: not a folder")
    return [
        Source(str(p), f"{composer}/{p.relative_to(folder)}", composer)
        for p in sorted(folder.rglob("*"))
        if p.suffix.lower() in MIDI_SUFFIXES and p.is_file()
    ]


def split_of(piece_id: str, valid: float = 0.05, test: float = 0.05) -> str:
    """Deterministic split from a hash of the piece name."""
    h = int(hashlib.sha1(piece_id.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
    return "test" if h < test else "valid" if h < test + valid else "train"


# ----- conversion (runs in worker processes) -------------------------------------------
def score_notes(path: str) -> list[Note]:
    """Notes of a score file read with music21, every part merged, in quarter-note beats.

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
    return notes


def _fingerprint(tokenizer: Tokenizer, notes: Sequence[Note]) -> str:
    quantized = tokenizer.quantize(notes)[:FINGERPRINT_NOTES]
    if not quantized:
        return ""
    first = quantized[0].start
    key = [(round(n.start - first, 3), n.pitch) for n in quantized]
    return hashlib.sha1(repr(key).encode()).hexdigest()


def _alarm(_signum, _frame):
    raise TimeoutError


def convert_source(source: Source, settings: TokenizerSettings) -> Converted:
    """Parse one file into tokens; never raises (the error is returned instead)."""
    tokenizer = Tokenizer(settings)
    in_worker = multiprocessing.current_process().name != "MainProcess"
    use_alarm = hasattr(signal, "SIGALRM") and in_worker
    if use_alarm:
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(FILE_TIMEOUT_S)
    try:
        pedals: Sequence[PedalSpan] = ()
        if Path(source.path).suffix.lower() in MIDI_SUFFIXES:
            from composer.midi_io import read_midi

            piece = read_midi(source.path)
            notes, pedals = list(piece.notes), piece.pedals
        else:
            notes = score_notes(source.path)
        if not notes:
            return Converted(source, None, 0, "", "no notes")
        first = min(n.start for n in notes)
        notes = [n.shifted(-first) for n in notes]
        pedals = [p.shifted(-first) for p in pedals]
        tokens = np.asarray(tokenizer.encode(notes, pedals), dtype=np.uint16)
        return Converted(source, tokens, len(notes), _fingerprint(tokenizer, notes))
    except TimeoutError:
        return Converted(source, None, 0, "", f"took longer than {FILE_TIMEOUT_S} s")
    except ComposerError as exc:
        return Converted(source, None, 0, "", str(exc))
    except Exception as exc:  # noqa: BLE001 - any parser failure skips the piece, listed
        reason = (str(exc).strip().splitlines() or [""])[0][:160]
        return Converted(source, None, 0, "", f"{type(exc).__name__}: {reason}")
    finally:
        if use_alarm:
            signal.alarm(0)


# ----- cache -----------------------------------------------------------------------------
def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "composer" / "corpus"


def _cache_key(source: Source, settings: TokenizerSettings) -> str:
    stat = Path(source.path).stat()
    key = json.dumps([source.path, source.piece_id, source.composer, stat.st_size,
                      stat.st_mtime_ns, asdict(settings), CONVERTER_VERSION])
    return hashlib.sha1(key.encode()).hexdigest()


def _cache_load(path: Path, source: Source) -> Converted | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            error = str(data["error"]) or None
            tokens = data["tokens"] if error is None else None
            return Converted(source, tokens, int(data["notes"]), str(data["fingerprint"]), error)
    except (OSError, ValueError, KeyError):
        return None


def _cache_store(path: Path, item: Converted) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez(tmp, tokens=item.tokens if item.tokens is not None else np.zeros(0, np.uint16),
             notes=item.notes, fingerprint=item.fingerprint, error=item.error or "")
    os.replace(tmp, path)


def _convert_job(job: tuple[int, Source, TokenizerSettings]) -> tuple[int, Converted]:
    index, source, settings = job
    return index, convert_source(source, settings)


def convert_all(
    sources: Sequence[Source],
    settings: TokenizerSettings,
    *,
    cache_dir: Path | None = None,
    jobs: int | None = None,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> list[Converted]:
    """Convert every source, from the cache where possible, the rest in parallel."""
    cache_dir = cache_dir or default_cache_dir()
    results: dict[int, Converted] = {}
    todo = []
    for index, source in enumerate(sources):
        cache_path = cache_dir / f"{_cache_key(source, settings)}.npz"
        cached = _cache_load(cache_path, source) if cache_path.exists() else None
        if cached is not None:
            results[index] = cached
        else:
            todo.append((index, cache_path))
    jobs = max(1, jobs or os.cpu_count() or 1)
    cache_paths = dict(todo)
    work = [(i, sources[i], settings) for i, _ in todo]
    if work:
        if jobs == 1 or len(work) == 1:
            iterator = map(_convert_job, work)
            pool = None
        else:
            pool = multiprocessing.get_context("spawn").Pool(jobs, maxtasksperchild=25)
            # Unordered: one slow quartet does not hold back the progress of the others.
            iterator = pool.imap_unordered(_convert_job, work, chunksize=1)
        try:
            wrapped = progress(iterator, total=len(work)) if progress else iterator
            for index, item in wrapped:
                _cache_store(cache_paths[index], item)
                results[index] = item
        finally:
            if pool is not None:
                pool.terminate()
    return [results[i] for i in range(len(sources))]


# ----- assembling and saving ---------------------------------------------------------------
def assemble(converted: Sequence[Converted], vocab: Vocabulary) -> tuple[Corpus, list[Converted]]:
    """De-duplicate and split; returns the corpus and the skipped items (failed or duplicate)."""
    seen: dict[str, str] = {}
    keep: list[Converted] = []
    skipped: list[Converted] = []
    for item in converted:
        if item.tokens is None:
            skipped.append(item)
        elif item.fingerprint in seen:
            skipped.append(Converted(item.source, None, item.notes, item.fingerprint,
                                     f"duplicate of {seen[item.fingerprint]}"))
        else:
            seen[item.fingerprint] = item.source.piece_id
            keep.append(item)
    corpus = Corpus(
        vocab,
        tuple(item.tokens for item in keep),
        tuple(item.source.piece_id for item in keep),
        tuple(item.source.composer for item in keep),
        tuple(split_of(item.source.piece_id) for item in keep),
        tuple(item.notes for item in keep),
    )
    return corpus, skipped


def save_corpus(corpus: Corpus, folder: str | os.PathLike) -> Path:
    """``tokens.npz`` (all sequences concatenated, with offsets) and a readable ``pieces.csv``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lengths = np.array([len(t) for t in corpus.tokens], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = np.concatenate(corpus.tokens) if corpus.tokens else np.zeros(0, np.uint16)
    tmp = folder / ".tokens.tmp.npz"
    np.savez(tmp, tokens=flat.astype(np.uint16), offsets=offsets,
             piece_ids=np.array(corpus.piece_ids, dtype=str),
             composers=np.array(corpus.composers, dtype=str),
             splits=np.array(corpus.splits, dtype=str),
             notes=np.array(corpus.notes, dtype=np.int64),
             vocabulary=np.array(corpus.vocab.to_json()))
    os.replace(tmp, folder / "tokens.npz")
    with open(folder / "pieces.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["piece_id", "composer", "split", "notes", "tokens"])
        for i in range(len(corpus)):
            writer.writerow([corpus.piece_ids[i], corpus.composers[i], corpus.splits[i],
                             corpus.notes[i], len(corpus.tokens[i])])
    return folder / "tokens.npz"


def load_corpus(folder: str | os.PathLike) -> Corpus:
    path = Path(folder) / "tokens.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            vocab = Vocabulary.from_json(str(data["vocabulary"]), source=str(path))
            flat, offsets = data["tokens"], data["offsets"]
            tokens = tuple(flat[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1))
            return Corpus(vocab, tokens, tuple(data["piece_ids"].tolist()),
                          tuple(data["composers"].tolist()), tuple(data["splits"].tolist()),
                          tuple(int(n) for n in data["notes"]))
    except FileNotFoundError:
        raise CorpusError(
            f"{path}: no prepared corpus here (run `composer prepare` first)"
        ) from None
    except (OSError, ValueError, KeyError) as exc:
        raise CorpusError(f"{path}: damaged corpus file ({exc})") from None


def summary_rows(corpus: Corpus) -> list[tuple[str, str, int, int, int]]:
    """(composer, split, pieces, notes, tokens) rows, with per-split totals at the end."""
    table: dict[tuple[str, str], list[int]] = {}
    for i in range(len(corpus)):
        for key in ((corpus.composers[i], corpus.splits[i]), ("ALL", corpus.splits[i])):
            row = table.setdefault(key, [0, 0, 0])
            row[0] += 1
            row[1] += corpus.notes[i]
            row[2] += len(corpus.tokens[i])
    order = {s: i for i, s in enumerate(SPLITS)}
    keys = sorted(table, key=lambda k: (k[0] == "ALL", k[0], order.get(k[1], 9)))
    return [(c, s, *table[(c, s)]) for c, s in keys]


def format_summary(corpus: Corpus) -> str:
    lines = [f"{'composer':<16} {'split':<6} {'pieces':>7} {'notes':>9} {'tokens':>10}"]
    for composer, split, pieces, notes, tokens in summary_rows(corpus):
        lines.append(f"{composer:<16} {split:<6} {pieces:>7} {notes:>9} {tokens:>10}")
    return "\n".join(lines)
