"""Per-field deadline overrides: parsed, validated with one clear line, and
applied after the multiplier."""

from __future__ import annotations

from dataclasses import fields

import pytest

from harness.checks.timeouts import Timeouts, parse_timeouts


def test_overrides_parse_from_repeated_and_comma_separated_flags():
    assert parse_timeouts(["object_ready=300,consistency=90", "request=2.5", "consistent_successes=5"]) == {
        "object_ready": 300.0,
        "consistency": 90.0,
        "request": 2.5,
        "consistent_successes": 5,
    }
    assert parse_timeouts([]) == {} and parse_timeouts([" , "]) == {}
    t = Timeouts().scaled(2).overridden(parse_timeouts(["object_ready=300"]))
    assert (t.object_ready, t.consistency, t.consistent_successes) == (300.0, 120.0, 3)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("object_redy=300", "--timeouts: unknown timeout 'object_redy'; choose from: consistent_successes, "),
        ("object_ready", "--timeouts 'object_ready': expected NAME=SECONDS"),
        ("object_ready=soon", "--timeouts 'object_ready=soon': 'soon' is not a number of seconds"),
        ("consistent_successes=2.5", "'2.5' is not a whole number"),
        ("consistency=0", "--timeouts 'consistency=0': must be positive and finite"),
        ("consistency=-1", "must be positive"),
        ("consistency=nan", "must be positive"),
        ("consistency=inf", "must be positive and finite"),
    ],
)
def test_bad_overrides_are_one_clear_line(spec, message):
    with pytest.raises(ValueError) as info:
        parse_timeouts([spec])
    assert message in str(info.value) and "\n" not in str(info.value)


def test_every_timeout_field_says_what_it_bounds():
    import inspect

    from harness.checks import timeouts

    source = inspect.getsource(timeouts.Timeouts)
    for f in fields(Timeouts):
        line = next(ln for ln in source.splitlines() if ln.strip().startswith(f"{f.name}:"))
        before = source.splitlines()[source.splitlines().index(line) - 1].strip()
        assert before.startswith("#:"), f"Timeouts.{f.name} has no #: comment saying what it bounds"
