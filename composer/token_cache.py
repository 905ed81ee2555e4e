"""The tokens of converted pieces, kept between runs of ``composer prepare``.

The conversion cache (:mod:`composer.corpus`) spares the parsing; tokenizing 2,000 pieces in
Python still took most of a warm run (about 45 s of 57 on the 2-core machine). This cache keeps
each piece's events with their position and metre inputs, in one file per vocabulary and
tokenizer code, so a warm run reads one file instead of tokenizing again.

A key is the digest of a piece's converted arrays (notes, pedals, signatures): the same music
gives the same tokens whatever file it came from. The file's name holds a digest of the
vocabulary's settings and of the source of the modules that decide the tokens, so a change to
the tokenizer can never serve stale tokens (it only costs one cold tokenization).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from composer import conditioning, meter, tokenizer, vocabulary
from composer.errors import CorpusError
from composer.inputs import read_npz

Features = tuple[np.ndarray, np.ndarray, np.ndarray]  # tokens, positions, meters


def code_digest(vocab: vocabulary.Vocabulary) -> str:
    """What the tokens depend on besides the music: settings and the tokenizing code."""
    digest = hashlib.sha1(vocab.to_json().encode())
    for module in (tokenizer, conditioning, meter, vocabulary):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def piece_key(notes: np.ndarray, pedals: np.ndarray, signatures: np.ndarray) -> str:
    digest = hashlib.sha1()
    for array in (notes, pedals, signatures):
        array = np.ascontiguousarray(array, dtype=np.float64)
        digest.update(str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


class TokenCache:
    """``get`` / ``put`` by piece key; ``save`` writes the file once, atomically, if it grew."""

    def __init__(self, folder: str | os.PathLike, vocab: vocabulary.Vocabulary) -> None:
        self.folder = Path(folder)
        self.path = self.folder / f"tokens-{code_digest(vocab)}.npz"
        self._entries: dict[str, Features] = {}
        self._added = False
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            with read_npz(self.path, limit=1 << 31, error=CorpusError) as data:
                keys, offsets = data["keys"], data["offsets"]
                tokens, positions, meters = data["tokens"], data["positions"], data["meters"]
                if not (len(offsets) == len(keys) + 1 and offsets[-1] == len(tokens)
                        == len(positions) == len(meters)):
                    return
                for i, key in enumerate(keys):
                    a, b = int(offsets[i]), int(offsets[i + 1])
                    self._entries[str(key)] = (tokens[a:b], positions[a:b], meters[a:b])
        except (OSError, ValueError, KeyError, EOFError, CorpusError):
            self._entries = {}  # a damaged cache is only a cold run; the file is rewritten

    def get(self, key: str) -> Features | None:
        return self._entries.get(key)

    def put(self, key: str, features: Features) -> None:
        self._entries[key] = features
        self._added = True

    def save(self) -> None:
        """Write the entries (old and new) if any was added; drop caches of other code."""
        if not self._added:
            return
        keys = list(self._entries)
        parts = [self._entries[k] for k in keys]
        lengths = np.array([len(p[0]) for p in parts], dtype=np.int64)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp.npz")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            np.savez(tmp, keys=np.array(keys, dtype=str),
                     offsets=np.concatenate([[0], np.cumsum(lengths)]),
                     tokens=_joined([p[0] for p in parts], np.uint16),
                     positions=_joined([p[1] for p in parts], np.uint8),
                     meters=_joined([p[2] for p in parts], np.uint8))
            os.replace(tmp, self.path)
            for stale in self.folder.glob("tokens-*.npz"):
                if stale != self.path:
                    stale.unlink(missing_ok=True)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CorpusError(f"{self.folder}: cannot write the token cache "
                              f"({exc.strerror or exc})") from None
        self._added = False


def _joined(arrays: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype)
