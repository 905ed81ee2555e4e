"""The ratings log: append-only, survives a crash, a damaged log is moved aside, never lost."""

from __future__ import annotations

import json
import os

import pytest

from composer.errors import ComposerError, RatingsError
from composer.generate import Take
from composer.notes import Note, TimeSignature
from composer.ratings import (
    DISLIKE,
    LIKE,
    LOG_NAME,
    MORE,
    Rating,
    RatingLog,
    data_dir,
    rating_of_take,
)


def _take(start: float = 4.0) -> Take:
    notes = (Note(start, start + 1, 60, 80), Note(start + 1, start + 2.5, 64, 90),
             Note(start + 3, start + 3.5, 67, 70))
    return Take(0, notes, (), start, start + 4, (1, 2, 3), "piano", 1234)


def test_a_rating_round_trips_through_the_log(tmp_path):
    log = RatingLog(tmp_path)
    seed = (Note(0.0, 1.0, 55, 64),)
    rating = rating_of_take(LIKE, _take(), seed, (TimeSignature(0.0, 3, 4),),
                            settings={"temperature": 0.9}, model="tiny")
    log.append(rating)
    log.append(rating_of_take(DISLIKE, _take(8.0)))
    loaded = RatingLog(tmp_path).load()
    assert [r.verdict for r in loaded] == [LIKE, DISLIKE]
    assert loaded[0] == rating
    assert loaded[0].settings == {"temperature": 0.9}
    assert loaded[0].random_seed == 1234 and loaded[0].seed == seed
    assert loaded[0].time_signatures == (TimeSignature(0.0, 3, 4),)
    assert (tmp_path / LOG_NAME).read_text().count("\n") == 2


def test_more_like_this_on_bars_rates_those_bars_with_the_rest_as_context():
    rating = rating_of_take(MORE, _take(), (Note(0, 1, 50),), bars=(5.0, 8.0))
    assert [n.pitch for n in rating.notes] == [64, 67]
    assert [n.pitch for n in rating.seed] == [50, 60]
    assert rating.weight == 2.0 and rating.sign == 1.0
    assert rating_of_take(DISLIKE, _take()).sign == -1.0


def test_unknown_verdict_is_refused():
    with pytest.raises(RatingsError, match="unknown rating"):
        rating_of_take("meh", _take())


def test_the_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_DATA", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"
    RatingLog().append(rating_of_take(LIKE, _take()))
    assert (tmp_path / "mine" / LOG_NAME).is_file()


def test_no_log_yet_is_no_ratings(tmp_path):
    log = RatingLog(tmp_path / "none")
    assert log.load() == [] and log.notice == ""


def test_a_damaged_log_is_moved_aside_and_a_fresh_one_keeps_the_readable_ratings(tmp_path):
    log = RatingLog(tmp_path)
    log.append(rating_of_take(LIKE, _take()))
    with open(log.path, "ab") as handle:
        handle.write(b"{not json at all}\n\xff\xfe garbage\n")
    log.append(rating_of_take(DISLIKE, _take(8.0)))
    damaged = log.path.read_bytes()
    loaded = log.load()
    assert [r.verdict for r in loaded] == [LIKE, DISLIKE]
    assert "damaged" in log.notice and "2 unreadable lines" in log.notice
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(f"{LOG_NAME}.damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes() == damaged  # kept, byte for byte
    assert aside[0].name in log.notice
    again = RatingLog(tmp_path)
    assert [r.verdict for r in again.load()] == [LIKE, DISLIKE] and again.notice == ""


def test_a_rating_cut_short_by_a_crash_loses_only_itself(tmp_path):
    log = RatingLog(tmp_path)
    log.append(rating_of_take(LIKE, _take()))
    line = json.dumps(rating_of_take(DISLIKE, _take()).to_dict())
    with open(log.path, "ab") as handle:
        handle.write(line[: len(line) // 2].encode())  # the process died mid-write
    loaded = log.load()
    assert [r.verdict for r in loaded] == [LIKE]
    assert "cut short" in log.notice
    log.append(rating_of_take(MORE, _take()))
    assert [r.verdict for r in RatingLog(tmp_path).load()] == [LIKE, MORE]


def test_a_line_with_impossible_values_counts_as_damage(tmp_path):
    log = RatingLog(tmp_path)
    bad = rating_of_take(LIKE, _take()).to_dict()
    bad["notes"] = [[0, 1, 300, 80]]  # pitch 300
    log.path.write_text(json.dumps(bad) + "\n")
    assert log.load() == [] and "1 unreadable line" in log.notice


def test_saving_where_nothing_can_be_written_is_one_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ComposerError, match="cannot save the rating"):
        RatingLog(blocker / "sub").append(rating_of_take(LIKE, _take()))


def test_reset_moves_the_log_aside(tmp_path):
    log = RatingLog(tmp_path)
    log.append(rating_of_take(LIKE, _take()))
    aside = log.reset()
    assert aside is not None and aside.is_file() and not log.path.exists()
    assert log.load() == []
    assert RatingLog(tmp_path / "empty").reset() is None


def test_from_dict_refuses_what_is_not_a_rating():
    good = rating_of_take(LIKE, _take()).to_dict()
    for broken in ({**good, "verdict": "so-so"}, {**good, "settings": []},
                   {k: v for k, v in good.items() if k != "notes"}):
        with pytest.raises((ValueError, TypeError, KeyError)):
            Rating.from_dict(broken)


def test_appends_are_whole_lines_on_disk(tmp_path):
    log = RatingLog(tmp_path)
    for _ in range(5):
        log.append(rating_of_take(LIKE, _take()))
    data = log.path.read_bytes()
    assert data.endswith(b"\n") and data.count(b"\n") == 5
    assert os.stat(log.path).st_size == len(data)
