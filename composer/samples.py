"""The bundled seed files (``midi_samples/``): where they are and what each one is.

One home for finding them, so the app's File › Open example and the CLI's default seed agree
(``composer/commands/generate.py`` still has its own copy of the folder search; it can call
:func:`sample_folders`). They live next to the package in a source checkout and under
``<prefix>/share/composer/midi_samples`` when installed as data files.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

# What each shipped file is, for a menu (the file names say it less well); a file not listed
# here is still offered, under a title made from its name.
TITLES = {
    "bach_chorale": "Bach: chorale BWV 66.6 (four voices, 4/4)",
    "mozart_sonata_k545": "Mozart: Piano Sonata K. 545, opening (4/4)",
    "mozart_quartet_k458_6-8": "Mozart: \"Hunt\" Quartet K. 458, on one staff (6/8)",
    "chopin_mazurka_3-4_pedal": "Chopin: Mazurka Op. 6 No. 2, with pedal (3/4)",
    "joplin_maple_leaf_rag_2-4": "Joplin: Maple Leaf Rag (2/4)",
    "clementi_op36_3_opening": "Clementi: Sonatina Op. 36 No. 3, played (4/4)",
}


@dataclass(frozen=True)
class Sample:
    path: Path
    title: str


def sample_folders() -> list[Path]:
    """Where bundled samples may be, in the order they are looked for."""
    here = Path(__file__).resolve().parent.parent
    return [here / "midi_samples", Path(sys.prefix) / "share" / "composer" / "midi_samples"]


def title_of(path: Path) -> str:
    """A readable title: from :data:`TITLES`, else the file name in words."""
    return TITLES.get(path.stem) or path.stem.replace("_", " ").replace("-", " ").capitalize()


def samples() -> list[Sample]:
    """The bundled seeds of the first folder that has any (none found: an empty list)."""
    for folder in sample_folders():
        files = sorted(folder.glob("*.mid")) if folder.is_dir() else []
        if files:
            known = [f for f in files if f.stem in TITLES]
            order = sorted(known, key=lambda f: list(TITLES).index(f.stem))
            order += [f for f in files if f.stem not in TITLES]
            return [Sample(f, title_of(f)) for f in order]
    return []


def is_sample(path: Path) -> bool:
    """Whether ``path`` is one of the bundled seeds (those are opened as templates)."""
    try:
        resolved = Path(path).resolve()
    except OSError:
        return False
    return any(resolved.parent == folder.resolve() for folder in sample_folders())
