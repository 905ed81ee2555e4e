"""One exception hierarchy: every exception class lives in composer/errors.py and derives from
``ComposerError``; the old import paths still name the same classes."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from composer import errors

ROOT = Path(__file__).resolve().parents[1]


def _exception_classes_outside_errors() -> list[str]:
    """Classes in composer/ and gui/ (other than errors.py) whose bases look like exceptions."""
    found = []
    known = {name for name, obj in vars(errors).items()
             if inspect.isclass(obj) and issubclass(obj, BaseException)}
    known |= {"Exception", "BaseException", "ValueError", "RuntimeError", "OSError", "KeyError"}
    for path in sorted([*ROOT.glob("composer/**/*.py"), *ROOT.glob("gui/**/*.py")]):
        if path == ROOT / "composer" / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                         for b in node.bases}
                if bases & known:
                    found.append(f"{path.relative_to(ROOT)}:{node.name}")
    return found


def test_no_exception_is_declared_outside_errors_py():
    assert _exception_classes_outside_errors() == []


def test_every_exception_in_errors_derives_from_the_root():
    classes = [obj for obj in vars(errors).values()
               if inspect.isclass(obj) and issubclass(obj, BaseException)]
    assert len(classes) >= 10
    assert all(issubclass(c, errors.ComposerError) for c in classes)


def test_old_names_are_the_same_classes():
    from composer.generate import GenerationCancelled
    from composer.ports import NoMidiSystem
    from gui.workers import Cancelled

    assert NoMidiSystem is errors.NoMidiSystem and issubclass(NoMidiSystem, errors.PortError)
    assert Cancelled is errors.Cancelled
    assert GenerationCancelled is errors.GenerationCancelled
    assert issubclass(GenerationCancelled, errors.Cancelled)


def test_one_line_flattens_every_kind_of_whitespace():
    assert errors.one_line(errors.MidiFileError("a.mid:\n  bad\theader ")) == "a.mid: bad header"
    assert errors.one_line("") == ""
