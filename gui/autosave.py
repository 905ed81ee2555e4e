"""Crash insurance: the unsaved piece is written now and then, and offered back at next start.

Two files in the app's data folder, each written atomically (temp file + rename): a standard
MIDI file of the piece (usable on its own if all else fails) and a small JSON with what MIDI
cannot hold (which notes were generated and kept, by their exact ticks; the file the piece
came from; when).
A clean save or a deliberate discard removes them.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from composer.errors import ComposerError
from composer.midi_io import WRITE_TICKS_PER_BEAT, read_midi, write_atomic, write_midi
from composer.notes import Note, Piece

MIDI_NAME = "autosave.mid"
JSON_NAME = "autosave.json"


@dataclass(frozen=True)
class Snapshot:
    piece: Piece
    origins: list[str]
    source: str | None  # the file the piece was opened from, if any
    saved_at: float  # time.time()


class Autosave:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @property
    def midi_path(self) -> Path:
        return self.folder / MIDI_NAME

    @property
    def json_path(self) -> Path:
        return self.folder / JSON_NAME

    def write(self, piece: Piece, kept: list[Note], source: str | None) -> None:
        """Save ``piece``; ``kept`` are its notes that were generated and kept."""
        self.folder.mkdir(parents=True, exist_ok=True)
        write_midi(self.midi_path, piece, texts=["composer autosave"])
        meta = {"version": 1, "source": source, "saved_at": time.time(),
                "kept": sorted(_key(n) for n in kept)}
        write_atomic(self.json_path, json.dumps(meta).encode())

    def exists(self) -> bool:
        return self.midi_path.is_file() and self.json_path.is_file()

    def read(self) -> Snapshot | None:
        """The saved session, or None if there is none or it is unreadable."""
        if not self.exists():
            return None
        try:
            meta = json.loads(self.json_path.read_text())
            piece = read_midi(self.midi_path)
        except (OSError, ValueError, ComposerError):
            return None
        texts = tuple(t for t in piece.texts if t != "composer autosave")
        if not isinstance(meta, dict):
            return None
        kept = Counter(tuple(k) for k in meta.get("kept", []) if isinstance(k, list))
        origins = []
        for note in piece.notes:
            key = _key(note)
            origins.append("accepted" if kept[key] > 0 else "seed")
            kept[key] -= 1
        return Snapshot(
            piece=Piece(piece.notes, piece.pedals, piece.tempos, piece.time_signatures,
                        piece.program, piece.drum_notes, texts),
            origins=origins,
            source=meta.get("source"),
            saved_at=float(meta.get("saved_at", 0.0)),
        )

    def clear(self) -> None:
        for path in (self.midi_path, self.json_path):
            path.unlink(missing_ok=True)


def _key(note: Note) -> tuple[int, int, int]:
    """A note as MIDI ticks: what survives the round trip through the MIDI file exactly."""
    return (round(note.start * WRITE_TICKS_PER_BEAT), round(note.end * WRITE_TICKS_PER_BEAT),
            note.pitch)
