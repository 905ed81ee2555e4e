"""Reading and writing standard MIDI files: the only module that touches MIDI files.

Reading is built on mido (not pretty_midi) because composer thinks in beats, and mido hands out
ticks, which divide exactly into beats without a detour through seconds. Every failure of the
parser, and every file that would make the rest of the program misbehave (SMPTE timing, tempo 0,
absurd lengths, type 2), becomes one ``MidiFileError`` naming the file and a plain reason.
Writing goes to a temporary file in the target folder that is then renamed over the target, so
a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
from collections import defaultdict, deque
from collections.abc import Iterable
from pathlib import Path

import mido

from composer.errors import MidiFileError
from composer.notes import Note, PedalSpan, Piece, TempoChange, TimeSignature

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_BEATS = 50_000  # about seven hours at 120 bpm: longer is a broken or hostile file
MAX_NOTES = 400_000
DRUM_CHANNEL = 9
PEDAL_CC = 64
WRITE_TICKS_PER_BEAT = 480


def read_midi(path: str | os.PathLike) -> Piece:
    """Read a type 0 or type 1 MIDI file (or an RMID-wrapped one) into a :class:`Piece`."""
    path = Path(path)
    try:
        data = path.read_bytes() if path.stat().st_size <= MAX_FILE_BYTES else None
    except FileNotFoundError:
        raise MidiFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise MidiFileError(f"{path}: is a folder, not a MIDI file") from None
    except OSError as exc:
        raise MidiFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if data is None:
        raise MidiFileError(f"{path}: too large for a MIDI file (over {MAX_FILE_BYTES >> 20} MB)")
    return parse_midi_bytes(data, name=str(path))


def parse_midi_bytes(data: bytes, *, name: str = "<bytes>") -> Piece:
    """Parse MIDI file bytes; ``name`` is used in error messages."""
    data = _unwrap_riff(data, name)
    division = _check_header(data, name)
    try:
        midi = mido.MidiFile(file=io.BytesIO(data), clip=True)
    except (OSError, EOFError, ValueError, IndexError, KeyError, TypeError, struct.error) as exc:
        raise MidiFileError(f"{name}: damaged MIDI data ({_reason(exc)})") from None
    if midi.type == 2:
        raise MidiFileError(f"{name}: MIDI type 2 (independent sequences) is not supported")
    return _piece_from_midi(midi, division, name)


def require_notes(piece: Piece, name: str) -> Piece:
    """A seed must have something to continue."""
    if not piece.notes:
        reason = "only drum notes" if piece.drum_notes else "no notes"
        raise MidiFileError(f"{name}: has {reason}, nothing to continue")
    return piece


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:120]


def _unwrap_riff(data: bytes, name: str) -> bytes:
    """RMID files wrap a standard MIDI file in a RIFF 'data' chunk; unwrap it."""
    if data[:4] != b"RIFF":
        return data
    if data[8:12] != b"RMID":
        raise MidiFileError(f"{name}: a RIFF file that is not RIFF-MIDI (maybe a WAV file)")
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        if chunk_id == b"data":
            inner = data[pos + 8 : pos + 8 + size]
            if inner[:4] != b"MThd":
                break
            return inner
        pos += 8 + size + (size & 1)
    raise MidiFileError(f"{name}: RIFF-MIDI file without a MIDI data chunk")


def _check_header(data: bytes, name: str) -> int:
    if not data:
        raise MidiFileError(f"{name}: the file is empty")
    if data[:4] != b"MThd":
        raise MidiFileError(f"{name}: not a MIDI file (no MThd header)")
    if len(data) < 14:
        raise MidiFileError(f"{name}: truncated MIDI header")
    (length, fmt, tracks, division) = struct.unpack(">IHHH", data[4:14])
    if length < 6:
        raise MidiFileError(f"{name}: damaged MIDI header")
    if fmt > 2:
        raise MidiFileError(f"{name}: unknown MIDI format {fmt}")
    if fmt == 2:
        raise MidiFileError(f"{name}: MIDI type 2 (independent sequences) is not supported")
    if division & 0x8000:
        raise MidiFileError(f"{name}: SMPTE time division is not supported (only beat-based)")
    if division == 0:
        raise MidiFileError(f"{name}: time division is 0 ticks per beat")
    if tracks == 0:
        raise MidiFileError(f"{name}: the file has no tracks")
    return division


def _piece_from_midi(midi: mido.MidiFile, division: int, name: str) -> Piece:
    max_ticks = MAX_BEATS * division
    timeline = []  # (tick, track, index, message): stable merge of all tracks
    for track_index, track in enumerate(midi.tracks):
        tick = 0
        for index, msg in enumerate(track):
            tick += msg.time
            if tick > max_ticks:
                raise MidiFileError(
                    f"{name}: absurd length (over {MAX_BEATS} beats); the file is damaged"
                )
            timeline.append((tick, track_index, index, msg))
    timeline.sort(key=lambda item: (item[0], item[1], item[2]))

    open_notes: dict[tuple[int, int], deque] = defaultdict(deque)
    notes: list[Note] = []
    drums: list[Note] = []
    pedal_down: dict[int, int] = {}
    pedal_spans: list[tuple[int, int]] = []
    tempos: list[TempoChange] = []
    signatures: list[TimeSignature] = []
    texts: list[str] = []
    programs: dict[int, int] = {}
    first_pitched_channel: int | None = None
    last_tick = 0

    def beats(tick: int) -> float:
        return tick / division

    def close(channel: int, pitch: int, tick: int) -> None:
        start, velocity = open_notes[(channel, pitch)].popleft()
        end = tick if tick > start else start + 1  # zero-length notes get one tick
        note = Note(beats(start), beats(end), pitch, velocity)
        (drums if channel == DRUM_CHANNEL else notes).append(note)
        if len(notes) + len(drums) > MAX_NOTES:
            raise MidiFileError(f"{name}: too many notes (over {MAX_NOTES})")

    for tick, _track, _index, msg in timeline:
        last_tick = tick
        kind = msg.type
        if kind == "note_on" and msg.velocity > 0:
            open_notes[(msg.channel, msg.note)].append((tick, msg.velocity))
            if first_pitched_channel is None and msg.channel != DRUM_CHANNEL:
                first_pitched_channel = msg.channel
        elif kind in ("note_off", "note_on"):
            if open_notes.get((msg.channel, msg.note)):
                close(msg.channel, msg.note, tick)
        elif kind == "control_change" and msg.control == PEDAL_CC and msg.channel != DRUM_CHANNEL:
            if msg.value >= 64:
                pedal_down.setdefault(msg.channel, tick)
            elif msg.channel in pedal_down:
                pedal_spans.append((pedal_down.pop(msg.channel), tick))
        elif kind == "program_change":
            programs.setdefault(msg.channel, msg.program)
        elif kind == "set_tempo":
            if msg.tempo <= 0:
                raise MidiFileError(f"{name}: tempo 0 (a tempo event says no time passes)")
            tempos.append(TempoChange(beats(tick), 60_000_000 / msg.tempo))
        elif kind == "time_signature":
            if msg.numerator > 0:
                signatures.append(TimeSignature(beats(tick), msg.numerator, msg.denominator))
        elif kind == "text" and msg.text.strip():
            texts.append(msg.text.strip())

    for (channel, pitch), queue in list(open_notes.items()):
        while queue:
            close(channel, pitch, last_tick)
    for channel, start in pedal_down.items():
        if last_tick > start:
            pedal_spans.append((start, last_tick))

    return Piece(
        notes=tuple(sorted(notes)),
        pedals=tuple(_merge_spans(pedal_spans, beats)),
        tempos=_tempo_map(tempos),
        time_signatures=_signatures(signatures),
        program=programs.get(first_pitched_channel, 0) if first_pitched_channel is not None else 0,
        drum_notes=tuple(sorted(drums)),
        texts=tuple(texts),
    )


def _merge_spans(spans: Iterable[tuple[int, int]], beats) -> list[PedalSpan]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [PedalSpan(beats(a), beats(b)) for a, b in merged]


def _tempo_map(tempos: list[TempoChange]) -> tuple[TempoChange, ...]:
    """One tempo per beat (the last wins), the first at beat 0, repeats dropped."""
    by_beat = {t.beat: t for t in tempos}
    result: list[TempoChange] = []
    for beat in sorted(by_beat):
        change = by_beat[beat]
        if not result:
            change = TempoChange(0.0, change.bpm) if beat == 0 else change
            if beat > 0:
                result.append(TempoChange(0.0, 120.0))
        if result and abs(result[-1].bpm - change.bpm) < 1e-9:
            continue
        result.append(change)
    return tuple(result) or (TempoChange(0.0, 120.0),)


def _signatures(signatures: list[TimeSignature]) -> tuple[TimeSignature, ...]:
    by_beat = {s.beat: s for s in signatures}
    result = [by_beat[b] for b in sorted(by_beat)]
    if not result or result[0].beat > 0:
        result.insert(0, TimeSignature(0.0))
    return tuple(result)


# ----- writing ---------------------------------------------------------------------------
def write_midi(
    path: str | os.PathLike,
    piece: Piece,
    *,
    texts: Iterable[str] = (),
    ticks_per_beat: int = WRITE_TICKS_PER_BEAT,
) -> Path:
    """Write ``piece`` as a type 1 MIDI file, atomically; ``texts`` become text meta events."""
    path = Path(path)
    midi = build_midi(piece, texts=texts, ticks_per_beat=ticks_per_beat)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    write_atomic(path, buffer.getvalue())
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` through a temporary file and a rename."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise MidiFileError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise MidiFileError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_midi(
    piece: Piece, *, texts: Iterable[str] = (), ticks_per_beat: int = WRITE_TICKS_PER_BEAT
) -> mido.MidiFile:
    def tick(beat: float) -> int:
        return max(int(round(beat * ticks_per_beat)), 0)

    conductor: list[tuple[int, int, mido.Message]] = []
    for sig in piece.time_signatures or (TimeSignature(0.0),):
        conductor.append((tick(sig.beat), 0, mido.MetaMessage(
            "time_signature", numerator=sig.numerator, denominator=sig.denominator, time=0)))
    for change in piece.tempos or (TempoChange(0.0, 120.0),):
        conductor.append((tick(change.beat), 1, mido.MetaMessage(
            "set_tempo", tempo=max(1, min(int(round(60_000_000 / change.bpm)), 0xFFFFFF)),
            time=0)))
    for text in texts:
        conductor.append((0, 2, mido.MetaMessage("text", text=text, time=0)))

    events: list[tuple[int, int, mido.Message]] = [
        (0, 0, mido.Message("program_change", channel=0, program=piece.program & 0x7F))
    ]
    for note in piece.notes:
        pitch = min(max(int(note.pitch), 0), 127)
        velocity = min(max(int(note.velocity), 1), 127)
        start, end = tick(note.start), max(tick(note.end), tick(note.start) + 1)
        events.append((start, 3, mido.Message("note_on", channel=0, note=pitch, velocity=velocity)))
        events.append((end, 1, mido.Message("note_off", channel=0, note=pitch, velocity=0)))
    for span in piece.pedals:
        events.append((tick(span.start), 2, mido.Message(
            "control_change", channel=0, control=PEDAL_CC, value=127)))
        events.append((tick(span.end), 1, mido.Message(
            "control_change", channel=0, control=PEDAL_CC, value=0)))
    drum_events = []
    for note in piece.drum_notes:
        start, end = tick(note.start), max(tick(note.end), tick(note.start) + 1)
        drum_events.append((start, 3, mido.Message(
            "note_on", channel=DRUM_CHANNEL, note=note.pitch & 0x7F,
            velocity=min(max(note.velocity, 1), 127))))
        drum_events.append((end, 1, mido.Message(
            "note_off", channel=DRUM_CHANNEL, note=note.pitch & 0x7F, velocity=0)))

    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    for events_of_track in (conductor, events, drum_events):
        if events_of_track is drum_events and not drum_events:
            continue
        midi.tracks.append(_track(events_of_track))
    return midi


def _track(events: list[tuple[int, int, mido.Message]]) -> mido.MidiTrack:
    """Delta-timed track; at one tick, note-offs come before note-ons (order key)."""
    track = mido.MidiTrack()
    now = 0
    for when, _order, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=when - now))
        now = when
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track
