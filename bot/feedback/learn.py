"""Feedback by hand: "this score is fair / unfair", or "I'd rate this comment N".

The record has the same shape as a collected snapshot, so training reads both alike. Given a
comment id, the score judged is the one the bot posted in its reply (found by marker and author);
when there is no reply yet, or given a text, the comment is scored now and that score is judged.
Records go to the data branch (one small file each) or, with `local`, to a local JSONL file.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from review_forge.bot.errors import ConfigError, GitHubError, InputError
from review_forge.bot.feedback.record import FeedbackRecord
from review_forge.bot.gate import AGREEMENT_MARGIN
from review_forge.bot.scoring.score import Comment
from review_forge.bot.scoring.scorer import make_scorer
from review_forge.bot.settings import Config

if TYPE_CHECKING:
    from github import Github


@dataclass(frozen=True)
class Verdict:
    """What the person said: 👍/👎 on the posted score, or their own rating of the comment."""

    up: bool | None = None
    rating: int | None = None

    def __post_init__(self) -> None:
        if (self.up is None) == (self.rating is None):
            raise InputError("give either a rating or 👍/👎 (--rating N, --up or --down)")
        if self.rating is not None and not 0 <= self.rating <= 100:
            raise InputError(f"a rating is 0 to 100, got {self.rating}")

    def agrees_with(self, posted_score: int) -> bool:
        """A 👍, or a rating within the gate's AGREEMENT_MARGIN of the posted score.

        >>> Verdict(rating=80).agrees_with(70), Verdict(rating=20).agrees_with(70)
        (True, False)
        """
        if self.rating is not None:
            return abs(self.rating - posted_score) <= AGREEMENT_MARGIN
        return bool(self.up)


def make_record(
    target: dict[str, Any],
    posted: dict[str, Any],
    verdict: Verdict,
    *,
    reply_comment_id: int | str,
    repo: str | None,
    pr: int | None,
    now: datetime,
) -> FeedbackRecord:
    """A feedback record (schema 1) for one verdict; `rating` is kept beside up/down."""
    agree = verdict.agrees_with(int(posted["score"]))
    return FeedbackRecord(
        repo=repo, pr=pr, review_comment_id=target.get("id"), reply_comment_id=reply_comment_id,
        body=target.get("body") or "", diff_hunk=target.get("diff_hunk"), path=target.get("path"),
        posted=posted, up=int(agree), down=int(not agree), reactors=1, rating=verdict.rating,
        source="learn", collected_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )  # fmt: skip


def for_text(
    config: Config, body: str, verdict: Verdict, *, diff_hunk: str | None = None,
    path: str | None = None, now: datetime | None = None,
) -> FeedbackRecord:  # fmt: skip
    """The record for a comment text: scored now; the same text later supersedes it."""
    if not body.strip():
        raise InputError("the comment text is empty; give the review comment to rate")
    posted = _score_now(config, body, diff_hunk, path)
    key = "manual-" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
    target = {"id": None, "body": body, "diff_hunk": diff_hunk, "path": path}
    return make_record(target, posted, verdict, reply_comment_id=key, repo=config.repository,
                       pr=None, now=now or _now())  # fmt: skip


def for_comment(
    config: Config, gh: Github, comment_id: int, verdict: Verdict, *, now: datetime | None = None
) -> FeedbackRecord:
    """The record for a review comment on GitHub (or for the bot's reply to one)."""
    from github import GithubException

    from review_forge.bot.github.client import call_with_retries, paged
    from review_forge.bot.github.event import is_own_reply
    from review_forge.bot.github.marker import find_marker, find_score

    if not config.repository:
        raise ConfigError("no repository: set GITHUB_REPOSITORY or --repository OWNER/NAME")
    repo = call_with_retries(lambda: gh.get_repo(config.repository), what="reading the repository")

    def fetch(cid: int) -> dict[str, Any]:
        url = f"{repo.url}/pulls/comments/{cid}"
        try:
            return call_with_retries(
                lambda: repo.requester.requestJsonAndCheck("GET", url)[1],
                what=f"reading review comment {cid}",
            )
        except GithubException as exc:
            if exc.status == 404:
                raise InputError(
                    f"no review comment {cid} in {config.repository}; give the id from the "
                    "comment's link (#discussion_r<id>)"
                ) from None
            raise GitHubError(
                f"reading review comment {cid}: GitHub answered {exc.status}"
            ) from None

    comment = fetch(comment_id)
    marker = find_marker(comment.get("body"))
    if marker is not None and is_own_reply(comment, config):
        comment = fetch(marker.target_id)  # the id of the bot's reply: judge what it scored
    pr = int(str(comment["pull_request_url"]).rstrip("/").rsplit("/", 1)[1])
    listing = repo.get_pull(pr).get_review_comments()
    what = f"finding the bot's reply on pull request #{pr}"
    replies = [
        c.raw_data for c in paged(listing, per_page=gh.per_page, what=what)
        if is_own_reply(c.raw_data, config)
        and getattr(find_marker(c.raw_data.get("body")), "target_id", None) == comment["id"]
    ]  # fmt: skip
    posted = find_score(replies[0].get("body")) if replies else None
    if posted is None:  # not replied to (or a reply without a score): judge a score made now
        posted = _score_now(config, comment.get("body") or "", comment.get("diff_hunk"),
                            comment.get("path"))  # fmt: skip
    reply_id: int | str = int(replies[0]["id"]) if replies else f"manual-{comment['id']}"
    return make_record(comment, posted, verdict, reply_comment_id=reply_id,
                       repo=config.repository, pr=pr, now=now or _now())  # fmt: skip


def save(
    config: Config,
    record: FeedbackRecord,
    local: str | None,
    gh: Github | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Append to the local JSONL `local`, or add a file to the data branch through `gh`; say
    where it went."""
    line = record.to_json() + "\n"
    if local:
        try:
            Path(local).parent.mkdir(parents=True, exist_ok=True)
            with Path(local).open("a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as exc:
            raise InputError(f"cannot write {local}: {exc.strerror or exc}") from None
        return local
    from review_forge.bot.feedback.cursor import snapshot_path
    from review_forge.bot.github.client import call_with_retries
    from review_forge.bot.github.data_branch import FEEDBACK_DIR, DataStore

    if not config.repository:
        raise ConfigError("no repository: set GITHUB_REPOSITORY, --repository, or use --local")
    if gh is None:
        raise ConfigError("saving to the data branch needs a GitHub client; or use --local")
    repo = call_with_retries(lambda: gh.get_repo(config.repository), what="reading the repository")
    store = DataStore(repo, config.data_branch, sleep=sleep)
    when = datetime.now(UTC)  # to the microsecond: names sort in the order they were written
    path = snapshot_path(store.list_files(FEEDBACK_DIR), when, f"learn-{when:%H%M%S%f}")
    store.add_files({path: line.encode("utf-8")}, f"Feedback by hand on {record.reply_comment_id}")
    return f"{path} on {config.data_branch}"


def _score_now(config: Config, body: str, diff_hunk: str | None, path: str | None) -> dict:
    return make_scorer(config).score_many([Comment(body, diff_hunk, path)])[0].to_dict()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
