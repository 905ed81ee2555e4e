"""The one exception hierarchy of composer: every exception the project raises is here.

Everything the CLI and the GUI show to a person is a ``ComposerError``: the CLI prints its
message on one line and exits with status 2, the GUI shows it in a dialog. Third-party
exceptions (mido, music21, Keras, rtmidi, sounddevice) are wrapped once, at the boundary where
they happen, with the file or port name and a plain reason, so callers never need to know which
library failed.

:class:`Cancelled` is the one way to say "stopped on request": background helpers (the GUI's
:mod:`gui.workers`, generation's ``cancelled()`` hook) treat it as an outcome, not a failure.
Modules that used to declare their own exceptions (``composer.ports.NoMidiSystem``,
``composer.generate.GenerationCancelled``, ``composer.train.TrainingError``) import them from
here, so the old names keep working.
"""

from __future__ import annotations


class ComposerError(Exception):
    """Root of every error composer reports to a user."""


class Cancelled(ComposerError):
    """Work stopped because it was asked to; nothing was produced and nothing went wrong."""


class GenerationCancelled(Cancelled):
    """``cancelled()`` returned True: the generation stopped, nothing was produced."""


class MidiFileError(ComposerError):
    """A MIDI file cannot be read or written, or cannot serve as a seed."""


class ModelBundleError(ComposerError):
    """A model bundle is missing, incomplete or inconsistent."""


class SettingsError(ComposerError):
    """Options that cannot work together or are out of range."""


class CorpusError(ComposerError):
    """The training corpus cannot be prepared or loaded."""


class TrainingError(ComposerError):
    """A run folder that cannot be resumed, or training data that cannot be used."""


class RunFolderError(ComposerError):
    """A run folder whose files cannot be resumed from (damaged state, log or checkpoint)."""


class PortError(ComposerError):
    """A MIDI port is missing, vanished, or no MIDI system is available."""


class PortVanished(PortError):
    """A MIDI port was listed, then gone when it was opened (rtmidi's InvalidPortError)."""


class NoMidiSystem(PortError):
    """No MIDI system at all (no ALSA sequencer, no JACK server, no python-rtmidi backend)."""


class AudioError(ComposerError):
    """No audio device, or rendering audio failed."""


class RatingsError(ComposerError):
    """The listener's ratings cannot be saved or read, or a rated file cannot be learned from."""


def one_line(error: BaseException | str) -> str:
    """An error's text on one line (messages may quote multi-line library output).

    The one place that flattens error text for a status line, a dialog or stderr.
    """
    return " ".join(str(error).split())
