from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from gateway.auth import InvalidTokenError, User, issue, main, parse_dev_user, verify

from support import SECRET

ALICE = User(id="alice", roles=frozenset({"supervisor", "finance"}))


def test_an_issued_token_verifies_to_its_user_and_roles() -> None:
    assert verify(issue(ALICE, SECRET, timedelta(hours=1)), SECRET) == ALICE


def test_an_expired_token_is_refused() -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    expired = issue(ALICE, SECRET, timedelta(hours=1), now=yesterday)
    with pytest.raises(InvalidTokenError, match="expired"):
        verify(expired, SECRET)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    forged = issue(ALICE, "another-secret-that-is-also-long-enough!!", timedelta(hours=1))
    with pytest.raises(InvalidTokenError, match="not valid"):
        verify(forged, SECRET)


def test_a_token_without_roles_is_refused() -> None:
    claims = {"sub": "alice", "exp": datetime.now(UTC) + timedelta(hours=1)}
    with pytest.raises(InvalidTokenError, match="no roles"):
        verify(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)


def test_a_token_with_an_empty_role_list_is_refused() -> None:
    claims = {"sub": "alice", "roles": [], "exp": datetime.now(UTC) + timedelta(hours=1)}
    with pytest.raises(InvalidTokenError, match="no roles"):
        verify(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)


def test_a_token_with_an_unknown_role_is_refused() -> None:
    claims = {"sub": "alice", "roles": ["superuser"], "exp": datetime.now(UTC) + timedelta(hours=1)}
    with pytest.raises(InvalidTokenError, match="unknown roles superuser"):
        verify(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)


def test_a_token_without_expiry_is_refused() -> None:
    claims = {"sub": "alice", "roles": ["admin"]}
    with pytest.raises(InvalidTokenError, match="exp"):
        verify(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)


def test_the_command_line_prints_a_token_the_gateway_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    main(["issue", "--user", "alice", "--roles", "supervisor,finance", "--hours", "2"])
    assert verify(capsys.readouterr().out.strip(), SECRET) == ALICE


def test_the_development_user_is_written_as_user_colon_roles() -> None:
    assert parse_dev_user("dev:admin") == User(id="dev", roles=frozenset({"admin"}))
    with pytest.raises(InvalidTokenError):
        parse_dev_user("dev")
