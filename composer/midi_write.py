"""Writing standard MIDI files (reading is :mod:`composer.midi_io`, which re-exports these).

Writing uses mido. Track 0 holds the tempo map, the time signatures and the texts; the notes
and the sustain pedal follow on channel 1, the kept generated notes in a track of their own
(:data:`GENERATED_TRACK_NAME`), drums last. Files are written to a temporary file in the target
folder and renamed over the target (:mod:`composer.atomic`), so a crash never leaves a
half-written file behind.
"""

from __future__ import annotations

import io
import math
import os
from collections import Counter
from collections.abc import Collection, Iterable
from pathlib import Path

from composer.atomic import atomic_file
from composer.errors import MidiFileError
from composer.notes import (
    DEFAULT_TEMPO_BPM,
    PEDAL_CC,
    Note,
    Piece,
    TempoChange,
    TimeSignature,
    clamp_pitch,
    clamp_velocity,
)

DRUM_CHANNEL = 9
WRITE_TICKS_PER_BEAT = 480
# The reader's limit (composer.midi_io reads it from here): a note later than this is refused
# when written, instead of a file whose delta times overflow MIDI's 28 bits (a note at beat
# 10^6 once came out as a file no reader accepts, ours included).
MAX_BEATS = 50_000  # about seven hours at 120 bpm: longer is a broken or hostile file
# The track that holds the notes a composer session generated and kept, so that opening the
# file again shows them as generated. Other programs see a second piano track.
GENERATED_TRACK_NAME = "composer: generated"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:120]


def write_midi(
    path: str | os.PathLike,
    piece: Piece,
    *,
    texts: Iterable[str] = (),
    generated: Collection[Note] = (),
    ticks_per_beat: int = WRITE_TICKS_PER_BEAT,
) -> Path:
    """Write ``piece`` as a type 1 MIDI file, atomically; ``texts`` become text meta events.

    Track 0 holds the tempo map, the time signatures and the texts; track 1 the notes and the
    sustain pedal on channel 1 with the piece's program. Those of ``piece.notes`` that are
    also in ``generated`` go instead to a track named :data:`GENERATED_TRACK_NAME` (same
    channel and program, so it sounds the same). Drum notes, if any, go to the last track on
    the drum channel.
    """
    path = Path(path)
    buffer = io.BytesIO()
    try:
        build_midi(piece, texts=texts, generated=generated,
                   ticks_per_beat=ticks_per_beat).save(file=buffer)
    except (ValueError, TypeError, OverflowError) as exc:
        raise MidiFileError(f"{path}: cannot write this piece ({_reason(exc)})") from None
    write_atomic(path, buffer.getvalue())
    return path


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write bytes to ``path`` through a temporary file and a rename (composer.atomic)."""
    with atomic_file(path, error=MidiFileError) as handle:
        handle.write(data)


def build_midi(
    piece: Piece,
    *,
    texts: Iterable[str] = (),
    generated: Collection[Note] = (),
    ticks_per_beat: int = WRITE_TICKS_PER_BEAT,
):
    """The ``mido.MidiFile`` that :func:`write_midi` saves (values clamped to what MIDI holds).

    Raises ``ValueError`` for times that are not finite numbers.
    """
    import mido

    def tick(beat: float) -> int:
        if not math.isfinite(beat):
            raise ValueError(f"a note or event at beat {beat}")
        if beat > MAX_BEATS:
            raise ValueError(f"a note or event at beat {beat:g}, past the {MAX_BEATS} beats a "
                             "MIDI file may hold")
        return max(int(round(beat * ticks_per_beat)), 0)

    conductor: list[tuple[int, int, object]] = []
    for sig in piece.time_signatures or (TimeSignature(0.0),):
        numerator = min(max(int(sig.numerator), 1), 255)
        denominator = int(sig.denominator)
        if denominator < 1 or denominator & (denominator - 1) or denominator > 64:
            numerator, denominator = 4, 4  # not writable in MIDI: say 4/4 rather than fail
        conductor.append((tick(sig.beat), 0, mido.MetaMessage(
            "time_signature", numerator=numerator, denominator=denominator, time=0)))
    for change in piece.tempos or (TempoChange(0.0, DEFAULT_TEMPO_BPM),):
        bpm = change.bpm if math.isfinite(change.bpm) and change.bpm > 0 else DEFAULT_TEMPO_BPM
        conductor.append((tick(change.beat), 1, mido.MetaMessage(
            "set_tempo", tempo=max(1, min(int(round(60_000_000 / bpm)), 0xFFFFFF)), time=0)))
    for text in texts:
        text = str(text).encode("latin-1", "replace").decode("latin-1")
        conductor.append((0, 2, mido.MetaMessage("text", text=text, time=0)))

    program = mido.Message("program_change", channel=0, program=int(piece.program) & 0x7F)
    events: list[tuple[int, int, object]] = [(0, 0, program)]
    marked = Counter(generated)
    generated_events: list[tuple[int, int, object]] = [
        (0, -1, mido.MetaMessage("track_name", name=GENERATED_TRACK_NAME, time=0)),
        (0, 0, program),
    ]
    for note in piece.notes:
        pitch = clamp_pitch(note.pitch)
        velocity = clamp_velocity(note.velocity)
        start, end = tick(note.start), max(tick(note.end), tick(note.start) + 1)
        track = events
        if marked[note] > 0:
            marked[note] -= 1
            track = generated_events
        track.append((start, 3, mido.Message("note_on", channel=0, note=pitch,
                                             velocity=velocity)))
        track.append((end, 1, mido.Message("note_off", channel=0, note=pitch, velocity=0)))
    for span in piece.pedals:
        events.append((tick(span.start), 2, mido.Message(
            "control_change", channel=0, control=PEDAL_CC, value=127)))
        events.append((tick(span.end), 1, mido.Message(
            "control_change", channel=0, control=PEDAL_CC, value=0)))
    drum_events = []
    for note in piece.drum_notes:
        start, end = tick(note.start), max(tick(note.end), tick(note.start) + 1)
        drum_events.append((start, 3, mido.Message(
            "note_on", channel=DRUM_CHANNEL, note=int(note.pitch) & 0x7F,
            velocity=clamp_velocity(note.velocity))))
        drum_events.append((end, 1, mido.Message(
            "note_off", channel=DRUM_CHANNEL, note=int(note.pitch) & 0x7F, velocity=0)))

    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    midi.tracks.append(_track(conductor))
    midi.tracks.append(_track(events))
    if len(generated_events) > 2:
        midi.tracks.append(_track(generated_events))
    if drum_events:
        midi.tracks.append(_track(drum_events))
    return midi


def _track(events: list[tuple[int, int, object]]):
    """Delta-timed track; at one tick, note-offs come before note-ons (order key)."""
    import mido

    track = mido.MidiTrack()
    now = 0
    for when, _order, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=when - now))
        now = when
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track
