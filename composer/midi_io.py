"""Reading and writing standard MIDI files: the only modules that touch MIDI files are this
one (reading) and :mod:`composer.midi_write` (writing, re-exported here).

Reading walks the file's bytes directly instead of going through ``mido.MidiFile``. That is a
deliberate exception to "prefer the library": mido builds and validates a Python object for
every event (about 7 µs and 200 bytes each, measured here), so a 16 MB file of notes took 37 s
and over a gigabyte before a single check could run, and it gives up on a whole file for
defects every player tolerates (fewer tracks than the header declares, unknown chunks, junk
after the last track). The reader below keeps only the events composer uses (notes, sustain
pedal, program, tempo, time signature, text), counts everything it reads against fixed limits,
and so rejects a hostile file in about a second and a few megabytes. It is checked against
mido, event for event, on real files in the tests. Writing still uses mido.

composer thinks in beats, and a MIDI file counts ticks of a beat, so reading never goes through
seconds. Every failure, and every file that would make the rest of the program misbehave
(SMPTE timing, tempo 0, absurd lengths, type 2), becomes one ``MidiFileError`` naming the file
and a plain reason. Writing goes to a temporary file in the target folder that is then renamed
over the target, so a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import struct
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from composer.errors import MidiFileError
from composer.inputs import read_bytes
from composer.midi_write import (  # noqa: F401 - writing, re-exported: import it from here
    DRUM_CHANNEL,
    GENERATED_TRACK_NAME,
    MAX_BEATS,
    WRITE_TICKS_PER_BEAT,
    _reason,
    build_midi,
    write_atomic,
    write_midi,
)
from composer.notes import (
    DEFAULT_TEMPO_BPM,
    PEDAL_CC,
    PEDAL_DOWN,
    Note,
    PedalSpan,
    Piece,
    TempoChange,
    TimeSignature,
)

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_SECONDS = 12 * 3600  # the same guard in wall-clock time (a slow tempo stretches beats)
MAX_NOTES = 400_000
MAX_EVENTS = 2_000_000  # a dense real performance has ~300,000 events per megabyte
MAX_TEMPO_EVENTS = 100_000  # tempo and time-signature changes (a rubato curve has thousands)
MAX_TEXTS = 100  # text events kept (titles, credits); the rest are read past
# File names read as MIDI everywhere (corpus folders, the app's Open and drop, the CLI).
MIDI_SUFFIXES = frozenset({".mid", ".midi", ".kar", ".rmi", ".smf"})

# Data bytes of each channel message (by the high nibble of the status byte).
_DATA_BYTES = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}
_META_TEXT, _META_END, _META_TEMPO, _META_TIME_SIGNATURE = 0x01, 0x2F, 0x51, 0x58
_META_TRACK_NAME = 0x03


def read_midi(path: str | os.PathLike) -> Piece:
    """Read a type 0 or type 1 MIDI file (or an RMID-wrapped one) into a :class:`Piece`."""
    path = Path(path)
    return parse_midi_bytes(_file_bytes(path), name=str(path))


def read_midi_with_generated(path: str | os.PathLike) -> tuple[Piece, tuple[bool, ...]]:
    """:func:`read_midi`, plus for each of ``piece.notes`` whether it was saved as generated
    (it sits in the track named :data:`GENERATED_TRACK_NAME`; see :func:`write_midi`)."""
    path = Path(path)
    reader, piece = _parse(_file_bytes(path), str(path))
    return piece, reader.generated_flags(piece)


def _file_bytes(path: Path) -> bytes:
    """The file's bytes through composer.inputs: a regular file within the size limit only,
    so a FIFO never blocks and a device never fills memory."""
    try:
        return read_bytes(path, limit=MAX_FILE_BYTES, error=MidiFileError)
    except FileNotFoundError:
        raise MidiFileError(f"{path}: no such file") from None


def parse_midi_bytes(data: bytes, *, name: str = "<bytes>") -> Piece:
    """Parse MIDI file bytes; ``name`` is used in error messages. Raises only MidiFileError."""
    return _parse(data, name)[1]


def _parse(data: bytes, name: str) -> tuple[_Reader, Piece]:
    """The reader after all tracks, and the piece it read."""
    try:
        data = bytes(data)
        if len(data) > MAX_FILE_BYTES:
            raise MidiFileError(f"{name}: too large (over {MAX_FILE_BYTES >> 20} MB)")
        data = _unwrap_riff(data, name)
        division, tracks = _split_chunks(data, name)
        reader = _Reader(data, division, name)
        for number, (start, end) in enumerate(tracks):
            reader.read_track(number, start, end)
        return reader, reader.piece()
    except MidiFileError:
        raise
    except (IndexError, ValueError, KeyError, OverflowError, struct.error) as exc:
        # A safety net: every known defect has its own message above.
        raise MidiFileError(f"{name}: damaged MIDI data ({_reason(exc)})") from None


def require_notes(piece: Piece, name: str) -> Piece:
    """A seed must have something to continue."""
    if not piece.notes:
        reason = "only drum notes" if piece.drum_notes else "no notes"
        raise MidiFileError(f"{name}: has {reason}, nothing to continue")
    return piece




# ----- container level -------------------------------------------------------------------
def _unwrap_riff(data: bytes, name: str) -> bytes:
    """RMID files wrap a standard MIDI file in a RIFF 'data' chunk; unwrap it."""
    if data[:4] != b"RIFF":
        return data
    if len(data) < 12 or data[8:12] != b"RMID":
        raise MidiFileError(f"{name}: a RIFF file that is not RIFF-MIDI (maybe a WAV file)")
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        if pos + 8 + size > len(data):
            raise MidiFileError(f"{name}: truncated RIFF-MIDI file (a chunk runs past the end)")
        if chunk_id == b"data":
            inner = data[pos + 8 : pos + 8 + size]
            if inner[:4] != b"MThd":
                raise MidiFileError(f"{name}: the RIFF-MIDI data chunk holds no MIDI file")
            return inner
        pos += 8 + size + (size & 1)
    raise MidiFileError(f"{name}: RIFF-MIDI file without a MIDI data chunk")


def _split_chunks(data: bytes, name: str) -> tuple[int, list[tuple[int, int]]]:
    """Check the header and find the track chunks: (ticks per beat, [(start, end), ...]).

    Unknown chunks are skipped (the standard asks readers to), and what follows the last whole
    track, when it is not a track (fewer tracks than declared, junk), is ignored, like players
    do.
    """
    if not data:
        raise MidiFileError(f"{name}: the file is empty")
    if data[:4] != b"MThd":
        raise MidiFileError(f"{name}: not a MIDI file (no MThd header)")
    if len(data) < 14:
        raise MidiFileError(f"{name}: truncated MIDI header")
    length, fmt, declared, division = struct.unpack(">IHHH", data[4:14])
    if length < 6 or 8 + length > len(data):
        raise MidiFileError(f"{name}: damaged MIDI header (length {length})")
    if fmt == 2:
        raise MidiFileError(f"{name}: MIDI type 2 (independent sequences) is not supported")
    if fmt > 2:
        raise MidiFileError(f"{name}: unknown MIDI format {fmt}")
    if division & 0x8000:
        raise MidiFileError(f"{name}: SMPTE time division is not supported (only beat-based)")
    if division == 0:
        raise MidiFileError(f"{name}: time division is 0 ticks per beat")
    if declared == 0:
        raise MidiFileError(f"{name}: the file has no tracks")
    tracks: list[tuple[int, int]] = []
    pos = 8 + length
    while len(tracks) < declared and pos < len(data):
        chunk_id = data[pos : pos + 4]
        if pos + 8 > len(data) or not all(0x20 <= c < 0x7F for c in chunk_id):
            if tracks:
                break  # junk after the last track
            raise MidiFileError(f"{name}: damaged (no track chunk at byte {pos})")
        (size,) = struct.unpack(">I", data[pos + 4 : pos + 8])
        start, end = pos + 8, pos + 8 + size
        if chunk_id == b"MTrk":
            if end > len(data):
                raise MidiFileError(
                    f"{name}: truncated track {len(tracks) + 1} (it says {size} bytes, "
                    f"{len(data) - start} are left)"
                )
            tracks.append((start, end))
        pos = end
    if not tracks:
        raise MidiFileError(f"{name}: the file has no track data")
    return division, tracks


# ----- events ----------------------------------------------------------------------------
@dataclass
class _Reader:
    """Collects what composer needs from the tracks of one file, within the limits.

    Notes are paired per track, channel and pitch, first in first out (so overlapping notes of
    one pitch stay two notes); a note-on with velocity 0 is a note-off.
    """

    data: bytes
    division: int
    name: str
    events: int = 0
    note_ons: int = 0
    last_tick: int = 0
    notes: list[tuple[int, int, int, int]] = field(default_factory=list)  # ticks, pitch, vel
    drums: list[tuple[int, int, int, int]] = field(default_factory=list)
    unclosed: list[tuple[int, int, int, int]] = field(default_factory=list)  # s, p, v, ch
    pedal_spans: list[tuple[int, int]] = field(default_factory=list)
    tempos: list[tuple[int, int, int]] = field(default_factory=list)  # tick, track, µs/beat
    signatures: list[tuple[int, int, int, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    programs: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # ch -> t, tr, prog
    first_note: tuple[int, int, int] | None = None  # (tick, track, channel) of the first note
    tracks_read: int = 0
    generated_tracks: set[int] = field(default_factory=set)  # named GENERATED_TRACK_NAME
    generated: list[tuple[int, int, int, int]] = field(default_factory=list)  # their notes
    generated_unclosed: list[tuple[int, int, int]] = field(default_factory=list)  # s, p, v

    def fail(self, reason: str) -> MidiFileError:
        return MidiFileError(f"{self.name}: {reason}")

    def read_track(self, number: int, pos: int, end: int) -> None:
        data = self.data
        max_ticks = MAX_BEATS * self.division
        where = f"track {number + 1}"
        open_notes: dict[tuple[int, int], deque[tuple[int, int]]] = {}
        pedal_down: dict[int, int] = {}
        notes, drums = self.notes, self.drums
        notes_before = len(notes)
        tick = 0
        status = 0
        budget = MAX_EVENTS - self.events
        count = 0
        ons_left = MAX_NOTES - self.note_ons
        try:
            while pos < end:
                # delta time: a variable-length number of at most 4 bytes
                byte = data[pos]
                delta = byte & 0x7F
                pos += 1
                length = 1
                while byte & 0x80:
                    if length == 4:
                        raise self.fail(f"damaged {where} (a delta time longer than 4 bytes)")
                    byte = data[pos]
                    delta = (delta << 7) | (byte & 0x7F)
                    pos += 1
                    length += 1
                tick += delta
                if tick > max_ticks:
                    raise self.fail(
                        f"absurd length (an event after {MAX_BEATS} beats); the file is damaged"
                    )
                count += 1
                if count > budget:
                    raise self.fail(f"too many events (over {MAX_EVENTS})")
                byte = data[pos]
                if byte & 0x80:
                    pos += 1
                    if byte < 0xF0:
                        status = byte
                elif status:
                    byte = status  # running status: the data byte is read below
                else:
                    raise self.fail(f"damaged {where} (running status with no status before)")
                if byte < 0xF0:
                    kind, channel = byte & 0xF0, byte & 0x0F
                    first = data[pos]
                    if _DATA_BYTES[kind] == 1:
                        second = 0
                        pos += 1
                    else:
                        second = data[pos + 1]
                        pos += 2
                        if second > 127:
                            second = 127  # a damaged data byte: clipped, as mido does
                    if first > 127:
                        first = 127
                    if kind == 0x90 and second:
                        ons_left -= 1
                        if ons_left < 0:  # counted at the start: notes never ended count too
                            raise self.fail(f"too many notes (over {MAX_NOTES})")
                        queue = open_notes.get((channel, first))
                        if queue is None:
                            queue = open_notes[(channel, first)] = deque()
                        queue.append((tick, second))
                        if channel != DRUM_CHANNEL and (
                            self.first_note is None or tick < self.first_note[0]
                        ):
                            self.first_note = (tick, number, channel)
                    elif kind == 0x80 or kind == 0x90:
                        queue = open_notes.get((channel, first))
                        if queue:
                            start, velocity = queue.popleft()
                            end_tick = tick if tick > start else start + 1  # at least 1 tick
                            (drums if channel == DRUM_CHANNEL else notes).append(
                                (start, end_tick, first, velocity)
                            )
                    elif kind == 0xB0 and first == PEDAL_CC and channel != DRUM_CHANNEL:
                        if second >= PEDAL_DOWN:
                            pedal_down.setdefault(channel, tick)
                        elif channel in pedal_down:
                            self.pedal_spans.append((pedal_down.pop(channel), tick))
                    elif kind == 0xC0:
                        known = self.programs.get(channel)
                        if known is None or (tick, number) < known[:2]:
                            self.programs[channel] = (tick, number, first)
                elif byte == 0xFF:
                    meta = data[pos]
                    size, pos = self._varlen(pos + 1, where)
                    body = data[pos : pos + size]
                    pos += size
                    if pos > end:
                        raise self.fail(f"truncated {where} (an event runs past its end)")
                    if meta == _META_END:
                        break
                    self._meta(meta, body, tick, number)
                elif byte in (0xF0, 0xF7):
                    size, pos = self._varlen(pos, where)
                    pos += size
                else:
                    raise self.fail(f"damaged {where} (undefined status byte 0x{byte:02X})")
            if pos > end:
                raise self.fail(f"truncated {where} (an event runs past its end)")
        except IndexError:
            raise self.fail(f"truncated {where} (the file ends inside an event)") from None
        self.events += count
        self.note_ons = MAX_NOTES - ons_left
        self.last_tick = max(self.last_tick, tick)
        self.tracks_read += 1
        if number in self.generated_tracks:
            self.generated += notes[notes_before:]
        for (channel, pitch), queue in open_notes.items():
            self.unclosed += [(start, pitch, velocity, channel) for start, velocity in queue]
            if number in self.generated_tracks and channel != DRUM_CHANNEL:
                self.generated_unclosed += [(start, pitch, velocity) for start, velocity in queue]
        self.pedal_spans += [(start, -1) for start in pedal_down.values()]  # closed at the end

    def _varlen(self, pos: int, where: str) -> tuple[int, int]:
        value = 0
        for _ in range(4):
            byte = self.data[pos]
            pos += 1
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                return value, pos
        raise self.fail(f"damaged {where} (a length longer than 4 bytes)")

    def _meta(self, meta: int, body: bytes, tick: int, track: int) -> None:
        if meta == _META_TEMPO:
            if len(body) < 3:
                raise self.fail("damaged tempo event (fewer than 3 bytes)")
            tempo = int.from_bytes(body[:3], "big")
            if tempo == 0:
                raise self.fail("tempo 0 (a tempo event says no time passes)")
            self.tempos.append((tick, track, tempo))
            if len(self.tempos) > MAX_TEMPO_EVENTS:
                raise self.fail(f"too many tempo changes (over {MAX_TEMPO_EVENTS})")
        elif meta == _META_TIME_SIGNATURE and len(body) >= 2:
            numerator, power = body[0], body[1]
            if numerator > 0 and power <= 6:  # denominators 1..64; others are junk, ignored
                self.signatures.append((tick, track, numerator, 1 << power))
                if len(self.signatures) > MAX_TEMPO_EVENTS:
                    raise self.fail(f"too many time signatures (over {MAX_TEMPO_EVENTS})")
        elif meta == _META_TRACK_NAME and body.strip() == GENERATED_TRACK_NAME.encode():
            self.generated_tracks.add(track)
        elif meta == _META_TEXT and len(self.texts) < MAX_TEXTS:
            text = body.decode("latin-1").strip()
            if text:
                self.texts.append(text)

    def piece(self) -> Piece:
        division = self.division
        last = self.last_tick
        open_generated = Counter(self.generated_unclosed)
        for start, pitch, velocity, channel in self.unclosed:  # ring until the end of the file
            closed = (start, max(last, start + 1), pitch, velocity)
            (self.drums if channel == DRUM_CHANNEL else self.notes).append(closed)
            if channel != DRUM_CHANNEL and open_generated[(start, pitch, velocity)] > 0:
                open_generated[(start, pitch, velocity)] -= 1
                self.generated.append(closed)
        # Sorted as tuples (fast), in the same order as Note's own ordering.
        notes = [Note(s / division, e / division, p, v) for s, e, p, v in sorted(self.notes)]
        drums = [Note(s / division, e / division, p, v) for s, e, p, v in sorted(self.drums)]
        spans = [(start, last if end < 0 else end) for start, end in self.pedal_spans]
        tempos = _tempo_map(
            [TempoChange(t / division, 60_000_000 / us) for t, _, us in sorted(self.tempos)]
        )
        signatures = _signatures(
            [TimeSignature(t / division, n, d) for t, _, n, d in sorted(self.signatures)]
        )
        program = 0
        if self.first_note is not None:
            program = self.programs.get(self.first_note[2], (0, 0, 0))[2]
        piece = Piece(
            notes=tuple(notes),
            pedals=tuple(_merge_spans(spans, division)),
            tempos=tempos,
            time_signatures=signatures,
            program=program,
            drum_notes=tuple(drums),
            texts=tuple(self.texts),
        )
        end_beat = max(piece.end_beat, max((n.end for n in drums), default=0.0))
        if piece.seconds_at(end_beat) > MAX_SECONDS:
            raise self.fail(
                f"absurd duration (over {MAX_SECONDS // 3600} hours at its tempo); "
                "the file is damaged"
            )
        return piece

    def generated_flags(self, piece: Piece) -> tuple[bool, ...]:
        """For each of ``piece.notes`` (this reader's), whether it came from a generated track.

        Matched by value, as a multiset: two identical notes, one of each kind, are told
        apart only by count, which is all that can be known of identical notes. Our files
        have at least three tracks (tempo, notes, generated); one with fewer is never marked:
        a tool that merged the note tracks into one kept the track name, and every note would
        open as generated.
        """
        if not self.generated or self.tracks_read < 3:
            return (False,) * len(piece.notes)
        division = self.division
        left = Counter(Note(s / division, e / division, p, v) for s, e, p, v in self.generated)
        flags = []
        for note in piece.notes:
            flags.append(left[note] > 0)
            left[note] -= 1
        return tuple(flags)


def _merge_spans(spans: Iterable[tuple[int, int]], division: int) -> list[PedalSpan]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [PedalSpan(a / division, b / division) for a, b in merged]


def _tempo_map(tempos: list[TempoChange]) -> tuple[TempoChange, ...]:
    """One tempo per beat (the last wins), the first at beat 0, repeats dropped."""
    by_beat = {t.beat: t for t in tempos}
    result: list[TempoChange] = []
    for beat in sorted(by_beat):
        change = by_beat[beat]
        if not result and beat > 0:
            result.append(TempoChange(0.0, DEFAULT_TEMPO_BPM))
        if result and abs(result[-1].bpm - change.bpm) < 1e-9:
            continue
        result.append(change)
    return tuple(result) or (TempoChange(0.0, DEFAULT_TEMPO_BPM),)


def _signatures(signatures: list[TimeSignature]) -> tuple[TimeSignature, ...]:
    """One signature per beat (the last wins), the first at beat 0 (4/4 unless given)."""
    by_beat = {s.beat: s for s in signatures}
    result = [by_beat[b] for b in sorted(by_beat)]
    if not result or result[0].beat > 0:
        result.insert(0, TimeSignature(0.0))
    return tuple(result)
