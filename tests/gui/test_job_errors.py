"""Background jobs' failures: one dialog each, through Messages.report (the message on one
line, a bug's traceback behind "Show Details"), nothing on stderr; and no error on a pool
thread when a job outlives its window at shutdown."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from composer.errors import ComposerError

ROOT = Path(__file__).resolve().parents[2]


def _dialog(window):
    box = window.messages.error_box
    assert box is not None and box.isVisible()
    return box


def test_a_bug_in_a_job_is_one_line_with_the_traceback_on_demand(make_window, qtbot, capfd):
    window = make_window()

    def bug(progress, cancelled):
        return {}["missing"]

    job = window.messages.report(window._start("Rendering", bug), "Cannot export audio")
    with qtbot.waitSignal(window.messages.errorShown, timeout=5000) as shown:
        pass
    box = _dialog(window)
    assert shown.args == ["Rendering: unexpected error (KeyError: 'missing')"]
    assert box.windowTitle() == "Cannot export audio" and "\n" not in box.text()
    assert "Traceback" in box.detailedText() and "KeyError" in box.detailedText()
    assert job.details == box.detailedText()
    assert "Traceback" not in capfd.readouterr().err  # never on stderr


def test_a_persons_error_in_a_job_has_no_details(make_window, qtbot, capfd):
    window = make_window()

    def refused(progress, cancelled):
        raise ComposerError("song.wav: cannot write here (Permission denied)")

    window.messages.report(window._start("Rendering", refused), "Cannot export audio")
    qtbot.waitSignal(window.messages.errorShown, timeout=5000).wait()
    assert _dialog(window).text() == "song.wav: cannot write here (Permission denied)"
    assert _dialog(window).detailedText() == ""
    assert capfd.readouterr().err == ""


def test_export_audio_fails_into_the_dialog(make_window, seed_file, qtbot, tmp_path, capfd):
    window = make_window()
    assert window.open_file(seed_file, ask=False)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    job = window.files.export_wav(blocker / "out.wav")  # a "folder" that is a file
    assert job is not None
    qtbot.waitSignal(window.messages.errorShown, timeout=20000).wait()
    box = _dialog(window)
    assert box.windowTitle() == "Cannot export audio" and "out.wav" in box.text()
    assert "Traceback" not in capfd.readouterr().err


def test_a_model_that_cannot_load_says_so_in_the_dialog_and_the_model_box(make_window, qtbot,
                                                                          tmp_path):
    window = make_window()
    job = window.generation_bridge.load_model(str(tmp_path / "no-model"))
    qtbot.waitSignal(job.finished, timeout=5000).wait()
    box = _dialog(window)
    assert box.windowTitle() == "Cannot load the model" and "no model bundle" in box.text()
    assert "no model bundle" in window.controls.model_info.text()


def test_closing_the_window_while_a_job_runs_reports_nothing_more(make_window, qtbot,
                                                                  capfd):
    from gui.workers import stop_all

    window = make_window()
    seen = []

    def slow(progress, cancelled):
        end = time.monotonic() + 0.5
        while time.monotonic() < end:  # like a WAV render: it never asks cancelled()
            progress(0.5)
            time.sleep(0.01)
        raise ComposerError("too late to tell anyone")

    job = window.messages.report(window._start("Rendering", slow), "Cannot export audio")
    job.progress.connect(seen.append)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    window.close()
    assert stop_all(5000)
    qtbot.wait(50)
    assert window.messages.last_error is None and not job.is_running()
    assert capfd.readouterr().err == ""


SHUTDOWN = """
import sys, time
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from gui.main_window import MainWindow
from gui.workers import stop_all

app = QApplication(sys.argv[:1])
folder = Path(sys.argv[1])
window = MainWindow(settings=QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat),
                    data_dir=folder, preload_model=False)
window.show()


def uncancellable(progress, cancelled):  # like a long WAV render: never asks cancelled()
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        progress(0.5)
        time.sleep(0.01)
    return "done"


window._start("Rendering", uncancellable)
QTimer.singleShot(200, window.close)
app.exec()  # returns when the last window has closed
print("stopped in time:", stop_all(100), flush=True)  # as gui.app does, with a shorter wait
"""


def test_a_job_outliving_the_app_raises_nothing_on_its_thread(tmp_path):
    """The job runs on after the window closed and after the app's wait; Python exits under
    it. It used to raise "Signal source has been deleted" on the pool thread."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1",
           "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = subprocess.run([sys.executable, "-c", SHUTDOWN, str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "stopped in time: False" in result.stdout  # it did outlive the wait
    assert "Signal source has been deleted" not in result.stderr
    assert "Traceback" not in result.stderr, result.stderr


@pytest.mark.jack
def test_live_mode_that_cannot_start_says_so_in_the_dialog(make_window, qtbot, tmp_path,
                                                           monkeypatch):
    from composer import ports
    from composer.generate import GenerationSettings
    from gui.live_panel import LivePanel
    from tests import jack_server

    try:
        server = jack_server.start_jack()
    except RuntimeError as exc:
        pytest.skip(f"no JACK server: {exc}")
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    try:
        window = make_window()
        keyboard = ports.open_virtual_output("keys", api="jack", client_name="dialogkbd")
        panel = LivePanel(api="jack", report=window.messages.report)
        qtbot.addWidget(panel)
        try:
            panel.refresh()
            panel.set_generation(str(tmp_path / "no-model"), GenerationSettings())
            job = panel.start()
            assert job is not None
            qtbot.waitSignal(window.messages.errorShown, timeout=10000).wait()
            box = _dialog(window)
            assert box.windowTitle() == "Live mode could not start"
            assert "no model bundle" in box.text() and "no model bundle" in panel.status_text()
        finally:
            panel.stop()
            keyboard.close()
    finally:
        server.stop()
