"""Endpoint input at the boundary: URLs, topics, topic matching."""

import pytest

from console.delivery.domain import check_topic, check_url, parse_event_types, topic_matches
from console.kernel.errors import FieldError


@pytest.mark.parametrize("url", ["https://example.com/hooks", "http://127.0.0.1:8080/x?y=1",
                                 "  https://hooks.example.org  "])
def test_http_and_https_urls_are_accepted(url: str) -> None:
    assert check_url(url) == url.strip()


@pytest.mark.parametrize(("url", "reason"), [
    ("", "give the receiver's address"),
    ("ftp://example.com/x", "must start with https://"),
    ("javascript:alert(1)", "must start with https://"),
    ("file:///etc/passwd", "must start with https://"),
    ("example.com/hooks", "must start with https://"),
    ("https://", "has no host"),
    ("https://user:pw@example.com/", "must not carry a user name"),
    ("https://example.com/a b", "must not contain spaces"),
    ("https://example.com/" + "x" * 2000, "at most 2000"),
])
def test_bad_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(FieldError) as err:
        check_url(url)
    assert err.value.field == "url" and reason in str(err.value)


def test_event_types_parse_and_match() -> None:
    wanted = parse_event_types("entitlements.*, slo.alert  slo.alert")
    assert wanted == ["entitlements.*", "slo.alert"]
    assert topic_matches("entitlements.changed", wanted)
    assert topic_matches("slo.alert", wanted)
    assert not topic_matches("slo.resolved", wanted)
    assert not topic_matches("entitlementsx.changed", wanted)
    assert topic_matches("anything.at_all", [])
    assert parse_event_types("") == []


@pytest.mark.parametrize("bad", ["Entitlements.Changed", "a..b", ".x", "x y*", "*", "a.*.b"])
def test_bad_topics_are_refused(bad: str) -> None:
    with pytest.raises(FieldError):
        parse_event_types(bad)


def test_topics_of_events_are_checked() -> None:
    assert check_topic("entitlements.changed") == "entitlements.changed"
    with pytest.raises(FieldError, match="topic"):
        check_topic("entitlements.*")
