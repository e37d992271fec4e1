"""Pure pieces: tokens, sync status, routes, cookie parsing."""

import pytest

from planner import routes
from planner.api.app import session_token_from_cookie_header
from planner.domain.sync_status import sync_status
from planner.domain.tokens import hash_token, new_token, tokens_match
from planner.domain.vocabulary import SyncStatus


def test_tokens_are_long_random_and_stored_as_sha256():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    token = tokens.pop()
    assert len(token) >= 43
    digest = hash_token(token)
    assert len(digest) == 64 and token not in digest
    assert tokens_match(token, digest) and not tokens_match(token + "x", digest)


@pytest.mark.parametrize(
    "connections, invited, expected",
    [
        ([], False, SyncStatus.NOT_INVITED),
        ([], True, SyncStatus.INVITED),
        ([("caldav", "synced")], False, SyncStatus.SYNCED),
        ([("google", "error"), ("caldav", "synced")], True, SyncStatus.SYNCED),
        ([("microsoft", "reconnect_needed")], True, SyncStatus.ERROR),
        ([("google", "disconnected")], True, SyncStatus.DISCONNECTED),
        ([("google", "disconnected"), ("google", "error")], True, SyncStatus.ERROR),
        ([("zoom", "synced")], False, SyncStatus.NOT_INVITED),
    ],
)
def test_sync_status_table(connections, invited, expected):
    assert sync_status(connections, invited=invited) is expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("/candidates", "/candidates"),
        ("/admin?x=1", "/admin?x=1"),
        (None, routes.HOME),
        ("", routes.HOME),
        ("https://evil.example", routes.HOME),
        ("//evil.example/x", routes.HOME),
        ("/\\evil.example", routes.HOME),
        ("/signin?next=/x", routes.HOME),
        ("/auth/signout", routes.HOME),
        ("/a\r\nSet-Cookie: x=1", routes.HOME),
    ],
)
def test_safe_next_path(value, expected):
    assert routes.safe_next_path(value) == expected


def test_sign_in_url_encodes_its_query():
    assert routes.sign_in_url() == "/signin"
    assert (
        routes.sign_in_url(next_path="/a b", error="invalid") == "/signin?next=%2Fa+b&error=invalid"
    )


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, None),
        ("", None),
        ("other=1", None),
        (f"{routes.SESSION_COOKIE}=abc; other=2", "abc"),
        ('planner_session="unterminated', None),
        ("\x00\x01garbage;;;==", None),
    ],
)
def test_session_cookie_parsing_tolerates_garbage(header, expected):
    assert session_token_from_cookie_header(header) == expected


@pytest.mark.parametrize(
    "path, token",
    [
        ("/book/abc_DEF-123", "abc_DEF-123"),
        ("/book/abc/", "abc"),
        ("/connect/x", "x"),
        ("/book", ""),
        ("/book/a/b", ""),
        ("", ""),
    ],
)
def test_token_from_path(path, token):
    assert routes.token_from_path(path) == token
