"""`review-forge action`: score the event's review comments and reply in their threads.

`run` builds the real things (the event from `GITHUB_EVENT_PATH`, the PyGithub client, the
scorer) and hands them to `act`, which fetches what `bot.activities.needs` asks for, carries out
`bot.activities.plan`, and reports through the runner: replies, job summary, outputs, annotations.
Every GitHub call goes through `call_with_retries`, so rate limits are waited out the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from github import Github, GithubException
from github.PullRequest import PullRequest

from review_forge.bot.errors import GitHubError, InputError
from review_forge.bot.feedback import explore
from review_forge.bot.github import event as activities
from review_forge.bot.github import runner, summary, writes
from review_forge.bot.github.client import paged
from review_forge.bot.github.event import REVIEW, Reply, Skip
from review_forge.bot.github.reply import Row, render_reply, render_summary
from review_forge.bot.scoring.score import Comment, Score, Scorer
from review_forge.bot.scoring.scorer import choose_scorer
from review_forge.bot.settings import Config

LOW_SCORE = 50  # a comment below this (or below min_score, when set) gets a ::warning annotation
READ_ONLY = "Resource not accessible by integration"  # GitHub's 403 for a fork's read-only token
QUIET = "job summary only"  # reply: below (at or above the threshold) or reply: none
IN_SUMMARY = "summary comment"  # reply: summary

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Result:
    """What happened to one planned reply."""

    reply: Reply
    score: Score
    status: str  # "posted", "updated", or "not posted: <why>" (always our own words)
    url: str | None = None


def run(config: Config, gh: Github) -> int:
    """The Action's entry: the real event and scorer, with the client the command built."""
    event_name, payload = read_event(config)
    return act(config, event_name, payload, gh, lambda: choose_scorer(config, gh))


def read_event(config: Config) -> tuple[str | None, dict[str, Any]]:
    if not config.event_path:
        raise InputError(
            "GITHUB_EVENT_PATH is not set: run inside GitHub Actions, or point it at a webhook "
            "payload file and set GITHUB_EVENT_NAME"
        )
    try:
        payload = json.loads(Path(config.event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the event payload {config.event_path}: {exc}") from None
    if not isinstance(payload, dict):
        raise InputError(f"the event payload {config.event_path} is not a JSON object")
    return config.event_name, payload


def act(
    config: Config,
    event_name: str | None,
    payload: Mapping[str, Any],
    gh: Github,
    new_scorer: Callable[[], tuple[Scorer, str | None]],
    sleep: Sleep = time.sleep,
) -> int:
    """Carry out the plan for one event; the exit code (1 when min_score is missed).

    Raises GitHubError, after writing the summary, when GitHub kept refusing or failing."""
    fetch = activities.needs(event_name, payload, config)
    if isinstance(fetch, Skip):
        print(f"review-forge: nothing to do: {fetch.reason}")
        return _finish(config, [], [f"Nothing to do: {fetch.reason}."])
    repo_name = config.repository or str((payload.get("repository") or {}).get("full_name") or "")
    if not repo_name:
        raise InputError("no repository: set GITHUB_REPOSITORY (owner/name)")
    what = f"reading the comments of {repo_name}#{fetch.pr}"
    try:
        # Lazy: the pull request's URL is all we need, not a request for the object itself.
        pull = gh.withLazy(True).get_repo(repo_name).get_pull(fetch.pr)
        listing = pull.get_review_comments() if fetch.kind == REVIEW else pull.get_issue_comments()
        listed = list(paged(listing, per_page=gh.per_page, what=what, sleep=sleep))
    except GithubException as exc:
        raise GitHubError(f"{what}: GitHub answered {exc.status} ({_message(exc)})") from None
    # `_rawData`, not `raw_data`: the public property re-fetches every listed comment.
    planned = activities.plan(event_name, payload, config, [c._rawData for c in listed])
    notes = [f"Skipped comment {s.comment_id}: {s.reason}." for s in planned if isinstance(s, Skip)]
    replies = [p for p in planned if isinstance(p, Reply)]
    if not replies:
        print(f"review-forge: nothing to score on pull request #{fetch.pr}")
        return _finish(config, [], notes)
    scorer, fallback = new_scorer()
    comments = [Comment(r.target.body, r.target.diff_hunk, r.target.path) for r in replies]
    scores = scorer.score_many(comments)
    if fallback:
        scores = [s.with_source(s.scorer, s.model_revision, fallback) for s in scores]
    if config.reply == "summary":
        results, read_only, failure = _summarise(config, pull, replies, scores, gh.per_page, sleep)
    else:
        objects = {c.id: c for c in listed}
        results, read_only, failure = _reply_all(config, pull, objects, replies, scores, sleep)
    if config.reply == "below" and any(r.status == QUIET for r in results):
        notes.append(
            f"reply: below: comments scoring {config.reply_threshold} or more are listed here, "
            "without a reply."
        )
    if read_only:
        notes.append(
            "Replies were not posted: the token is read-only here (a fork's pull request)."
        )
        print(
            runner.command(
                "notice",
                "review-forge could not reply (read-only token, a fork?): "
                "the scores are in the job summary.",
            )
        )
    if failure:
        notes.append(f"Stopped posting: {failure}")
    code = _finish(config, results, notes)
    if failure:
        raise GitHubError(f"{failure}; what was done is in the job summary")
    return code


def _reply_all(
    config: Config,
    pull: PullRequest,
    objects: Mapping[int, Any],
    replies: Sequence[Reply],
    scores: Sequence[Score],
    sleep: Sleep,
) -> tuple[list[Result], bool, str | None]:
    """Post or update each reply, up to max_replies; after a refusal, post nothing more.

    Returns the results, whether the token turned out read-only, and why posting failed."""
    results: list[Result] = []
    stop: str | None = None
    read_only = False
    failure: str | None = None
    written = 0
    for reply, score in zip(replies, scores, strict=True):
        if stop is None and written >= config.max_replies:
            stop = f"over max_replies ({config.max_replies}) for one run"
        if stop is not None:
            results.append(Result(reply, score, f"not posted: {stop}"))
            continue
        if not _wants_reply(config, reply, score):
            results.append(Result(reply, score, QUIET))
            continue
        about = None if reply.target.kind == REVIEW else reply.target.html_url
        shown = explore.posted(score, reply.target.id, config.explore)
        body = render_reply(shown, reply.target.id, about=about, server_url=config.server_url)
        url, status, read_only, why = _attempt(
            lambda reply=reply, body=body: writes.write_reply(
                pull, objects.get(reply.update), reply.target, body, config, sleep
            ),
            f"the reply to comment {reply.target.id}",
        )
        if url is None:
            stop, failure = why or status.removeprefix("not posted: "), why or failure
            results.append(Result(reply, score, status))
            continue
        written += 1
        status = "updated" if reply.update is not None else "posted"
        print(f"review-forge: comment {reply.target.id} scored {score.score}/100, reply {status}")
        results.append(Result(reply, score, status, url))
    return results, read_only, failure


def _wants_reply(config: Config, reply: Reply, score: Score) -> bool:
    """reply: every, or below the threshold; an earlier reply is always kept current."""
    if config.reply == "below":
        return reply.update is not None or score.score < config.reply_threshold
    return config.reply == "every"


def _summarise(
    config: Config,
    pull: PullRequest,
    replies: Sequence[Reply],
    scores: Sequence[Score],
    per_page: int,
    sleep: Sleep,
) -> tuple[list[Result], bool, str | None]:
    """reply: summary: one comment per pull request, no replies in the threads."""
    entries = [summary.entry(r.target, s.score) for r, s in zip(replies, scores, strict=True)]
    url, status, read_only, why = _attempt(
        lambda: summary.upsert(pull, entries, config, per_page, sleep), "the summary comment"
    )
    results = [Result(r, s, status, url) for r, s in zip(replies, scores, strict=True)]
    return results, read_only, None if read_only else why


def _attempt(write: Callable[[], str], what: str) -> tuple[str | None, str, bool, str | None]:
    """One write (retried inside): its URL and status, or None, the status, whether the token
    is read-only, and why posting stops."""
    try:
        return write(), IN_SUMMARY, False, None
    except GithubException as exc:
        if exc.status == 403 and READ_ONLY in _message(exc):
            return None, "not posted: the token cannot write here", True, None
        why = f"GitHub refused {what}: {exc.status} {_message(exc)}"
        return None, f"not posted: {why}", False, why
    except GitHubError as exc:
        return None, "not posted: GitHub kept failing", False, str(exc)


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or "no message")[:200]


def _finish(config: Config, results: Sequence[Result], notes: Sequence[str]) -> int:
    """Summary, outputs and annotations; exit 1 only when min_score is set and not met."""
    rows = [
        Row(
            r.reply.target.html_url,
            r.reply.target.author,
            r.reply.target.path,
            r.reply.target.line,
            r.score.score,
            r.status,
            r.url,
        )
        for r in results
    ]
    runner.append_summary(config.step_summary, render_summary(rows, notes, config.server_url))
    scores = [r.score.score for r in results]
    report = [
        {
            "comment_id": r.reply.target.id,
            "score": r.score.score,
            "reply": r.status.split(":")[0],
            "reply_url": r.url,
            "comment_url": r.reply.target.html_url,
        }
        for r in results
    ]
    runner.write_outputs(
        config.github_output,
        {
            "score": str(min(scores)) if scores else "",
            "scored": str(len(results)),
            "replies": str(sum(r.status in ("posted", "updated") for r in results)),
            "report": json.dumps(report),
        },
    )
    threshold = config.min_score if config.min_score is not None else LOW_SCORE
    for r in results:
        if r.score.score < threshold and r.reply.target.path:
            advice = r.score.recommendations[0] if r.score.recommendations else ""
            message = f"Review comment scored {r.score.score}/100. {advice}".strip()
            print(
                runner.command(
                    "warning",
                    message,
                    file=r.reply.target.path,
                    line=r.reply.target.line,
                    title="review-forge",
                )
            )
    below = [
        r for r in results if config.min_score is not None and r.score.score < config.min_score
    ]
    if below:
        print(
            runner.command(
                "error",
                f"{len(below)} review comment(s) scored below min_score "
                f"{config.min_score}: see the job summary",
            )
        )
        return 1
    return 0
