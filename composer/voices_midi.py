"""Writing voices as a MIDI file of one track per voice (soprano, alto, tenor, bass).

Why not :func:`composer.midi_write.write_midi`: that writes one piano track (and the kept
generated notes apart), which is what a continuation is; a harmonization is four voices a
person will want to mute, solo or print one at a time, so each voice gets a named track and a
channel of its own. The conductor track (tempo map, time signatures, texts) is built as
``write_midi`` builds it, and the bytes go through the same atomic write.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from composer.errors import MidiFileError
from composer.midi_write import WRITE_TICKS_PER_BEAT, _reason, _track, build_midi, write_atomic
from composer.notes import Note, Piece, clamp_pitch, clamp_velocity


def build_voices(voices: Sequence[tuple[str, Sequence[Note]]], template: Piece, *,
                 texts: Iterable[str] = (), ticks_per_beat: int = WRITE_TICKS_PER_BEAT):
    """A ``mido.MidiFile``: the conductor track of ``template`` (tempos, signatures), then one
    track per ``(name, notes)`` on channels 1, 2, ... with the template's program."""
    import mido

    conductor = build_midi(template.with_notes(()), texts=texts,
                           ticks_per_beat=ticks_per_beat).tracks[0]
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    midi.tracks.append(conductor)
    for channel, (name, notes) in enumerate(voices):
        events: list[tuple[int, int, object]] = [
            (0, -1, mido.MetaMessage("track_name", name=name, time=0)),
            (0, 0, mido.Message("program_change", channel=channel,
                                program=int(template.program) & 0x7F)),
        ]
        for note in notes:
            start = max(int(round(note.start * ticks_per_beat)), 0)
            end = max(int(round(note.end * ticks_per_beat)), start + 1)
            pitch = clamp_pitch(note.pitch)
            events.append((start, 3, mido.Message("note_on", channel=channel, note=pitch,
                                                  velocity=clamp_velocity(note.velocity))))
            events.append((end, 1, mido.Message("note_off", channel=channel, note=pitch,
                                                velocity=0)))
        midi.tracks.append(_track(events))
    return midi


def write_voices(path: str | os.PathLike, voices: Sequence[tuple[str, Sequence[Note]]],
                 template: Piece, *, texts: Iterable[str] = ()) -> Path:
    """:func:`build_voices` written atomically to ``path``."""
    path = Path(path)
    try:
        buffer = io.BytesIO()
        build_voices(voices, template, texts=texts).save(file=buffer)
    except (ValueError, TypeError, OverflowError) as exc:
        raise MidiFileError(f"{path}: cannot write these voices ({_reason(exc)})") from None
    write_atomic(path, buffer.getvalue())
    return path


def read_voices(path: str | os.PathLike) -> dict[str, list[Note]]:
    """The notes of each named track of a file :func:`write_voices` wrote (for tests and
    benchmarks; beats from the file's ticks)."""
    import mido

    midi = mido.MidiFile(str(path))
    result: dict[str, list[Note]] = {}
    for track in midi.tracks:
        name, tick, sounding, notes = None, 0, {}, []
        for message in track:
            tick += message.time
            if message.type == "track_name":
                name = message.name
            elif message.type == "note_on" and message.velocity:
                sounding[message.note] = (tick, message.velocity)
            elif message.type in ("note_off", "note_on") and message.note in sounding:
                start, velocity = sounding.pop(message.note)
                notes.append(Note(start / midi.ticks_per_beat, tick / midi.ticks_per_beat,
                                  message.note, velocity))
        if name is not None and notes:
            result[name] = sorted(notes)
    return result
