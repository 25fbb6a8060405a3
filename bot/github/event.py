"""What the Action does for an event: pure functions from event, payload, config to a plan.

All the branching lives here, with no I/O, so every case is a table row in a test; `bot.action`
only fetches what `needs` asks for and carries out what `plan` returns.

>>> from review_forge.bot.settings import Config
>>> needs("pull_request_review_comment", {"action": "deleted"}, Config())
Skip(comment_id=None, reason='deleted events are ignored')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from review_forge.bot.errors import InputError
from review_forge.bot.github.marker import find_marker
from review_forge.bot.settings import Config

REVIEW = "review"  # pull-request review comments: threaded, replies via in_reply_to
ISSUE = "issue"  # pull-request conversation (issue) comments: no threads


@dataclass(frozen=True)
class Target:
    """A comment to score, and where the reply goes."""

    id: int
    kind: str  # REVIEW or ISSUE
    body: str
    author: str
    html_url: str
    reply_to: int  # the thread's top comment: GitHub refuses replies to replies
    path: str | None = None
    line: int | None = None
    diff_hunk: str | None = None


@dataclass(frozen=True)
class Reply:
    """Score `target`; post a reply, or edit the bot's earlier reply `update` when there is one."""

    target: Target
    update: int | None = None


@dataclass(frozen=True)
class Skip:
    comment_id: int | None
    reason: str


@dataclass(frozen=True)
class Fetch:
    """The comments `plan` needs: all comments of `kind` on pull request `pr`."""

    pr: int
    kind: str


def needs(event_name: str | None, payload: Mapping[str, Any], config: Config) -> Fetch | Skip:
    """Which comments to list before planning, or why this event needs nothing."""
    action = payload.get("action")
    if action == "deleted":
        return Skip(None, "deleted events are ignored")
    if event_name == "pull_request_review_comment":
        if action not in ("created", "edited"):
            return Skip(_id(payload.get("comment")), f"review comment action {action!r} is ignored")
        return Fetch(_number(payload.get("pull_request")), REVIEW)
    if event_name == "pull_request_review":
        if action != "submitted":
            return Skip(None, f"review action {action!r} is ignored")
        return Fetch(_number(payload.get("pull_request")), REVIEW)
    if event_name == "issue_comment":
        issue = payload.get("issue") or {}
        comment_id = _id(payload.get("comment"))
        if not config.score_issue_comments:
            return Skip(comment_id, "issue comments are not scored (score_issue_comments: false)")
        if not issue.get("pull_request"):
            return Skip(comment_id, "comment is on an issue, not a pull request")
        if action not in ("created", "edited"):
            return Skip(comment_id, f"issue comment action {action!r} is ignored")
        return Fetch(_number(issue), ISSUE)
    if event_name == "workflow_dispatch":
        return Fetch(_dispatch_pr(payload), REVIEW)
    return Skip(None, f"event {event_name!r} is not one review-forge handles")


def plan(
    event_name: str | None,
    payload: Mapping[str, Any],
    config: Config,
    comments: Sequence[Mapping[str, Any]],
) -> list[Reply | Skip]:
    """The replies to post or update for this event, and what is skipped and why.

    `comments` are the API's comments of the kind `needs` asked for on the pull request.
    """
    fetch = needs(event_name, payload, config)
    if isinstance(fetch, Skip):
        return [fetch]
    by_id = {int(c["id"]): c for c in comments}
    replies = own_replies(comments, config)
    if event_name == "pull_request_review":
        review_id = payload["review"]["id"]
        mine = [c for c in comments if c.get("pull_request_review_id") == review_id]
        return [_decide(c, fetch.kind, by_id, replies, config, rescore=False) for c in mine]
    if event_name == "workflow_dispatch":
        return [
            _decide(c, fetch.kind, by_id, replies, config, rescore=True)
            for c in comments
            if not is_bot(c.get("user"), config)
        ]
    # The payload's copy is the event's truth; the listing may lag behind an edit.
    comment = payload["comment"]
    return [_decide(comment, fetch.kind, by_id, replies, config, rescore=True)]


def is_bot(user: Mapping[str, Any] | None, config: Config) -> bool:
    """A GitHub App or Actions bot, or the account this bot posts as."""
    if not user:
        return False
    login = str(user.get("login") or "")
    return (
        user.get("type") == "Bot"
        or login.endswith("[bot]")
        or login.lower() == config.bot_login.lower()
    )


def is_own_reply(comment: Mapping[str, Any], config: Config) -> bool:
    """Marker AND author: anyone can paste the marker, only the bot posts as the bot."""
    login = str((comment.get("user") or {}).get("login") or "")
    return (
        login.lower() == config.bot_login.lower() and find_marker(comment.get("body")) is not None
    )


def own_replies(comments: Sequence[Mapping[str, Any]], config: Config) -> dict[int, int]:
    """target comment id -> id of the bot's reply to it (the earliest, if several)."""
    found: dict[int, int] = {}
    for comment in sorted(comments, key=lambda c: int(c["id"])):
        if is_own_reply(comment, config):
            marker = find_marker(comment.get("body"))
            assert marker is not None
            found.setdefault(marker.target_id, int(comment["id"]))
    return found


def _decide(
    comment: Mapping[str, Any],
    kind: str,
    by_id: Mapping[int, Mapping[str, Any]],
    replies: Mapping[int, int],
    config: Config,
    *,
    rescore: bool,
) -> Reply | Skip:
    comment_id = int(comment["id"])
    if is_own_reply(comment, config):
        return Skip(comment_id, "the bot's own reply")
    if is_bot(comment.get("user"), config):
        return Skip(comment_id, "comment by a bot")
    existing = replies.get(comment_id)
    if existing is not None and not rescore:
        return Skip(comment_id, "already scored")
    return Reply(_target(comment, kind, by_id), update=existing)


def _target(
    comment: Mapping[str, Any], kind: str, by_id: Mapping[int, Mapping[str, Any]]
) -> Target:
    comment_id = int(comment["id"])
    return Target(
        id=comment_id,
        kind=kind,
        body=str(comment.get("body") or ""),
        author=str((comment.get("user") or {}).get("login") or "ghost"),
        html_url=str(comment.get("html_url") or ""),
        reply_to=_thread_top(comment, by_id) if kind == REVIEW else comment_id,
        path=comment.get("path"),
        line=comment.get("line") or comment.get("original_line"),
        diff_hunk=comment.get("diff_hunk"),
    )


def _thread_top(comment: Mapping[str, Any], by_id: Mapping[int, Mapping[str, Any]]) -> int:
    """Follow `in_reply_to_id` up to the comment that starts the thread."""
    current = comment
    seen: set[int] = set()
    while current.get("in_reply_to_id") and int(current["id"]) not in seen:
        seen.add(int(current["id"]))
        parent_id = int(current["in_reply_to_id"])
        if parent_id not in by_id:
            return parent_id  # GitHub points replies at the top comment; trust it when unlisted
        current = by_id[parent_id]
    return int(current["id"])


def _id(comment: Any) -> int | None:
    return int(comment["id"]) if isinstance(comment, Mapping) and "id" in comment else None


def _number(obj: Any) -> int:
    if not isinstance(obj, Mapping) or "number" not in obj:
        raise InputError("event payload has no pull request number; is GITHUB_EVENT_PATH right?")
    return int(obj["number"])


def _dispatch_pr(payload: Mapping[str, Any]) -> int:
    raw = str((payload.get("inputs") or {}).get("pr") or "").strip().lstrip("#")
    if not raw.isdigit() or int(raw) <= 0:
        raise InputError(
            "workflow_dispatch needs a `pr` input with the pull request number to re-score"
        )
    return int(raw)
