"""The main window: piano roll in the centre, generation controls and takes on the right.

It wires the pieces together and owns every side effect a person can trigger: opening and
saving files, generating (on a worker thread, see :mod:`gui.workers`), playing (through
:mod:`gui.player`, imported lazily so the app runs without it), recording from a MIDI keyboard,
autosaving, live mode (:mod:`gui.live_panel`, also lazy). Every failure a person can cause or
meet (a bad file, a missing model, a vanished port, no sound card) ends in :meth:`show_error`:
one non-blocking message box with the reason, and the app carries on.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSpinBox,
    QToolBar,
    QWidget,
)

from composer.bundle_cache import BundleCache
from composer.errors import ComposerError, MidiFileError, PortError
from composer.midi_io import read_midi_with_generated, require_notes, write_midi
from composer.notes import Note
from gui import clipboard, grid, icons
from gui.autosave import Autosave
from gui.controls import GenerationControls
from gui.document import ACCEPTED, SEED, TAKE, Document, RollNote
from gui.live_bridge import LiveBridge
from gui.piano_roll import ORIGIN_COLORS, ORIGIN_LABELS
from gui.playback_bridge import PlaybackBridge
from gui.recorder import MidiRecorder, input_names
from gui.roll_view import PianoRollView
from gui.takes import TakesPanel
from gui.workers import Job, run_in_background

APP_NAME = "composer"
METERS = ("2/4", "3/4", "4/4", "5/4", "6/8", "7/8", "9/8", "12/8", "2/2", "3/8")
MIN_BPM, MAX_BPM = 10, 999  # the tempo box: every tempo a real file is likely to hold
MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".rmi", ".smf")
MIDI_FILTER = "MIDI files (*.mid *.midi *.kar *.rmi *.smf)"
MAX_RECENT = 10
AUTOSAVE_SECONDS = 30
NO_INPUT = "No MIDI input"


def app_data_dir() -> Path:
    """Where the autosave lives (QStandardPaths.AppDataLocation)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location or Path.home() / ".composer")


class _WheelOnlyWhenFocused:
    """For the toolbar's tempo and metre boxes: the wheel changes them only once they have
    been clicked, so a wheel turned to scroll past the toolbar does not retime the piece.
    Qt's boxes take the focus from the wheel itself, hence the focus policy as well."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class TempoBox(_WheelOnlyWhenFocused, QSpinBox):
    pass


class MeterBox(_WheelOnlyWhenFocused, QComboBox):
    pass


class MainWindow(QMainWindow):
    errorShown = Signal(str)  # every message shown by show_error (observable in tests)
    takesReady = Signal(list)

    def __init__(
        self,
        settings: QSettings | None = None,
        data_dir: Path | None = None,
        autosave_seconds: float = AUTOSAVE_SECONDS,
        preload_model: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.doc = Document(self)
        self.bundles = BundleCache()
        self.autosave = Autosave(Path(data_dir) if data_dir else app_data_dir())
        self.takes: list = []
        self.clip: clipboard.Clip | None = None  # notes copied in this window
        self.generation: Job | None = None
        self.last_error: str | None = None
        self._error_box: QMessageBox | None = None
        self._model_job: Job | None = None
        self._generated_at = 0.0
        self._fitted = False
        self._jobs: set[Job] = set()
        self._input_reason = ""
        self.recorder = MidiRecorder(self)

        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.view = PianoRollView(self.doc, self)
        self.roll = self.view.roll
        self.setCentralWidget(self.view)

        self.controls = GenerationControls()
        self.controls_dock = self.make_dock("Generate", self.controls, "generate_dock")
        self.takes_panel = TakesPanel()
        self.takes_dock = self.make_dock("Takes", self.takes_panel, "takes_dock")
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.controls_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.takes_dock)
        self.resizeDocks([self.controls_dock], [330], Qt.Orientation.Horizontal)
        self.resizeDocks([self.controls_dock, self.takes_dock],
                         [self.controls.sizeHint().height(), 300], Qt.Orientation.Vertical)

        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self.playback = PlaybackBridge(self)
        self.live = LiveBridge(self)
        self._make_status_bar()
        self._connect()

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(int(autosave_seconds * 1000))
        self.autosave_timer.timeout.connect(self.autosave_now)
        self.record_timer = QTimer(self)
        self.record_timer.setInterval(40)
        self.record_timer.timeout.connect(self._recording_tick)

        self._restore_settings()
        self.doc.new()
        self._update_title()
        self.refresh_inputs()
        if preload_model:  # warm the cache so the first Generate starts at once
            self.load_model(self.controls.model_path(), quiet=True)

    # ===== layout ========================================================================
    def make_dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        return dock

    def _action(self, text: str, slot=None, shortcut=None, icon=None, tip: str = "",
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(icon)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        if tip:
            first = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({first})" if first else tip)
            action.setStatusTip(tip)
        action.setCheckable(checkable)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)  # shortcuts work even when the toolbar is hidden
        return action

    def _roll_action(self, action: QAction) -> QAction:
        """Its shortcut works only in the roll, so Ctrl+C, Ctrl+A... keep their meaning in
        the text and number boxes of the window."""
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.removeAction(action)
        self.roll.addAction(action)
        return action

    def _make_actions(self) -> None:
        s = lambda name: icons.standard(self, name)  # noqa: E731
        K = QKeySequence.StandardKey
        self.new_action = self._action("&New", self.new_piece, K.New, s("SP_FileIcon"),
                                       "Start an empty piece")
        self.open_action = self._action("&Open…", self.open_dialog, K.Open,
                                        s("SP_DialogOpenButton"), "Open a MIDI file as the seed")
        self.save_action = self._action("&Save", self.save, K.Save, s("SP_DialogSaveButton"),
                                        "Save the piece as a MIDI file")
        self.save_as_action = self._action("Save &As…", self.save_as, "Ctrl+Shift+S",
                                           tip="Save the piece under a new name")
        self.export_action = self._action("&Export…", self.export_dialog, "Ctrl+E",
                                          s("SP_DriveHDIcon"),
                                          "Export the piece as a MIDI or WAV file")
        self.quit_action = self._action("&Quit", self.close, K.Quit, tip="Close composer")

        self.undo_action = self.doc.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence(K.Undo)])
        self.undo_action.setIcon(s("SP_ArrowBack"))
        self.redo_action = self.doc.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setIcon(s("SP_ArrowForward"))
        self.addActions([self.undo_action, self.redo_action])
        self.delete_action = self._roll_action(self._action(
            "&Delete notes", self.roll.delete_selection,
            [QKeySequence.StandardKey.Delete, "Backspace"], s("SP_TrashIcon"),
            "Delete the selected notes"))
        self.select_all_action = self._roll_action(self._action(
            "Select &all", self.roll.select_all, "Ctrl+A", tip="Select every note of the piece"))
        self.cut_action = self._roll_action(self._action(
            "Cu&t", self.cut_notes, K.Cut, tip="Copy the selected notes and delete them"))
        self.copy_action = self._roll_action(self._action(
            "&Copy", self.copy_notes, K.Copy, tip="Copy the selected notes"))
        self.paste_action = self._roll_action(self._action(
            "&Paste", self.paste_notes, K.Paste, tip="Paste the copied notes at the play cursor"))
        self.duplicate_action = self._roll_action(self._action(
            "D&uplicate", self.duplicate_notes, "Ctrl+D",
            tip="Repeat the selected notes right after themselves"))
        self.paste_action.setEnabled(False)  # until something is copied
        self.quantize_action = self._roll_action(self._action(
            "&Quantize", self.quantize_notes, "Q",
            tip="Move the selected notes (or all, if none is selected) onto the snap grid"))
        self.trim_action = self._action("&Trim to bars…", self.trim_dialog,
                                        tip="Keep only a range of bars of the piece")

        self.tool_group = QActionGroup(self)
        self.select_tool = self._action("Select", lambda on: on and self.roll.set_tool("select"),
                                        "V", icons.pointer(),
                                        "Select, move and resize notes", checkable=True)
        self.draw_tool = self._action("Draw", lambda on: on and self.roll.set_tool("draw"),
                                      "D", icons.pencil(), "Draw notes (drag to set the length)",
                                      checkable=True)
        self.tool_group.addAction(self.select_tool)
        self.tool_group.addAction(self.draw_tool)
        self.select_tool.setChecked(True)
        self.zoom_in_action = self._action("Zoom &in", lambda: self.roll.zoom_time(1.4),
                                           K.ZoomIn, icons.magnifier("+"), "Zoom in (time)")
        self.zoom_out_action = self._action("Zoom &out", lambda: self.roll.zoom_time(1 / 1.4),
                                            K.ZoomOut, icons.magnifier("-"), "Zoom out (time)")
        self.fit_action = self._action("&Fit", self.roll.fit, "Ctrl+0", icons.fit(),
                                       "Show the whole piece")

        self.play_action = self._action("&Play / Stop", lambda: self.playback.toggle(), "Space",
                                        s("SP_MediaPlay"),
                                        "Play the piece and the selected take from the cursor")
        self.play_seed_action = self._action("Play &seed", lambda: self.playback.play_seed(),
                                             tip="Play only the seed notes")
        self.play_take_action = self._action("Play &take", lambda: self.playback.play_take(),
                                             "Ctrl+T",
                                             tip="Play the last bar before the take and the take")
        self.stop_action = self._action("S&top", lambda: self.playback.stop(),
                                        icon=s("SP_MediaStop"),
                                        tip="Stop playing")
        self.record_action = self._action("&Record", self.toggle_record, "Ctrl+R",
                                          icons.record(),
                                          "Record notes from the MIDI keyboard after the piece",
                                          checkable=True)
        self.refresh_ports_action = self._action("Refresh &MIDI ports", self.refresh_ports,
                                                 tip="Look for MIDI keyboards and outputs again")
        self.generate_action = self._action("&Generate", self.generate, "Ctrl+G",
                                            icons.sparkle(), "Write continuations of the piece")
        self.cancel_action = self._action("&Cancel generation", self.cancel_generation,
                                          "Esc", s("SP_BrowserStop"), "Stop generating")
        self.cancel_action.setEnabled(False)
        self.keep_action = self._action("&Keep take", self.keep_take, "Ctrl+Return",
                                        s("SP_DialogApplyButton"),
                                        "Append the selected take to the piece")
        self.continue_action = self._action("Keep && &continue", self.keep_and_continue,
                                            "Ctrl+Shift+Return",
                                            tip="Keep the take and generate from its end")
        self.discard_action = self._action("&Discard takes", self.discard_takes,
                                           tip="Drop all takes")
        self.live_action = self._action("&Live", lambda on: self.live.toggle(on), "Ctrl+L",
                                        icons.live(),
                                        "Call and response with a MIDI keyboard",
                                        checkable=True)
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts,
                                             K.HelpContents)
        self.about_action = self._action("&About composer", self.show_about)
        for action in (self.keep_action, self.continue_action, self.discard_action,
                       self.play_take_action):
            action.setEnabled(False)

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action])
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action, self.export_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.cut_action, self.copy_action, self.paste_action,
                              self.duplicate_action, self.delete_action, self.quantize_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.select_all_action, self.trim_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.select_tool, self.draw_tool])
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.zoom_in_action, self.zoom_out_action, self.fit_action])
        view_menu.addSeparator()
        view_menu.addAction(self.controls_dock.toggleViewAction())
        view_menu.addAction(self.takes_dock.toggleViewAction())
        play_menu = bar.addMenu("&Play")
        play_menu.addActions([self.play_action, self.play_seed_action, self.play_take_action,
                              self.stop_action])
        play_menu.addSeparator()
        play_menu.addActions([self.record_action, self.live_action, self.refresh_ports_action])
        generate_menu = bar.addMenu("&Generate")
        generate_menu.addActions([self.generate_action, self.cancel_action])
        generate_menu.addSeparator()
        generate_menu.addActions([self.keep_action, self.continue_action, self.discard_action])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.shortcuts_action, self.about_action])

    def _make_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.addToolBar(bar)
        self.toolbar = bar
        bar.addActions([self.open_action, self.save_action, self.export_action])
        bar.addSeparator()
        bar.addActions([self.undo_action, self.redo_action])
        bar.addSeparator()
        bar.addActions([self.select_tool, self.draw_tool])
        self.snap_combo = QComboBox()
        for label, beats in grid.SNAP_CHOICES:
            self.snap_combo.addItem(label, beats)
        self.snap_combo.setToolTip("Snap notes to this grid when drawing and moving")
        bar.addWidget(QLabel(" Snap "))
        bar.addWidget(self.snap_combo)
        bar.addSeparator()
        bar.addActions([self.zoom_out_action, self.zoom_in_action, self.fit_action])
        bar.addSeparator()
        bar.addActions([self.play_action, self.stop_action])
        self.output_combo = QComboBox()
        self.output_combo.setToolTip("Where playback goes: the built-in synth or a MIDI port")
        self.output_combo.setMinimumContentsLength(12)
        bar.addWidget(self.output_combo)
        self.tempo_spin = TempoBox()
        self.tempo_spin.setRange(MIN_BPM, MAX_BPM)
        self.tempo_spin.setPrefix("♩ = ")
        self.tempo_spin.setSuffix(" bpm")
        self.tempo_spin.setKeyboardTracking(False)  # one edit when typing is done, not per key
        self.tempo_spin.setToolTip("Tempo of the piece (later tempo changes follow in "
                                   "proportion); playback and export use it")
        bar.addWidget(self.tempo_spin)
        self.meter_combo = MeterBox()
        self.meter_combo.addItems(METERS)
        self.meter_combo.setToolTip("Time signature of the piece: where the bar lines fall, "
                                    "and what a continuation's length in bars means")
        bar.addWidget(self.meter_combo)
        bar.addSeparator()
        bar.addAction(self.record_action)
        self.input_combo = QComboBox()
        self.input_combo.setToolTip("The MIDI keyboard to record from")
        self.input_combo.setMinimumContentsLength(12)
        bar.addWidget(self.input_combo)
        bar.addSeparator()
        bar.addActions([self.generate_action, self.live_action])

    def _make_status_bar(self) -> None:
        status = self.statusBar()
        self.hover_label = QLabel()
        self.hover_label.setMinimumWidth(260)
        self.info_label = QLabel()
        legend = "&nbsp;&nbsp;".join(
            f'<span style="color:{ORIGIN_COLORS[o].name()}">■</span> {ORIGIN_LABELS[o]}'
            for o in (SEED, ACCEPTED, TAKE))
        self.legend_label = QLabel(legend)
        self.legend_label.setToolTip("Note colours; softer notes are drawn darker")
        status.addPermanentWidget(self.hover_label)
        status.addPermanentWidget(self.legend_label)
        status.addPermanentWidget(self.info_label)

    def _connect(self) -> None:
        self.doc.changed.connect(self._document_changed)
        self.doc.undo_stack.indexChanged.connect(self._history_changed)
        self.roll.hovered.connect(self.hover_label.setText)
        self.tempo_spin.valueChanged.connect(lambda bpm: self.doc.set_tempo(float(bpm)))
        self.meter_combo.activated.connect(self._meter_chosen)  # by the person, not by code
        self.snap_combo.currentIndexChanged.connect(
            lambda _i: self.roll.set_snap(float(self.snap_combo.currentData())))
        self.controls.generateRequested.connect(self.generate)
        self.controls.cancelRequested.connect(self.cancel_generation)
        self.controls.modelChanged.connect(lambda path: self.load_model(path))
        self.controls.settingsChanged.connect(self.live.update_generation)
        self.takes_panel.takeSelected.connect(self.select_take)
        self.takes_panel.keepRequested.connect(self.keep_take)
        self.takes_panel.keepContinueRequested.connect(self.keep_and_continue)
        self.takes_panel.discardRequested.connect(self.discard_takes)
        self.takes_panel.playRequested.connect(self.playback.play_take)
        self.recorder.notesChanged.connect(lambda notes: self.roll.set_overlay("recording",
                                                                               notes))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)

    def _start(self, name: str, work) -> Job:
        """Run ``work`` off the UI thread; the window forgets the job when it ends."""
        job = run_in_background(name, work)
        self._jobs.add(job)
        job.finished.connect(lambda: self._jobs.discard(job))
        return job

    # ===== messages ======================================================================
    def show_error(self, message: str, title: str = "composer") -> None:
        """Tell the person what went wrong; non-blocking, the window stays usable."""
        message = " ".join(str(message).split())
        self.last_error = message
        self.statusBar().showMessage(message, 8000)
        if self._error_box is not None:
            self._error_box.close()
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _r: setattr(self, "_error_box", None))
        self._error_box = box
        box.open()
        self.errorShown.emit(message)

    def ask(self, title: str, text: str, buttons, default) -> QMessageBox.StandardButton:
        """A question that needs an answer before going on (blocks in a nested event loop)."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, buttons, self)
        box.setDefaultButton(default)
        return QMessageBox.StandardButton(box.exec())

    def status(self, message: str, ms: int = 5000) -> None:
        self.statusBar().showMessage(message, ms)

    # ===== document ======================================================================
    def _document_changed(self) -> None:
        self._update_title()
        piece = self.doc.to_piece()
        sig = piece.time_signature
        kept = sum(1 for rn in self.doc.notes.values() if rn.origin == ACCEPTED)
        text = f"{sig.numerator}/{sig.denominator} · {piece.bpm:.0f} bpm · {len(piece.notes)} notes"
        if kept:
            text += f" ({kept} generated)"
        self.info_label.setText(text)
        self.tempo_spin.blockSignals(True)  # showing the tempo is not an edit
        self.tempo_spin.setValue(round(piece.bpm))
        self.tempo_spin.blockSignals(False)
        meter = f"{sig.numerator}/{sig.denominator}"
        if self.meter_combo.findText(meter) < 0:
            self.meter_combo.addItem(meter)  # an unusual metre of an opened file
        self.meter_combo.setCurrentText(meter)

    def _meter_chosen(self, _index: int) -> None:
        numerator, denominator = (int(p) for p in self.meter_combo.currentText().split("/"))
        self.doc.set_time_signature(numerator, denominator)

    def _history_changed(self, _index: int = 0) -> None:
        """After every edit, undo or redo (the stack's index is final only now)."""
        self._update_title()
        if self.doc.is_modified():
            if not self.autosave_timer.isActive():
                self.autosave_timer.start()
        else:
            self.autosave_timer.stop()
            self.autosave.clear()

    def _update_title(self) -> None:
        name = self.doc.path.name if self.doc.path else "Untitled"
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(self.doc.is_modified())

    def maybe_save(self) -> bool:
        """Before unsaved work is dropped: Save / Discard / Cancel. True means go on."""
        if not self.doc.is_modified():
            return True
        name = self.doc.path.name if self.doc.path else "the piece"
        answer = self.ask(
            "Unsaved changes", f"Save the changes to {name} before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_piece(self) -> None:
        if self.maybe_save():
            self.discard_takes()
            self.doc.new()
            self.autosave.clear()
            self.status("New piece: draw notes (D) or record from a MIDI keyboard (Ctrl+R)")

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        folder = self.settings.value("last_folder", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open a MIDI file", folder,
                                              f"{MIDI_FILTER};;All files (*)")
        if path:
            self.open_file(path, ask=False)

    def open_file(self, path: str | Path, ask: bool = True) -> bool:
        """Open a MIDI file as the piece; a bad file gives an error box, nothing changes."""
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        try:
            piece, generated = read_midi_with_generated(path)
        except ComposerError as exc:
            self.show_error(str(exc), "Cannot open the file")
            return False
        self.discard_takes()
        self.playback.stop()
        self.doc.load(piece, path, [ACCEPTED if g else SEED for g in generated])
        self.autosave.clear()
        self.roll.set_cursor_beat(0.0)
        self._add_recent(path)
        self.settings.setValue("last_folder", str(path.parent))
        if piece.notes:
            self.status(f"Opened {path.name}: {len(piece.notes)} notes, "
                        f"{piece.end_beat:.0f} beats")
        else:
            self.status(f"{path.name} has no pitched notes: draw or record a seed")
        return True

    def save(self) -> bool:
        if self.doc.saved_path is None:
            return self.save_as()
        return self._write(self.doc.saved_path)

    def save_as(self, path: str | Path | None = None) -> bool:
        if path is None:
            source = self.doc.path
            suggestion = (source.with_name(f"{source.stem}-continued.mid") if source
                          else Path(self.settings.value("last_folder", str(Path.home())))
                          / "composition.mid")
            chosen, _ = QFileDialog.getSaveFileName(self, "Save the piece", str(suggestion),
                                                    MIDI_FILTER)
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        if path.suffix.lower() not in MIDI_SUFFIXES:
            path = path.with_suffix(".mid")
        return self._write(path)

    def _write(self, path: Path) -> bool:
        try:
            self._write_piece(path)
        except ComposerError as exc:
            self.show_error(str(exc), "Cannot save")
            return False
        self.doc.mark_saved(path)
        self.autosave.clear()
        self._add_recent(path)
        self.status(f"Saved {path}")
        return True

    def _write_piece(self, path: Path) -> None:
        """The kept takes go to their own track, so opening the file shows them as generated."""
        write_midi(path, self.doc.to_piece(),
                   generated=[rn.note for rn in self.doc.notes.values() if rn.origin == ACCEPTED])

    def export_dialog(self) -> None:
        source = self.doc.saved_path or self.doc.path
        base = source.with_suffix("") if source else Path.home() / "composition"
        path, chosen_filter = QFileDialog.getSaveFileName(
            self, "Export the piece", str(base) + ".mid",
            "MIDI file (*.mid);;WAV audio (*.wav)")
        if not path:
            return
        if Path(path).suffix.lower() == ".wav" or (
                "WAV" in chosen_filter and Path(path).suffix.lower() not in MIDI_SUFFIXES):
            self.export_wav(Path(path).with_suffix(".wav"))
        else:
            self.export_midi(path)

    def export_midi(self, path: str | Path) -> bool:
        """Write the piece (seed and kept takes) to a MIDI file; the document stays as it is."""
        path = Path(path)
        try:
            self._write_piece(path)
        except ComposerError as exc:
            self.show_error(str(exc), "Cannot export")
            return False
        self.status(f"Exported {path}")
        return True

    def export_wav(self, path: str | Path) -> Job | None:
        """Render the piece to a WAV file on a worker thread."""
        piece = self.doc.to_piece()
        if not piece.notes:
            self.show_error("The piece has no notes to render")
            return None
        path = Path(path)

        def work(progress, cancelled):
            from composer.audio import render_wav

            return render_wav(piece, path)

        self.status(f"Rendering {path.name}…", 0)
        job = self._start(f"Rendering {path.name}", work)
        job.succeeded.connect(lambda p: self.status(f"Exported {p}"))
        job.failed.connect(lambda message: self.show_error(message, "Cannot export audio"))
        return job

    def trim_dialog(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Trim to bars")
        last_bar = grid.bar_at(self.doc.time_signatures, max(self.doc.end_beat() - 1e-6, 0))
        first_spin, last_spin = QSpinBox(), QSpinBox()
        for spin in (first_spin, last_spin):
            spin.setRange(1, max(last_bar.number, 1))
        last_spin.setValue(last_bar.number)
        form = QFormLayout(dialog)
        form.addRow(QLabel("Keep the bars from … to … (inclusive); the rest is removed."))
        form.addRow("From bar", first_spin)
        form.addRow("To bar", last_spin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.trim_bars(first_spin.value(), last_spin.value())

    def trim_bars(self, first: int, last: int) -> None:
        """Keep bars ``first``..``last`` (1-based, inclusive), moved to the start."""
        first, last = min(first, last), max(first, last)
        sigs = self.doc.time_signatures
        start = grid.bar_start(sigs, first)
        end = grid.bar_start(sigs, last + 1)
        self.doc.trim(start, end, f"Trim to bars {first}–{last}")
        self.discard_takes()
        self.status(f"Kept bars {first}–{last}")

    # ----- recent files ------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _add_recent(self, path: Path) -> None:
        path_text = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != path_text]
        self.settings.setValue("recent_files", [path_text, *files][:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.recent_files()
        for path in files:
            action = menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_file(p))
        if not files:
            menu.addAction("No recent files").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear list", lambda: self.settings.setValue("recent_files", []))

    # ----- drag and drop -----------------------------------------------------------------
    def _dropped_midi(self, mime) -> Path | None:
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in MIDI_SUFFIXES:
                return Path(url.toLocalFile())
        return None

    def dragEnterEvent(self, event) -> None:
        if self._dropped_midi(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = self._dropped_midi(event.mimeData())
        if path:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_file(path))

    # ===== models and generation ==========================================================
    def load_model(self, path: str, quiet: bool = False) -> Job:
        """Load (and cache) a bundle off the UI thread; shows what it is or why it failed."""
        self.controls.set_model_info("Loading model…")

        bundles = self.bundles

        def work(progress, cancelled):
            from composer.generate import engine_for  # warm the import, here not on Generate

            bundle = bundles.get(path)
            engine_for(bundle)  # and the engine's tables (cached per bundle)
            return bundle

        job = self._start("Loading model", work)
        self._model_job = job

        def loaded(bundle) -> None:
            if self._model_job is not job:
                return
            config = bundle.config
            layers = f"{len(config.lstm_units)}×{max(config.lstm_units)}"
            text = f"{bundle.name}: {layers} LSTM, {len(bundle.vocab)} events"
            nll = bundle.metrics.get("test_nll") if isinstance(bundle.metrics, dict) else None
            if isinstance(nll, (int, float)):
                text += f", test NLL {nll:.2f}"
            self.controls.set_model_info(text)
            self.live.update_generation()

        def failed(message: str) -> None:
            if self._model_job is not job:
                return
            self.controls.set_model_info(f"⚠ {message}")
            if not quiet:
                self.show_error(message, "Cannot load the model")

        job.succeeded.connect(loaded)
        job.failed.connect(failed)
        return job

    def is_generating(self) -> bool:
        return self.generation is not None and self.generation.is_running()

    def generate(self) -> Job | None:
        """Generate takes from the whole piece, off the UI thread."""
        if self.is_generating():
            return None
        try:
            settings = self.controls.settings()
            settings.validate()
            seed = require_notes(self.doc.to_piece(), self.doc.path.name if self.doc.path
                                 else "the piece")
        except ComposerError as exc:
            self.show_error(str(exc), "Cannot generate")
            return None
        path = self.controls.model_path()
        bundles = self.bundles

        def work(progress, cancelled):
            from composer.generate import generate

            bundle = bundles.get(path)
            return generate(bundle, seed, settings, progress=progress, cancelled=cancelled)

        self._set_generating(True)
        count = settings.takes
        self.status(f"Generating {count} take{'s' if count > 1 else ''} of "
                    f"{settings.bars:g} bars…", 0)
        self._generated_at = time.monotonic()
        job = self._start("Generating", work)
        self.generation = job
        job.progress.connect(self._generation_progress)
        job.succeeded.connect(self._takes_ready)
        job.failed.connect(lambda message: self.show_error(message, "Generation failed"))
        job.cancelled.connect(lambda: self.status("Generation cancelled"))
        job.finished.connect(lambda: self._set_generating(False))
        return job

    def cancel_generation(self) -> None:
        if self.is_generating():
            self.generation.cancel()
            self.status("Cancelling…", 0)

    def _set_generating(self, busy: bool) -> None:
        self.controls.set_busy(busy)
        self.generate_action.setEnabled(not busy)
        self.cancel_action.setEnabled(busy)

    def _generation_progress(self, fraction: float) -> None:
        self.controls.set_progress(fraction)
        self.statusBar().showMessage(f"Generating… {fraction:.0%}")

    def _takes_ready(self, takes: list) -> None:
        elapsed = time.monotonic() - self._generated_at
        self.takes = list(takes)
        self.takes_panel.set_takes(self.takes)
        self.takes_dock.raise_()
        self._update_take_actions()
        self.status(f"{len(takes)} take{'s' if len(takes) != 1 else ''} ready in "
                    f"{elapsed:.1f} s: listen (Ctrl+T), keep one (Ctrl+Return) or generate "
                    "again", 10000)
        self.takesReady.emit(self.takes)

    def current_take(self):
        index = self.takes_panel.current()
        return self.takes[index] if 0 <= index < len(self.takes) else None

    def select_take(self, index: int) -> None:
        take = self.takes[index] if 0 <= index < len(self.takes) else None
        if take is None:
            self.roll.set_overlay(TAKE, [])
            self.roll.set_take_span(None)
        else:
            self.roll.set_overlay(TAKE, take.notes)
            self.roll.set_take_span((take.start_beat, take.end_beat))
            first, last = self.roll.visible_beats()
            if not first <= take.start_beat <= last - 1:
                self.roll.horizontalScrollBar().setValue(
                    int(take.start_beat * self.roll.px_per_beat
                        - self.roll.viewport().width() * 0.35))
        self._update_take_actions()

    def _update_take_actions(self) -> None:
        has = self.current_take() is not None
        for action in (self.keep_action, self.continue_action, self.play_take_action):
            action.setEnabled(has)
        self.discard_action.setEnabled(bool(self.takes))

    def keep_take(self) -> bool:
        """Append the selected take to the piece (one undoable step)."""
        take = self.current_take()
        if take is None:
            return False
        # Like composer.generate.merge: a seed note still sounding where the take strikes
        # the same pitch is cut there, so the new note is heard.
        first_onset: dict[int, float] = {}
        for note in take.notes:
            first_onset.setdefault(note.pitch, note.start)
        cuts = {}
        for note_id, rn in self.doc.notes.items():
            onset = first_onset.get(rn.note.pitch)
            if onset is not None and rn.note.start < onset < rn.note.end:
                cuts[note_id] = Note(rn.note.start, onset, rn.note.pitch, rn.note.velocity)
        pedals = self.doc.pedals + tuple(take.pedals) if take.pedals else None
        self.doc.edit(f"Keep take {take.index + 1}", change=cuts,
                      add=[RollNote(n, ACCEPTED) for n in take.notes], pedals=pedals)
        self.roll.set_cursor_beat(take.start_beat)
        self.discard_takes()
        self.status(f"Kept take {take.index + 1}: {len(take.notes)} notes added "
                    "(Ctrl+Z to undo)")
        return True

    def keep_and_continue(self) -> None:
        if self.keep_take():
            self.generate()

    def discard_takes(self) -> None:
        self.takes = []
        self.takes_panel.set_takes([])
        self.roll.set_overlay(TAKE, [])
        self.roll.set_take_span(None)
        self._update_take_actions()

    # ===== MIDI input ======================================================================
    def refresh_ports(self) -> None:
        self.refresh_inputs()
        self.playback.fill_outputs()

    def refresh_inputs(self) -> list[str]:
        """List MIDI inputs; with none (or no MIDI system) say so and disable recording."""
        try:
            names = input_names()
            reason = "no MIDI keyboard connected"
        except PortError as exc:
            names, reason = [], str(exc)
        current = self.input_combo.currentText() or self.settings.value("input", "")
        self.input_combo.clear()
        if names:
            self.input_combo.addItems(names)
            self.input_combo.setCurrentIndex(max(self.input_combo.findText(str(current)), 0))
            self.input_combo.setEnabled(True)
            self.record_action.setEnabled(True)
            self.record_action.setToolTip("Record notes from the MIDI keyboard (Ctrl+R)")
        else:
            self.input_combo.addItem(NO_INPUT)
            self.input_combo.setEnabled(False)
            self.input_combo.setToolTip(reason)
            self.record_action.setEnabled(False)
            self.record_action.setToolTip(f"Recording needs a MIDI keyboard: {reason}")
            self.status(f"No MIDI input: {reason}. Open or draw a seed instead.", 8000)
        self._input_reason = reason
        return names

    def record_start_beat(self) -> float:
        end = self.doc.end_beat()
        return grid.next_bar_line(self.doc.time_signatures, end) if end > 0 else 0.0

    def toggle_record(self, on: bool) -> None:
        if on:
            port = self.input_combo.currentText()
            if not self.input_combo.isEnabled() or not port or port == NO_INPUT:
                self.record_action.setChecked(False)
                self.show_error(f"Cannot record: {self._input_reason}")
                return
            self.start_recording(port)
        else:
            self.stop_recording()

    def start_recording(self, port: str | None) -> bool:
        """Record after the piece (``port`` None: only what the recorder is fed)."""
        start = self.record_start_beat()
        try:
            self.recorder.start(port, start, self.doc.template.bpm)
        except PortError as exc:
            self.record_action.blockSignals(True)
            self.record_action.setChecked(False)
            self.record_action.blockSignals(False)
            self.show_error(str(exc), "Cannot record")
            self.refresh_inputs()
            return False
        self.roll.set_cursor_beat(start)
        self.record_timer.start()
        self.status(f"Recording from bar {grid.describe_beat(self.doc.time_signatures, start)}"
                    " … press Ctrl+R again to stop", 0)
        return True

    def stop_recording(self) -> list[Note]:
        notes = self.recorder.stop()
        self.record_timer.stop()
        self.roll.set_overlay("recording", [])
        self.roll.set_playhead(None)
        if self.record_action.isChecked():
            self.record_action.blockSignals(True)
            self.record_action.setChecked(False)
            self.record_action.blockSignals(False)
        if notes:
            self.doc.add_notes(notes, SEED, f"Record {len(notes)} notes")
            self.status(f"Recorded {len(notes)} notes")
        else:
            self.status("Nothing was recorded")
        return notes

    def _recording_tick(self) -> None:
        beat = self.recorder.current_beat()
        if beat is not None:
            self.roll.set_playhead(beat)

    # ===== autosave and settings ===========================================================
    def autosave_now(self) -> None:
        if not self.doc.is_modified():
            return
        kept = [rn.note for rn in self.doc.notes.values() if rn.origin == ACCEPTED]
        try:
            self.autosave.write(self.doc.to_piece(), kept,
                                str(self.doc.path) if self.doc.path else None)
        except (ComposerError, OSError) as exc:
            self.status(f"Autosave failed: {exc}")

    def offer_restore(self) -> bool:
        """At start: bring back a session that ended without saving, if the user wants."""
        snapshot = self.autosave.read()
        if snapshot is None:
            self.autosave.clear()
            return False
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(snapshot.saved_at))
        name = Path(snapshot.source).name if snapshot.source else "an untitled piece"
        answer = self.ask(
            "Restore unsaved work?",
            f"composer was closed without saving {name} ({len(snapshot.piece.notes)} notes, "
            f"autosaved {when}). Restore it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            self.autosave.clear()
            return False
        self.restore(snapshot)
        return True

    def restore(self, snapshot) -> None:
        self.doc.load(snapshot.piece, Path(snapshot.source) if snapshot.source else None,
                      snapshot.origins, modified=True)
        self._update_title()
        self.status("Restored the autosaved session; save it to keep it")

    def _restore_settings(self) -> None:
        s = self.settings
        self.controls.restore(s)
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        index = self.snap_combo.findText(str(s.value("roll/snap", grid.DEFAULT_SNAP)))
        self.snap_combo.setCurrentIndex(max(index, 0))
        self.roll.set_snap(float(self.snap_combo.currentData()))
        output = s.value("output")
        if output and self.output_combo.findText(str(output)) < 0:
            self.output_combo.addItem(str(output))
        if output:
            self.output_combo.setCurrentText(str(output))

    def save_settings(self) -> None:
        s = self.settings
        self.controls.save(s)
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("roll/snap", self.snap_combo.currentText())
        s.setValue("output", self.output_combo.currentText())
        if self.input_combo.isEnabled():
            s.setValue("input", self.input_combo.currentText())
        s.sync()

    # ===== window events ===================================================================
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            QTimer.singleShot(0, self.roll.fit)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop everything that runs in the background and remember the settings."""
        for job in list(self._jobs):
            job.detach()  # results arriving after this would reach a closed window
        self._jobs.clear()
        if self.recorder.is_recording():
            self.recorder.stop()
        self.playback.shutdown()
        self.live.shutdown()
        self.autosave_timer.stop()
        if not self.doc.is_modified():
            self.autosave.clear()
        self.save_settings()

    # ===== clipboard =====================================================================
    def _selected(self) -> list[RollNote]:
        notes = self.doc.notes
        return [notes[i] for i in sorted(self.roll.selection) if i in notes]

    def copy_notes(self) -> bool:
        clip = clipboard.clip_of(self._selected())
        if clip is None:
            self.status("Select notes to copy")
            return False
        self.clip = clip
        self.paste_action.setEnabled(True)
        self.status(f"Copied {notes_text(len(clip.notes))}")
        return True

    def cut_notes(self) -> None:
        if self.copy_notes():
            self.doc.remove_notes(list(self.roll.selection),
                                  f"Cut {notes_text(len(self.clip.notes))}")

    def paste_notes(self) -> None:
        if self.clip is not None:
            self._add_selected(clipboard.placed(self.clip, self.roll.cursor_beat), "Paste")

    def duplicate_notes(self) -> None:
        selected = self._selected()
        clip = clipboard.clip_of(selected)
        if clip is None:
            self.status("Select notes to duplicate")
            return
        first = min(rn.note.start for rn in selected)
        at = clipboard.duplicate_at(clip, first, self.roll.snap_beats or None)
        self._add_selected(clipboard.placed(clip, at), "Duplicate")

    def quantize_notes(self) -> None:
        step = self.roll.snap_beats
        if step <= 0:
            self.status("Choose a snap grid (toolbar) to quantize to")
            return
        notes = self.doc.notes
        ids = [i for i in self.roll.selection if i in notes] or list(notes)
        changes = {i: grid.quantized(notes[i].note, step) for i in ids}
        changes = {i: n for i, n in changes.items() if n != notes[i].note}
        # Two notes that land on each other would look like one and sound doubled: one goes.
        taken = {rn.note for i, rn in notes.items() if i not in changes}
        merged = []
        for note_id, note in sorted(changes.items()):
            if note in taken:
                merged.append(note_id)
            taken.add(note)
        for note_id in merged:
            del changes[note_id]
        label = self.snap_combo.currentText()
        if changes or merged:
            self.doc.edit(f"Quantize {notes_text(len(changes) + len(merged))} to {label}",
                          change=changes, remove=merged)
        self.status(f"Quantized {notes_text(len(changes) + len(merged))} to {label}"
                    + (f" ({notes_text(len(merged))} on top of another removed)"
                       if merged else ""))

    def _add_selected(self, notes: list[RollNote], verb: str) -> None:
        """Add ``notes`` as one step and select them, so they can be moved on at once."""
        ids = self.doc.edit(f"{verb} {notes_text(len(notes))}", add=notes)
        self.roll.select(ids)

    # ===== help ============================================================================
    def show_shortcuts(self) -> None:
        rows = [
            ("Space", "play / stop"), ("Ctrl+G", "generate"), ("Esc", "cancel generation"),
            ("Ctrl+Return", "keep the selected take"), ("Ctrl+T", "play the take"),
            ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo"), ("Delete", "delete selected notes"),
            ("V / D", "select tool / draw tool"), ("Arrows", "move selected notes"),
            ("Ctrl+X / Ctrl+C / Ctrl+V", "cut / copy / paste notes (at the play cursor)"),
            ("Ctrl+D", "duplicate the selected notes after themselves"),
            ("Q", "quantize the selected notes (or all) to the snap grid"),
            ("Ctrl+wheel", "zoom time"), ("Ctrl+Shift+wheel", "zoom pitch"),
            ("Ctrl+O / Ctrl+S / Ctrl+E", "open / save / export"), ("Ctrl+R", "record"),
            ("Ctrl+L", "live mode"),
        ]
        text = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in rows)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{text}</table>")

    def show_about(self) -> None:
        from composer import __version__

        QMessageBox.about(
            self, "About composer",
            f"<b>composer {__version__}</b><p>Continues your music with an LSTM trained on "
            "classical pieces from the music21 corpus. Everything runs offline on this "
            "computer.</p>")


def notes_text(count: int) -> str:
    return f"{count} note{'s' if count != 1 else ''}"


def error_text(exc: BaseException) -> str:
    """What a dialog says about an exception that escaped (never a traceback)."""
    if isinstance(exc, (ComposerError, MidiFileError)):
        return " ".join(str(exc).split())
    return f"Unexpected error: {type(exc).__name__}: {exc}"

