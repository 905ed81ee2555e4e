"""Corpus preparation in slices: ``composer prepare --shard I/N`` and ``--merge``.

Why shards hold converted files and not events: de-duplication keeps the first file of a
piece in the whole list, and the split and vocabulary are the corpus's, so only the slow part
(parsing) is cut up. A shard is the parse results of every N-th file of the full list, each
with its place in that list; ``--merge`` puts them back in list order and assembles them
exactly as a single ``composer prepare`` does, so the token arrays are the same bit for bit.
A shard records the digest of the full list: shards of different file lists (another
``--limit``, another music21) are refused instead of silently mixed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from composer.corpus import Converted, Parsed, Source
from composer.errors import CorpusError, SettingsError
from composer.inputs import read_npz

SHARD_FILE = "shard.npz"
SHARD_VERSION = 1


@dataclass(frozen=True)
class ShardSpec:
    index: int  # 1-based, as written on the command line
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> ShardSpec:
    """``"I/N"`` with 1 <= I <= N."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise SettingsError(f"--shard {text!r}: write it as I/N, e.g. 1/4") from None
    if not 1 <= index <= count:
        raise SettingsError(f"--shard {text}: I must be from 1 to N")
    return ShardSpec(index, count)


def list_digest(sources: Sequence[Source]) -> str:
    """A name for the full file list (ids in order): equal on every machine with equal data."""
    return hashlib.sha1("\n".join(s.piece_id for s in sources).encode()).hexdigest()


def shard_of(sources: Sequence[Source], spec: ShardSpec) -> list[int]:
    """The places in the list of the files of shard ``spec``: every N-th, so that each shard
    gets its share of every composer (and of the slow quartets)."""
    return list(range(spec.index - 1, len(sources), spec.count))


def _cat(arrays: Sequence[np.ndarray], width: int) -> tuple[np.ndarray, np.ndarray]:
    lengths = [len(a) for a in arrays]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.concatenate(arrays).reshape(-1, width) if arrays else np.zeros((0, width))
    return flat.astype(np.float64), offsets


def save_shard(folder: str | os.PathLike, spec: ShardSpec, digest: str, total: int,
               places: Sequence[int], converted: Sequence[Converted]) -> Path:
    """Write the parse results of one shard (results, failures included, in list order)."""
    folder = Path(folder)
    empty = Parsed(np.zeros((0, 4)), np.zeros((0, 2)), np.zeros((0, 3)))
    parsed = [item.parsed or empty for item in converted]
    notes, note_offsets = _cat([p.notes for p in parsed], 4)
    pedals, pedal_offsets = _cat([p.pedals for p in parsed], 2)
    signatures, signature_offsets = _cat([p.signatures for p in parsed], 3)
    header = {"version": SHARD_VERSION, "index": spec.index, "count": spec.count,
              "digest": digest, "total": total}
    sources = [[i.source.path, i.source.piece_id, i.source.composer, i.source.kind,
                i.source.work] for i in converted]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{SHARD_FILE}.tmp.npz"
        np.savez(tmp, header=np.array(json.dumps(header)), places=np.asarray(places, np.int64),
                 sources=np.array(json.dumps(sources)),
                 has_parsed=np.array([i.parsed is not None for i in converted], bool),
                 counts=np.array([i.notes for i in converted], np.int64),
                 fingerprints=np.array(json.dumps([i.fingerprint for i in converted])),
                 errors=np.array(json.dumps([i.error for i in converted])),
                 notes=notes, note_offsets=note_offsets, pedals=pedals,
                 pedal_offsets=pedal_offsets, signatures=signatures,
                 signature_offsets=signature_offsets)
        os.replace(tmp, folder / SHARD_FILE)
    except OSError as exc:
        raise CorpusError(f"{folder}: cannot write the shard ({exc.strerror or exc})") from None
    return folder / SHARD_FILE


def _load(path: Path) -> tuple[dict, list[int], list[Converted]]:
    try:
        with read_npz(path, limit=1 << 31, error=CorpusError) as data:
            header = json.loads(str(data["header"]))
            if header.get("version") != SHARD_VERSION:
                raise ValueError(f"shard version {header.get('version')!r}")
            places = [int(p) for p in data["places"]]
            sources = [Source(*row) for row in json.loads(str(data["sources"]))]
            fingerprints = json.loads(str(data["fingerprints"]))
            errors = json.loads(str(data["errors"]))
            arrays = {name: (data[name], data[f"{prefix}_offsets"]) for name, prefix in
                      (("notes", "note"), ("pedals", "pedal"), ("signatures", "signature"))}
            has_parsed, counts = data["has_parsed"], data["counts"]
            items = []
            for k, source in enumerate(sources):
                parsed = None
                if has_parsed[k]:
                    parsed = Parsed(*(flat[offsets[k]:offsets[k + 1]]
                                      for flat, offsets in arrays.values()))
                items.append(Converted(source, parsed, int(counts[k]), fingerprints[k],
                                       errors[k]))
            if len(places) != len(items):
                raise ValueError("places and files disagree")
    except FileNotFoundError:
        raise CorpusError(f"{path}: no shard here (run `composer prepare --shard I/N "
                          "--out DIR` first)") from None
    except (OSError, ValueError, KeyError, TypeError, IndexError, EOFError) as exc:
        raise CorpusError(f"{path}: damaged shard ({exc})") from None
    return header, places, items


def merge_shards(folders: Sequence[str | os.PathLike]) -> list[Converted]:
    """The parse results of every file of the full list, in its order, from all N shards."""
    headers: dict[int, dict] = {}
    results: dict[int, Converted] = {}
    first = None
    for folder in folders:
        path = Path(folder) / SHARD_FILE
        header, places, items = _load(path)
        key = (header["count"], header["digest"], header["total"])
        if first is None:
            first = (key, path)
        elif key != first[0]:
            raise CorpusError(f"{path}: a shard of another file list or another N than "
                              f"{first[1]}; prepare all shards from the same data")
        if header["index"] in headers:
            raise CorpusError(f"{path}: shard {header['index']}/{header['count']} is given "
                              "twice")
        headers[header["index"]] = header
        results.update(zip(places, items))
    count, _digest, total = first[0]
    missing = sorted(set(range(1, count + 1)) - set(headers))
    if missing:
        raise CorpusError(f"--merge: shard(s) {', '.join(f'{i}/{count}' for i in missing)} "
                          "missing")
    if sorted(results) != list(range(total)):
        raise CorpusError("--merge: the shards do not cover the file list")
    return [results[i] for i in range(total)]
