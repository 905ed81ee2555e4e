"""Build standard MIDI files byte by byte, for tests of the reader.

Hand-built bytes, not mido, because most of these files are ones no library would write:
running status, truncated chunks, SMPTE timing, tempo 0, RIFF wrappers. ``BAD_FILES`` is the
catalogue of malformed files that every reader test and CLI test goes through; each entry says
which words the error message must contain.
"""

from __future__ import annotations

import struct


def varlen(value: int) -> bytes:
    """A MIDI variable-length number."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def header(fmt: int = 1, tracks: int = 1, division: int = 96) -> bytes:
    return b"MThd" + struct.pack(">IHHH", 6, fmt, tracks, division)


def chunk(body: bytes, chunk_id: bytes = b"MTrk", size: int | None = None) -> bytes:
    return chunk_id + struct.pack(">I", len(body) if size is None else size) + body


END = b"\x00\xff\x2f\x00"  # end of track, delta 0


def tempo(us_per_beat: int, delta: int = 0) -> bytes:
    return varlen(delta) + b"\xff\x51\x03" + us_per_beat.to_bytes(3, "big")


def time_signature(numerator: int, denominator_power: int, delta: int = 0) -> bytes:
    return varlen(delta) + b"\xff\x58\x04" + bytes([numerator, denominator_power, 24, 8])


def event(delta: int, *data: int) -> bytes:
    return varlen(delta) + bytes(data)


def smf(*tracks: bytes, fmt: int = 1, division: int = 96) -> bytes:
    """A whole file from track bodies (each should end with ``END``)."""
    return header(fmt, len(tracks), division) + b"".join(chunk(t) for t in tracks)


def rmid(midi: bytes) -> bytes:
    """Wrap a standard MIDI file in a RIFF-MIDI (RMID) container."""
    data = b"data" + struct.pack("<I", len(midi)) + midi + (b"\x00" if len(midi) & 1 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(data)) + b"RMID" + data


ONE_NOTE = event(0, 0x90, 60, 80) + event(96, 0x80, 60, 0) + END
GOOD = smf(ONE_NOTE)

# name -> (bytes, words the error must contain)
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty"),
    "text-with-mid-name": (b"Hello, these are my lyrics, not MIDI.\n" * 3, "not a MIDI file"),
    "truncated-header": (b"MThd\x00\x00\x00\x06\x00\x01", "truncated MIDI header"),
    "damaged-header-length": (b"MThd" + struct.pack(">IHHH", 2, 1, 1, 96) + chunk(ONE_NOTE),
                              "damaged MIDI header"),
    "truncated-track": (header() + chunk(ONE_NOTE, size=200), "truncated track 1"),
    "truncated-inside-event": (header() + chunk(ONE_NOTE[:6]), "ends inside an event"),
    "chunk-length-too-short": (header() + chunk(ONE_NOTE, size=3), "runs past its end"),
    "type-2": (smf(ONE_NOTE, fmt=2), "type 2"),
    "unknown-format": (smf(ONE_NOTE, fmt=7), "unknown MIDI format 7"),
    "smpte-division": (smf(ONE_NOTE, division=0xE728), "SMPTE"),
    "division-0": (smf(ONE_NOTE, division=0), "0 ticks per beat"),
    "zero-tracks": (header(tracks=0), "no tracks"),
    "no-track-data": (header(tracks=2), "no track data"),
    "junk-instead-of-track": (header() + b"\x00\x01\x02\x03\xfe\xfe\xfe\xfe" * 4,
                              "no track chunk"),
    "tempo-0": (smf(tempo(0) + ONE_NOTE), "tempo 0"),
    "short-tempo-event": (smf(b"\x00\xff\x51\x01\x07" + ONE_NOTE), "damaged tempo event"),
    "absurd-delta-time": (smf(event(0x0FFFFFFF, 0x90, 60, 80) + END), "absurd length"),
    "absurd-duration": (smf(tempo(0xFFFFFF) + event(0, 0x90, 60, 80)
                            + event(96 * 5000, 0x80, 60, 0) + END), "absurd duration"),
    "delta-longer-than-4-bytes": (smf(b"\x81\x81\x81\x81\x00\x90\x3c\x40" + END),
                                  "longer than 4 bytes"),
    "running-status-first": (smf(b"\x00\x3c\x40" + END), "running status"),
    "undefined-status-byte": (smf(b"\x00\xf4\x00" + END), "undefined status byte 0xF4"),
    "riff-wave-not-midi": (b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + bytes(28),
                           "not RIFF-MIDI"),
    "broken-rmid": (rmid(GOOD)[:-10], "truncated RIFF-MIDI"),
    "rmid-holding-junk": (rmid(b"JUNK" * 8), "holds no MIDI file"),
    "rmid-without-data": (b"RIFF" + struct.pack("<I", 4) + b"RMID", "without a MIDI data"),
}
