"""The one exception hierarchy of composer.

Everything the CLI and the GUI show to a person is a ``ComposerError``: the CLI prints its
message on one line and exits with status 2, the GUI shows it in a dialog. Third-party
exceptions (mido, music21, Keras, rtmidi, sounddevice) are wrapped once, at the boundary where
they happen, with the file or port name and a plain reason, so callers never need to know which
library failed.
"""

from __future__ import annotations


class ComposerError(Exception):
    """Root of every error composer reports to a user."""


class MidiFileError(ComposerError):
    """A MIDI file cannot be read or written, or cannot serve as a seed."""


class ModelBundleError(ComposerError):
    """A model bundle is missing, incomplete or inconsistent."""


class SettingsError(ComposerError):
    """Options that cannot work together or are out of range."""


class CorpusError(ComposerError):
    """The training corpus cannot be prepared or loaded."""


class PortError(ComposerError):
    """A MIDI port is missing, vanished, or no MIDI system is available."""


class AudioError(ComposerError):
    """No audio device, or rendering audio failed."""
