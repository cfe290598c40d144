"""Access tokens: valid ones decode; expired, tampered, wrong-audience, alg=none and non-access tokens are refused."""

from datetime import timedelta

import jwt
import pytest

from ava_app.models import utcnow
from ava_app.services import tokens
from ava_app.services.errors import Unauthorized
from ava_app.settings import get_settings


@pytest.fixture(autouse=True)
def _settings(database_url):
    """The secret key lives in the temporary data dir set up by ``database_url``."""
    get_settings.cache_clear()


def _claims(**overrides):
    now = utcnow()
    claims = {
        "sub": "7",
        "sid": 3,
        "aud": "ava",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "jti": "abc",
        "typ": "access",
    }
    claims.update(overrides)
    return claims


def test_round_trip():
    token = tokens.create_access_token(user_id=7, session_id=3)
    claims = tokens.decode_access_token(token)
    assert (claims.user_id, claims.session_id) == (7, 3)
    payload = jwt.decode(token, options={"verify_signature": False})
    assert {"exp", "iat", "jti", "aud", "sub", "sid"} <= payload.keys()
    assert payload["exp"] - payload["iat"] == 15 * 60  # short-lived: the browser uses its session cookie


def test_each_token_has_its_own_jti():
    first = tokens.decode_access_token(tokens.create_access_token(user_id=1, session_id=1))
    second = tokens.decode_access_token(tokens.create_access_token(user_id=1, session_id=1))
    assert first.jti != second.jti


def test_expired_is_refused():
    token = tokens.create_access_token(user_id=7, session_id=3, now=utcnow() - timedelta(hours=2))
    with pytest.raises(Unauthorized) as excinfo:
        tokens.decode_access_token(token)
    assert excinfo.value.code == "token_expired"


def test_tampered_payload_is_refused():
    token = tokens.create_access_token(user_id=7, session_id=3)
    header, payload, signature = token.split(".")
    forged = jwt.encode(_claims(sub="1"), "a-guessed-key-that-is-long-enough-0123", algorithm="HS256").split(".")[1]
    with pytest.raises(Unauthorized):
        tokens.decode_access_token(f"{header}.{forged}.{signature}")
    with pytest.raises(Unauthorized):
        tokens.decode_access_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_other_key_is_refused():
    with pytest.raises(Unauthorized):
        tokens.decode_access_token(jwt.encode(_claims(), "not-the-secret-key-at-all-0123456789", algorithm="HS256"))


def test_wrong_audience_is_refused():
    secret = get_settings().secret_key
    with pytest.raises(Unauthorized):
        tokens.decode_access_token(jwt.encode(_claims(aud="someone-else"), secret, algorithm="HS256"))


def test_missing_claims_are_refused():
    secret = get_settings().secret_key
    claims = _claims()
    del claims["sid"]
    with pytest.raises(Unauthorized):
        tokens.decode_access_token(jwt.encode(claims, secret, algorithm="HS256"))


def test_alg_none_is_refused():
    unsigned = jwt.encode(_claims(), None, algorithm="none")
    with pytest.raises(Unauthorized):
        tokens.decode_access_token(unsigned)


def test_other_algorithm_is_refused():
    secret = get_settings().secret_key
    with pytest.raises(Unauthorized):
        tokens.decode_access_token(jwt.encode(_claims(), secret, algorithm="HS512"))


def test_token_of_another_type_is_refused():
    secret = get_settings().secret_key
    with pytest.raises(Unauthorized):
        tokens.decode_access_token(jwt.encode(_claims(typ="refresh"), secret, algorithm="HS256"))


def test_garbage_is_refused():
    for value in ["", "abc", "a.b.c", "ava_notajwt"]:
        with pytest.raises(Unauthorized):
            tokens.decode_access_token(value)


def test_secrets_are_random_and_hashed():
    first, second = tokens.new_secret("ava_"), tokens.new_secret("ava_")
    assert first != second and first.startswith("ava_") and len(first) > 40
    assert tokens.hash_secret(first) == tokens.hash_secret(first) != first
    assert len(tokens.hash_secret(first)) == 64
