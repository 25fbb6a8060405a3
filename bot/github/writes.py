"""Writes that can be retried safely: the one place that decides whether to send a write again.

A write whose answer is lost (a 502 from a proxy after GitHub did the work, a connection dropped
on the way back) may or may not have happened. Sending it again blindly posts a second reply in
the thread, which is what people hate most in review bots; giving up loses the work. So every
writer goes through `write_once` with a way to find out (`landed`): after such a failure, and
before sending again, it looks for the write's effect on GitHub and, when it is there, takes
that as the result. Answers that say GitHub did nothing (a rate limit, 4xx) are never checked.

How each write is found again:

- a reply: the thread's (or conversation's) comments by marker AND author (`find_own_reply`);
  anyone can paste a marker, only the bot's own comment counts;
- an edit: the comment's body is already the new one;
- data-branch steps (`bot.github.data_branch`): a blob by the sha Git computes from its bytes;
  the branch by its ref; a commit by the ref's tip and its tree holding the files. Trees and
  commits are content-addressed (the commit's dates are fixed before the first try), so sending
  one again stores the same object, not a second one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from github.IssueComment import IssueComment
from github.PullRequest import PullRequest
from github.PullRequestComment import PullRequestComment

from review_forge.bot.github.client import call_with_retries, paged
from review_forge.bot.github.event import REVIEW, Target, is_own_reply
from review_forge.bot.github.marker import find_marker
from review_forge.bot.settings import Config

T = TypeVar("T")
Sleep = Callable[[float], None]


def write_once(
    do: Callable[[], T],
    *,
    landed: Callable[[], T | None],
    what: str,
    sleep: Sleep = time.sleep,
) -> T:
    """Run the write `do` with retries; after an unknown outcome, `landed()` (a read) says whether
    it happened: its result is returned instead of writing again. Raises like
    `call_with_retries`: GithubException for a refusal, GitHubError when GitHub keeps failing."""
    return call_with_retries(do, what=what, sleep=sleep, landed=landed)


def find_own_reply(
    comments: Iterable[Mapping[str, Any]], target_id: int, config: Config
) -> Mapping[str, Any] | None:
    """The bot's reply (marker AND author) to comment `target_id` among `comments`, if any.

    >>> from review_forge.bot.github.marker import make_marker
    >>> bot = {"login": "github-actions[bot]", "type": "Bot"}
    >>> mine = {"id": 2, "user": bot, "body": make_marker(1, "rubric")}
    >>> pasted = {"id": 3, "user": {"login": "eve", "type": "User"}, "body": mine["body"]}
    >>> find_own_reply([pasted, mine], 1, Config())["id"], find_own_reply([pasted], 1, Config())
    (2, None)
    """
    for comment in comments:
        marker = find_marker(comment.get("body"))
        if marker is not None and marker.target_id == target_id and is_own_reply(comment, config):
            return comment
    return None


def write_reply(
    pull: PullRequest,
    existing: PullRequestComment | IssueComment | None,
    target: Target,
    body: str,
    config: Config,
    sleep: Sleep,
) -> str:
    """Edit the bot's `existing` reply, or post one in the thread (or the conversation, for a
    conversation comment); the reply's URL."""
    if existing is not None:
        return edit_comment(existing, body, sleep)
    if target.kind == REVIEW:
        return post_review_reply(pull, target.reply_to, target.id, body, config, sleep)
    return post_issue_reply(pull, target.id, body, config, sleep)


def post_review_reply(
    pull: PullRequest, reply_to: int, target_id: int, body: str, config: Config, sleep: Sleep
) -> str:
    """Reply in the review thread of `reply_to` (scoring comment `target_id`); the reply's URL."""
    return _post_reply(
        pull.get_review_comments, lambda: pull.create_review_comment_reply(reply_to, body),
        pull, target_id, config, sleep,
    )  # fmt: skip


def post_issue_reply(
    pull: PullRequest, target_id: int, body: str, config: Config, sleep: Sleep
) -> str:
    """Post the reply for conversation comment `target_id` in the pull request's conversation."""
    return _post_reply(
        pull.get_issue_comments, lambda: pull.create_issue_comment(body), pull, target_id,
        config, sleep,
    )  # fmt: skip


def _post_reply(
    listing: Callable[[], Any], create: Callable[[], Any], pull: PullRequest, target_id: int,
    config: Config, sleep: Sleep,
) -> str:  # fmt: skip
    """Post once: after a lost answer, our reply to `target_id` is looked for in `listing`."""

    def landed() -> str | None:
        what = f"looking for the reply to comment {target_id}"
        comments = paged(listing(), per_page=pull.requester.per_page, what=what, sleep=sleep)
        found = find_own_reply((c._rawData for c in comments), target_id, config)
        return None if found is None else str(found["html_url"])

    return write_once(
        lambda: str(create().html_url), landed=landed,
        what=f"replying to comment {target_id}", sleep=sleep,
    )  # fmt: skip


def edit_comment(comment: PullRequestComment | IssueComment, body: str, sleep: Sleep) -> str:
    """Set an existing comment's body; an edit found already made is not sent again."""

    def landed() -> str | None:
        _, data = call_with_retries(
            lambda: comment.requester.requestJsonAndCheck("GET", comment.url),
            what=f"reading comment {comment.id}",
            sleep=sleep,
        )
        return str(data["html_url"]) if data.get("body") == body else None

    def do() -> str:
        comment.edit(body)
        return str(comment.html_url)

    return write_once(do, landed=landed, what=f"editing comment {comment.id}", sleep=sleep)
