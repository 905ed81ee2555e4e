"""Sound and MIDI as a user meets them: one clear notice when there is no sound output (and
Space says so again), the MIDI hint worded for the app, and Preferences (sound output,
SoundFont, MIDI system, normalizing) saved with QSettings and used by playing and export."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from composer import audio, ports
from composer.audio import shipped_soundfont, wav_loudness
from composer.notes import Note
from composer.playback import audio_available, rescan_audio_devices
from gui.messages import for_the_app
from gui.preferences import PreferencesDialog, SoundPreferences

NO_SERVER = {"JACK_DEFAULT_SERVER": "composer-nobody-runs-this", "JACK_NO_START_SERVER": "1"}
needs_soundfont = pytest.mark.skipif(shipped_soundfont() is None or
                                     not audio.soundfont_available(),
                                     reason="no SoundFont synth installed")


@pytest.fixture
def no_sound(monkeypatch):
    for key, value in NO_SERVER.items():
        monkeypatch.setenv(key, value)
    rescan_audio_devices()
    if audio_available() is None:
        pytest.skip("this machine has a sound output")


def preferences_dialog(window) -> PreferencesDialog:
    window.preferences_action.trigger()
    dialog = window.findChild(PreferencesDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_no_sound_output_is_one_clear_notice_and_space_says_it_again(window, seed_file,
                                                                     no_sound, qtbot):
    window.open_file(seed_file)
    window.roll.setFocus()
    notice = window.notice_bar
    shown = []
    notice.shown.connect(shown.append)
    QTest.keyClick(window.roll, Qt.Key.Key_Space)
    qtbot.waitUntil(notice.isVisible, timeout=5000)
    text = notice.text.text()
    assert "No sound output" in text and "PortAudio" in text  # the whole reason…
    assert "MIDI output" in text and "export" in text  # …and what still works
    assert notice.button_texts() == ["Preferences…", "Try again"]
    assert window.last_error is None and window.roll.playhead is None
    count = len(shown)
    QTest.keyClick(window.roll, Qt.Key.Key_Space)  # again: the same notice, shown again
    assert len(shown) > count and notice.isVisible()
    assert "Cannot play: no sound output" in window.statusBar().currentMessage()
    notice.click("Preferences…")
    dialog = window.findChild(PreferencesDialog)
    assert dialog is not None and dialog.isVisible()
    assert "No sound output device found" in dialog.device_note.text()
    dialog.reject()
    notice.close_button.click()
    assert not notice.isVisible()


def test_the_midi_hint_speaks_of_preferences_not_of_a_command_line_option(window):
    message = str(ports._no_system("LINUX_ALSA", OSError("no /dev/snd/seq")))
    assert "--api jack" in message  # the library's words are for the command line
    assert "--api" not in for_the_app(message) and "Preferences" in for_the_app(message)
    try:
        ports.list_ports(window.midi_api())
    except ports.PortError:  # this machine has no MIDI system: the app says it its way
        tip = window.record_action.toolTip()
        assert "--api" not in tip and "Preferences" in tip
        window.refresh_ports_action.trigger()
        assert "--api" not in window.statusBar().currentMessage()


def test_composer_gui_accepts_the_cli_s_midi_option(make_window):
    from gui.app import build_parser

    assert build_parser().parse_args(["--api", "jack"]).api == "jack"
    window = make_window(midi_api="jack")
    assert window.midi_api() == "jack" and window.recorder.api == "jack"
    assert window.live.api == "jack"


@needs_soundfont
def test_preferences_are_saved_and_used(make_window, settings, tmp_path, qtbot):
    window = make_window()
    dialog = preferences_dialog(window)
    assert dialog.midi_combo.currentText() == "Automatic"
    assert [dialog.midi_combo.itemText(i) for i in range(dialog.midi_combo.count())][:1] == [
        "Automatic"]
    font = tmp_path / "My piano.sf2"
    shutil.copy(shipped_soundfont(), font)
    dialog.soundfont_edit.setText(str(tmp_path / "missing.sf2"))
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible() and "no such file" in dialog.soundfont_note.text()  # refused
    dialog.soundfont_edit.setText(str(font))
    jack = dialog.midi_combo.findText("JACK")
    if jack >= 0:
        dialog.midi_combo.setCurrentIndex(jack)
    dialog.normalize.setChecked(True)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible()
    saved = SoundPreferences.load(settings)
    assert saved.soundfont == str(font) and saved.normalize
    assert saved.midi_api == ("UNIX_JACK" if jack >= 0 else None)
    assert window.recorder.api == saved.midi_api
    again = make_window()  # a new session reads them back
    assert again.preferences == saved
    player = again.playback.player()
    if player is not None:
        assert (player.soundfont, player.api) == (str(font), saved.midi_api)
    dialog = preferences_dialog(again)
    assert dialog.soundfont_edit.text() == str(font) and dialog.normalize.isChecked()
    dialog.reject()


def test_the_default_soundfont_is_the_system_s_fluidr3_when_installed(monkeypatch, tmp_path,
                                                                      qtbot):
    from gui.preferences import default_soundfont_text

    if audio.system_soundfont() is None:
        assert "FluidR3" not in default_soundfont_text()
        assert audio.soundfont_path() == shipped_soundfont()
        installed = tmp_path / "sf2" / "FluidR3_GM.sf2"  # as fluid-soundfont-gm installs it
        installed.parent.mkdir()
        installed.write_bytes(b"RIFF")
        monkeypatch.setattr(audio, "SYSTEM_SOUNDFONTS", (installed,))
    system = audio.system_soundfont()
    assert system is not None and audio.soundfont_path() == system
    text = default_soundfont_text()
    assert str(system) in text and "FluidR3" in text
    dialog = PreferencesDialog(SoundPreferences())
    qtbot.addWidget(dialog)
    assert dialog.soundfont_edit.text() == "" and "FluidR3" in dialog.soundfont_note.text()
    assert SoundPreferences().soundfont_file() == str(system)


def test_wav_export_keeps_the_dynamics_unless_normalizing_is_chosen(window, tmp_path, qtbot):
    window.doc.add_notes([Note(0.0, 1.0, 60, 30), Note(1.0, 2.0, 64, 30)], text="Draw")
    quiet = tmp_path / "quiet.wav"
    with qtbot.waitSignal(window.export_wav(quiet).finished, timeout=30000):
        pass
    window.apply_preferences(SoundPreferences(normalize=True))
    loud = tmp_path / "normalized.wav"
    with qtbot.waitSignal(window.export_wav(loud).finished, timeout=30000):
        pass
    quiet_peak, loud_peak = wav_loudness(quiet)[1], wav_loudness(loud)[1]
    assert quiet_peak < 0.5 * loud_peak and loud_peak == pytest.approx(audio.TARGET_PEAK,
                                                                       abs=0.01)
    QApplication.processEvents()
