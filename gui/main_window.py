"""The main window: piano roll in the centre, generation controls and takes on the right.

It builds the parts and wires them, and does little itself. Each job has its own module, and
each part gets only the collaborators it needs, never the window:

- :mod:`gui.actions`: every command (text, keys, icon, tip), which also feeds Help › Keyboard
  shortcuts; :mod:`gui.window_layout`: menus, toolbar and status bar;
- :mod:`gui.file_actions`: new, open, save, export, recent files;
- :mod:`gui.editing`: cut, copy, paste, duplicate, quantize, trim;
- :mod:`gui.generation_bridge`: the model, generating, takes, keeping one;
- :mod:`gui.recording_bridge`, :mod:`gui.playback_bridge`, :mod:`gui.live_bridge`: recording
  from a MIDI keyboard, playing, live mode (the player and the live panel imported lazily, so
  the app runs without them);
- :mod:`gui.messages`: every failure ends in one non-blocking message box with the reason.

The window itself keeps what belongs to the window: docks, the title, the document's info in
the status bar, autosave and settings, close and drop events.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QActionGroup, QCloseEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from composer.bundle_cache import BundleCache
from composer.errors import ComposerError
from gui import actions as action_table
from gui import grid
from gui.autosave import Autosave
from gui.controls import GenerationControls
from gui.document import ACCEPTED, Document
from gui.editing import EditActions
from gui.file_actions import FileActions, dropped_midi
from gui.generation_bridge import GenerationBridge
from gui.harmonize_bridge import HarmonizeBridge
from gui.infill_bridge import InfillBridge
from gui.live_bridge import LiveBridge
from gui.messages import Messages
from gui.notice import NoticeBar
from gui.playback_bridge import PlaybackBridge
from gui.preferences import PreferencesDialog, SoundPreferences
from gui.ratings_bridge import RatingsBridge
from gui.recorder import MidiRecorder
from gui.recording_bridge import RecordingBridge
from gui.roll_view import PianoRollView
from gui.takes import TakesPanel
from gui.welcome import WelcomeHint
from gui.window_layout import build_menus, build_status_bar, build_toolbar
from gui.workers import Job, run_in_background

APP_NAME = "composer"
WELCOME = ("Welcome: drop a MIDI file on the window, open one (Ctrl+O) or try an example "
           "(File › Open example)")
AUTOSAVE_SECONDS = 30


def app_data_dir() -> Path:
    """Where the autosave lives (QStandardPaths.AppDataLocation)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location or Path.home() / ".composer")


class MainWindow(QMainWindow):
    errorShown = Signal(str)  # every message shown by show_error (observable in tests)
    takesReady = Signal(list)

    def __init__(
        self,
        settings: QSettings | None = None,
        data_dir: Path | None = None,
        autosave_seconds: float = AUTOSAVE_SECONDS,
        preload_model: bool = True,
        midi_api: str | None = None,
    ) -> None:
        """``midi_api``: the MIDI system for this session (``composer-gui --api``), over
        the one chosen in Preferences."""
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.preferences = SoundPreferences.load(self.settings)
        self._midi_api_option = midi_api
        self.doc = Document(self)
        self.bundles = BundleCache()
        self.autosave = Autosave(Path(data_dir) if data_dir else app_data_dir())
        self.notice_bar = NoticeBar()
        self.messages = Messages(self, self.notice_bar)
        self.messages.errorShown.connect(self.errorShown)
        self._fitted = False
        self._jobs: set[Job] = set()
        self.recorder = MidiRecorder(self)

        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.view = PianoRollView(self.doc, self)
        self.roll = self.view.roll
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.notice_bar)
        column.addWidget(self.view, 1)
        self.setCentralWidget(central)

        self.controls = GenerationControls()
        self.controls_dock = self.make_dock("Generate", self.controls, "generate_dock")
        self.takes_panel = TakesPanel()
        self.takes_dock = self.make_dock("Takes", self.takes_panel, "takes_dock")
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.controls_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.takes_dock)
        self.resizeDocks([self.controls_dock], [330], Qt.Orientation.Horizontal)
        self.resizeDocks([self.controls_dock, self.takes_dock],
                         [self.controls.sizeHint().height(), 300], Qt.Orientation.Vertical)

        self._build_parts()
        self._connect()

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(int(autosave_seconds * 1000))
        self.autosave_timer.timeout.connect(self.autosave_now)

        self._restore_settings()
        self.doc.new()
        self._update_title()
        self.recording.refresh_inputs(announce=False)  # why not: in Record's tip, not first
        self.status(WELCOME, 0)
        if preload_model:  # warm the cache so the first Generate starts at once
            self.load_model(self.controls.model_path(), quiet=True)

    # ===== building ======================================================================
    def _build_parts(self) -> None:
        stack = self.doc.undo_stack
        made = {"undo_action": stack.createUndoAction(self, "&Undo"),
                "redo_action": stack.createRedoAction(self, "&Redo")}
        self.actions = action_table.build_actions(self, self.roll, self._slots(), made)
        for name, action in self.actions.items():
            setattr(self, name, action)  # window.play_action, window.undo_action, ...
        self.tool_group = QActionGroup(self)
        self.tool_group.addAction(self.select_tool)
        self.tool_group.addAction(self.draw_tool)
        self.select_tool.setChecked(True)
        menus = build_menus(self, self.actions, [
            self.controls_dock.toggleViewAction(), self.takes_dock.toggleViewAction()])
        self.recent_menu, self.examples_menu = menus.recent, menus.examples
        toolbar = build_toolbar(self, self.actions)
        self.toolbar = toolbar.bar
        self.snap_combo, self.output_combo = toolbar.snap_combo, toolbar.output_combo
        self.tempo_spin, self.meter_combo = toolbar.tempo_spin, toolbar.meter_combo
        self.input_combo = toolbar.input_combo
        status = build_status_bar(self)
        self.hover_label, self.info_label = status.hover_label, status.info_label
        self.legend_label = status.legend_label

        m = self.messages
        self.files = FileActions(self, self.doc, self.settings, m, self.autosave,
                                 start_job=self._start, piece_replaced=self._piece_replaced,
                                 put_cursor=self.roll.set_cursor_beat,
                                 render_options=lambda: {
                                     "soundfont": self.preferences.soundfont,
                                     "normalize": self.preferences.normalize})
        self.files.fill_examples_menu(self.examples_menu)
        self.welcome = WelcomeHint(self.roll.viewport(), self.examples_menu)
        self.editing = EditActions(self, self.doc, self.roll, self.paste_action, m,
                                   snap_label=self.snap_combo.currentText,
                                   trimmed=lambda: self.discard_takes())
        self.generation_bridge = GenerationBridge(
            self.doc, self.roll, self.controls, self.takes_panel, self.takes_dock, m,
            self.actions, self.bundles, start_job=self._start,
            model_loaded=lambda: self.live.update_generation(), parent=self)
        self.ratings = RatingsBridge(
            self.generation_bridge, self.doc, self.takes_panel, m, self.actions, self.bundles,
            model_path=self.controls.model_path, take_count=self.controls.takes.value,
            start_job=self._start, status_bar=self.statusBar(), settings=self.settings,
            bars=lambda: self.view.ruler.bar_span, dialogs=self, parent=self)
        self.infill = InfillBridge(self.doc, self.roll, self.view.ruler, self.controls,
                                   self.generation_bridge, m, self.regenerate_action,
                                   self.bundles, start_job=self._start, parent=self)
        self.harmonizer = HarmonizeBridge(self.doc, self.roll, self.view.ruler, self.controls,
                                          self.generation_bridge, m, self.harmonize_action,
                                          start_job=self._start, parent=self)
        self.recorder.api = self.midi_api()
        self.recording = RecordingBridge(self.recorder, self.doc, self.roll, self.input_combo,
                                         self.record_action, m, self.settings, parent=self)
        self.playback = PlaybackBridge(self.doc, self.roll, self.view.ruler, self.output_combo,
                                       self.play_action, m, self.current_take,
                                       preferences=self.player_options,
                                       open_preferences=lambda: self.show_preferences(),
                                       parent=self)
        self.live = LiveBridge(self.roll, m, self.live_action, self.controls, self.bundles,
                               self._add_live_dock, parent=self)
        self.live.api = self.midi_api()

    def _slots(self) -> dict:
        """What each action of :mod:`gui.actions` does (lambdas: parts made after the actions,
        and no ``checked`` argument reaching a slot that does not want it)."""
        roll = self.roll
        return {
            "new_action": lambda: self.files.new_piece(),
            "open_action": lambda: self.files.open_dialog(),
            "save_action": lambda: self.files.save(),
            "save_as_action": lambda: self.files.save_as(),
            "export_action": lambda: self.files.export_dialog(),
            "preferences_action": lambda: self.show_preferences(),
            "quit_action": self.close,
            "delete_action": roll.delete_selection,
            "select_all_action": roll.select_all,
            "cut_action": lambda: self.editing.cut_notes(),
            "copy_action": lambda: self.editing.copy_notes(),
            "paste_action": lambda: self.editing.paste_notes(),
            "duplicate_action": lambda: self.editing.duplicate_notes(),
            "quantize_action": lambda: self.editing.quantize_notes(),
            "trim_action": lambda: self.editing.trim_dialog(),
            "select_tool": lambda on: on and roll.set_tool("select"),
            "draw_tool": lambda on: on and roll.set_tool("draw"),
            "zoom_in_action": lambda: roll.zoom_time(1.4),
            "zoom_out_action": lambda: roll.zoom_time(1 / 1.4),
            "fit_action": lambda: roll.fit(),
            "play_action": lambda: self.playback.toggle(),
            "play_seed_action": lambda: self.playback.play_seed(),
            "play_take_action": lambda: self.playback.play_take(),
            "stop_action": lambda: self.playback.stop(),
            "record_action": lambda on: self.toggle_record(on),
            "refresh_ports_action": lambda: self.refresh_ports(),
            "generate_action": lambda: self.generate(),
            "regenerate_action": lambda: self.infill.regenerate(),
            "harmonize_action": lambda: self.harmonizer.harmonize(),
            "cancel_action": lambda: self.cancel_generation(),
            "keep_action": lambda: self.keep_take(),
            "next_take_action": lambda: self.generation_bridge.next_take(),
            "previous_take_action": lambda: self.generation_bridge.previous_take(),
            "compare_action": lambda: self.generation_bridge.compare(),
            "again_action": lambda: self.generation_bridge.make_again(),
            "continue_action": lambda: self.keep_and_continue(),
            "discard_action": lambda: self.generation_bridge.reject_takes(),
            "live_action": lambda on: self.live.toggle(on),
            "shortcuts_action": self.show_shortcuts,
            "readme_action": lambda: self.show_readme(),
            "model_card_action": lambda: self.show_model_card(),
            "about_action": self.show_about,
        }

    def make_dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        return dock

    def _add_live_dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        """A tab next to the takes: the roll keeps its height, the panel is one click away."""
        dock = self.make_dock(title, widget, name)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.tabifyDockWidget(self.takes_dock, dock)
        return dock

    def _connect(self) -> None:
        self.doc.changed.connect(self._document_changed)
        self.doc.undo_stack.indexChanged.connect(self._history_changed)
        self.roll.hovered.connect(self.hover_label.setText)
        self.tempo_spin.valueChanged.connect(lambda bpm: self.doc.set_tempo(float(bpm)))
        self.meter_combo.activated.connect(self._meter_chosen)  # by the person, not by code
        self.snap_combo.currentIndexChanged.connect(
            lambda _i: self.roll.set_snap(float(self.snap_combo.currentData())))
        gen = self.generation_bridge
        gen.takesReady.connect(self.takesReady)
        self.controls.generateRequested.connect(self.generate)
        self.controls.cancelRequested.connect(self.cancel_generation)
        self.controls.modelChanged.connect(lambda path: self.load_model(path))
        self.controls.modelChanged.connect(lambda _path: self.ratings.model_changed())
        self.controls.settingsChanged.connect(self.live.update_generation)
        self.takes_panel.takeSelected.connect(lambda _key: self.playback.take_changed())
        self.takes_panel.keepRequested.connect(self.keep_take)
        self.takes_panel.keepContinueRequested.connect(self.keep_and_continue)
        self.takes_panel.discardRequested.connect(self.generation_bridge.reject_takes)
        self.takes_panel.playRequested.connect(self.playback.play_take)
        self.recent_menu.aboutToShow.connect(
            lambda: self.files.fill_recent_menu(self.recent_menu))
        self.welcome.openRequested.connect(lambda: self.files.open_dialog())
        self.doc.changed.connect(self._update_welcome)
        self.roll.viewChanged.connect(self._update_welcome)

    def _start(self, name: str, work) -> Job:
        """Run ``work`` in the background; the window forgets the job when it ends."""
        job = run_in_background(name, work)
        self._jobs.add(job)
        job.finished.connect(lambda: self._jobs.discard(job))
        return job

    def _piece_replaced(self) -> None:
        self.generation_bridge.forget()
        self.playback.stop()

    def _update_welcome(self) -> None:
        """The first-run hint shows while the roll is empty (no notes, no take, no recording)."""
        empty = not self.roll.has_notes()
        if empty != self.welcome.isVisible():
            self.welcome.setVisible(empty)

    # ===== what the parts offer, under the window's names =====================================
    def show_error(self, message: str, title: str = "composer") -> None:
        self.messages.show_error(message, title)

    def ask(self, title: str, text: str, buttons, default) -> QMessageBox.StandardButton:
        return self.messages.ask(title, text, buttons, default)

    def status(self, message: str, ms: int = 5000) -> None:
        self.messages.status(message, ms)

    @property
    def last_error(self) -> str | None:
        return self.messages.last_error

    @property
    def _error_box(self) -> QMessageBox | None:
        return self.messages.error_box

    @property
    def takes(self) -> list:
        return self.generation_bridge.takes

    def open_file(self, path: str | Path, ask: bool = True) -> bool:
        return self.files.open_file(path, ask)

    def save(self) -> bool:
        return self.files.save()

    def save_as(self, path: str | Path | None = None) -> bool:
        return self.files.save_as(path)

    def maybe_save(self) -> bool:
        return self.files.maybe_save()

    def export_midi(self, path: str | Path) -> bool:
        return self.files.export_midi(path)

    def export_wav(self, path: str | Path) -> Job | None:
        return self.files.export_wav(path)

    def recent_files(self) -> list[str]:
        return self.files.recent_files()

    def trim_bars(self, first: int, last: int) -> None:
        self.editing.trim_bars(first, last)

    def load_model(self, path: str, quiet: bool = False) -> Job:
        return self.generation_bridge.load_model(path, quiet)

    def generate(self) -> Job | None:
        return self.generation_bridge.generate()

    def is_generating(self) -> bool:
        return self.generation_bridge.is_generating()

    def cancel_generation(self) -> None:
        self.generation_bridge.cancel_generation()
        self.infill.cancel()
        self.harmonizer.cancel()

    def current_take(self):
        return self.generation_bridge.current_take()

    def keep_take(self) -> bool:
        return self.generation_bridge.keep_take()

    def keep_and_continue(self) -> None:
        self.generation_bridge.keep_and_continue()

    def discard_takes(self) -> None:
        self.generation_bridge.discard_takes()

    def refresh_ports(self) -> None:
        self.refresh_inputs()
        self.playback.fill_outputs()

    # ===== preferences =====================================================================
    def midi_api(self) -> str | None:
        """The MIDI system: ``--api`` for this session, else Preferences, else automatic."""
        return self._midi_api_option or self.preferences.midi_api

    def player_options(self) -> dict:
        return {"api": self.midi_api(), "device": self.preferences.device,
                "soundfont": self.preferences.soundfont}

    def show_preferences(self) -> PreferencesDialog:
        """Edit › Preferences (non-blocking); OK applies and remembers the choices."""
        dialog = PreferencesDialog(self.preferences, self)
        dialog.accepted.connect(lambda: self.apply_preferences(dialog.values()))
        dialog.open()
        return dialog

    def apply_preferences(self, preferences: SoundPreferences) -> None:
        changed = preferences != self.preferences
        self.preferences = preferences
        preferences.save(self.settings)
        if not changed:
            return
        self.recorder.api = self.live.api = self.midi_api()
        self.playback.reset()  # the next play opens the chosen output with the SoundFont
        self.messages.dismiss_notice("no-sound")
        self.refresh_ports()
        self.status("Preferences saved")

    def refresh_inputs(self) -> list[str]:
        return self.recording.refresh_inputs()

    def toggle_record(self, on: bool) -> None:
        self.recording.toggle(on)

    def start_recording(self, port: str | None) -> bool:
        return self.recording.start(port)

    def stop_recording(self):
        return self.recording.stop()

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
    def changeEvent(self, event) -> None:
        """A new palette (a dark theme switched on): draw the icons in its colours."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "actions"):
            action_table.refresh_icons(self, self.actions)
            self.playback.refresh_icon()

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
        self.recording.shutdown()
        self.playback.shutdown()
        self.live.shutdown()
        self.autosave_timer.stop()
        if not self.doc.is_modified():
            self.autosave.clear()
        self.save_settings()

    def dragEnterEvent(self, event) -> None:
        if dropped_midi(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = dropped_midi(event.mimeData())
        if path:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_file(path))

    # ===== help ============================================================================
    def show_shortcuts(self) -> None:
        rows = action_table.shortcut_rows(self.actions)
        text = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in rows)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{text}</table>")

    def show_readme(self):
        from gui.text_viewer import TextViewer, readme_path

        viewer = TextViewer("composer — Read me", readme_path(),
                            "The README is not installed with this copy of composer.", self)
        viewer.open()
        return viewer

    def show_model_card(self):
        from gui.text_viewer import TextViewer

        folder = Path(self.controls.model_path())
        card = folder / "card.md"
        viewer = TextViewer(f"Model card — {folder.name}", card if card.is_file() else None,
                            f"{folder} has no model card (card.md).", self)
        viewer.open()
        return viewer

    def show_about(self) -> None:
        from composer import __version__

        QMessageBox.about(
            self, "About composer",
            f"<b>composer {__version__}</b><p>Continues your music with an LSTM trained on "
            "classical pieces from the music21 corpus. Everything runs offline on this "
            "computer.</p>")
