from __future__ import annotations

import time

import jwt
import pytest

from services.chassis.errors import TokenInvalido
from services.chassis.tokens import ALGORITHM, TokenService

KEY = "k" * 40


def test_issued_token_round_trips_with_every_claim():
    tokens = TokenService(KEY, 600)
    identity = tokens.verify(tokens.issue("u1", "maria", "5208004", unidade="SEMAD"))
    assert identity.usuario_id == "u1"
    assert identity.login == "maria"
    assert identity.tenant.ibge == "5208004"
    assert identity.tenant.schema == "mun_5208004"
    assert identity.unidade == "SEMAD"
    assert identity.expires_at - time.time() == pytest.approx(600, abs=5)
    claims = jwt.decode(
        tokens.issue("u1", "maria", "5208004"),
        KEY,
        algorithms=[ALGORITHM],
        options={"verify_aud": False},
    )
    assert {"sub", "mun", "exp", "iat", "jti", "iss"} <= set(claims)
    assert "uni" not in claims


def test_each_token_has_its_own_id():
    tokens = TokenService(KEY, 600)
    ids = {tokens.verify(tokens.issue("u", "l", "5208004")).token_id for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        42,
        "a.b.c",
        jwt.encode({"sub": "u", "mun": "5208004"}, None, algorithm="none"),
        TokenService("z" * 40, 600).issue("u", "l", "5208004"),
        TokenService(KEY, -10).issue("u", "l", "5208004"),
    ],
    ids=["none", "empty", "int", "garbage", "alg-none", "other-key", "expired"],
)
def test_bad_tokens_raise_token_invalido(token):
    with pytest.raises(TokenInvalido):
        TokenService(KEY, 600).verify(token)


@pytest.mark.parametrize("mun", ["../x", "pg_catalog", "52080041", 5208004, None])
def test_a_signed_token_with_a_crafted_municipality_is_still_refused(mun):
    now = int(time.time())
    token = jwt.encode(
        {"iss": "sempapel-auth", "sub": "u", "mun": mun, "iat": now, "exp": now + 60, "jti": "x"},
        KEY,
        algorithm=ALGORITHM,
    )
    with pytest.raises(TokenInvalido):
        TokenService(KEY, 600).verify(token)


def test_a_verified_token_is_refused_once_it_expires(monkeypatch):
    tokens = TokenService(KEY, 600)
    token = tokens.issue("u", "l", "5208004")
    identity = tokens.verify(token)
    assert tokens.verify(token) == identity  # again, from the verified cache
    later = identity.expires_at + 1
    monkeypatch.setattr("services.chassis.tokens.time.time", lambda: later)
    with pytest.raises(TokenInvalido):
        tokens.verify(token)
    assert token not in tokens._verified


def test_altering_a_verified_token_is_still_refused():
    tokens = TokenService(KEY, 600)
    token = tokens.issue("u", "l", "5208004")
    tokens.verify(token)
    head, claims, signature = token.split(".")
    forged = jwt.encode(
        {**jwt.decode(token, KEY, algorithms=[ALGORITHM]), "mun": "5200050"},
        "z" * 40,
        algorithm=ALGORITHM,
    )
    for altered in (f"{head}.{forged.split('.')[1]}.{signature}", token + "x", token[:-1]):
        with pytest.raises(TokenInvalido):
            tokens.verify(altered)


def test_the_verified_cache_is_bounded(monkeypatch):
    monkeypatch.setattr("services.chassis.tokens.VERIFIED_CACHE_SIZE", 8)
    tokens = TokenService(KEY, 600)
    issued = [tokens.issue(f"u{i}", "l", "5208004") for i in range(20)]
    for token in issued:
        tokens.verify(token)
    assert len(tokens._verified) == 8
    assert all(tokens.verify(t).usuario_id == f"u{i}" for i, t in enumerate(issued))
