"""Edit › Preferences: where sound goes, which SoundFont plays it, which MIDI system is used.

:class:`SoundPreferences` is the data (kept in ``QSettings`` under ``sound/`` and ``midi/``);
:class:`PreferencesDialog` edits it. The window hands the values to the player (sound output,
SoundFont), to WAV export (SoundFont, normalizing) and to everything MIDI (recording, playing to
a port, live mode). The SoundFont defaults to the system's FluidR3 GM when it is installed
(Debian's ``fluid-soundfont-gm``), else the small one pretty_midi ships.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.controls import _bool  # QSettings' "true"/"false" strings, read in one place

# rtmidi's names, and what a person calls them.
MIDI_SYSTEMS = {"LINUX_ALSA": "ALSA", "UNIX_JACK": "JACK", "MACOSX_CORE": "CoreMIDI",
                "WINDOWS_MM": "Windows MIDI", "WEB_MIDI_API": "Web MIDI"}
SYSTEM_DEFAULT = "System default"


@dataclass(frozen=True)
class SoundPreferences:
    device: str | None = None  # sound output device name; None: the system's default
    soundfont: str | None = None  # SoundFont file; None: the default (see module docstring)
    midi_api: str | None = None  # rtmidi API name ("UNIX_JACK"); None: automatic
    normalize: bool = False  # WAV export at -1 dBFS peak instead of the music's own level

    @classmethod
    def load(cls, settings: QSettings) -> SoundPreferences:
        def text(key: str) -> str | None:
            value = settings.value(key)
            return str(value) if value not in (None, "") else None

        return cls(text("sound/device"), text("sound/soundfont"), text("midi/api"),
                   _bool(settings.value("sound/normalize"), False))

    def save(self, settings: QSettings) -> None:
        settings.setValue("sound/device", self.device or "")
        settings.setValue("sound/soundfont", self.soundfont or "")
        settings.setValue("midi/api", self.midi_api or "")
        settings.setValue("sound/normalize", self.normalize)

    def soundfont_file(self) -> str | None:
        """The SoundFont to play with (None: none is installed; the fallback synth plays)."""
        if self.soundfont:
            return self.soundfont
        from composer.audio import soundfont_path

        default = soundfont_path()
        return str(default) if default else None


def default_soundfont_text() -> str:
    from composer.audio import shipped_soundfont, system_soundfont

    system = system_soundfont()
    if system is not None:
        return f"Default: {system} (FluidR3 GM, installed on this system)"
    shipped = shipped_soundfont()
    if shipped is not None:
        return (f"Default: {shipped.name}, the small General MIDI set that comes with "
                "composer (install fluid-soundfont-gm for a better piano)")
    return "Default: none found (a simple built-in sound plays instead)"


class PreferencesDialog(QDialog):
    def __init__(self, current: SoundPreferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        from composer.playback import audio_devices
        from composer.ports import compiled_apis

        self.device_combo = QComboBox()
        self.device_combo.addItem(SYSTEM_DEFAULT, "")
        devices = audio_devices()
        for name in devices:
            self.device_combo.addItem(name, name)
        if current.device and self.device_combo.findData(current.device) < 0:
            self.device_combo.addItem(f"{current.device} (not found now)", current.device)
        self.device_combo.setCurrentIndex(max(self.device_combo.findData(current.device or ""),
                                              0))
        self.device_note = QLabel("" if devices else
                                  "No sound output device found on this computer: the "
                                  "built-in synth cannot play here; MIDI outputs and export "
                                  "still work.")
        self.device_note.setWordWrap(True)
        self.device_note.setVisible(not devices)

        self.soundfont_edit = QLineEdit(current.soundfont or "")
        self.soundfont_edit.setPlaceholderText("Default")
        self.soundfont_edit.setToolTip("A General MIDI SoundFont (.sf2) for the built-in synth "
                                       "and WAV export")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_soundfont)
        default = QPushButton("Default")
        default.setToolTip("Use the default SoundFont")
        default.clicked.connect(lambda: self.soundfont_edit.setText(""))
        soundfont_row = QHBoxLayout()
        soundfont_row.addWidget(self.soundfont_edit, 1)
        soundfont_row.addWidget(browse)
        soundfont_row.addWidget(default)
        self.soundfont_note = QLabel(default_soundfont_text())
        self.soundfont_note.setWordWrap(True)

        self.midi_combo = QComboBox()
        self.midi_combo.addItem("Automatic", "")
        try:
            apis = compiled_apis()
        except Exception:  # noqa: BLE001 - no python-rtmidi: only "Automatic" to offer
            apis = []
        for api in apis:
            if api != "RTMIDI_DUMMY":
                self.midi_combo.addItem(MIDI_SYSTEMS.get(api, api), api)
        self.midi_combo.setCurrentIndex(max(self.midi_combo.findData(current.midi_api or ""),
                                            0))
        self.midi_combo.setToolTip("Where MIDI keyboards and synths are found: ALSA is Linux's "
                                   "own; JACK needs a running JACK server")

        self.normalize = QCheckBox("Make WAV exports as loud as possible (normalize to -1 dBFS)")
        self.normalize.setToolTip("Off: exports keep the music's own dynamics, so a quiet take "
                                  "stays quiet (a render that would clip is always brought "
                                  "down)")
        self.normalize.setChecked(current.normalize)

        form = QFormLayout()
        form.addRow("Sound output", self.device_combo)
        form.addRow("", self.device_note)
        form.addRow("SoundFont", soundfont_row)
        form.addRow("", self.soundfont_note)
        form.addRow("MIDI system", self.midi_combo)
        form.addRow("", self.normalize)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def _choose_soundfont(self) -> None:
        start = self.soundfont_edit.text() or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Choose a SoundFont", start,
                                              "SoundFonts (*.sf2 *.sf3);;All files (*)")
        if path:
            self.soundfont_edit.setText(path)

    def accept(self) -> None:
        """A SoundFont that is not there is refused here, not at the next Space press."""
        path = self.soundfont_edit.text().strip()
        if path and not Path(path).is_file():
            self.soundfont_note.setText(f"⚠ {path}: no such file. Choose a .sf2 file, or "
                                        "Default.")
            return
        super().accept()

    def values(self) -> SoundPreferences:
        return SoundPreferences(self.device_combo.currentData() or None,
                                self.soundfont_edit.text().strip() or None,
                                self.midi_combo.currentData() or None,
                                self.normalize.isChecked())
