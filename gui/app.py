"""``composer-gui [FILE.mid]``: start the desktop app (also ``python -m gui``).

``--screenshot OUT.png`` renders the main window (1280x800 by default) after opening FILE (none:
the first-run window), and with ``--generate`` after generating takes (``--generations N``: N
times, to show the takes history), then exits: it works without a screen
(``QT_QPA_PLATFORM=offscreen``) and makes the picture in the README. Screenshots use throwaway
settings, so they neither read nor change the user's.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from composer.blas import THREAD_VARIABLES, limit_threads  # noqa: F401 - THREAD_VARIABLES
from composer.errors import ComposerError
from composer.outputs import check_output_file

EXIT_OK, EXIT_ERROR = 0, 2
# One BLAS thread (composer/blas.py), set before NumPy is imported, which happens when the
# main window is. THREAD_VARIABLES is read from here by the GUI tests.


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line, as the command line's (composer/cli.py)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def _size(text: str) -> tuple[int, int]:
    """``WxH`` for --screenshot, each from 200 to 8192 pixels (a 100000x100000 window once
    flooded stderr with thousands of QPainter warnings)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must look like 1280x800 (got {text!r})") from None
    if not (200 <= width <= 8192 and 200 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"width and height must be from 200 to 8192 pixels "
                                         f"(got {text})")
    return width, height


def build_parser() -> argparse.ArgumentParser:
    from composer.commands import options

    parser = _Parser(prog="composer-gui",
                     description="composer's desktop app: continue music with an LSTM, in a "
                                 "piano roll.")
    parser.add_argument("file", nargs="?", help="a MIDI file to open as the seed")
    parser.add_argument("--model", metavar="DIR", help="model bundle folder (default: the "
                                                       "shipped model)")
    parser.add_argument("--api", metavar="NAME",
                        help="MIDI system for this session: alsa, jack, coremidi, winmm "
                             "(default: the one chosen in Preferences, else automatic); the "
                             "same option as the command line's")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="save a picture of the window and exit")
    parser.add_argument("--generate", action="store_true",
                        help="generate takes right after opening FILE (with --screenshot: "
                             "show them in the picture)")
    parser.add_argument("--generations", type=options.count(1, 100), default=1, metavar="N",
                        help="with --generate: generate N times (the takes history shows "
                             "every generation; with --random-seed S the n-th uses S+n-1)")
    # The ranges of the app's own controls (gui/controls.py), so nothing is clamped silently.
    parser.add_argument("--takes", type=options.count(1, 16), default=None,
                        help="takes to generate")
    parser.add_argument("--bars", type=options.Number(float, 0.5, 128.0), default=None,
                        help="bars per take")
    parser.add_argument("--random-seed", type=options.count(0, 2**31 - 1), default=None,
                        help="random seed for --generate (repeatable pictures)")
    parser.add_argument("--size", type=_size, default=(1280, 800),
                        help="screenshot size WxH (default 1280x800)")
    return parser


def _quiet_offscreen_warnings() -> None:
    """Drop the one warning the offscreen platform (screenshots, tests) prints for every
    window shown, "This plugin does not support propagateSizeHints()": noise that would
    bury the one line an error is. Every other Qt message still goes to stderr."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(kind, context, message: str) -> None:
        if "does not support propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def _install_excepthook(window_getter) -> None:
    """An unexpected exception in a slot becomes a message box, not a silent traceback."""

    def hook(kind, value, tb) -> None:
        traceback.print_exception(kind, value, tb)
        window = window_getter()
        if window is not None and isinstance(value, Exception):
            from gui.messages import error_text

            window.show_error(error_text(value))

    sys.excepthook = hook


def _close_on_ctrl_c(window) -> None:
    """Ctrl+C in the terminal closes the window the normal way (asking to save)."""
    from PySide6.QtCore import QTimer

    signal.signal(signal.SIGINT, lambda *_: window.close())
    timer = QTimer(window)  # lets Python run its signal handlers while Qt waits for events
    timer.timeout.connect(lambda: None)
    timer.start(250)


def main(argv: Sequence[str] | None = None) -> int:
    limit_threads(1)
    args = build_parser().parse_args(argv)
    width, height = args.size
    if args.screenshot:  # before any work, and never onto the file it opens
        try:
            check_output_file(args.screenshot, option="--screenshot",
                              inputs=[args.file or ""], make_folders=True)
        except ComposerError as exc:
            print(f"composer-gui: {exc}", file=sys.stderr)
            return EXIT_ERROR

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    _quiet_offscreen_warnings()

    from gui.main_window import MainWindow
    from gui.workers import stop_all

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("composer")
    app.setApplicationName("composer")
    app.setApplicationDisplayName("composer")
    app.setStyle("Fusion")

    if args.screenshot:
        scratch = tempfile.TemporaryDirectory(prefix="composer-gui-")
        settings = QSettings(os.path.join(scratch.name, "settings.ini"),
                             QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, data_dir=Path(scratch.name), midi_api=args.api)
        status = _screenshot(app, window, args, width, height)
        stop_all(5000)
        return status

    window = MainWindow(midi_api=args.api)
    _install_excepthook(lambda: window)
    _close_on_ctrl_c(window)
    _apply_options(window, args)
    window.show()
    restored = window.offer_restore()
    if args.file and not restored and window.open_file(args.file, ask=False) and args.generate:
        window.generate()
    status = app.exec()
    # Work still running on a pool thread is cancelled and must not outlive the application.
    stop_all(5000)
    return status


def _apply_options(window, args) -> None:
    """Command-line choices override the remembered ones."""
    if args.model:
        window.controls.choose_model(str(Path(args.model).resolve()))
    if args.takes is not None:
        window.controls.takes.setValue(args.takes)
    if args.bars is not None:
        window.controls.bars.setValue(args.bars)
    if args.random_seed is not None:
        window.controls.fixed_seed.setChecked(True)
        window.controls.random_seed.setValue(args.random_seed)


def _wait(job) -> None:
    from PySide6.QtCore import QEventLoop

    if job.is_running():
        loop = QEventLoop()
        job.finished.connect(loop.quit)
        loop.exec()


def _screenshot(app, window, args, width: int, height: int) -> int:
    window.resize(width, height)
    window.show()
    app.processEvents()
    _apply_options(window, args)
    if args.file and not window.open_file(args.file, ask=False):
        print(f"composer-gui: {window.last_error}", file=sys.stderr)
        return EXIT_ERROR
    if args.generate:
        for number in range(max(args.generations, 1)):
            if args.random_seed is not None:
                window.controls.random_seed.setValue(args.random_seed + number)
            job = window.generate()
            if job is None:
                print(f"composer-gui: {window.last_error}", file=sys.stderr)
                return EXIT_ERROR
            _wait(job)
        if not window.takes:
            print(f"composer-gui: {window.last_error or 'no take was generated'}",
                  file=sys.stderr)
            return EXIT_ERROR
    model_job = window.generation_bridge.model_job
    if model_job is not None:  # the model's description belongs in the picture
        _wait(model_job)
    app.processEvents()
    window.roll.fit()
    window.statusBar().clearMessage()
    app.processEvents()
    out = Path(args.screenshot)
    try:
        check_output_file(out, option="--screenshot", inputs=[args.file or ""], make_folders=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(out)):
            raise ComposerError(f"{out}: cannot write the picture")
    except (OSError, ComposerError) as exc:
        print(f"composer-gui: {exc}", file=sys.stderr)
        return EXIT_ERROR
    window.shutdown()
    window.hide()
    print(out)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
