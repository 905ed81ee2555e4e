"""``composer evaluate``: a model's NLL per event against unigram and Kneser-Ney baselines.

By default on the prepared corpus's test split; ``--midi-dir`` scores your own MIDI files
instead (unreadable ones are listed and skipped). The n-gram baselines are always trained on
the corpus's train split, so the numbers of different models and data stay comparable; with
``--midi-dir`` and no prepared corpus, the model is scored alone and the report says what the
baselines need. Figures are per event and per note (the unit that stays comparable when the
tokenization changes), overall and per style and composer.
"""

from __future__ import annotations

import argparse
import json
import math
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="DIR",
                        help="model bundle folder (default: the shipped default model)")
    parser.add_argument("--corpus", default="data/corpus", metavar="DIR",
                        help="prepared corpus (composer prepare) for the test split and the "
                        "n-gram training data (default: data/corpus)")
    parser.add_argument("--split", default="test", choices=("test", "valid", "train"),
                        help="corpus split to score (default: test)")
    parser.add_argument("--midi-dir", metavar="DIR",
                        help="score the MIDI files in DIR instead of a corpus split")
    parser.add_argument("--style", metavar="NAME",
                        help="score every piece in this style (default: the mixture over all "
                             "styles the model knows, for pieces whose style is not known)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--plot", metavar="OUT.png",
                        help="also draw the training loss curve from the run's log.csv")
    parser.add_argument("--force", action="store_true",
                        help="replace the --plot file if it exists")
    parser.add_argument("--write-card", action="store_true",
                        help="store the figures in the bundle: metrics.json, card.md, and the "
                        "training log with its loss curve")
    parser.add_argument("--log", metavar="CSV",
                        help="training log for --plot (default: log.csv in the model folder, "
                        "else runs/<model name>/log.csv)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from composer.bundle import default_model_dir, load_bundle
    from composer.commands.checks import check_evaluate
    from composer.corpus import load_corpus
    from composer.errors import CorpusError, MidiFileError, ModelBundleError
    from composer.evaluate import (
        evaluation_report,
        format_report,
        midi_dir_pieces,
        model_only_report,
    )

    model_dir = Path(args.model) if args.model else default_model_dir()
    check_evaluate(args, model_dir)  # --plot and --write-card, before any work (issue 16)
    bundle = load_bundle(model_dir)
    if args.log:
        log_path = Path(args.log)
    else:  # the bundle folder, else the run folder `composer train` uses by default
        candidates = [model_dir / "log.csv", Path("runs") / model_dir.name / "log.csv",
                      Path("runs") / bundle.name / "log.csv"]
        log_path = next((c for c in candidates if c.is_file()), candidates[0])
    if args.plot and not log_path.is_file():
        raise ModelBundleError(f"{log_path}: no training log to plot (give it with --log)")
    if args.plot:  # a damaged log is said now, not after the scoring
        from composer.plots import read_log

        read_log(log_path)
    try:
        corpus = load_corpus(args.corpus)
    except CorpusError:
        if not args.midi_dir:
            raise
        corpus = None
    if corpus is not None and corpus.vocab != bundle.vocab:
        raise ModelBundleError(f"{model_dir}: the model's vocabulary differs from the corpus's "
                               f"({args.corpus}); prepare the corpus with the model's settings")
    train = corpus.select("train").tokens if corpus is not None else ()
    if corpus is not None and not train:
        raise CorpusError(f"{args.corpus}: the corpus has no training pieces for the baselines")
    skipped: list[tuple[str, str]] = []
    groups: dict[str, list[str]] = {}
    if args.midi_dir:
        sequences, inputs, names, skipped = midi_dir_pieces(args.midi_dir, bundle.vocab)
        if not sequences:
            reason = f" ({skipped[0][0]}: {skipped[0][1]})" if skipped else ""
            raise MidiFileError(f"{args.midi_dir}: no readable MIDI file with notes{reason}")
        if corpus is None:  # said once the files are there, so an error stays one line
            print(f"no prepared corpus at {args.corpus}: scoring the model alone",
                  file=sys.stderr)
        data = f"MIDI files in {args.midi_dir}"
        styles = [args.style] * len(sequences) if args.style else None
    else:
        part = corpus.select(args.split)
        sequences = part.tokens
        if not sequences:
            raise CorpusError(f"{args.corpus}: the {args.split} split is empty")
        inputs = [{"positions": p, "meters": m} for p, m in zip(part.positions, part.meters)]
        data = f"{args.corpus} {args.split} split"
        styles = [args.style] * len(sequences) if args.style else None
        groups = {"style": list(part.styles), "composer": list(part.composers)}
    for path, reason in skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    with tqdm(total=100, desc="model", unit="%", file=sys.stderr, disable=None,
              leave=False) as bar:
        def progress(fraction: float) -> None:
            bar.update(round(100 * fraction) - bar.n)

        if corpus is None:
            report = model_only_report(bundle, sequences, data=data, inputs=inputs,
                                       styles=styles, progress=progress)
        else:
            report = evaluation_report(bundle, sequences, train, data=data, progress=progress,
                                       inputs=inputs, styles=styles, groups=groups)
    report["skipped"] = [{"file": path, "reason": reason} for path, reason in skipped]
    if corpus is None:
        report["baselines"] = (
            f"not scored: the n-gram baselines are trained on the train split of a prepared "
            f"corpus, and there is none at {args.corpus}; make one with `composer prepare` "
            f"(tens of minutes) and give it with --corpus DIR")
    if args.plot:
        from composer.plots import plot_loss_curve

        report["plot"] = str(plot_loss_curve(log_path, args.plot, title=f"{bundle.name}"))
    if args.write_card:
        from composer.card import finish_bundle
        from composer.corpus import format_summary

        card = finish_bundle(model_dir, report=report,
                             log_csv=log_path if log_path.is_file() else None,
                             composer_table=format_summary(corpus)
                             if corpus is not None and not args.midi_dir else "")
        print(f"model card -> {card}", file=sys.stderr)
    if args.json:
        json.dump(json_safe(report), sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
    else:
        print(format_report(report))
        if "baselines" in report:
            print(f"baselines: {report['baselines']}")
        if skipped:
            print(f"skipped {len(skipped)} unreadable file(s) (listed above)")
        if args.plot:
            print(f"loss curve -> {report['plot']}")
    return 0


def json_safe(value):
    """``value`` with every NaN or infinity as ``null``: a figure that could not be measured
    (a split with no pieces of a style, say) must not make the output invalid JSON, which
    ``NaN`` is for every strict reader (jq, JavaScript)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if hasattr(value, "item") and callable(value.item):  # a NumPy scalar
        return json_safe(value.item())
    return value
