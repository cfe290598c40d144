"""Rate limits: N attempts pass, the next one raises RateLimited with a retry delay; keys and rules are separate."""

import pytest

from ava_app.services import rate_limits
from ava_app.services.errors import RateLimited
from ava_app.settings import get_settings


@pytest.fixture(autouse=True)
def _fresh_limits(database_url):
    get_settings.cache_clear()
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


def test_login_per_account_is_five_a_minute():
    for _ in range(5):
        rate_limits.hit("login_account", "owner@example.com")
    with pytest.raises(RateLimited) as excinfo:
        rate_limits.hit("login_account", "owner@example.com")
    assert 1 <= excinfo.value.details["retry_after"] <= 60
    assert excinfo.value.status_code == 429


def test_keys_are_normalized_and_independent():
    for _ in range(5):
        rate_limits.hit("login_account", "Owner@Example.com ")
    with pytest.raises(RateLimited):
        rate_limits.hit("login_account", "owner@example.com")
    rate_limits.hit("login_account", "someone@example.com")
    rate_limits.hit("magic_link", "owner@example.com")


def test_login_per_ip_is_twenty_a_minute():
    for _ in range(20):
        rate_limits.hit("login_ip", "203.0.113.9")
    with pytest.raises(RateLimited):
        rate_limits.hit("login_ip", "203.0.113.9")


@pytest.mark.parametrize("rule", ["magic_link", "sms"])
def test_magic_link_and_sms_are_three_per_fifteen_minutes(rule):
    for _ in range(3):
        rate_limits.hit(rule, "+33612345678")
    with pytest.raises(RateLimited) as excinfo:
        rate_limits.hit(rule, "+33612345678")
    assert 60 < excinfo.value.details["retry_after"] <= 900


def test_reset_forgets_counters():
    for _ in range(5):
        rate_limits.hit("login_account", "owner@example.com")
    rate_limits.reset_rate_limits()
    rate_limits.hit("login_account", "owner@example.com")


def test_redis_storage_when_configured(monkeypatch):
    monkeypatch.setenv("AVA_REDIS_URL", "redis://127.0.0.1:1/0")
    get_settings.cache_clear()
    storage, _limiter = rate_limits._get_limiter()
    assert type(storage).__name__ == "RedisStorage"
    monkeypatch.delenv("AVA_REDIS_URL")
    get_settings.cache_clear()
    storage, _limiter = rate_limits._get_limiter()
    assert type(storage).__name__ == "MemoryStorage"


def test_hit_all_counts_nothing_when_one_limit_is_reached():
    for _ in range(3):
        rate_limits.hit("sms", "+33612345678")
    with pytest.raises(RateLimited) as excinfo:
        rate_limits.hit_all([("sms_ip", "203.0.113.9"), ("sms", "+33612345678")])
    assert excinfo.value.details["rule"] == "sms"
    # The refused attempt spent nothing of the IP's budget: all ten are still there.
    for _ in range(10):
        rate_limits.hit("sms_ip", "203.0.113.9")
    with pytest.raises(RateLimited):
        rate_limits.check_all([("sms_ip", "203.0.113.9")])


def test_signups_per_ip_are_ten_an_hour_unless_configured(monkeypatch):
    for _ in range(10):
        rate_limits.hit("signup_ip", "203.0.113.7")
    with pytest.raises(RateLimited) as excinfo:
        rate_limits.hit("signup_ip", "203.0.113.7")
    assert 60 < excinfo.value.details["retry_after"] <= 3600

    monkeypatch.setenv("AVA_SIGNUPS_PER_IP_HOUR", "12")
    get_settings.cache_clear()
    for _ in range(12):
        rate_limits.hit("signup_ip", "198.51.100.4")
    with pytest.raises(RateLimited):
        rate_limits.hit("signup_ip", "198.51.100.4")
