"""GitHub access: one way to connect, one way to retry.

PyGithub waits between requests and can retry on its own; both are set here explicitly so that
fault handling is ours and visible: `call_with_retries` waits out rate limits as GitHub asks
(`Retry-After`, `x-ratelimit-reset`), retries server errors with backoff and jitter, and gives
up with a `GitHubError` that says what it was doing, instead of sleeping for an hour.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import requests
from github import Auth, Github, GithubException, RateLimitExceededException
from github.PaginatedList import PaginatedList

from review_forge.bot.errors import ConfigError, GitHubError
from review_forge.bot.settings import Config

T = TypeVar("T")

MAX_ATTEMPTS = 5
MAX_WAIT = 60.0  # seconds; a longer wait (an exhausted hourly quota) ends the run cleanly
BACKOFF_BASE = 1.0
SECONDARY_DEFAULT_WAIT = 60.0  # GitHub: without retry-after, wait at least a minute
PER_PAGE = 100  # GitHub's maximum: fewest requests per listing


def connect(config: Config) -> Github:
    """A PyGithub client for `config.api_url` with the token, our pauses, and no retries of its own.

    >>> from review_forge.bot.settings import Config
    >>> gh = connect(Config(github_token="t", api_url="http://127.0.0.1:9"))
    >>> gh.requester.base_url
    'http://127.0.0.1:9'
    """
    if not config.github_token:
        raise ConfigError("no GitHub token: set GITHUB_TOKEN (or the action's github_token input)")
    return Github(
        base_url=config.api_url.rstrip("/"),
        auth=Auth.Token(config.github_token),
        seconds_between_requests=config.github_request_interval,
        seconds_between_writes=config.github_write_interval,
        retry=None,  # urllib3 retries nothing: every retry goes through call_with_retries
        timeout=30,
        per_page=PER_PAGE,
    )


def call_with_retries(
    fn: Callable[[], T],
    *,
    what: str,
    max_attempts: int = MAX_ATTEMPTS,
    max_wait: float = MAX_WAIT,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
    landed: Callable[[], T | None] | None = None,
) -> T:
    """Run `fn` (which must make its requests itself: wrap a PaginatedList in `list(...)`).

    Rate limits (403/429 with `Retry-After`, or `x-ratelimit-remaining: 0`) are waited out when
    the wait is at most `max_wait` seconds; 5xx answers and dropped connections are retried with
    exponential backoff and jitter. Any other `GithubException` (404, 422, a fork's 403) is
    raised unchanged for the caller to handle. `what` names the action for the error message.

    `landed` is for writes, and only `bot.github.writes` passes it: after a 5xx or a dropped
    connection the write may have happened (GitHub did it, the answer was lost), so before trying
    again it is asked; whatever it finds (not None) is the result, and the write is not repeated.
    A rate limit is GitHub refusing before doing anything, so that is simply tried again.
    """
    last = ""
    for attempt in range(1, max_attempts + 1):
        unknown = False
        try:
            return fn()
        except GithubException as exc:
            wait = _rate_limit_wait(exc, now())
            if wait is None and exc.status < 500:
                raise
            unknown = wait is None
            last = f"{exc.status} {_message(exc)}"
            if wait is not None and wait > max_wait:
                raise GitHubError(
                    f"{what}: GitHub's rate limit asks for a {wait:.0f} s wait, more than the "
                    f"{max_wait:.0f} s this run allows; run it again later ({last})"
                ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            wait, unknown, last = None, True, f"network error: {type(exc).__name__}"
        if wait is None:
            wait = min(max_wait, BACKOFF_BASE * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
        if attempt < max_attempts:
            sleep(wait)
        if unknown and landed is not None:
            found = landed()
            if found is not None:
                return found
    raise GitHubError(f"{what}: GitHub failed {max_attempts} times, giving up (last: {last})")


def paged(
    listing: PaginatedList[T],
    *,
    per_page: int,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[T]:
    """The items of a PyGithub listing, one page per request, each page retried on its own
    (plain iteration would fetch later pages outside any retry). `per_page` is the client's
    (`Github.per_page`): a shorter page is the last one."""
    page = 0
    while True:
        items = call_with_retries(
            lambda n=page: listing.get_page(n), what=f"{what} (page {page + 1})", sleep=sleep
        )
        yield from items
        if len(items) < per_page:
            return
        page += 1


def _rate_limit_wait(exc: GithubException, now: float) -> float | None:
    """Seconds GitHub asks us to wait, or None when this is no rate limit."""
    if exc.status not in (403, 429):
        return None
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    if "retry-after" in headers:
        try:
            return max(0.0, float(headers["retry-after"]))
        except ValueError:
            return SECONDARY_DEFAULT_WAIT
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(0.0, float(headers["x-ratelimit-reset"]) - now) + 1.0
        except ValueError:
            return None
    if isinstance(exc, RateLimitExceededException) or exc.status == 429:
        return SECONDARY_DEFAULT_WAIT
    return None


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or exc.message or "no message")[:200]
