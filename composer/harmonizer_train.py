"""Train the harmonizer and write its bundle: ``python -m composer.harmonizer_train``.

Not a ``composer`` command: the harmonizer is trained once, by whoever ships it, on the
chorales music21 ships (the corpus is fixed), so a script with a time limit is enough. It
writes ``models/harmonizer/`` (the bidirectional model) and, inside it, ``ablation/`` (the
forward-only model trained on the same batches, for ``benchmarks/harmonize.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m composer.harmonizer_train")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--out", default="models/harmonizer")
    parser.add_argument("--checkpoint", default="runs/harmonizer/joint.weights.h5")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epoch-examples", type=int, default=200_000)
    args = parser.parse_args(argv)

    from composer.chorales import load_chorales, voice_ranges
    from composer.harmonizer_bundle import HarmonizerConfig
    from composer.harmonizer_model import history_json, save_harmonizer, train

    def log(text: str) -> None:
        print(time.strftime("%H:%M:%S"), text, flush=True)

    chorales = load_chorales()
    ranges = voice_ranges(chorales)
    config = HarmonizerConfig(units=args.units, hidden=args.hidden, ranges=ranges)
    log(f"{len(chorales)} chorales, voice ranges {ranges}")
    Path(args.checkpoint).parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    model, history = train(chorales, config, minutes=args.minutes, checkpoint=args.checkpoint,
                           epoch_examples=args.epoch_examples, batch_size=args.batch_size,
                           log=log)
    minutes = (time.monotonic() - started) / 60
    splits = {s: sum(c.split == s for c in chorales) for s in ("train", "valid", "test")}
    info = {"training": {"minutes": round(minutes, 1), "epochs": len(history),
                         "chorales": splits, "history": history[-1:] and [
                             {"epoch": history[-1][0], "valid_nll": list(history[-1][3])}]}}
    Path(args.checkpoint).with_suffix(".history.json").write_text(history_json(history))
    out = save_harmonizer(args.out, model, config, prefix="bi_", info=info,
                          card="(fill in from docs/harmonize.md and benchmarks/harmonize.py)\n")
    fwd = dataclasses.replace(config, bidirectional=False)
    save_harmonizer(Path(args.out) / "ablation", model, fwd, prefix="fwd_", info=info,
                    keras_model=False)
    log(f"wrote {out} after {minutes:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
