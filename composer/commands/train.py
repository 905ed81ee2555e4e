"""``composer train``: train a model, or fine-tune one with ``--from``; resumable."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    from composer.commands.options import DeprecatedAlias
    from composer.distribute import STRATEGIES

    parser.add_argument("--corpus", default="data/corpus", metavar="DIR",
                        help="prepared corpus folder, from `composer prepare` (default: "
                             "%(default)s; not read with --midi-dir)")
    parser.add_argument("--midi-dir", action="append", default=[], metavar="DIR",
                        help="train on the MIDI files in DIR instead of the corpus (with "
                             "--from: fine-tune on them); may be given more than once "
                             "(default: none)")
    parser.add_argument("--from", dest="from_model", metavar="MODEL_DIR",
                        help="start from this model bundle: fine-tuning (default: none, a "
                             "new model)")
    parser.add_argument("--out", metavar="DIR",
                        help="model bundle to write (default: models/<name>)")
    parser.add_argument("--run-dir", metavar="DIR",
                        help="checkpoints and logs; running again with the same folder "
                             "resumes (default: runs/<name>)")
    parser.add_argument("--name", default=None,
                        help="run and model name (default: 'model', or '<from>-tuned' with "
                             "--from)")
    parser.add_argument("--fresh", action="store_true",
                        help="ignore an existing checkpoint in --run-dir and start over "
                             "(default: resume)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing bundle at --out (default: refuse)")
    group = parser.add_argument_group("model shape (ignored with --from)")
    group.add_argument("--layers", type=int, default=2, metavar="N",
                       help="LSTM layers (default: %(default)s)")
    group.add_argument("--units", type=int, default=384, metavar="N",
                       help="units per LSTM layer (default: %(default)s)")
    group.add_argument("--embedding", type=int, default=256, metavar="N",
                       help="size of the event embedding (default: %(default)s)")
    group.add_argument("--dropout", type=float, default=0.1, metavar="P",
                       help="dropout between layers, 0 to below 1 (default: %(default)s)")
    group.add_argument("--inputs", default="positions,meters,styles,composers",
                       metavar="NAMES",
                       help="extra inputs besides the events, comma-separated, or 'none' "
                       "(default: %(default)s)")
    group = parser.add_argument_group("training")
    group.add_argument("--sequence-length", type=int, default=384, metavar="N",
                       help="events per training window (default: %(default)s)")
    group.add_argument("--batch-size", type=int, default=64, metavar="N",
                       help="windows per training step on each replica: the global batch is "
                            "this times the replicas (default: %(default)s)")
    group.add_argument("--lr", type=float, metavar="RATE",
                       help="learning rate of the global batch, not scaled with the replicas "
                            "(default: 2e-3, 5e-4 with --from)")
    group.add_argument("--strategy", choices=STRATEGIES, default="auto",
                       help="tf.distribute strategy: 'multi-worker' across the machines or "
                            "processes named by TF_CONFIG, 'mirrored' over this machine's "
                            "GPUs, 'one' device; 'auto' picks multi-worker when TF_CONFIG "
                            "names several workers, mirrored with several GPUs, else one "
                            "(default: %(default)s; see docs/distributed.md)")
    group.add_argument("--steps-per-epoch", type=int, metavar="N",
                       help="training steps between validations and checkpoints (default: "
                            "100, 20 with --from: a short fine-tune still validates often)")
    group.add_argument("--max-epochs", type=int, default=1000, metavar="N",
                       help="stop after this many epochs (default: %(default)s)")
    group.add_argument("--max-minutes", type=float, metavar="MIN",
                       help="stop after this much training time (default: 120, 5 with --from)")
    group.add_argument("--patience", type=int, default=8, metavar="N",
                       help="stop early after this many epochs without a better validation "
                            "loss (default: %(default)s)")
    group.add_argument("--balance", type=float, default=0.5, metavar="B",
                       help="composer balance of the sampled windows, 0 (every composer "
                            "equally) to 1 (as in the corpus) (default: %(default)s)")
    group.add_argument("--piano-share", type=float, default=0.5, metavar="P",
                       help="share of windows drawn from the piano pieces (default: "
                            "%(default)s)")
    group.add_argument("--random-seed", dest="seed", type=int, default=1234, metavar="S",
                       help="random seed of the first weights and of the window sampling "
                            "(default: %(default)s)")
    group.add_argument("--seed", dest="seed", type=int, action=DeprecatedAlias,
                       new="--random-seed")
    group.add_argument("--weights-dtype", choices=["float16", "float32"], default="float16",
                       help="storage of the NumPy engine's weights in the bundle (default: "
                            "%(default)s)")
    group.add_argument("--no-evaluate", action="store_true",
                       help="do not evaluate on the test split after training (default: "
                            "evaluate)")


def run(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from composer import corpus as corpus_mod
    from composer.bundle import load_bundle
    from composer.commands.checks import check_train
    from composer.config import CONDITIONS, ModelConfig, TrainConfig
    from composer.distribute import (
        choose_strategy,
        cluster_from_env,
        describe,
        local_gpus,
        make_strategy,
    )
    from composer.errors import SettingsError
    from composer.train import Trainer, training_data_from_corpus
    from composer.vocabulary import TokenizerSettings, Vocabulary

    fine_tune = args.from_model is not None
    name = args.name or (f"{Path(args.from_model).name}-tuned" if fine_tune else "model")
    cluster = cluster_from_env()
    # Only the chief writes the run folder and the bundle; the others only read the folder.
    check_train(args, name, chief=cluster.is_chief)  # before any work (issue 16)
    wanted = [] if args.inputs.strip() == "none" else [
        name.strip() for name in args.inputs.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(CONDITIONS))
    if unknown and not fine_tune:  # before converting the MIDI files, not after
        raise SettingsError(f"--inputs: unknown input(s) {', '.join(unknown)}; choose from "
                            f"{', '.join(CONDITIONS)} or 'none'")
    kind = choose_strategy(args.strategy, cluster,
                           local_gpus() if cluster.workers == 1 and args.strategy == "auto"
                           else 0)
    strategy = make_strategy(kind)  # first of all TensorFlow: collectives are set up here
    if cluster.is_chief:
        print(describe(kind, strategy.num_replicas_in_sync if strategy else 1), flush=True)
    base = load_bundle(args.from_model) if fine_tune else None
    if args.midi_dir:
        settings = base.vocab.settings if base else TokenizerSettings()
        sources = []
        for folder in args.midi_dir:
            sources += corpus_mod.midi_dir_sources(folder, composer=f"user:{Path(folder).name}")
        converted = corpus_mod.convert_all(sources, settings)
        corpus, skipped = corpus_mod.assemble(converted, Vocabulary(settings))
        for item in skipped:
            print(f"skipped {item.source.path}: {item.error}")
        if not len(corpus):
            raise SettingsError(f"--midi-dir {', '.join(map(str, args.midi_dir))}: none of "
                                "the MIDI files could be used for training")
    else:
        corpus = corpus_mod.load_corpus(args.corpus)
    data = training_data_from_corpus(corpus,
                                     conditioning=base.conditioning if base is not None else None)
    if base is not None:
        if base.vocab != data.vocab:
            raise SettingsError(f"{args.from_model}: its vocabulary differs from the data's")
        model_config = base.config
    else:
        if args.layers < 1 or args.units < 1 or args.embedding < 1:
            raise SettingsError("--layers, --units and --embedding must be positive")
        c = data.conditioning
        sizes = {"positions": c.positions, "meters": len(c.meters), "styles": len(c.styles),
                 "composers": len(c.composers)}
        model_config = ModelConfig(len(data.vocab), args.embedding,
                                   (args.units,) * args.layers, args.dropout,
                                   **{name: sizes[name] for name in wanted})
    train_config = TrainConfig(
        sequence_length=args.sequence_length, batch_size=args.batch_size,
        learning_rate=args.lr or (5e-4 if fine_tune else 2e-3),
        steps_per_epoch=args.steps_per_epoch or (20 if fine_tune else 100),
        max_epochs=args.max_epochs,
        max_minutes=args.max_minutes if args.max_minutes is not None else (
            5.0 if fine_tune else 120.0),
        patience=args.patience, composer_balance=args.balance, seed=args.seed,
        piano_share=args.piano_share,
    )
    run_dir = Path(args.run_dir or Path("runs") / name)
    log = print if cluster.is_chief else (lambda line: print(f"[{cluster.name}] {line}",
                                                               flush=True))
    trainer = Trainer(run_dir, data, model_config, train_config,
                      init_keras_path=base.keras_path if base else None, log=log,
                      strategy=strategy, cluster=cluster)
    result = trainer.run(fresh=args.fresh)
    if not cluster.is_chief:
        log(f"done at epoch {result.state.epoch}; the chief writes the model bundle")
        return 0
    out = Path(args.out or Path("models") / name)
    extra = {"name": name}
    if base is not None:
        extra["fine_tuned_from"] = base.name
    trainer.export(out, weights_dtype=args.weights_dtype, extra_info=extra)
    print(f"model bundle written to {out} (best val loss "
          f"{result.state.best_val_loss:.4f} nats/event at epoch {result.state.best_epoch})")
    from composer.card import finish_bundle
    from composer.corpus import format_summary

    report = None
    if not args.no_evaluate and len(corpus.select("test")):
        from composer.evaluate import corpus_report, format_report

        report = corpus_report(out, corpus, "test")
        print(format_report(report))
    card = finish_bundle(out, report=report, log_csv=run_dir / "log.csv",
                         composer_table=format_summary(corpus))
    print(f"model card -> {card}")
    return 0
