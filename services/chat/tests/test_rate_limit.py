"""The per-connection frame limit and its configuration."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from chassis.settings import throttle_rate
from chat_service.rooms.ratelimit import FrameRateLimit, Verdict, parse_rate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_twenty_in_ten_seconds_then_a_warning_then_close():
    clock = Clock()
    limit = FrameRateLimit(limit=20, window=10, clock=clock)
    assert [limit.check() for _ in range(20)] == [Verdict.ALLOW] * 20
    assert limit.check() is Verdict.WARN
    assert limit.check() is Verdict.CLOSE


def test_the_window_slides():
    clock = Clock()
    limit = FrameRateLimit(limit=2, window=10, clock=clock)
    assert limit.check() is Verdict.ALLOW
    clock.now += 6
    assert limit.check() is Verdict.ALLOW
    assert limit.check() is Verdict.WARN  # two in the last 10 s
    clock.now += 4  # the first one is 10 s old now
    assert limit.check() is Verdict.ALLOW


def test_slowing_down_after_a_warning_keeps_the_connection():
    clock = Clock()
    limit = FrameRateLimit(limit=1, window=1, clock=clock)
    assert limit.check() is Verdict.ALLOW
    assert limit.check() is Verdict.WARN
    clock.now += 1
    assert limit.check() is Verdict.ALLOW
    assert limit.check() is Verdict.WARN  # warned afresh, not closed


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("20/10s", (20, 10.0)), ("5/s", (5, 1.0)), ("100/m", (100, 60.0)), ("7/2h", (7, 7200.0))],
)
def test_rates_parse(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["20", "20/10", "x/10s", "20/10d", ""])
def test_bad_rates_are_refused(rate):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(rate)


@pytest.mark.parametrize(("relaxed", "expected"), [("0", (20, 10.0)), ("1", (2000, 10.0))])
def test_relaxed_throttles_raise_the_limit_a_hundredfold(monkeypatch, relaxed, expected):
    monkeypatch.setenv("STRATA_RELAXED_THROTTLES", relaxed)
    monkeypatch.delenv("CHAT_WS_RATE", raising=False)
    assert parse_rate(throttle_rate("CHAT_WS_RATE", "20/10s")) == expected
