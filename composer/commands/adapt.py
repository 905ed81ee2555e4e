"""``composer adapt --like A.mid [B.mid ...] --dislike C.mid [...] [--model DIR] -o OUT_DIR``.

Writes a model bundle adapted to the liked and disliked files (composer/adapt.py: an update of
the output layer fitted in NumPy on the LSTM's hidden states of the rated music, anchored to the
base model on replay music), which ``composer generate --model OUT_DIR`` and the app load like
any other. A rated file may be a whole piece or a take written by composer (its generated notes
are rated, in the context of the seed before them). Every file is read before any work, so an
unreadable or empty one is one line naming it (exit 2). No TensorFlow.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from composer.blas import limit_threads


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--like", nargs="+", action="extend", default=[], metavar="FILE.mid",
                        help="MIDI files (whole pieces or takes) to hear more like")
    parser.add_argument("--dislike", nargs="+", action="extend", default=[],
                        metavar="FILE.mid", help="MIDI files to hear less like")
    parser.add_argument("--model", metavar="DIR",
                        help="the model to adapt (default: the shipped model, or "
                             "$COMPOSER_MODEL)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT_DIR",
                        help="the folder to write the adapted model bundle to")
    parser.add_argument("--force", action="store_true",
                        help="replace the folder if it holds a model already")
    parser.add_argument("--variant", choices=("bias", "lowrank"), default=None,
                        help="what is adapted: one bias per event kind, or a low-rank update "
                             "of the output layer too (default: bias, chosen by "
                             "benchmarks/feedback.py: lowrank cost 17-38%% of the test NLL)")
    parser.add_argument("--replay", nargs="+", action="extend", default=[], metavar="FILE.mid",
                        help="music the adapted model must keep predicting well (default: "
                             "the bundled sample seeds)")


def run(args: argparse.Namespace) -> int:
    limit_threads()
    from composer.adapt import DEFAULT_VARIANT, FitSettings, adapt_files, save_adapted
    from composer.bundle import default_model_dir, load_bundle
    from composer.errors import SettingsError
    from composer.outputs import bundle_inputs, check_output_folder, same_file
    from composer.samples import samples

    if not args.like and not args.dislike:
        raise SettingsError("give at least one file with --like or --dislike")
    model_dir = Path(args.model) if args.model else default_model_dir()
    out = check_output_folder(args.output, option="-o", inputs=[
        *bundle_inputs(model_dir), *args.like, *args.dislike, *args.replay])
    if out.exists() and (same_file(out, model_dir) or out.resolve() == model_dir.resolve()):
        raise SettingsError(f"-o {out}: is the model being adapted; choose another folder")
    if out.is_dir() and any(out.iterdir()) and not args.force:
        what = "holds a model" if (out / "config.json").exists() else "is not empty"
        raise SettingsError(f"-o {out}: {what}; use --force to replace it")
    began = time.perf_counter()
    bundle = load_bundle(model_dir)
    replay = args.replay or [s.path for s in samples()]
    settings = FitSettings(variant=args.variant or DEFAULT_VARIANT)
    adaptation = adapt_files(bundle, args.like, args.dislike, replay, settings)
    rated = [("like", str(p)) for p in args.like] + [("dislike", str(p)) for p in args.dislike]
    save_adapted(bundle, adaptation, out, rated=rated)
    print(f"adapted {bundle.name} to {len(args.like)} liked and {len(args.dislike)} disliked "
          f"file(s) in {time.perf_counter() - began:.1f} s: {out}")
    print(f"generate with it: composer generate --model {out}")
    return 0
