"""Tests of the cell parsers: choices with synonyms, numbers and availability slots."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentormatch.survey._parsers import (
    CellError,
    ChoiceVocabulary,
    answer_key,
    get_zone,
    normalise,
    number_key,
    parse_availability,
    parse_days,
    parse_number,
    parse_timestamps,
)

WINTER = dt.date(2026, 1, 12)  # a Monday
SUMMER = dt.date(2026, 7, 13)  # a Monday


def test_normalise() -> None:
    assert normalise("  Data\tScience  ") == "data science"
    assert normalise("STRASSE") == normalise("straße")


@pytest.mark.parametrize("answer", ["nodejs", "Node.js", "node", "NODE", " node.JS ", "Node JS",
                                    "node-js"])
def test_node_variants_map_to_nodejs(answer: str) -> None:
    v = ChoiceVocabulary(["nodejs", "react"], {"node": "nodejs", "reactjs": "react"})
    assert v.lookup(answer) == "nodejs"


def test_vocabulary_closed_and_open() -> None:
    v = ChoiceVocabulary(["React", "Data Science"], {"reactjs": "react"})
    assert v.lookup("ReactJS") == "React"  # synonym target matched case-insensitively
    assert v.lookup("data-science") == "Data Science"
    assert v.lookup("vue") is None
    assert v.lookup("") is None
    o = ChoiceVocabulary(None, {"golang": "go"})
    assert o.lookup("  Rust  ") == "rust"
    assert o.lookup("GoLang") == "go"
    assert o.lookup("  ") is None


@pytest.mark.parametrize(("a", "b", "same"), [
    ("1.0", "1", True), ("01", "1", True), ("1.50", "1.5", True), ("1e3", "1000", True),
    ("-0", "0", True), ("1.5", "15", False), ("1.0", "10", False), ("0.1", "1", False),
    ("Node.js", "nodejs", True), ("node js", "NODE-JS", True), ("data_science", "Data Science", True),
    ("10 - 20", "10-20", True), ("10-20", "1020", False), ("v1.5", "v15", False),
    ("python 3.10", "Python 3.1", False), ("Straße", "STRASSE", True), ("ＡＢＣ", "abc", True),
    ("12345678901234567890", "12345678901234567891", False), ("1e20", "100000000000000000000", True),
    ("1,5", "15", False), ("1,5", "1.5", False),
])
def test_answer_key(a: str, b: str, same: bool) -> None:
    assert (answer_key(a) == answer_key(b)) is same


def test_coded_options_read_as_numbers() -> None:
    """pandas writes a float column with gaps as "1.0": it is option "1", never "10"."""
    v = ChoiceVocabulary([str(k) for k in range(1, 11)], {})
    assert [v.lookup(a) for a in ("1.0", "10.0", "2", "7.00", "1.5", "15", "0")] == [
        "1", "10", "2", "7", None, None, None]


def test_open_vocabulary_normalises_like_a_declared_one() -> None:
    o = ChoiceVocabulary(None, {})
    assert answer_key(o.lookup("node.js") or "") == answer_key(o.lookup("NodeJS") or "")
    assert o.lookup("...") is None  # no letters or digits: never kept
    d = ChoiceVocabulary(["nodejs"], {})
    assert d.lookup("node.js") == "nodejs"


def test_split_recognises_options_holding_the_separator() -> None:
    opts = ["People management (hiring, 1:1s, feedback)", "Public speaking", "hiring"]
    v = ChoiceVocabulary(opts, {"Speaking, in public": "Public speaking"})
    cell = "People management (hiring, 1:1s, feedback), Public speaking"
    assert v.split(cell, ",") == [opts[0], "Public speaking"]
    assert v.split("hiring, Speaking, in public,, ", ",") == ["hiring", "Speaking, in public"]
    assert v.split("; ;", ";") == []
    # a piece that is no option stays a piece (reported as unknown by the intake)
    assert v.split("People management (hiring, 1:1s", ",") == [
        "People management (hiring", "1:1s"]


def test_number_key() -> None:
    assert number_key("101.0") == number_key("101") is not None
    assert number_key("E101") is None


@settings(max_examples=200, deadline=None)
@given(options=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=6),
       answers=st.lists(st.one_of(
           st.text(max_size=6),
           st.integers(-20, 20).map(str),
           st.integers(-20, 20).map(lambda k: f"{k}.0"),
           st.decimals(-100, 100, places=2, allow_nan=False).map(str),
       ), max_size=10))
def test_no_answer_is_mapped_onto_a_different_option(options: list[str],
                                                     answers: list[str]) -> None:
    """Property (c): a lookup hit has the answer's own key (or the answer is a synonym)."""
    keys = [answer_key(o) for o in options]
    if len(set(keys)) != len(keys) or not all(keys):
        return  # such a survey is refused at load (tested in test_survey)
    v = ChoiceVocabulary(options, {})
    for a in answers:
        hit = v.lookup(a)
        if hit is not None:
            assert hit in options
            assert answer_key(hit) == answer_key(a)
            num = number_key(a)
            if num is not None:  # numbers match numbers of the same value only
                assert float(hit) == float(a)
        else:
            assert answer_key(a) not in keys


@pytest.mark.parametrize(("text", "value"), [("3", 3.0), (" 3,5 ", 3.5), ("-2.25", -2.25),
                                             ("1e2", 100.0), ("1 000", 1000.0)])
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "three", "nan", "inf", "1,2,3", "1.2.3"])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(CellError, match="expected a"):
        parse_number(text)


def test_get_zone() -> None:
    assert str(get_zone("Europe/Berlin")) == "Europe/Berlin"
    for bad in ("Europe/Pariss", "", "../etc"):
        with pytest.raises(CellError, match="unknown timezone"):
            get_zone(bad)


def _slots(text: str, zone: str = "UTC", start: dt.date = WINTER, minutes: int = 60) -> list[int]:
    return np.flatnonzero(parse_availability(text, zone, start=start,
                                             slot_minutes=minutes)).tolist()


def test_availability_basic_and_merge() -> None:
    assert _slots("Mon 18:00-20:00") == [18, 19]
    assert _slots("monday 18:00-20:00; Mon 19:00-21:00") == [18, 19, 20]
    assert _slots("Tue 23:00-24:00") == [24 + 23]
    assert _slots("Mon-Wed 08:00-09:00") == [8, 32, 56]
    assert _slots("Mon 18:00-19:00", minutes=30) == [36, 37]
    assert len(parse_availability("Mon 00:00-01:00", "UTC", start=WINTER, slot_minutes=15)) \
        == 7 * 24 * 4


def test_availability_dst_and_wrap() -> None:
    assert _slots("Mon 18:00-20:00", "Europe/Berlin", WINTER) == [17, 18]
    assert _slots("Mon 18:00-20:00", "Europe/Berlin", SUMMER) == [16, 17]
    # Monday 00:30 in Berlin is Sunday 23:30 UTC: wraps to the end of the week
    assert _slots("Mon 00:00-01:00", "Europe/Berlin", WINTER) == [167]
    # Sunday late in New York is Monday early UTC
    assert _slots("Sun 22:00-23:00", "America/New_York", WINTER) == [3]
    # a zone with a half-hour offset on a 30-minute grid
    assert _slots("Mon 10:00-11:00", "Asia/Kolkata", WINTER, 30) == [9, 10]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("", "empty answer"), ("Mon 25:00-26:00", "invalid time"),
     ("Mon 10:60-11:00", "invalid time"), ("Mon 24:30-24:45", "invalid time"),
     ("Mon 20:00-18:00", "ends before it starts"), ("Mon 18:00-18:00", "ends before"),
     ("Mon 18:10-19:00", "off the 60-minute grid"), ("Xyz 18:00-19:00", "unknown day 'xyz'"),
     ("Mon-Xyz 18:00-19:00", "unknown day 'xyz'"), ("evenings", "expected slots like")],
)
def test_availability_errors(text: str, fragment: str) -> None:
    with pytest.raises(CellError, match=fragment):
        parse_availability(text, "UTC", start=WINTER, slot_minutes=60)


@settings(max_examples=60, deadline=None)
@given(
    day=st.integers(0, 6),
    h1=st.integers(0, 23),
    length=st.integers(1, 24),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo",
                          "Australia/Sydney"]),
    start=st.sampled_from([WINTER, SUMMER]),
)
def test_availability_length_is_preserved(day: int, h1: int, length: int, zone: str,
                                          start: dt.date) -> None:
    h2 = min(24, h1 + length)
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    got = _slots(f"{names[day]} {h1:02d}:00-{h2:02d}:00", zone, start)
    assert len(got) == h2 - h1
    # contiguous modulo the week, shifted by the zone's offset on that day
    first = (day * 24 + h1) % 168
    local = dt.datetime.combine(start + dt.timedelta(days=day), dt.time(12),
                                tzinfo=get_zone(zone))
    off = local.utcoffset()
    assert off is not None
    shift = int(off.total_seconds() // 3600)
    assert sorted(got) == sorted((first - shift + k) % 168 for k in range(h2 - h1))


# ----------------------------------------------------- availability as people write it
@pytest.mark.parametrize(("text", "slots"), [
    ("Mon 6pm-8pm", [18, 19]),
    ("Mon 6-8pm", [18, 19]),
    ("Mon 6 pm - 8 pm", [18, 19]),
    ("monday 18h-20h", [18, 19]),
    ("Mon 18.00-20.00", [18, 19]),
    ("Mon 11am-1pm", [11, 12]),
    ("Mon 12pm-1pm", [12]),
    ("Mon 12am-1am", [0]),
    ("Mon noon-2pm", [12, 13]),
    ("Mon 10pm-midnight", [22, 23]),
    ("Mon 22:00-00:00", [22, 23]),
    ("Sun 23:00-01:00", [0, 167]),  # overnight: Sunday 23:00 to Monday 01:00
    ("Mon, Wed 18:00-19:00", [18, 66]),
    ("Mon and Wed 18:00-19:00", [18, 66]),
    ("Mon & Wed 18:00-19:00", [18, 66]),
    ("Mon to Wed 8-9", [8, 32, 56]),
    ("Mondays 8am-9am", [8]),
    ("Mon 18:00-19:00, Wed 07:00-08:00", [18, 55]),
    ("Mon 18:00-19:00 and 21:00-22:00", [18, 21]),
    ("18:00-19:00 Tue", [42]),
    ("weekends 10:00-11:00", [130, 154]),
    ("Sat 9-10am; Sun 9-10am", [129, 153]),
    ("Fri-Mon 12:00-13:00", [12, 108, 132, 156]),
    ("every day 07:00-08:00", [7 + 24 * d for d in range(7)]),
    ("Tue between 6pm and 7pm", [42]),
])
def test_availability_as_people_write_it(text: str, slots: list[int]) -> None:
    assert _slots(text) == slots


@pytest.mark.parametrize(("text", "fragment"), [
    ("6pm-8pm", "no day given in '6pm-8pm'; write the days"),
    ("Mon 6pm", "has no end"),
    ("Mon", "no time given for Mon"),
    ("Mon 11-1pm", "ends before it starts"),  # 23:00-13:00: 14 hours
    ("Mon 9-5", "ends before it starts"),  # 24-hour clock: 09:00-05:00 is 20 hours
    ("Mon 13pm-2pm", "invalid time"),
    ("Mon 6pm-8pm (UTC)", "expected slots like"),
    ("weekday evenings", "expected slots like"),
])
def test_availability_refusals(text: str, fragment: str) -> None:
    with pytest.raises(CellError, match=re.escape(fragment)):
        parse_availability(text, "UTC", start=WINTER, slot_minutes=60)


def test_availability_default_days_and_named_slots() -> None:
    assert np.flatnonzero(parse_availability(
        "6pm-7pm", "UTC", start=WINTER, slot_minutes=60, default_days="Mon-Fri")).tolist() \
        == [18 + 24 * d for d in range(5)]
    named = {"Weekday evenings": "Mon-Fri 18:00-20:00", "Sunday (all day, mostly)":
             "Sun 09:00-17:00"}
    got = parse_availability("weekday  EVENINGS,Sunday (all day, mostly), Tue 07:00-08:00",
                             "UTC", start=WINTER, slot_minutes=60, slots=named, separator=",")
    hours = np.flatnonzero(got).tolist()
    assert hours[:3] == [18, 19, 31] and 6 * 24 + 9 in hours and len(hours) == 10 + 8 + 1
    with pytest.raises(CellError, match=r"'Weekday evenngs' is neither a declared slot .*"
                                        r"\(did you mean 'Weekday evenings'\?\)"):
        parse_availability("Weekday evenngs", "UTC", start=WINTER, slot_minutes=60,
                           slots=named, separator=",")


def test_parse_days() -> None:
    assert parse_days("Mon-Wed, Sat") == (0, 1, 2, 5)
    assert parse_days("weekends") == (5, 6)
    with pytest.raises(CellError, match="expected days"):
        parse_days("Mon 18:00-19:00")


def test_timezone_offsets() -> None:
    plus_two = parse_availability("Mon 18:00-19:00", "UTC+2", start=WINTER, slot_minutes=60)
    assert np.flatnonzero(plus_two).tolist() == [16]
    minus = parse_availability("Mon 18:00-19:00", "GMT-05:30", start=WINTER, slot_minutes=30)
    assert np.flatnonzero(minus).tolist() == [47, 48]
    with pytest.raises(CellError, match="offsets run from UTC-14:00"):
        get_zone("UTC+15")


# ----------------------------------------------------------------- submission times
@pytest.mark.parametrize(("text", "orders"), [
    ("2026-03-01 14:05:09", {"year first"}),
    ("2026-03-01T14:05:09Z", {"year first"}),
    ("2026/03/01 2:05:09 PM GMT+1", {"year first"}),
    ("03/01/2026 14:05", {"month first", "day first"}),
    ("13/01/2026 14:05", {"day first"}),
    ("01/13/26 2:05 pm", {"month first"}),
    ("not a date", set()),
    ("2026-02-30 10:00", set()),
])
def test_parse_timestamps(text: str, orders: set[str]) -> None:
    assert set(parse_timestamps(text)) == orders


def test_timestamps_offsets_and_formats() -> None:
    a = parse_timestamps("2026/03/01 2:05:09 PM GMT+1")["year first"]
    b = parse_timestamps("2026-03-01 13:05:09")["year first"]
    assert a == b
    assert parse_timestamps("01.03.2026 14:05", "%d.%m.%Y %H:%M") == {
        "format": parse_timestamps("2026-03-01 14:05")["year first"]}
    assert parse_timestamps("2026-03-01", "%d.%m.%Y") == {}


def _clock12(minutes: int) -> str:
    h, m = divmod(minutes % (24 * 60), 60)
    suffix = "am" if h < 12 else "pm"
    h12 = h % 12 or 12
    return f"{h12}{f':{m:02d}' if m else ''}{suffix}"


@settings(max_examples=80, deadline=None)
@given(days=st.lists(st.integers(0, 6), min_size=1, max_size=4, unique=True),
       start=st.integers(0, 47), length=st.integers(1, 24),
       zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "UTC+5:30"]))
def test_written_forms_of_one_slot_read_alike(days: list[int], start: int, length: int,
                                              zone: str) -> None:
    """Day lists, 12- and 24-hour clocks and overnight slots are one weekly grid."""
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    t1, t2 = start * 30, start * 30 + length * 30  # may run past midnight (<= 12 h)
    h24 = f"{t1 // 60:02d}:{t1 % 60:02d}-{(t2 // 60) % 24:02d}:{t2 % 60:02d}"
    forms = [
        "; ".join(f"{names[d]} {h24}" for d in days),
        f"{', '.join(names[d] for d in days)} {h24}",
        f"{' and '.join(names[d] for d in days)} {_clock12(t1)}-{_clock12(t2)}",
        f"{h24} {', '.join(names[d] for d in days)}",
    ]
    grids = [parse_availability(f, zone, start=WINTER, slot_minutes=30) for f in forms]
    for g in grids[1:]:
        assert np.array_equal(g, grids[0]), forms
    assert int(grids[0].sum()) == len(days) * length or len(days) * length > 336
