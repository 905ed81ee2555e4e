"""How long "Harmonize melody" takes in the app: 16 bars of 4/4, in its background job.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/harmonize_app.py [--runs 3]
        [--takes 1,3]

A real main window (offscreen Qt), with the 16-bar melody of benchmarks/harmonize.py opened as
a MIDI file. Each run presses Harmonize melody and waits until the takes are in the takes
history: the seconds from the press to that (wall time, what the person waits), the first run
of the session with the harmonizer bundle loaded inside the job, the later ones from the
cache. Next to it, the longest the UI thread went without running a 10 ms timer while the job
worked (up to its last progress report; showing the takes afterwards is not counted): the
harmonizing runs off the UI thread, so the window keeps drawing and answering. And, for
comparison, the longest gap of the same timer with no job at all (what the machine's load
alone costs).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gui.app import THREAD_VARIABLES  # noqa: E402

for _name in THREAD_VARIABLES:  # as the app does, before NumPy is imported
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from composer.midi_io import write_midi  # noqa: E402
from composer.notes import Piece, TempoChange, TimeSignature  # noqa: E402

SIXTEEN = " ".join(["G4:1 A4:1 B4:1 G4:1 D5:2 B4:2 C5:1 B4:1 A4:1 G4:1 A4:4"] * 4)


def harmonize_once(window, takes: int) -> tuple[float, float]:
    """(seconds from the press to the takes in the history, longest UI-thread gap in s)."""
    window.controls.takes.setValue(takes)
    gaps, last, working = [0.0], [time.perf_counter()], [True]

    def tick() -> None:
        now = time.perf_counter()
        if working[0]:
            gaps.append(now - last[0])
        last[0] = now

    def progressed(fraction: float) -> None:
        if fraction >= 1.0:  # the work is done; what follows is the history being shown
            working[0] = False

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    window.takesReady.connect(loop.quit)
    timer.start()
    started = time.perf_counter()
    last[0] = started
    job = window.harmonizer.harmonize()
    if job is None:
        raise SystemExit(f"harmonize refused: {window.last_error}")
    job.progress.connect(progressed)
    job.failed.connect(lambda message: (print(message, file=sys.stderr), loop.quit()))
    loop.exec()
    seconds = time.perf_counter() - started
    timer.stop()
    window.takesReady.disconnect(loop.quit)
    if len(window.takes) < takes:
        raise SystemExit("no takes came back")
    window.discard_takes()
    return seconds, max(gaps)


def idle_gap(seconds: float) -> float:
    """The longest gap of the same 10 ms timer with no job running (the machine's own share)."""
    gaps, last = [0.0], [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    timer.start()
    loop.exec()
    timer.stop()
    return max(gaps)


def main(argv=None) -> int:
    from harmonize import tune  # benchmarks/harmonize.py: the same melody

    from gui.main_window import MainWindow

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--takes", default="1,3", help="takes per press, e.g. 1,3")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        melody = Path(folder) / "sixteen.mid"
        notes = tuple(tune(SIXTEEN))
        write_midi(melody, Piece(notes=notes, tempos=(TempoChange(0.0, 100.0),),
                                 time_signatures=(TimeSignature(0.0, 4, 4),)))
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, data_dir=Path(folder) / "data",
                            preload_model=False)
        window.show()
        app.processEvents()
        assert window.open_file(melody, ask=False)
        bars = notes[-1].end / 4
        print(f"{bars:g} bars of 4/4, {len(notes)} melody notes; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
        print("| takes | first press (bundle loaded in the job) | later presses (median; all) "
              "| longest UI-thread gap |")
        print("| ---: | ---: | ---: | ---: |")
        first = True
        for takes in (int(t) for t in args.takes.split(",") if t):
            runs = [harmonize_once(window, takes) for _ in range(args.runs + (1 if first else
                                                                               0))]
            cold = f"{runs[0][0]:.2f} s" if first else "–"
            warm = [r[0] for r in (runs[1:] if first else runs)]
            print(f"| {takes} | {cold} | {statistics.median(warm):.2f} s "
                  f"({', '.join(f'{t:.2f}' for t in warm)}) | "
                  f"{max(r[1] for r in runs) * 1000:.0f} ms |")
            first = False
        print(f"\nNo job running, the same timer for 3 s: longest gap "
              f"{idle_gap(3.0) * 1000:.0f} ms")
        window.doc.undo_stack.setClean()
        window.shutdown()
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
