"""Everything ``train``, ``prepare`` and ``evaluate`` must refuse, checked before any work.

Those commands run for minutes to hours; a bad option or an unwritable folder used to be found
only at the end (``--out`` after training, ``evaluate --plot`` after 40 s of scoring), and
``train --name default``, run from the checkout, silently replaced the shipped
``models/default``. Each command calls its function here first, in one line, so the checks
live in one place and the commands keep their plain ``configure``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from composer.commands import options
from composer.errors import SettingsError
from composer.outputs import (
    IMAGE,
    bundle_inputs,
    check_output_file,
    check_output_folder,
    contains,
    same_file,
)


def shipped_model_dir() -> Path:
    """The checkout's (or the installed) ``models/default``, whatever ``$COMPOSER_MODEL`` is."""
    import composer

    return Path(composer.__file__).resolve().parent.parent / "models" / "default"


def _is_shipped(folder: Path) -> bool:
    shipped = shipped_model_dir()
    return same_file(folder, shipped) or Path(folder).resolve() == shipped


def check_train(args: argparse.Namespace, name: str, *, chief: bool = True) -> None:
    """Options, ``--from``, ``--out`` and ``--run-dir`` of ``composer train``.

    ``--out`` (default ``models/<name>``) is replaced as a whole at the end, so it must not
    hold an input or the run folder, an existing bundle there is replaced only with
    ``--force``, a folder that is not a bundle never, and the shipped ``models/default`` only
    when named with ``--out`` and ``--force`` together.
    """
    from composer.bundle import require_keras_model
    from composer.run_files import check_run_folder, prepare_resume

    options.check(args, options.TRAIN)
    if not name.strip() or name in (".", "..") or "/" in name or "\\" in name:
        raise SettingsError(f"--name {name!r}: must be a plain name (it names the folders "
                            "runs/<name> and models/<name>)")
    if args.from_model is not None:
        require_keras_model(args.from_model)
    out = Path(args.out if args.out is not None else Path("models") / name)
    run_dir = Path(args.run_dir if args.run_dir is not None else Path("runs") / name)
    inputs = [*args.midi_dir, *([args.corpus] if not args.midi_dir else []),
              *([args.from_model] if args.from_model else [])]
    if not chief:  # a worker of a multi-worker run: it writes neither (composer.distribute)
        check_run_folder(run_dir)
        return
    check_output_folder(out, option="--out", inputs=[*inputs, run_dir])
    check_output_folder(out.parent, option="--out")
    if _is_shipped(out) and not (args.out is not None and args.force):
        raise SettingsError(f"--out {out}: that is the shipped model of this checkout; "
                            "choose another --name or --out (to replace it on purpose, give "
                            "--out with --force)")
    if out.is_dir() and any(out.iterdir()):
        if not (out / "config.json").is_file():
            raise SettingsError(f"--out {out}: a folder that is not a model bundle; composer "
                                "will not replace it, choose another --out")
        if not args.force:
            raise SettingsError(f"--out {out}: a model bundle is there already; pass --force "
                                "to replace it, or choose another --name or --out")
    check_output_folder(run_dir, option="--run-dir")
    if contains(run_dir, out) and out.exists():
        raise SettingsError(f"--run-dir {run_dir}: holds --out {out}; choose other folders")
    if not args.fresh:
        prepare_resume(run_dir)


def check_prepare(args: argparse.Namespace) -> None:
    """Options, the two folders ``composer prepare`` writes and the files it writes in
    ``--out``."""
    options.check(args, options.PREPARE)
    check_output_folder(args.out, option="--out")
    for name in ("tokens.npz", "pieces.csv", "skipped.txt"):  # no FIFO or folder there
        check_output_file(Path(args.out) / name, option="--out", make_folders=True)
    if args.cache_dir is not None:
        check_output_folder(args.cache_dir, option="--cache-dir")


def check_evaluate(args: argparse.Namespace, model_dir: Path) -> None:
    """``--plot`` is written at the end: it must be writable and none of the inputs; with
    ``--write-card`` the bundle folder must be writable. The plot's suffix picks its
    format, so it must be one the plot can be saved as."""
    if args.plot is not None:
        inputs = [*bundle_inputs(model_dir), model_dir / "log.csv",
                  Path(args.corpus) / "tokens.npz", *([args.log] if args.log else [])]
        args.plot = check_output_file(args.plot, option="--plot", inputs=inputs,
                                      make_folders=True, file_type=IMAGE,
                                      replace=args.force)
    if args.write_card:
        check_output_folder(model_dir, option="--model (for --write-card)")
