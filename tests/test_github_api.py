"""connect() and call_with_retries() against the fake GitHub with injected faults (no real waits:
the sleep is recorded)."""

from __future__ import annotations

import socket

import pytest
from github import Auth, Github, GithubException

from review_forge.bot.errors import ConfigError, GitHubError
from review_forge.bot.github.client import call_with_retries, connect, paged
from review_forge.bot.settings import Config


def _config(server, **extra) -> Config:
    values = dict(github_token=server.token, api_url=server.url, github_request_interval=0.0,
                  github_write_interval=0.0)  # fmt: skip
    return Config(**(values | extra))


def _get_pull(server):
    server.add_pull(1)
    repo = connect(_config(server)).get_repo("octo-org/octo-repo")
    return lambda: repo.get_pull(1).number


def test_connect_talks_to_api_url_with_the_token(fake_github):
    gh = connect(_config(fake_github))

    assert gh.get_repo("octo-org/octo-repo").full_name == "octo-org/octo-repo"
    assert fake_github.requests[-1].headers["Authorization"] == f"token {fake_github.token}"


def test_connect_without_token_says_what_to_set():
    with pytest.raises(ConfigError, match="GITHUB_TOKEN"):
        connect(Config(github_token=None))


@pytest.mark.parametrize(
    ("inject", "status", "low", "high"),
    [
        (lambda s: s.fail_secondary_rate_limit("GET", "/pulls/1$", retry_after=7), 403, 7, 7),
        (lambda s: s.fail("GET", "/pulls/1$", status=429, headers={"Retry-After": "3"}), 429, 3, 3),
        # x-ratelimit-reset is 20 s ahead; one second of slack for the clock edge
        (lambda s: s.fail_primary_rate_limit("GET", "/pulls/1$", reset_in=20), 403, 19, 21.5),
    ],
)
def test_rate_limits_are_waited_out_as_github_asks(fake_github, inject, status, low, high):
    fn = _get_pull(fake_github)
    inject(fake_github)
    slept: list[float] = []

    result = call_with_retries(fn, what="reading PR 1", sleep=slept.append)

    assert result == 1
    assert len(slept) == 1 and low <= slept[0] <= high
    assert [r.status for r in fake_github.calls("GET", "/pulls/1$")] == [
        403 if low != 3 else 429,
        200,
    ]


def test_server_errors_are_retried_with_growing_jittered_backoff(fake_github):
    fn = _get_pull(fake_github)
    fake_github.fail("GET", "/pulls/1$", status=502, times=3)
    slept: list[float] = []

    assert call_with_retries(fn, what="reading PR 1", sleep=slept.append) == 1

    assert len(slept) == 3
    for attempt, wait in enumerate(slept):
        assert 0.5 * 2**attempt <= wait <= 2**attempt


def test_gives_up_after_max_attempts_saying_what_it_was_doing(fake_github):
    fn = _get_pull(fake_github)
    fake_github.fail("GET", "/pulls/1$", status=503, times=10)
    slept: list[float] = []

    with pytest.raises(GitHubError, match=r"reading PR 1: GitHub failed 4 times.*503"):
        call_with_retries(fn, what="reading PR 1", max_attempts=4, sleep=slept.append)

    assert len(fake_github.calls("GET", "/pulls/1$")) == 4
    assert len(slept) == 3


def test_a_wait_longer_than_the_cap_gives_up_at_once(fake_github):
    fn = _get_pull(fake_github)
    fake_github.fail_primary_rate_limit("GET", "/pulls/1$", reset_in=3000)
    slept: list[float] = []

    with pytest.raises(GitHubError, match=r"posting replies: .*rate limit.*run it again later"):
        call_with_retries(fn, what="posting replies", max_wait=60, sleep=slept.append)

    assert slept == []
    assert len(fake_github.calls("GET", "/pulls/1$")) == 1


@pytest.mark.parametrize(
    ("inject", "status"),
    [
        (lambda s: s.fail_like_fork("GET", "/pulls/1$", times=1), 403),
        (lambda s: s.fail("GET", "/pulls/1$", status=404, body={"message": "Not Found"}), 404),
        (lambda s: s.fail("GET", "/pulls/1$", status=422, body={"message": "Validation Failed"}),
         422),
    ],
)  # fmt: skip
def test_other_errors_reach_the_caller_unchanged_and_unretried(fake_github, inject, status):
    fn = _get_pull(fake_github)
    inject(fake_github)
    slept: list[float] = []

    with pytest.raises(GithubException) as err:
        call_with_retries(fn, what="reading PR 1", sleep=slept.append)

    assert err.value.status == status
    assert slept == []
    assert len(fake_github.calls("GET", "/pulls/1$")) == 1


def test_dropped_connections_are_retried_then_reported():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gh = connect(Config(github_token="t", api_url=f"http://127.0.0.1:{port}",
                        github_request_interval=0.0, github_write_interval=0.0))  # fmt: skip
    slept: list[float] = []

    with pytest.raises(GitHubError, match="network error: ConnectionError"):
        call_with_retries(lambda: gh.get_repo("a/b"), what="reading a/b", max_attempts=3,
                          sleep=slept.append)  # fmt: skip

    assert len(slept) == 2


def test_paged_reads_every_page_retrying_only_the_failed_one(fake_github):
    pr = fake_github.add_pull()
    ids = [fake_github.add_review_comment(pr, f"c{n}") for n in range(7)]
    gh = Github(base_url=fake_github.url, auth=Auth.Token(fake_github.token), per_page=3,
                retry=None, seconds_between_requests=0, seconds_between_writes=0)  # fmt: skip
    listing = gh.get_repo("octo-org/octo-repo").get_pull(pr).get_review_comments()
    fake_github.fail("GET", rf"/pulls/{pr}/comments$", status=502)  # the first page, once
    slept: list[float] = []

    items = list(paged(listing, per_page=gh.per_page, what="listing", sleep=slept.append))

    assert [c.id for c in items] == ids
    assert len(slept) == 1
    assert [r.status for r in fake_github.calls("GET", rf"/pulls/{pr}/comments$")] == [
        502,
        200,
        200,
        200,
    ]
