"""File › New, Open, Save, Save As, Export, Open recent, and dropping a MIDI file.

Files in, files out, and nothing else: the piece is the :class:`~gui.document.Document`; the
parts of the window that must react to a new piece (takes dropped, playback stopped) are
handed in as callables. Generated notes that were kept go to their own track when saved, so
opening the file shows them as generated again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from composer.errors import ComposerError
from composer.midi_io import MIDI_SUFFIXES, read_midi_with_generated, write_midi
from composer.samples import is_sample, samples
from gui.autosave import Autosave
from gui.document import ACCEPTED, SEED, Document
from gui.messages import Messages
from gui.workers import Job

MIDI_FILTER = "MIDI files (" + " ".join(f"*{s}" for s in sorted(MIDI_SUFFIXES)) + ")"
MAX_RECENT = 10

StartJob = Callable[[str, Callable], Job]


class FileActions(QObject):
    def __init__(self, dialogs: QWidget, doc: Document, settings: QSettings, messages: Messages,
                 autosave: Autosave, *, start_job: StartJob,
                 piece_replaced: Callable[[], None], put_cursor: Callable[[float], None],
                 render_options: Callable[[], dict] = dict) -> None:
        super().__init__(dialogs)
        self._dialogs = dialogs
        self.doc = doc
        self.settings = settings
        self.messages = messages
        self.autosave = autosave
        self._start_job = start_job
        self._piece_replaced = piece_replaced  # drop takes, stop playing
        self._put_cursor = put_cursor
        self._render_options = render_options  # WAV export: soundfont, normalize (Preferences)

    # ----- the piece in, the piece out -----------------------------------------------------
    def maybe_save(self) -> bool:
        """Before unsaved work is dropped: Save / Discard / Cancel. True means go on."""
        if not self.doc.is_modified():
            return True
        name = self.doc.path.name if self.doc.path else "the piece"
        buttons = QMessageBox.StandardButton
        answer = self.messages.ask(
            "Unsaved changes", f"Save the changes to {name} before closing it?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    def new_piece(self) -> None:
        if self.maybe_save():
            self._piece_replaced()
            self.doc.new()
            self.autosave.clear()
            self.messages.status("New piece: draw notes (D) or record from a MIDI keyboard "
                                 "(Ctrl+R)")

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        folder = self.settings.value("last_folder", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self._dialogs, "Open a MIDI file", folder,
                                              f"{MIDI_FILTER};;All files (*)")
        if path:
            self.open_file(path, ask=False)

    def open_example(self, path: str | Path, ask: bool = True) -> bool:
        """Open a bundled seed. It is a starting point, not the user's file: it does not go
        into Open recent, and Save asks where (never over the bundled file)."""
        return self.open_file(path, ask, remember=False)

    def fill_examples_menu(self, menu) -> None:
        """File › Open example: every bundled seed, by title (its file in the tip)."""
        menu.clear()
        found = samples()
        for sample in found:
            action = menu.addAction(sample.title)
            action.setToolTip(str(sample.path))
            action.setStatusTip(str(sample.path))
            action.setData(str(sample.path))
            action.triggered.connect(lambda _c=False, p=sample.path: self.open_example(p))
        if not found:
            menu.addAction("No examples installed").setEnabled(False)

    def open_file(self, path: str | Path, ask: bool = True, *, remember: bool = True) -> bool:
        """Open a MIDI file as the piece; a bad file gives an error box, nothing changes."""
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        try:
            piece, generated = read_midi_with_generated(path)
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Cannot open the file")
            return False
        self._piece_replaced()
        self.doc.load(piece, path, [ACCEPTED if g else SEED for g in generated])
        self.autosave.clear()
        self._put_cursor(0.0)
        if remember:
            self.add_recent(path)
            self.settings.setValue("last_folder", str(path.parent))
        if piece.notes:
            self.messages.status(f"Opened {path.name}: {len(piece.notes)} notes, "
                                 f"{piece.end_beat:.0f} beats")
        else:
            self.messages.status(f"{path.name} has no pitched notes: draw or record a seed")
        return True

    def save(self) -> bool:
        if self.doc.saved_path is None:
            return self.save_as()
        return self._write(self.doc.saved_path)

    def save_as(self, path: str | Path | None = None) -> bool:
        """Save under a new name (asked for when ``path`` is not one). A menu action's
        ``checked`` flag (a bool) is not a path: it asks too, rather than failing."""
        if not isinstance(path, (str, Path)) or not str(path):
            source = self.doc.path
            folder = Path(self.settings.value("last_folder", str(Path.home())))
            if source is None:
                suggestion = folder / "composition.mid"
            elif is_sample(source):  # not into the app's own folder of examples
                suggestion = folder / f"{source.stem}-continued.mid"
            else:
                suggestion = source.with_name(f"{source.stem}-continued.mid")
            chosen, _ = QFileDialog.getSaveFileName(self._dialogs, "Save the piece",
                                                    str(suggestion), MIDI_FILTER)
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        if path.suffix.lower() not in MIDI_SUFFIXES:
            path = path.with_suffix(".mid")
        return self._write(path)

    def _write(self, path: Path) -> bool:
        try:
            self.write_piece(path)
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Cannot save")
            return False
        self.doc.mark_saved(path)
        self.autosave.clear()
        self.add_recent(path)
        self.messages.status(f"Saved {path}")
        return True

    def write_piece(self, path: Path) -> None:
        """The kept takes go to their own track, so opening the file shows them as generated."""
        write_midi(path, self.doc.to_piece(),
                   generated=[rn.note for rn in self.doc.notes.values() if rn.origin == ACCEPTED])

    # ----- export ------------------------------------------------------------------------
    def export_dialog(self) -> None:
        source = self.doc.saved_path or self.doc.path
        base = source.with_suffix("") if source else Path.home() / "composition"
        path, chosen_filter = QFileDialog.getSaveFileName(
            self._dialogs, "Export the piece", str(base) + ".mid",
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
            self.write_piece(path)
        except ComposerError as exc:
            self.messages.show_error(str(exc), "Cannot export")
            return False
        self.messages.status(f"Exported {path}")
        return True

    def export_wav(self, path: str | Path) -> Job | None:
        """Render the piece to a WAV file in the background."""
        piece = self.doc.to_piece()
        if not piece.notes:
            self.messages.show_error("The piece has no notes to render")
            return None
        path = Path(path)
        options = self._render_options()

        def work(progress, cancelled):
            from composer.audio import render_wav

            return render_wav(piece, path, **options)

        self.messages.status(f"Rendering {path.name}…", 0)
        job = self._start_job(f"Rendering {path.name}", work)
        job.succeeded.connect(lambda p: self.messages.status(f"Exported {p}"))
        self.messages.report(job, "Cannot export audio")
        return job

    # ----- recent files and drops ------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def add_recent(self, path: Path) -> None:
        path_text = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != path_text]
        self.settings.setValue("recent_files", [path_text, *files][:MAX_RECENT])

    def fill_recent_menu(self, menu) -> None:
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


def dropped_midi(mime) -> Path | None:
    """The first local MIDI file among dropped URLs, if any."""
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in MIDI_SUFFIXES:
            return Path(url.toLocalFile())
    return None
