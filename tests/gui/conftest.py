"""Fixtures for the desktop app's tests (pytest-qt, offscreen Qt).

Every test gets a fresh main window with its own settings file and data folder under
``tmp_path``, so nothing leaks between tests or into the user's real settings; the
``QApplication`` is pytest-qt's session-wide ``qapp``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from composer.midi_io import write_midi
from composer.notes import Note, Piece, TempoChange, TimeSignature
from gui.app import THREAD_VARIABLES

for _name in THREAD_VARIABLES:  # as the app does (works when NumPy is not imported yet)
    os.environ.setdefault(_name, "1")

# A tiny seed with known notes, all at full velocity so the roll shows exact seed colours:
# C major arpeggio, one beat each, then a held chord in bar 2 (4/4, 120 bpm).
SEED_NOTES = (
    Note(0.0, 1.0, 60, 127), Note(1.0, 2.0, 64, 127), Note(2.0, 3.0, 67, 127),
    Note(3.0, 4.0, 72, 127), Note(4.0, 8.0, 48, 127), Note(4.0, 8.0, 55, 127),
    Note(4.0, 8.0, 64, 127),
)


def seed_piece() -> Piece:
    return Piece(notes=SEED_NOTES, tempos=(TempoChange(0.0, 120.0),),
                 time_signatures=(TimeSignature(0.0, 4, 4),))


@pytest.fixture
def seed_file(tmp_path) -> Path:
    path = tmp_path / "seed.mid"
    write_midi(path, seed_piece())
    return path


@pytest.fixture(autouse=True)
def ratings_folder(tmp_path, monkeypatch) -> Path:
    """Every window's ratings log (composer.ratings.data_dir) in this test's own folder,
    never the user's."""
    folder = tmp_path / "composer-data"
    monkeypatch.setenv("COMPOSER_DATA", str(folder))
    return folder


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, tmp_path, settings):
    """Build main windows sharing this test's settings and data folder."""
    from gui.main_window import MainWindow

    windows = []

    def make(**kwargs):
        kwargs.setdefault("settings", settings)
        kwargs.setdefault("data_dir", tmp_path / "appdata")
        kwargs.setdefault("preload_model", False)
        window = MainWindow(**kwargs)
        window.resize(1100, 700)
        qtbot.addWidget(window, before_close_func=_forget_changes)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        _forget_changes(window)


def _forget_changes(window) -> None:
    """Closing a window with unsaved work would ask a question: tests end without one."""
    window.doc.undo_stack.clear()
    window.doc.undo_stack.setClean()  # clear() keeps a saved state that was out of reach
    window.doc._restored = False


@pytest.fixture
def window(make_window):
    return make_window()


def answer_question(button: QMessageBox.StandardButton, seen: list | None = None) -> None:
    """Click ``button`` in the next modal question box (a real QMessageBox.exec())."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        if seen is not None:
            seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, click)
