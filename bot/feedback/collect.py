"""Collect 👍/👎 on the bot's replies into a feedback snapshot on the data branch.

GitHub sends no event for reactions, so this polls, in one pass over the repository's review
comments (and its conversation comments, when those are scored) updated since the last pass
began, minus a look-back (a reaction is no update): pages of 100, oldest first, through the
repository-wide listing, so a pull request costs nothing of its own. Among them the bot's
replies (marker AND author) and the comments they score; the reaction roll-up on each reply says
when no one gave 👍/👎, and for the rest `reactions.py` asks who did, 100 replies per query.

When the hour's request budget runs low, the run writes what it has and, in the same commit,
where it stopped (`collect/YYYY/MM/DD/<run-id>.json`); the next run goes on from there, so a
pass over a busy repository may take several runs and still skips nothing. One snapshot file
per run; readers keep the newest snapshot per reply, so a changed reaction shows up in the next.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from github import Github, GithubException
from github.Repository import Repository

from review_forge.bot.errors import ConfigError
from review_forge.bot.feedback import reactions
from review_forge.bot.feedback.cursor import (
    CURSOR_DIR,
    KINDS,
    Cursor,
    free_path,
    parse_time,
    stamp,
    start_pass,
)
from review_forge.bot.feedback.record import FeedbackRecord
from review_forge.bot.github.client import PER_PAGE, call_with_retries
from review_forge.bot.github.data_branch import FEEDBACK_DIR, DataStore
from review_forge.bot.github.event import is_own_reply
from review_forge.bot.github.marker import find_marker, find_score
from review_forge.bot.settings import Config

RATE_RESERVE = 100  # requests left for the write and for other jobs sharing the token


@dataclass
class Collection:
    """What one run did, for the log and the job summary."""

    since: datetime | None
    pulls: set[int] = field(default_factory=set)
    replies: int = 0
    records: list[FeedbackRecord] = field(default_factory=list)
    path: str | None = None
    notes: list[str] = field(default_factory=list)
    cursor: Cursor | None = None


def collect(
    config: Config,
    gh: Github,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    warn: Callable[[str], None] | None = None,
    by_graphql: bool = True,
) -> Collection:
    """Read reactions and write one snapshot; `since` starts a new pass over that window.
    `by_graphql=False` asks who reacted over REST, one reply at a time (to measure the cost)."""
    if not config.repository:
        raise ConfigError("no repository: set GITHUB_REPOSITORY or --repository OWNER/NAME")
    now = now or datetime.now(UTC).replace(microsecond=0)
    repo = call_with_retries(lambda: gh.get_repo(config.repository), what="reading the repository")
    store = DataStore(repo, config.data_branch, sleep=sleep, **({"warn": warn} if warn else {}))
    files = store.list_files()
    cursor = start_pass(store, files, since, now, config.collect_lookback_days)
    result = Collection(since=parse_time(cursor.since), cursor=cursor)
    resumed = cursor.after is not None or cursor.kind != KINDS[0]
    _Pass(gh, repo, config, result, now, sleep, by_graphql).run()
    cursor.written_at = stamp(now)
    out: dict[str, bytes] = {}
    if result.records:
        result.path = free_path(files, FEEDBACK_DIR, now, config.run_id, ".jsonl")
        out[result.path] = "".join(r.to_json() + "\n" for r in result.records).encode("utf-8")
    if out or resumed or not cursor.complete:
        state = free_path(files, CURSOR_DIR, now, config.run_id, ".json")
        out[state] = (json.dumps(asdict(cursor), indent=1) + "\n").encode()
        done = "" if cursor.complete else ", to be continued"
        store.add_files(out, f"Feedback snapshot: {len(result.records)} replies (run "
                        f"{config.run_id}{done})")  # fmt: skip
    return result


@dataclass
class _Pass:
    gh: Github
    repo: Repository
    config: Config
    result: Collection
    now: datetime
    sleep: Callable[[float], None]
    by_graphql: bool
    seen: dict[tuple[str, int], dict] = field(default_factory=dict)
    pending: list[tuple[str, dict, dict, dict]] = field(default_factory=list)
    asks: int = 0  # pending replies whose roll-up shows a 👍/👎

    def run(self) -> None:
        cursor = self.result.cursor
        assert cursor is not None
        kinds = [k for k in KINDS if k == KINDS[0] or self.config.score_issue_comments]
        for kind in kinds[kinds.index(cursor.kind) if cursor.kind in kinds else 0 :]:
            if kind != cursor.kind:
                cursor.kind, cursor.page, cursor.after = kind, 1, None
            # One page back: comments deleted since the last run shift the pages left.
            page = max(1, cursor.page - 1) if cursor.after else cursor.page
            while True:
                remaining = self.gh.rate_limiting[0]
                if remaining < RATE_RESERVE:
                    self.flush()
                    cursor.page = page
                    self.result.notes.append(
                        f"stopped at page {page} of the {_NAMES[kind]}: {remaining} API requests "
                        "left this hour; the next run continues there"
                    )
                    return
                items = self.read_page(kind, cursor.since, page)
                for item in items:
                    key = [item["created_at"], int(item["id"])]
                    if cursor.after is None or key > cursor.after:
                        self.seen[kind, int(item["id"])] = item
                        self.consider(kind, item)
                        cursor.after = key
                if self.asks >= reactions.BATCH:
                    self.flush()
                page += 1
                cursor.page = page
                if len(items) < PER_PAGE:
                    break
        self.flush()
        cursor.complete = True

    def read_page(self, kind: str, since: str | None, page: int) -> list[dict]:
        params: dict[str, Any] = {"sort": "created", "direction": "asc", "per_page": PER_PAGE,
                                  "page": page} | ({"since": since} if since else {})  # fmt: skip
        url = f"{self.repo.url}/{kind}/comments"
        _, items = call_with_retries(
            lambda: self.repo.requester.requestJsonAndCheck("GET", url, parameters=params),
            what=f"reading the {_NAMES[kind]} (page {page})",
            sleep=self.sleep,
        )
        return list(items)

    def consider(self, kind: str, reply: dict) -> None:
        marker = find_marker(reply.get("body"))
        if marker is None or not is_own_reply(reply, self.config):
            return
        self.result.replies += 1
        pr = _number(reply)
        self.result.pulls.add(pr)
        target = self.seen.get((kind, marker.target_id)) or self.fetch(kind, marker.target_id)
        posted = find_score(reply.get("body"))
        if target is None or posted is None:
            why = "the scored comment is gone" if target is None else "it carries no score"
            self.result.notes.append(f"reply {reply['id']} on #{pr} skipped: {why}")
            return
        self.pending.append((kind, reply, target, posted))
        self.asks += not reactions.nothing_to_list(reply)

    def fetch(self, kind: str, comment_id: int) -> dict | None:
        """A scored comment outside this run's pages (older than the window, or read by the
        run before); None when it was deleted."""
        url = f"{self.repo.url}/{kind}/comments/{comment_id}"
        try:
            return call_with_retries(
                lambda: self.repo.requester.requestJsonAndCheck("GET", url)[1],
                what=f"reading comment {comment_id}",
                sleep=self.sleep,
            )
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise

    def flush(self) -> None:
        """Votes for the pending replies, then their records, in the order they were read."""
        asks = [
            (k, r, _login(t)) for k, r, t, _ in self.pending if not reactions.nothing_to_list(r)
        ]
        if self.by_graphql:
            votes = reactions.votes_by_graphql(self.gh, self.repo, asks, self.config, self.sleep)
        else:
            votes = {int(r["id"]): reactions.votes_by_rest(self.gh, self.repo, k, r, who,
                                                           self.config, self.sleep)
                     for k, r, who in asks}  # fmt: skip
        for _, reply, target, posted in self.pending:
            vote = votes.get(int(reply["id"]), (0, 0, 0))
            if vote is None:
                self.result.notes.append(f"reply {reply['id']} skipped: deleted meanwhile")
                continue
            self.result.records.append(FeedbackRecord(
                repo=self.repo.full_name, pr=_number(reply),
                review_comment_id=int(target["id"]), reply_comment_id=int(reply["id"]),
                body=target.get("body") or "", diff_hunk=target.get("diff_hunk"),
                path=target.get("path"), posted=posted, up=vote[0], down=vote[1],
                reactors=vote[2], collected_at=stamp(self.now),
            ))  # fmt: skip
        self.pending, self.asks = [], 0


_NAMES = {"pulls": "review comments", "issues": "conversation comments"}


def _login(comment: Mapping[str, Any]) -> str:
    return str((comment.get("user") or {}).get("login") or "")


def _number(comment: Mapping[str, Any]) -> int:
    """The pull request a comment belongs to, from its API links."""
    url = comment.get("pull_request_url") or comment.get("issue_url") or ""
    return int(str(url).rstrip("/").rsplit("/", 1)[1])
