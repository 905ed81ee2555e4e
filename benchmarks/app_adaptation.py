"""How long is an adaptation round in the app? The real window (offscreen), the real model.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/app_adaptation.py [--model DIR]
        [--ratings 20] [--takes 4] [--bars 4] [--seed midi_samples/mozart_sonata_k545.mid]

Generates ``--takes`` takes at a time from the seed and rates them one by one (the densest
half liked, the rest disliked) until ``--ratings`` ratings; after each rating it waits for the
background round (gui.adaptation_run: the LSTM over the newly rated take, then the fit) and
prints its wall-clock and CPU seconds (the worker thread's own). The first round also runs the
LSTM over the replay music (the bundled sample seeds): it is shown apart. The ratings log goes
to a temporary $COMPOSER_DATA, never the user's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from composer.blas import limit_threads  # noqa: E402

limit_threads(1)  # as the app does (gui/app.py), before NumPy is imported


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(REPO / "models" / "default"))
    parser.add_argument("--ratings", type=int, default=20)
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--bars", type=int, default=4)
    parser.add_argument("--seed", default=str(REPO / "midi_samples" / "mozart_sonata_k545.mid"))
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = Path(tempfile.mkdtemp(prefix="composer-app-adapt-"))
    os.environ["COMPOSER_DATA"] = str(scratch / "data")

    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    from composer.ratings import DISLIKE, LIKE
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat),
                        scratch / "appdata", preload_model=False)
    bridge = window.ratings

    def wait(condition, seconds: float = 600.0) -> None:
        end = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > end:
                raise SystemExit("timed out")
            app.processEvents()
            time.sleep(0.002)

    window.open_file(args.seed, ask=False)
    window.controls.choose_model(args.model)
    window.controls.takes.setValue(args.takes)
    window.controls.bars.setValue(args.bars)
    wait(lambda: "LSTM" in window.controls.model_info.text() and bridge._loaded)
    rounds = []
    bridge.adapted.connect(lambda result: rounds.append(result))
    generation = 0
    while len(bridge.counted()) < args.ratings:
        ready = []
        window.takesReady.connect(ready.append)
        window.generate()
        wait(lambda ready=ready: ready)
        window.takesReady.disconnect()
        generation += 1
        takes = ready[0]
        order = sorted(range(len(takes)), key=lambda i: -len(takes[i].notes))
        for rank, index in enumerate(order):
            if len(bridge.counted()) >= args.ratings:
                break
            before = len(rounds)
            bridge.rate(LIKE if rank < len(order) // 2 else DISLIKE, (generation, index))
            wait(lambda before=before: len(rounds) > before and not bridge.is_adapting())
            result = rounds[-1]
            print(f"round {len(rounds):2d}: {result.ratings:2d} ratings, "
                  f"{result.seconds:.2f} s wall, {result.cpu:.2f} s CPU "
                  f"(fit {result.adaptation.seconds:.2f} s)", flush=True)
    first, rest = rounds[0], rounds[1:]
    print(f"\nfirst round (with the replay music): {first.seconds:.2f} s wall, "
          f"{first.cpu:.2f} s CPU")
    if rest:
        walls = [r.seconds for r in rest]
        cpus = [r.cpu for r in rest]
        print(f"rounds 2-{len(rounds)}: median {statistics.median(walls):.2f} s wall "
              f"(max {max(walls):.2f}), median {statistics.median(cpus):.2f} s CPU "
              f"(max {max(cpus):.2f}); at {rest[-1].ratings} ratings: {walls[-1]:.2f} s wall")
    print(f"window: {bridge.label.text()}; load average {os.getloadavg()[0]:.1f}")
    window.doc.undo_stack.clear()
    window.shutdown()
    QCoreApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
