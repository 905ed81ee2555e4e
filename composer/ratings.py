"""The listener's ratings: every like, dislike and "more like this", kept so a crash loses none.

A :class:`Rating` holds what was rated (the take's notes, or the bars chosen), what it continued
(the seed's notes and time signatures, so the model can be run over it again as it was
generated), the settings and random seed that made it, and the verdict. The log is a JSON-lines
file in the user's data folder (:func:`data_dir`: ``$COMPOSER_DATA`` if set, else the platform's
user data folder), one rating per line, only ever appended to: each rating is one ``write`` of a
whole line followed by ``fsync``, so a crash loses at most the rating being written, never one
already there.

Why JSON lines and not one JSON document: rewriting a growing document on every click would
cost more each time and risk the whole history on one interrupted write; an appended line
risks nothing before it.

A log that cannot be read (a line that is not a rating: a disk error, an editor) is never
deleted: :meth:`RatingLog.load` renames it aside to ``ratings.jsonl.damaged-<time>``, starts a
fresh log holding the ratings it could read, and says so in :attr:`RatingLog.notice` (a last
line cut short by a crash is the rating that was being written; it is handled the same way, so
the cut text is kept too).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from composer.atomic import write_text_atomic
from composer.errors import RatingsError
from composer.notes import Note, TimeSignature

LIKE, DISLIKE, MORE = "like", "dislike", "more"
VERDICTS = (LIKE, DISLIKE, MORE)
LOG_NAME = "ratings.jsonl"
MAX_LOG_BYTES = 256 << 20  # about 100,000 rated takes


def data_dir() -> Path:
    """``$COMPOSER_DATA``, else the user's data folder for composer (created when written)."""
    env = os.environ.get("COMPOSER_DATA")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "composer"


@dataclass(frozen=True)
class Rating:
    """One verdict on one take (or on bars of it), with everything needed to learn from it.

    ``notes`` are the rated notes, ``seed`` what came before them (both in absolute beats);
    ``start_beat``/``end_beat`` bound the rated stretch. ``weight`` lets "more like this"
    count more than a plain like.
    """

    verdict: str
    notes: tuple[Note, ...]
    start_beat: float
    end_beat: float
    seed: tuple[Note, ...] = ()
    time_signatures: tuple[TimeSignature, ...] = ()
    settings: dict = field(default_factory=dict, compare=False)
    random_seed: int | None = None
    model: str = ""
    source: str = ""  # a file name, or "app"
    created: float = 0.0

    @property
    def sign(self) -> float:
        """+1 for a like or "more like this", -1 for a dislike."""
        return -1.0 if self.verdict == DISLIKE else 1.0

    @property
    def weight(self) -> float:
        return 2.0 if self.verdict == MORE else 1.0

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "notes": [[n.start, n.end, n.pitch, n.velocity] for n in self.notes],
            "start_beat": self.start_beat, "end_beat": self.end_beat,
            "seed": [[n.start, n.end, n.pitch, n.velocity] for n in self.seed],
            "time_signatures": [[s.beat, s.numerator, s.denominator]
                                for s in self.time_signatures],
            "settings": dict(self.settings), "random_seed": self.random_seed,
            "model": self.model, "source": self.source, "created": self.created,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Rating:
        """The rating a line holds; ValueError (or TypeError/KeyError) if it is not one."""
        verdict = data["verdict"]
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}")

        def notes(rows) -> tuple[Note, ...]:
            result = []
            for start, end, pitch, velocity in rows:
                start, end = float(start), float(end)
                if not (0 <= start <= end < 1e7) or not 0 <= int(pitch) <= 127:
                    raise ValueError("a note out of range")
                result.append(Note(start, end, int(pitch), max(1, min(127, int(velocity)))))
            return tuple(result)

        settings = data.get("settings", {})
        if not isinstance(settings, dict):
            raise ValueError("settings must be an object")
        seed = data.get("random_seed")
        return cls(
            verdict=verdict, notes=notes(data["notes"]),
            start_beat=float(data["start_beat"]), end_beat=float(data["end_beat"]),
            seed=notes(data.get("seed", [])),
            time_signatures=tuple(TimeSignature(float(b), int(n), int(d))
                                  for b, n, d in data.get("time_signatures", [])),
            settings=settings, random_seed=None if seed is None else int(seed),
            model=str(data.get("model", "")), source=str(data.get("source", "")),
            created=float(data.get("created", 0.0)),
        )


def rating_of_take(verdict: str, take, seed_notes: Sequence[Note] = (),
                   time_signatures: Sequence[TimeSignature] = (), *, settings: dict | None = None,
                   model: str = "", source: str = "app",
                   bars: tuple[float, float] | None = None) -> Rating:
    """A rating of a :class:`composer.generate.Take` (or of the beats ``bars`` of it: "more
    like this" on selected bars; the take's notes before them then count as context)."""
    if verdict not in VERDICTS:
        raise RatingsError(f"unknown rating {verdict!r} (use {', '.join(VERDICTS)})")
    start, end = (take.start_beat, take.end_beat) if bars is None else bars
    rated = tuple(n for n in take.notes if start - 1e-9 <= n.start < end)
    before = tuple(seed_notes) + tuple(n for n in take.notes if n.start < start - 1e-9)
    return Rating(verdict, rated, float(start), float(end), before, tuple(time_signatures),
                  dict(settings or {}), take.random_seed, model, source, time.time())


class RatingLog:
    """The append-only log of ratings in ``folder`` (default :func:`data_dir`)."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folder = Path(folder) if folder is not None else data_dir()
        self.path = self.folder / LOG_NAME
        self.notice = ""  # what load() had to do about a damaged log, for the person

    def append(self, rating: Rating) -> None:
        """Add one rating: one whole line, flushed to disk before this returns."""
        line = (json.dumps(rating.to_dict(), separators=(",", ":")) + "\n").encode()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise RatingsError(f"{self.path}: cannot save the rating "
                               f"({exc.strerror or exc})") from None

    def extend(self, ratings: Iterable[Rating]) -> None:
        for rating in ratings:
            self.append(rating)

    def load(self) -> list[Rating]:
        """Every rating in the log, oldest first (none if there is no log yet).

        A damaged log is renamed aside and replaced by one holding the ratings that could be
        read (:attr:`notice` says so); nothing is ever deleted.
        """
        self.notice = ""
        try:
            with open(self.path, "rb") as handle:
                data = handle.read(MAX_LOG_BYTES + 1)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RatingsError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        lines = data.split(b"\n")
        torn = lines[-1] != b""  # the last write did not finish its line
        ratings, bad = [], 0
        for raw in lines:
            if not raw.strip():
                continue
            try:
                ratings.append(Rating.from_dict(json.loads(raw.decode("utf-8"))))
            except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
                bad += 1
        if len(data) > MAX_LOG_BYTES:
            bad += 1
        if bad:
            aside = self._move_aside()
            write_text_atomic(self.path, "".join(
                json.dumps(r.to_dict(), separators=(",", ":")) + "\n" for r in ratings),
                error=RatingsError)
            count = (f"{len(ratings)} rating{'s' if len(ratings) != 1 else ''}")
            if bad == 1 and torn:
                what = "its last rating was cut short (the app stopped while saving it)"
            else:
                what = f"{bad} unreadable line{'s' if bad != 1 else ''}"
            self.notice = (f"The ratings log was damaged ({what}); it is kept as {aside.name} "
                           f"and a fresh log started with the {count} that could be read")
        return ratings

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{LOG_NAME}.damaged-{stamp}")
        counter = 1
        while aside.exists():
            aside = self.path.with_name(f"{LOG_NAME}.damaged-{stamp}-{counter}")
            counter += 1
        try:
            os.rename(self.path, aside)
        except OSError as exc:
            raise RatingsError(f"{self.path}: is damaged and cannot be moved aside "
                               f"({exc.strerror or exc})") from None
        return aside

    def reset(self) -> Path | None:
        """Start over: the log is renamed aside (``ratings.jsonl.reset-<time>``), not deleted."""
        if not self.path.exists():
            return None
        aside = self.path.with_name(f"{LOG_NAME}.reset-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.rename(self.path, aside)
        except OSError as exc:
            raise RatingsError(f"{self.path}: cannot be moved aside ({exc.strerror or exc})"
                               ) from None
        return aside
