"""Background jobs: results, errors and cancellation come back on the UI thread."""

import threading
import time

from PySide6.QtCore import QThread

from composer.errors import MidiFileError
from gui.workers import run_in_background


def test_result_and_progress_arrive_on_the_ui_thread(qtbot, qapp):
    seen = {}

    def work(progress, cancelled):
        seen["worker"] = threading.get_ident()
        progress(0.5)
        return 42

    job = run_in_background("test", work)
    progress = []
    job.progress.connect(lambda value: progress.append(
        (value, QThread.currentThread() == qapp.thread())))
    with qtbot.waitSignal(job.succeeded, timeout=5000) as blocker:
        pass
    assert blocker.args == [42]
    assert progress == [(0.5, True)]
    assert seen["worker"] != threading.get_ident()
    assert not job.is_running()


def test_errors_become_messages(qtbot):
    def bad_file(progress, cancelled):
        raise MidiFileError("song.mid: not a MIDI file (no MThd header)")

    def bug(progress, cancelled):
        return 1 / 0

    job = run_in_background("Opening", bad_file)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["song.mid: not a MIDI file (no MThd header)"]
    job = run_in_background("Rendering", bug)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args[0].startswith("Rendering: unexpected error (ZeroDivisionError")


def test_cancel_flag_is_seen_by_the_work(qtbot):
    started = threading.Event()

    def slow(progress, cancelled):
        started.set()
        while not cancelled():
            time.sleep(0.005)
        return "too late"

    job = run_in_background("slow", slow)
    assert started.wait(5)
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        job.cancel()
    assert not job.is_running()


def test_any_cancelled_error_reports_cancelled_not_failed(qtbot):
    from composer.errors import GenerationCancelled

    def stops(progress, cancelled):
        raise GenerationCancelled("generation cancelled")

    job = run_in_background("Generating", stops)
    failures = []
    job.failed.connect(failures.append)
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        pass
    assert failures == [] and not job.is_running()
